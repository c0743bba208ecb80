package s3_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/blob/blobtest"
	"github.com/wharfhub/wharf/internal/store/blob/s3"
)

// startVersitygw starts a real S3 server (versitygw, posix backend) on a
// loopback port for the test and returns its endpoint. The binary comes
// from $WHARF_VERSITYGW (scripts/versitygw.sh builds it). Without it the
// test is skipped, unless WHARF_REQUIRE_S3=1 (CI), where it fails.
func startVersitygw(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("WHARF_VERSITYGW")
	if bin == "" {
		if os.Getenv("WHARF_REQUIRE_S3") == "1" {
			t.Fatal("WHARF_VERSITYGW is not set (source scripts/versitygw.sh)")
		}
		t.Skip("no versitygw: source scripts/versitygw.sh to run the S3 tests")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "--access", "wharftest", "--secret", "wharftestsecret", "--port", addr, "--quiet", "posix", dir)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	endpoint := "http://" + addr
	for i := 0; ; i++ {
		resp, err := http.Get(endpoint)
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 300 {
			t.Fatalf("versitygw did not start at %s: %v", endpoint, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "wharftest")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wharftestsecret")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	return endpoint
}

// newBucket creates a fresh bucket and opens a Store on it.
func newBucket(t *testing.T, endpoint string, partSize int64) *s3.Store {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 6)
	rand.Read(b)
	name := "wharf-" + hex.EncodeToString(b)
	cfg, err := s3.ParseURL(fmt.Sprintf("s3://%s/blobs?endpoint=%s&region=us-east-1", name, endpoint))
	if err != nil {
		t.Fatal(err)
	}
	cfg.TempDir = t.TempDir()
	cfg.PartSize = partSize
	// Create the bucket with a bare client, then open the store on it.
	if _, err := s3.Open(ctx, cfg); err == nil {
		t.Fatalf("Open of a missing bucket %s succeeded", name)
	}
	client, err := s3.NewClient(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	st, err := s3.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestConformance(t *testing.T) {
	endpoint := startVersitygw(t)
	// A small part size makes the larger conformance objects multipart.
	blobtest.Run(t, func(t *testing.T) blob.Backend { return newBucket(t, endpoint, 5<<20) })
}

func TestParseURL(t *testing.T) {
	c, err := s3.ParseURL("s3://bucket/some/prefix/?endpoint=http://127.0.0.1:9000&region=eu-west-1")
	if err != nil || c.Bucket != "bucket" || c.Prefix != "some/prefix/" || c.Endpoint != "http://127.0.0.1:9000" || c.Region != "eu-west-1" {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []string{"s3:///x", "http://b/x", "s3://b?endpoint=x&foo=1"} {
		if _, err := s3.ParseURL(bad); err == nil || !strings.Contains(err.Error(), bad[:4]) {
			t.Errorf("ParseURL(%q): %v, want an error", bad, err)
		}
	}
}

func TestSweepAbortsStaleMultipart(t *testing.T) {
	endpoint := startVersitygw(t)
	st := newBucket(t, endpoint, 5<<20)
	ctx := context.Background()
	_, err := st.Client().CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: aws.String(st.Bucket()), Key: aws.String(st.Key(strings.Repeat("a", 64)))})
	if err != nil {
		t.Fatal(err)
	}
	staged, err := st.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	staged.Write([]byte("left behind"))
	n, err := st.Sweep(ctx, -time.Minute)
	if err != nil || n != 2 {
		t.Fatalf("Sweep: %d, %v; want 2 removed", n, err)
	}
	out, err := st.Client().ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: aws.String(st.Bucket())})
	if err != nil || len(out.Uploads) != 0 {
		t.Fatalf("uploads left: %v %v", out, err)
	}
}
