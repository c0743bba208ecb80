package server_test

import (
	"net/http"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/wire"
)

// noRedirect sends one request without following redirects.
func noRedirect(t *testing.T, h *servertest.Hub, method, path, token string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, h.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := *h.Client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	servertest.Body(resp)
	return resp
}

// TestMovedRepoOldIDRedirects: after a move the old id redirects (API and
// resolve, relative Location, same access check) and serves git in place;
// chains of moves keep working; a repo created at the old id ends it.
func TestMovedRepoOldIDRedirects(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Bob, "bob/old", true)
		h.Commit(t, h.Bob, "bob/old", "main", servertest.File("f.txt", []byte("content")))
		h.JSON(t, http.MethodPost, "/api/repos/move", h.Bob, map[string]any{"fromRepo": "bob/old", "toRepo": "acme/new", "type": "model"}, http.StatusOK, nil)

		for path, want := range map[string]string{
			"/api/models/bob/old":                          "/api/models/acme/new",
			"/api/models/Bob/Old/revision/main?expand=sha": "/api/models/acme/new/revision/main?expand=sha",
			"/bob/old/resolve/main/f.txt":                  "/acme/new/resolve/main/f.txt",
		} {
			methods := []string{http.MethodGet}
			if path[1] != 'a' {
				methods = append(methods, http.MethodHead) // hf_hub_download's HEAD
			}
			for _, method := range methods {
				resp := noRedirect(t, h, method, path, h.Bob)
				if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != want {
					t.Errorf("%s %s: %d Location %q, want 307 %q", method, path, resp.StatusCode, resp.Header.Get("Location"), want)
				}
			}
		}
		// A private repo's new name is not shown to those who cannot read it.
		servertest.ExpectError(t, noRedirect(t, h, http.MethodGet, "/api/models/bob/old", ""), http.StatusUnauthorized, wire.CodeRepoNotFound, "Repository not found")
		servertest.ExpectError(t, noRedirect(t, h, http.MethodGet, "/bob/old/resolve/main/f.txt", h.Alice), http.StatusNotFound, wire.CodeRepoNotFound, "Repository not found")

		var info servertest.Info
		h.JSON(t, http.MethodGet, "/api/models/bob/old", h.Bob, nil, http.StatusOK, &info)
		if info.ID != "acme/new" {
			t.Errorf("info through the old id: %q", info.ID)
		}
		if got := h.Download(t, h.Bob, "bob/old", "main", "f.txt"); string(got) != "content" {
			t.Errorf("download through the old id: %q", got)
		}
		// A commit through the old id (307 keeps the POST and its body).
		h.Commit(t, h.Bob, "bob/old", "main", servertest.File("g.txt", []byte("g")))
		sameSet(t, "files after a commit to the old id", h.Files(t, h.Bob, "acme/new", "main"), []string{".gitattributes", "f.txt", "g.txt"})
		// git is served at the old URL.
		resp := noRedirect(t, h, http.MethodGet, "/bob/old.git/info/refs?service=git-upload-pack", h.Bob)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("git info/refs at the old URL: %d %s", resp.StatusCode, servertest.Body(resp))
		}

		// A chain of moves.
		h.JSON(t, http.MethodPost, "/api/repos/move", h.Bob, map[string]any{"fromRepo": "acme/new", "toRepo": "acme/newer", "type": "model"}, http.StatusOK, nil)
		for _, old := range []string{"bob/old", "acme/new"} {
			if got := h.Download(t, h.Bob, old, "main", "f.txt"); string(got) != "content" {
				t.Errorf("download through %s after two moves: %q", old, got)
			}
		}
		// Moving onto an existing repo.
		h.CreateRepo(t, h.Bob, "bob/other", false)
		servertest.ExpectError(t, h.Do(t, http.MethodPost, "/api/repos/move", h.Bob, map[string]any{"fromRepo": "bob/other", "toRepo": "acme/newer", "type": "model"}),
			http.StatusConflict, "", "A model repository called acme/newer already exists")
		// A new repo at the old id ends the redirect.
		h.CreateRepo(t, h.Bob, "bob/old", false)
		h.JSON(t, http.MethodGet, "/api/models/bob/old", h.Bob, nil, http.StatusOK, &info)
		if info.ID != "bob/old" {
			t.Errorf("info of the repo created at the old id: %q", info.ID)
		}
		sameSet(t, "files of the new bob/old", h.Files(t, h.Bob, "bob/old", "main"), []string{".gitattributes"})
		if got := h.Download(t, h.Bob, "acme/new", "main", "f.txt"); string(got) != "content" {
			t.Errorf("the other old id stops working: %q", got)
		}
		// Deleting the repo ends its redirects.
		h.JSON(t, http.MethodPost, "/api/repos/delete", h.Bob, map[string]any{"name": "newer", "organization": "acme", "type": "model"}, http.StatusOK, nil)
		servertest.ExpectError(t, noRedirect(t, h, http.MethodGet, "/api/models/acme/new", h.Bob), http.StatusNotFound, wire.CodeRepoNotFound, "not found")
	})
}

