package web_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/usage"
)

// TestSettingsShowsStorage: the settings page shows the repo's storage and
// its namespace's quota.
func TestSettingsShowsStorage(t *testing.T) {
	run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		c := bytes.Repeat([]byte("x"), 30000)
		h.Commit(t, h.Alice, "alice/m", "main", servertest.LFSFile("w.bin", h.UploadLFS(t, h.Alice, "alice/m", c), 30000))
		if err := usage.New(h.DB, usage.Options{}).SetQuota(context.Background(), "alice", 1e9, false); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, h)
		b.login(h.Alice)
		p := b.page("/alice/m/settings", http.StatusOK)
		mustContain(t, "settings", p, "30.0 kB of LFS and Xet files")
		mustContain(t, "settings", p, "alice uses 30.0 kB of its 1.00 GB quota")
	})
}
