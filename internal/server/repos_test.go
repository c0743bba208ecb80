package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/wire"
)

type createAnswer struct {
	URL   string `json:"url"`
	Name  string `json:"name"`
	Error string `json:"error"`
}

func TestCreateRepoOfEachTypeStartsWithGitattributesCommit(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		tests := []struct {
			body    map[string]any
			repo    string
			url     string
			private bool
		}{
			{map[string]any{"name": "m", "organization": nil}, "alice/m", "/alice/m", false},
			{map[string]any{"name": "m2", "organization": "alice", "type": "model", "private": false}, "alice/m2", "/alice/m2", false},
			{map[string]any{"name": "d", "organization": "alice", "type": "dataset", "private": true}, "datasets/alice/d", "/datasets/alice/d", true},
			{map[string]any{"name": "s", "organization": nil, "type": "space", "sdk": "gradio"}, "spaces/alice/s", "/spaces/alice/s", false},
			{map[string]any{"name": "v", "type": "dataset", "visibility": "private"}, "datasets/alice/v", "/datasets/alice/v", true},
			{map[string]any{"name": "p", "type": "model", "visibility": "public"}, "alice/p", "/alice/p", false},
		}
		for _, tc := range tests {
			t.Run(tc.repo, func(t *testing.T) {
				var ans createAnswer
				h.JSON(t, http.MethodPost, "/api/repos/create", h.Alice, tc.body, http.StatusOK, &ans)
				if ans.URL != h.URL+tc.url {
					t.Errorf("url %q, want %q", ans.URL, h.URL+tc.url)
				}
				var info servertest.Info
				h.JSON(t, http.MethodGet, servertest.API(tc.repo), h.Alice, nil, http.StatusOK, &info)
				if info.Private == nil || *info.Private != tc.private {
					t.Errorf("private %v, want %v", info.Private, tc.private)
				}
				sameSet(t, "files of a new repo", h.Files(t, h.Alice, tc.repo, "main"), []string{".gitattributes"})
				hist := h.History(t, h.Alice, tc.repo, "main")
				if len(hist) != 1 || hist[0].ID != info.SHA {
					t.Errorf("history of a new repo: %+v, want one commit %s", hist, info.SHA)
				}
				attrs := string(h.Download(t, h.Alice, tc.repo, "main", ".gitattributes"))
				if !strings.Contains(attrs, "*.bin filter=lfs diff=lfs merge=lfs -text") {
					t.Errorf(".gitattributes does not track *.bin:\n%s", attrs)
				}
			})
		}
	})
}

func TestCreateRepoThatExistsIs409WithURL(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/Model", false)
		head := h.Head(t, h.Alice, "alice/Model", "main")
		for _, name := range []string{"Model", "model", "MODEL"} {
			resp := h.Do(t, http.MethodPost, "/api/repos/create", h.Alice, map[string]any{"name": name, "organization": "alice"})
			if resp.StatusCode != http.StatusConflict {
				t.Fatalf("create %s again: status %d, want 409; body %s", name, resp.StatusCode, servertest.Body(resp))
			}
			var ans createAnswer
			if err := jsonUnmarshal(servertest.Body(resp), &ans); err != nil {
				t.Fatal(err)
			}
			// exist_ok=True clients parse the url of the existing repo from the 409.
			if ans.URL != h.URL+"/alice/Model" {
				t.Errorf("create %s again: url %q, want the canonical %q", name, ans.URL, h.URL+"/alice/Model")
			}
			if ans.Error == "" {
				t.Errorf("create %s again: no error message", name)
			}
		}
		if got := h.Head(t, h.Alice, "alice/Model", "main"); got != head {
			t.Errorf("a failed create moved main from %s to %s", head, got)
		}
		// A case-insensitive lookup returns the canonical id.
		var info servertest.Info
		h.JSON(t, http.MethodGet, "/api/models/ALICE/model", h.Alice, nil, http.StatusOK, &info)
		if info.ID != "alice/Model" {
			t.Errorf("id %q, want alice/Model", info.ID)
		}
		// The same name with another type is another repo.
		h.CreateRepo(t, h.Alice, "datasets/alice/Model", false)
	})
}

