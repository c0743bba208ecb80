package server_test

import (
	"net/http"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
)

// huggingface.js lists files of a branch with a slash in its name without
// encoding it: /tree/feature/x/dir.
func TestTreeUnencodedSlashBranch(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/slash", false)
		h.JSON(t, http.MethodPost, servertest.API("alice/slash")+"/branch/"+servertest.Rev("feature/x"), h.Alice, map[string]any{}, http.StatusOK, nil)
		h.Commit(t, h.Alice, "alice/slash", "feature/x", servertest.Header("add", ""), servertest.File("dir/a.txt", []byte("a")))
		h.Commit(t, h.Alice, "alice/slash", "main", servertest.Header("add", ""), servertest.File("feature/x/b.txt", []byte("b")))

		var onBranch []servertest.Entry
		h.JSON(t, http.MethodGet, servertest.API("alice/slash")+"/tree/feature/x/dir", h.Alice, nil, http.StatusOK, &onBranch)
		if len(onBranch) != 1 || onBranch[0].Path != "dir/a.txt" {
			t.Errorf("tree of branch feature/x, folder dir = %+v, want dir/a.txt", onBranch)
		}
		var encoded []servertest.Entry
		h.JSON(t, http.MethodGet, servertest.API("alice/slash")+"/tree/feature%2Fx/dir", h.Alice, nil, http.StatusOK, &encoded)
		if len(encoded) != 1 || encoded[0].Path != "dir/a.txt" {
			t.Errorf("tree of encoded branch feature%%2Fx = %+v, want dir/a.txt", encoded)
		}
		// A folder of main whose path starts like the branch name is still
		// reachable with an encoded revision.
		var onMain []servertest.Entry
		h.JSON(t, http.MethodGet, servertest.API("alice/slash")+"/tree/main/feature/x", h.Alice, nil, http.StatusOK, &onMain)
		if len(onMain) != 1 || onMain[0].Path != "feature/x/b.txt" {
			t.Errorf("tree of main, folder feature/x = %+v, want feature/x/b.txt", onMain)
		}
	})
}
