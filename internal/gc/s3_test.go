package gc_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/wharfhub/wharf/internal/gc"
	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/blob/s3/s3test"
)

// TestGCOnS3: gc lists and deletes through the S3 backend (uploads go
// straight to the bucket there): a deleted repo's bytes come back, the
// other repo's files stay.
func TestGCOnS3(t *testing.T) {
	endpoint := s3test.Start(t)
	servertest.RunWith(t, servertest.Options{Backend: func(t testing.TB) blob.Backend {
		return s3test.Bucket(t, endpoint, 5<<20)
	}}, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/gone", false)
		h.CreateRepo(t, h.Alice, "alice/kept", false)
		a, k := content(30000, 31), content(7000, 32)
		h.Commit(t, h.Alice, "alice/gone", "main", servertest.LFSFile("a.bin", h.PutLFS(t, "alice/gone", a), 30000))
		h.Commit(t, h.Alice, "alice/kept", "main", servertest.LFSFile("k.bin", h.PutLFS(t, "alice/kept", k), 7000))
		h.JSON(t, http.MethodDelete, "/api/repos/delete", h.Alice, map[string]any{"type": "model", "name": "gone", "organization": "alice"}, http.StatusOK, nil)
		rep := run(t, h, gc.Options{Apply: true, Grace: -1})
		if rep.BlobsDeleted != 1 || rep.BlobBytesDeleted != 30000 {
			t.Fatalf("gc on S3: %+v", rep)
		}
		if n, size := storedBytes(t, h); n != 1 || size != 7000 {
			t.Fatalf("bucket holds %d objects, %d bytes; want 1, 7000", n, size)
		}
		if got := h.Download(t, h.Alice, "alice/kept", "main", "k.bin"); !bytes.Equal(got, k) {
			t.Fatal("kept file changed")
		}
	})
}