func TestCreateRepoInOrgNeedsMembership(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		var ans createAnswer
		h.JSON(t, http.MethodPost, "/api/repos/create", h.Bob, map[string]any{"name": "tool", "organization": "acme"}, http.StatusOK, &ans)
		if ans.URL != h.URL+"/acme/tool" {
			t.Errorf("url %q", ans.URL)
		}
		// Some clients send the whole id as the name.
		h.JSON(t, http.MethodPost, "/api/repos/create", h.Bob, map[string]any{"name": "acme/tool2", "type": "dataset"}, http.StatusOK, &ans)
		if ans.URL != h.URL+"/datasets/acme/tool2" {
			t.Errorf("url %q", ans.URL)
		}
		resp := h.Do(t, http.MethodPost, "/api/repos/create", h.Alice, map[string]any{"name": "x", "organization": "acme"})
		servertest.ExpectError(t, resp, http.StatusForbidden, "", "acme")
		resp = h.Do(t, http.MethodPost, "/api/repos/create", h.Alice, map[string]any{"name": "x", "organization": "bob"})
		servertest.ExpectError(t, resp, http.StatusForbidden, "", "bob")
		resp = h.Do(t, http.MethodPost, "/api/repos/create", h.Carol, map[string]any{"name": "x"})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("read token creating a repo: status %d, want 403", resp.StatusCode)
		}
		resp = h.Do(t, http.MethodPost, "/api/repos/create", "", map[string]any{"name": "x", "organization": "alice"})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("anonymous create: status %d, want 401", resp.StatusCode)
		}
		// The repos that failed do not exist.
		resp = h.Do(t, http.MethodGet, "/api/models/acme/x", h.Admin, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRepoNotFound, "not found")
	})
}

func TestCreateRepoRejectsInvalidNames(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		for _, name := range []string{"a--b", "-x", "x-", ".x", "a..b", "x.git", "with space", "a/b/c", "", strings.Repeat("n", 97), "é"} {
			resp := h.Do(t, http.MethodPost, "/api/repos/create", h.Alice, map[string]any{"name": name, "organization": "alice"})
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("create %q: status %d, want 400; body %s", name, resp.StatusCode, servertest.Body(resp))
			}
		}
		for _, typ := range []string{"modelz", "kernel "} {
			resp := h.Do(t, http.MethodPost, "/api/repos/create", h.Alice, map[string]any{"name": "ok", "type": typ})
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("create with type %q: status %d, want 400", typ, resp.StatusCode)
			}
		}
		resp := h.Do(t, http.MethodPost, "/api/repos/create", h.Alice, servertest.Raw{ContentType: "application/json", Data: []byte("{not json")})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("create with a malformed body: status %d, want 400", resp.StatusCode)
		}
	})
}

func TestDeleteRepoRemovesIt(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "datasets/alice/gone", false)
		h.Commit(t, h.Alice, "datasets/alice/gone", "main", servertest.File("a.txt", []byte("a")))

		resp := h.Do(t, http.MethodDelete, "/api/repos/delete", h.Bob, map[string]any{"name": "gone", "organization": "alice", "type": "dataset"})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("bob deleting alice's repo: status %d, want 403", resp.StatusCode)
		}
		h.JSON(t, http.MethodDelete, "/api/repos/delete", h.Alice, map[string]any{"name": "gone", "organization": "alice", "type": "dataset"}, http.StatusOK, nil)
		resp = h.Do(t, http.MethodGet, "/api/datasets/alice/gone", h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRepoNotFound, "not found")
		resp = h.Do(t, http.MethodGet, "/datasets/alice/gone/resolve/main/a.txt", h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRepoNotFound, "not found")
		// missing_ok clients rely on RepoNotFound.
		resp = h.Do(t, http.MethodDelete, "/api/repos/delete", h.Alice, map[string]any{"name": "gone", "organization": "alice", "type": "dataset"})
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRepoNotFound, "not found")
		// The name is free again and the new repo starts afresh.
		h.CreateRepo(t, h.Alice, "datasets/alice/gone", false)
		sameSet(t, "files of the re-created repo", h.Files(t, h.Alice, "datasets/alice/gone", "main"), []string{".gitattributes"})
	})
}