// TestCanonicalRepoIDs: namespace-less ids route on the API, resolve and
// git paths; only admins create them; missing ones answer RepoNotFound.
func TestCanonicalRepoIDs(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		servertest.ExpectError(t, h.Do(t, http.MethodPost, "/api/repos/create", h.Alice, map[string]any{"name": "gpt2", "canonical": true}),
			http.StatusForbidden, "", "Only server admins")
		var created createAnswer
		h.JSON(t, http.MethodPost, "/api/repos/create", h.Admin, map[string]any{"name": "gpt2", "canonical": true}, http.StatusOK, &created)
		if created.URL != h.URL+"/gpt2" || created.Name != "gpt2" {
			t.Errorf("create: %+v", created)
		}
		h.Commit(t, h.Admin, "gpt2", "main", servertest.File("config.json", []byte("{}")))
		if got := h.Download(t, "", "gpt2", "main", "config.json"); string(got) != "{}" {
			t.Errorf("download: %q", got)
		}
		var info servertest.Info
		h.JSON(t, http.MethodGet, "/api/models/gpt2", "", nil, http.StatusOK, &info)
		if info.ID != "gpt2" {
			t.Errorf("info id %q", info.ID)
		}
		h.Head(t, h.Alice, "gpt2", "main")
		sameSet(t, "files", h.Files(t, "", "gpt2", "main"), []string{".gitattributes", "config.json"})
		resp := h.Do(t, http.MethodGet, "/gpt2.git/info/refs?service=git-upload-pack", "", nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("git info/refs: %d", resp.StatusCode)
		}
		// Only admins write.
		resp = h.PostCommit(t, h.Alice, "gpt2", "main", "", servertest.Lines(servertest.Header("x", ""), servertest.File("x", []byte("x"))))
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("commit by alice: %d", resp.StatusCode)
		}

		// Missing canonical ids answer like any missing repo.
		for _, path := range []string{"/api/models/bert-base-uncased", "/api/models/bert-base-uncased/revision/main", "/bert-base-uncased/resolve/main/config.json", "/api/datasets/gpt2"} {
			servertest.ExpectError(t, h.Do(t, http.MethodGet, path, h.Alice, nil), http.StatusNotFound, wire.CodeRepoNotFound, "Repository not found")
			servertest.ExpectError(t, h.Do(t, http.MethodGet, path, "", nil), http.StatusUnauthorized, wire.CodeRepoNotFound, "Repository not found")
		}
		// A two-segment repo whose name is an action word wins.
		h.CreateRepo(t, h.Alice, "alice/tree", false)
		h.JSON(t, http.MethodGet, "/api/models/alice/tree", h.Alice, nil, http.StatusOK, &info)
		if info.ID != "alice/tree" {
			t.Errorf("alice/tree answers %q", info.ID)
		}
		// An admin moves a repo to a canonical id; its old id redirects.
		h.CreateRepo(t, h.Alice, "alice/bert", false)
		h.JSON(t, http.MethodPost, "/api/repos/move", h.Admin, map[string]any{"fromRepo": "alice/bert", "toRepo": "bert", "type": "model"}, http.StatusOK, nil)
		h.JSON(t, http.MethodGet, "/api/models/alice/bert", h.Alice, nil, http.StatusOK, &info)
		if info.ID != "bert" {
			t.Errorf("moved to a canonical id: %q", info.ID)
		}
	})
}
