package gc_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/wharfhub/wharf/hub"
	"github.com/wharfhub/wharf/internal/gc"
	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/usage"
)

// TestGCReclaimsXet: files uploaded through Xet (the SDK's default path)
// count in usage, and after delete_repo gc gives their xorbs back, while a
// repo that shares nothing keeps its files.
func TestGCReclaimsXet(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := context.Background()
		dir := t.TempDir()
		c, err := hub.New(&hub.Options{Endpoint: h.URL, Token: h.Alice, XetCacheDir: filepath.Join(dir, "xet")})
		if err != nil {
			t.Fatal(err)
		}
		upload := func(repoID, name string, data []byte) {
			t.Helper()
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
			ct, err := hub.FromPath(p)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.UploadFile(ctx, hub.Repo{ID: repoID}, name, ct, nil); err != nil {
				t.Fatalf("upload %s: %v", name, err)
			}
		}
		h.CreateRepo(t, h.Alice, "alice/gone", false)
		h.CreateRepo(t, h.Alice, "alice/kept", false)
		a, k := content(300000, 21), content(200000, 22)
		upload("alice/gone", "a.bin", a)
		upload("alice/kept", "k.bin", k)
		var xorbs int
		h.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM xet_xorbs`).Scan(&xorbs)
		if xorbs < 2 {
			t.Fatalf("%d xorbs: the uploads did not go through Xet", xorbs)
		}
		u := usage.New(h.DB, usage.Options{})
		if n, _ := u.RepoBytes(ctx, h.Repo(t, "alice/gone").Key); n != 300000 {
			t.Fatalf("usage of a Xet upload: %d, want 300000", n)
		}
		_, before := storedBytes(t, h)
		h.JSON(t, http.MethodDelete, "/api/repos/delete", h.Alice, map[string]any{"type": "model", "name": "gone", "organization": "alice"}, http.StatusOK, nil)
		// Within the xorb retention the files go, the xorbs stay.
		rep := run(t, h, gc.Options{Apply: true, Grace: -1})
		if rep.XetFilesRemoved != 1 || rep.XorbsRemoved != 0 {
			t.Fatalf("gc within the xorb retention: %+v", rep)
		}
		rep = run(t, h, gc.Options{Apply: true, Grace: -1, XorbRetention: -1})
		if rep.XorbsRemoved < 1 || rep.BlobsDeleted < 1 {
			t.Fatalf("gc after deleting a Xet repo: %+v", rep)
		}
		_, after := storedBytes(t, h)
		if before-after < 300000*9/10 {
			t.Fatalf("gc freed %d bytes of a 300000-byte Xet file", before-after)
		}
		if got := h.Download(t, h.Alice, "alice/kept", "main", "k.bin"); !bytes.Equal(got, k) {
			t.Fatal("kept Xet file changed")
		}
		// Uploading the deleted content again works (nothing stale remains).
		h.CreateRepo(t, h.Alice, "alice/again", false)
		c2, _ := hub.New(&hub.Options{Endpoint: h.URL, Token: h.Alice, XetCacheDir: filepath.Join(dir, "xet2")})
		c = c2
		upload("alice/again", "a.bin", a)
		if got := h.Download(t, h.Alice, "alice/again", "main", "a.bin"); !bytes.Equal(got, a) {
			t.Fatal("re-uploaded Xet file differs")
		}
	})
}