func TestMoveRepoKeepsContentUnderNewName(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Bob, "bob/old", false)
		head := h.Commit(t, h.Bob, "bob/old", "main", servertest.File("f.txt", []byte("content")))

		resp := h.Do(t, http.MethodPost, "/api/repos/move", h.Bob, map[string]any{"fromRepo": "bob/old", "toRepo": "alice/new", "type": "model"})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("move into someone else's namespace: status %d, want 403", resp.StatusCode)
		}
		h.JSON(t, http.MethodPost, "/api/repos/move", h.Bob, map[string]any{"fromRepo": "bob/old", "toRepo": "acme/new", "type": "model"}, http.StatusOK, nil)
		// The old name is gone, or redirects to the new one (the Hub does;
		// Do follows redirects).
		var old servertest.Info
		resp = h.Do(t, http.MethodGet, "/api/models/bob/old", h.Bob, nil)
		if resp.StatusCode == http.StatusOK {
			if err := jsonUnmarshal(servertest.Body(resp), &old); err != nil || old.ID != "acme/new" {
				t.Errorf("old name answers 200 with id %q (err %v), want a redirect to acme/new or RepoNotFound", old.ID, err)
			}
		} else {
			servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRepoNotFound, "not found")
		}
		if got := h.Head(t, h.Bob, "acme/new", "main"); got != head {
			t.Errorf("head after move %s, want %s", got, head)
		}
		if got := string(h.Download(t, h.Bob, "acme/new", "main", "f.txt")); got != "content" {
			t.Errorf("f.txt after move: %q", got)
		}
		var info servertest.Info
		h.JSON(t, http.MethodGet, "/api/models/acme/new", h.Bob, nil, http.StatusOK, &info)
		if info.ID != "acme/new" {
			t.Errorf("id after move %q", info.ID)
		}
		// Even the admin cannot move a repo into a namespace that does not exist.
		resp = h.Do(t, http.MethodPost, "/api/repos/move", h.Admin, map[string]any{"fromRepo": "acme/new", "toRepo": "ghost/new", "type": "model"})
		servertest.ExpectError(t, resp, http.StatusNotFound, "", "ghost")
		if got := h.Head(t, h.Bob, "acme/new", "main"); got != head {
			t.Errorf("a refused move changed acme/new")
		}
		// Moving onto an existing repo is a conflict.
		h.CreateRepo(t, h.Bob, "bob/other", false)
		resp = h.Do(t, http.MethodPost, "/api/repos/move", h.Bob, map[string]any{"fromRepo": "bob/other", "toRepo": "acme/new", "type": "model"})
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("move onto an existing repo: status %d, want 409; body %s", resp.StatusCode, servertest.Body(resp))
		}
	})
}

func TestPrivateRepoIsInvisibleToOutsiders(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/secret", true)
		h.Commit(t, h.Alice, "alice/secret", "main", servertest.File("s.txt", []byte("secret")))
		reads := []struct{ method, path string }{
			{http.MethodGet, "/api/models/alice/secret"},
			{http.MethodGet, "/api/models/alice/secret/revision/main"},
			{http.MethodGet, "/api/models/alice/secret/tree/main"},
			{http.MethodGet, "/api/models/alice/secret/commits/main"},
			{http.MethodGet, "/api/models/alice/secret/refs"},
			{http.MethodGet, "/alice/secret/resolve/main/s.txt"},
			{http.MethodHead, "/alice/secret/resolve/main/s.txt"},
			{http.MethodGet, "/alice/secret/resolve/main/missing.txt"},
		}
		commit := servertest.Lines(servertest.Header("sneak", ""), servertest.File("x.txt", []byte("x")))
		for _, who := range []struct {
			name, token string
			status      int
		}{{"bob", h.Bob, http.StatusNotFound}, {"carol", h.Carol, http.StatusNotFound}, {"anonymous", "", http.StatusUnauthorized}} {
			t.Run(who.name, func(t *testing.T) {
				for _, rq := range reads {
					resp := h.Do(t, rq.method, rq.path, who.token, nil)
					servertest.ExpectError(t, resp, who.status, wire.CodeRepoNotFound, "")
					if body := string(servertest.Body(resp)); strings.Contains(body, "secret\"") || resp.Header.Get(wire.HeaderRepoCommit) != "" {
						t.Errorf("%s %s leaks: %s %v", rq.method, rq.path, body, resp.Header)
					}
				}
				resp := h.Do(t, http.MethodPost, "/api/models/alice/secret/paths-info/main", who.token, map[string]any{"paths": []string{"s.txt"}})
				servertest.ExpectError(t, resp, who.status, wire.CodeRepoNotFound, "")
				resp = h.Do(t, http.MethodPost, "/api/models/alice/secret/preupload/main", who.token, map[string]any{"files": []any{}})
				servertest.ExpectError(t, resp, who.status, wire.CodeRepoNotFound, "")
				resp = h.PostCommit(t, who.token, "alice/secret", "main", "", commit)
				if resp.StatusCode != who.status || resp.Header.Get(wire.HeaderErrorCode) != wire.CodeRepoNotFound {
					t.Errorf("commit: status %d code %q, want %d RepoNotFound", resp.StatusCode, resp.Header.Get(wire.HeaderErrorCode), who.status)
				}
				if who.token != "" {
					resp = h.PostCommit(t, who.token, "alice/secret", "main", "create_pr=1", commit)
					if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
						t.Errorf("create_pr commit: status %d, want 404 (or 403)", resp.StatusCode)
					}
				}
			})
		}
		// Still exactly alice's files; the admin can read it too.
		sameSet(t, "files", h.Files(t, h.Admin, "alice/secret", "main"), []string{".gitattributes", "s.txt"})
	})
}

