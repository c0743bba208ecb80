package s3_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/blob/blobtest"
)

func do(t *testing.T, method, url string, body []byte, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body = nil
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

// TestDirect: clients PUT to presigned URLs, and nothing reaches an oid
// before it is verified.
func TestDirect(t *testing.T) {
	endpoint := startVersitygw(t)
	st := newBucket(t, endpoint, 5<<20)
	store := blob.New(st)
	ctx := t.Context()
	d := store.Direct()
	if d == nil {
		t.Fatal("the S3 store has no direct uploads")
	}

	// A checksum-bound PUT: the bucket refuses other bytes.
	data := blobtest.Data(1, 100_000)
	oid := blobtest.OID(data)
	url, hdr, err := d.PresignPutStaged(ctx, "basic-1", oid, int64(len(data)), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	lie := append([]byte(nil), data...)
	lie[5] ^= 1
	if resp, body := do(t, "PUT", url, lie, hdr); resp.StatusCode/100 == 2 {
		t.Fatalf("PUT of other bytes: %d %s", resp.StatusCode, body)
	}
	if resp, body := do(t, "PUT", url, data, nil); resp.StatusCode/100 == 2 {
		t.Fatalf("PUT without the signed headers: %d %s", resp.StatusCode, body)
	}
	if resp, body := do(t, "PUT", url, data, hdr); resp.StatusCode != 200 {
		t.Fatalf("PUT: %d %s", resp.StatusCode, body)
	}
	if _, err := st.Stat(ctx, oid); !errors.Is(err, blob.ErrNotExist) {
		t.Fatalf("staged content visible under its oid before publishing: %v", err)
	}
	if err := store.PublishChecked(ctx, "basic-1", oid, int64(len(data)+1)); !errors.Is(err, blob.ErrSizeMismatch) {
		t.Fatalf("PublishChecked with a wrong size: %v", err)
	}
	if _, _, err := d.PresignPutStaged(ctx, "basic-2", oid, int64(len(data)), time.Hour); err != nil {
		t.Fatal(err)
	}
	url, hdr, _ = d.PresignPutStaged(ctx, "basic-2", oid, int64(len(data)), time.Hour)
	do(t, "PUT", url, data, hdr)
	if err := store.PublishChecked(ctx, "basic-2", oid, int64(len(data))); err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(must(store.Open(ctx, oid)))
	if !bytes.Equal(got, data) {
		t.Fatal("published content differs")
	}

	// Multipart through presigned part URLs, verified on publication.
	big := blobtest.Data(2, 11<<20+3)
	bigOID := blobtest.OID(big)
	upload := func(staging string, content []byte) {
		id, err := d.StartUpload(ctx, staging)
		if err != nil {
			t.Fatal(err)
		}
		var etags []string
		for n, off := 1, 0; off < len(content); n, off = n+1, off+5<<20 {
			u, err := d.PresignPart(ctx, staging, id, n, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			resp, body := do(t, "PUT", u, content[off:min(off+5<<20, len(content))], nil)
			if resp.StatusCode != 200 {
				t.Fatalf("part %d: %d %s", n, resp.StatusCode, body)
			}
			etags = append(etags, resp.Header.Get("ETag"))
		}
		if err := d.CompleteUpload(ctx, staging, id, etags); err != nil {
			t.Fatal(err)
		}
	}
	lying := append([]byte(nil), big...)
	lying[7<<20] ^= 1
	upload("mp-lie", lying)
	if err := store.PublishStaged(ctx, "mp-lie", bigOID, int64(len(big))); !errors.Is(err, blob.ErrDigestMismatch) {
		t.Fatalf("PublishStaged of lying parts: %v", err)
	}
	if _, err := d.StatStaged(ctx, "mp-lie"); !errors.Is(err, blob.ErrNotExist) {
		t.Fatalf("lying staged content kept: %v", err)
	}
	if _, err := st.Stat(ctx, bigOID); !errors.Is(err, blob.ErrNotExist) {
		t.Fatalf("lying content published: %v", err)
	}
	upload("mp-ok", big)
	if err := store.PublishStaged(ctx, "mp-ok", bigOID, int64(len(big))); err != nil {
		t.Fatal(err)
	}
	// A presigned GET with a signed range serves exactly that range.
	g, err := d.PresignGet(ctx, bigOID, "bytes=100-199", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := do(t, "GET", g, nil, map[string]string{"Range": "bytes=100-199"}); resp.StatusCode != 206 || !bytes.Equal(body, big[100:200]) {
		t.Fatalf("ranged presigned GET: %d, %d bytes", resp.StatusCode, len(body))
	}
	if resp, _ := do(t, "GET", g, nil, map[string]string{"Range": "bytes=0-999"}); resp.StatusCode/100 == 2 {
		t.Fatalf("presigned GET with another range: %d", resp.StatusCode)
	}
	if n := 0; st.List(ctx, func(string, int64) error { n++; return nil }) != nil || n != 2 {
		t.Fatalf("List: %d objects (staging names must not be listed)", n)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
