package s3_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/blob/blobtest"
	"github.com/wharfhub/wharf/internal/store/blob/s3"
	"github.com/wharfhub/wharf/internal/store/blob/s3/s3test"
)

func startVersitygw(t *testing.T) string { return s3test.Start(t) }

func newBucket(t *testing.T, endpoint string, partSize int64) *s3.Store {
	t.Helper()
	// A missing bucket does not open.
	if _, err := s3.Open(context.Background(), s3.Config{Bucket: "no-such-bucket", Endpoint: endpoint, TempDir: t.TempDir()}); err == nil {
		t.Fatal("Open of a missing bucket succeeded")
	}
	return s3test.Bucket(t, endpoint, partSize)
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
