package server_test

import (
	"net/http"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/wire"
)

// TestSuperSquashPullRequestRef: refs/pr/N squashes like a branch.
func TestSuperSquashPullRequestRef(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		const r = "alice/squash-pr"
		h.CreateRepo(t, h.Alice, r, false)
		h.Commit(t, h.Alice, r, "main", servertest.File("base.txt", []byte("base")))
		resp := h.PostCommit(t, h.Alice, r, "main", "create_pr=1", servertest.Lines(servertest.Header("pr one", ""), servertest.File("a.txt", []byte("a"))))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("create PR: %d %s", resp.StatusCode, servertest.Body(resp))
		}
		h.Commit(t, h.Alice, r, "refs/pr/1", servertest.File("b.txt", []byte("b")))
		before := h.Files(t, h.Alice, r, "refs/pr/1")
		h.JSON(t, http.MethodPost, servertest.API(r)+"/super-squash/"+servertest.Rev("refs/pr/1"), h.Alice, map[string]any{"message": "squashed PR"}, http.StatusOK, nil)
		hist := h.History(t, h.Alice, r, "refs/pr/1")
		if len(hist) != 1 || hist[0].Title != "squashed PR" {
			t.Errorf("PR history after super-squash: %+v", hist)
		}
		sameSet(t, "PR files", h.Files(t, h.Alice, r, "refs/pr/1"), before)
		if got := h.History(t, h.Alice, r, "main"); len(got) != 2 {
			t.Errorf("main history: %d commits, want 2", len(got))
		}
		// A branch with a slash, named with refs/heads/ too.
		h.JSON(t, http.MethodPost, servertest.API(r)+"/branch/"+servertest.Rev("feature/x"), h.Alice, nil, http.StatusOK, nil)
		h.JSON(t, http.MethodPost, servertest.API(r)+"/super-squash/"+servertest.Rev("refs/heads/feature/x"), h.Alice, nil, http.StatusOK, nil)
		if got := h.History(t, h.Alice, r, "feature/x"); len(got) != 1 {
			t.Errorf("feature/x history: %d commits, want 1", len(got))
		}
		resp = h.Do(t, http.MethodPost, servertest.API(r)+"/super-squash/"+servertest.Rev("refs/pr/9"), h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "refs/pr/9")
	})
}
