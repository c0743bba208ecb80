package hub_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/wharfhub/wharf/hub"
	"github.com/wharfhub/wharf/internal/server/servertest"
)

func TestSmokeUpload(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := context.Background()
		c, err := hub.New(&hub.Options{Endpoint: h.URL, Token: h.Alice})
		if err != nil {
			t.Fatal(err)
		}
		r := hub.Repo{ID: "alice/smoke"}
		if _, err := c.CreateRepo(ctx, r, &hub.CreateRepoOptions{LFSMultipartThreshold: 1 << 20}); err != nil {
			t.Fatal(err)
		}
		big := make([]byte, 3<<20+7)
		rand.Read(big)
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello"), 0o644)
		os.WriteFile(filepath.Join(dir, "w.bin"), big, 0o644)
		os.MkdirAll(filepath.Join(dir, ".git"), 0o755)
		os.WriteFile(filepath.Join(dir, ".git", "x"), []byte("no"), 0o644)
		ci, err := c.UploadFolder(ctx, r, dir, &hub.UploadFolderOptions{PathInRepo: "sub"})
		if err != nil {
			t.Fatal(err)
		}
		files, err := c.ListRepoFiles(ctx, r, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Log(ci.URL, files)
		var buf bytes.Buffer
		if _, err := c.Download(ctx, r, "sub/w.bin", &buf, nil); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), big) {
			t.Fatal("bytes differ")
		}
		ci2, err := c.UploadFolder(ctx, r, dir, &hub.UploadFolderOptions{PathInRepo: "sub"})
		if err != nil {
			t.Fatal(err)
		}
		if !ci2.Skipped {
			t.Fatalf("second upload should be skipped: %+v", ci2)
		}
	})
}