func TestPrivateOrgRepoIsVisibleToMembers(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Bob, "datasets/acme/internal", true)
		h.Commit(t, h.Bob, "datasets/acme/internal", "main", servertest.File("data.csv", []byte("a,b\n")))
		if got := string(h.Download(t, h.Bob, "datasets/acme/internal", "main", "data.csv")); got != "a,b\n" {
			t.Errorf("member download: %q", got)
		}
		h.JSON(t, http.MethodGet, "/api/datasets/acme/internal", h.Admin, nil, http.StatusOK, nil)
		for _, tok := range []string{h.Alice, h.Carol} {
			resp := h.Do(t, http.MethodGet, "/api/datasets/acme/internal", tok, nil)
			servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRepoNotFound, "")
			resp = h.Do(t, http.MethodGet, "/api/datasets/acme/internal/discussions", tok, nil)
			servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRepoNotFound, "")
			resp = h.Do(t, http.MethodPost, "/api/datasets/acme/internal/discussions", tok, map[string]any{"title": "hi", "pullRequest": true})
			if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
				t.Errorf("outsider opening a PR on a private repo: status %d, want 404", resp.StatusCode)
			}
		}
		// Listings leave it out for outsiders.
		var list []struct {
			ID string `json:"id"`
		}
		h.JSON(t, http.MethodGet, "/api/datasets?author=acme", h.Alice, nil, http.StatusOK, &list)
		if len(list) != 0 {
			t.Errorf("alice lists %v", list)
		}
		h.JSON(t, http.MethodGet, "/api/datasets?author=acme", h.Bob, nil, http.StatusOK, &list)
		if len(list) != 1 || list[0].ID != "acme/internal" {
			t.Errorf("bob lists %v", list)
		}
	})
}

func TestSettingsTogglePrivate(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "datasets/alice/d", false)
		h.JSON(t, http.MethodGet, "/api/datasets/alice/d", h.Bob, nil, http.StatusOK, nil)

		resp := h.Do(t, http.MethodPut, "/api/datasets/alice/d/settings", h.Bob, map[string]any{"private": true})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("bob changing alice's settings: status %d, want 403", resp.StatusCode)
		}
		h.JSON(t, http.MethodPut, "/api/datasets/alice/d/settings", h.Alice, map[string]any{"private": true}, http.StatusOK, nil)
		resp = h.Do(t, http.MethodGet, "/api/datasets/alice/d", h.Bob, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRepoNotFound, "")
		var info servertest.Info
		h.JSON(t, http.MethodGet, "/api/datasets/alice/d", h.Alice, nil, http.StatusOK, &info)
		if info.Private == nil || !*info.Private {
			t.Errorf("private after settings: %v", info.Private)
		}
		// huggingface_hub ≥ 1.8 sends visibility instead of private.
		h.JSON(t, http.MethodPut, "/api/datasets/alice/d/settings", h.Alice, map[string]any{"visibility": "public"}, http.StatusOK, nil)
		h.JSON(t, http.MethodGet, "/api/datasets/alice/d", "", nil, http.StatusOK, &info)
		if info.Private == nil || *info.Private {
			t.Errorf("private after visibility=public: %v", info.Private)
		}
		resp = h.Do(t, http.MethodPut, "/api/datasets/alice/d/settings", h.Alice, map[string]any{"visibility": "secret"})
		servertest.ExpectError(t, resp, http.StatusBadRequest, "", "visibility")
	})
}

func TestValidateYAMLAlwaysAnswersJSON(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		tests := []struct {
			name   string
			token  string
			body   any
			status int
			errors int
		}{
			{"valid metadata", h.Alice, map[string]any{"content": "---\nlicense: mit\n---\n# Title\n", "repoType": "model"}, 200, 0},
			{"no metadata", "", map[string]any{"content": "# Just a title\n", "repoType": "dataset"}, 200, 0},
			{"unclosed metadata", h.Alice, map[string]any{"content": "---\nlicense: mit\n# Title\n", "repoType": "model"}, 400, 1},
			{"malformed body", h.Alice, servertest.Raw{ContentType: "application/json", Data: []byte("{\"content\": ")}, 400, 1},
			{"empty body", h.Alice, servertest.Raw{ContentType: "application/json"}, 200, 0},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				resp := h.Do(t, http.MethodPost, "/api/validate-yaml", tc.token, tc.body)
				if resp.StatusCode != tc.status {
					t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
				}
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type %q, want JSON", ct)
				}
				var ans struct {
					Errors []struct {
						Message string `json:"message"`
					} `json:"errors"`
					Warnings []any `json:"warnings"`
				}
				if err := jsonUnmarshal(servertest.Body(resp), &ans); err != nil {
					t.Fatalf("body is not JSON: %v: %s", err, servertest.Body(resp))
				}
				if len(ans.Errors) != tc.errors {
					t.Errorf("errors %+v, want %d", ans.Errors, tc.errors)
				}
				for _, e := range ans.Errors {
					if e.Message == "" {
						t.Errorf("error without a message")
					}
				}
			})
		}
	})
}
