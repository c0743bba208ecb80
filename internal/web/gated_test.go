package web_test

import (
	"net/http"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
)

// TestGatedRepoPagesHideFileContents: the blob and commit pages of a gated
// repo show no file contents to those without access.
func TestGatedRepoPagesHideFileContents(t *testing.T) {
	run(t, func(t *testing.T, h *servertest.Hub) {
		const r = "alice/gated"
		h.CreateRepo(t, h.Alice, r, false)
		head := h.Commit(t, h.Alice, r, "main", servertest.File("secret.txt", []byte("the secret recipe\n")))
		h.JSON(t, http.MethodPut, servertest.API(r)+"/settings", h.Alice, map[string]any{"gated": "manual"}, http.StatusOK, nil)
		b := newBrowser(t, h)
		for _, p := range []string{"/" + r + "/blob/main/secret.txt", "/" + r + "/commit/" + head} {
			got := b.get(p)
			if got.Status != http.StatusForbidden {
				t.Errorf("anonymous %s: %d", p, got.Status)
			}
			mustNotContain(t, p, got.Body, "the secret recipe")
		}
		b.page("/"+r, http.StatusOK) // the repo page and file list stay open
		owner := newBrowser(t, h)
		owner.id = h.Alice
		mustContain(t, "owner's blob page", owner.page("/"+r+"/blob/main/secret.txt", http.StatusOK), "the secret recipe")
	})
}
