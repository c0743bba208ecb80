// Package s3test runs a real S3 server (versitygw, posix backend) on a
// loopback port for tests, and opens buckets on it.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wharfhub/wharf/internal/store/blob/s3"
)

// Credentials of the test server's root user.
const (
	AccessKey = "wharftest"
	SecretKey = "wharftestsecret"
)

// Start starts versitygw for the test (binary: $WHARF_VERSITYGW, which
// scripts/versitygw.sh builds) and returns its endpoint. Without the binary
// the test is skipped, unless WHARF_REQUIRE_S3=1 (CI), where it fails. It
// sets the AWS credential variables for the test.
func Start(t testing.TB) string {
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
	cmd := exec.Command(bin, "--access", AccessKey, "--secret", SecretKey, "--port", addr, "--quiet", "posix", dir)
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
		if i > 400 {
			t.Fatalf("versitygw did not start at %s: %v", endpoint, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretKey)
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	return endpoint
}

// Bucket creates a fresh bucket on the server at endpoint and opens a
// Store on it (prefix "blobs/").
func Bucket(t testing.TB, endpoint string, partSize int64) *s3.Store {
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
