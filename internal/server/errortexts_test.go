package server_test

import (
	"net/http"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/wire"
)

// TestHubErrorTextsAndOrder: the Hub's texts where clients show or match
// on them, and its check order.
func TestHubErrorTextsAndOrder(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		const r = "alice/texts"
		h.CreateRepo(t, h.Alice, r, false)
		first := h.Commit(t, h.Alice, r, "main", servertest.File("a.txt", []byte("a")))
		h.Commit(t, h.Alice, r, "main", servertest.File("b.txt", []byte("b")))
		resp := h.PostCommit(t, h.Alice, r, "main", "", servertest.Lines(servertest.Header("stale", first), servertest.File("c.txt", []byte("c"))))
		servertest.ExpectError(t, resp, http.StatusPreconditionFailed, "", "A commit has happened since. Please refresh and try again.")

		h.JSON(t, http.MethodPost, servertest.API(r)+"/branch/dev", h.Alice, nil, http.StatusOK, nil)
		servertest.ExpectError(t, h.Do(t, http.MethodPost, servertest.API(r)+"/branch/dev", h.Alice, nil), http.StatusConflict, "", "Reference refs/heads/dev already exists")
		h.JSON(t, http.MethodPost, servertest.API(r)+"/tag/main", h.Alice, map[string]any{"tag": "v1"}, http.StatusOK, nil)
		servertest.ExpectError(t, h.Do(t, http.MethodPost, servertest.API(r)+"/tag/main", h.Alice, map[string]any{"tag": "v1"}), http.StatusConflict, "", "Reference refs/tags/v1 already exists")
		servertest.ExpectError(t, h.Do(t, http.MethodDelete, servertest.API(r)+"/branch/main", h.Alice, nil), http.StatusBadRequest, "", "Cannot delete refs/heads/main")
		// A missing revision is reported before the tag name is judged.
		servertest.ExpectError(t, h.Do(t, http.MethodPost, servertest.API(r)+"/tag/nope", h.Alice, map[string]any{"tag": "bad..name"}), http.StatusNotFound, wire.CodeRevisionNotFound, "nope")
		resp = h.Do(t, http.MethodPost, servertest.API(r)+"/tag/main", h.Alice, map[string]any{"tag": "bad..name"})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("invalid tag name: %d", resp.StatusCode)
		}
	})
}
