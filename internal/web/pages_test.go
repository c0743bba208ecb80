package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
)

const evilName = `<img src=x onerror=alert(1)>.md`

const readme = `---
license: apache-2.0
tags:
- text-classification
- wharf-test
datasets:
- alice/d
---
# Demo model

Hello **world** from the model card.

<script>alert("readme")</script>

<img src=x onerror=alert(2)>

See [the guide](docs/guide.md).
`

// fixture is a repo built through the API, as a client would.
type fixture struct {
	first, second string // commits
	lfsOID        string
}

func seed(t testing.TB, h *servertest.Hub) fixture {
	t.Helper()
	h.CreateRepo(t, h.Alice, "alice/m", false)
	big := []byte(strings.Repeat("weights!", 4096))
	oid := h.UploadLFS(t, h.Alice, "alice/m", big)
	var f fixture
	f.lfsOID = oid
	f.first = h.Commit(t, h.Alice, "alice/m", "main",
		servertest.Header("Add model files", ""),
		servertest.File("README.md", []byte(readme)),
		servertest.File("code.py", []byte("def hello():\n    return 41\n")),
		servertest.File("docs/guide.md", []byte("# Guide\n")),
		servertest.File(evilName, []byte("evil\n")),
		servertest.LFSFile("model.safetensors", oid, int64(len(big))),
	)
	f.second = h.Commit(t, h.Alice, "alice/m", "main",
		servertest.Header(`Fix <b>hello</b> "answer"`, ""),
		servertest.File("code.py", []byte("def hello():\n    return 42\n")),
	)
	return f
}

func TestPages(t *testing.T) {
	run(t, func(t *testing.T, h *servertest.Hub) {
		f := seed(t, h)
		b := newBrowser(t, h)

		home := b.page("/", http.StatusOK)
		mustContain(t, "/", home, `href="/alice/m"`, "alice/m")
		mustContain(t, "/models", b.page("/models", http.StatusOK), "alice/m")
		mustNotContain(t, "/datasets", b.page("/datasets", http.StatusOK), "alice/m")
		mustContain(t, "/models?search=", b.page("/models?search=m", http.StatusOK), "alice/m")
		mustNotContain(t, "/models?search=zzz", b.page("/models?search=zzz", http.StatusOK), `href="/alice/m"`)
		mustContain(t, "/alice", b.page("/alice", http.StatusOK), "Alice", `href="/alice/m"`)
		b.page("/nobody", http.StatusNotFound)

		card := b.page("/alice/m", http.StatusOK)
		mustContain(t, "repo home", card,
			"Hello <strong>world</strong> from the model card", // README rendered
			`apache-2.0`, `text-classification`, `alice/d`, // front matter as tags
			`href="/alice/m/blob/main/docs/guide.md"`,           // relative link into the repo
			"model.safetensors", `class="badge lfs"`, "32.8 kB", // LFS file with its size
			"hf upload alice/m .", "wharf upload alice/m", "git clone http://", // snippets
			"Fix &lt;b&gt;hello&lt;/b&gt;", // last commit, escaped
		)
		mustNotContain(t, "repo home", card, "license: apache-2.0", "<script>alert", "onerror=alert(2)", "<img src=x")

		tree := b.page("/alice/m/tree/main", http.StatusOK)
		mustContain(t, "tree", tree, `href="/alice/m/tree/main/docs"`, `href="/alice/m/blob/main/code.py"`, "Add model files")
		mustContain(t, "subtree", b.page("/alice/m/tree/main/docs", http.StatusOK), "guide.md")

		code := b.page("/alice/m/blob/main/code.py", http.StatusOK)
		mustContain(t, "blob", code, `<span class="k">def</span>`, "42", "Download")
		lfs := b.page("/alice/m/blob/main/model.safetensors", http.StatusOK)
		mustContain(t, "LFS blob", lfs, f.lfsOID, "32.8 kB", `href="/alice/m/resolve/main/model.safetensors?download=true"`)
		// A file URL under tree redirects to the file page.
		if p := b.get("/alice/m/tree/main/code.py"); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/alice/m/blob/main/code.py" {
			t.Errorf("tree of a file: status %d, Location %q", p.Status, p.Header.Get("Location"))
		}
		// Older revisions by commit id.
		mustContain(t, "blob at first commit", b.page("/alice/m/blob/"+f.first+"/code.py", http.StatusOK), "41")

		commits := b.page("/alice/m/commits/main", http.StatusOK)
		mustContain(t, "commits", commits, "Add model files", "Fix &lt;b&gt;hello&lt;/b&gt;", "initial commit", "/alice/m/commit/"+f.second)

		commit := b.page("/alice/m/commit/"+f.second, http.StatusOK)
		mustContain(t, "commit", commit, f.second, `href="/alice/m/commit/`+f.first+`"`, "code.py", "return 41", "return 42", `class="d"`, `class="a"`)
		first := b.page("/alice/m/commit/"+f.first, http.StatusOK)
		mustContain(t, "first commit", first, "LFS object sha256:"+f.lfsOID, "README.md", "added")

		mustContain(t, "discussions", b.page("/alice/m/discussions", http.StatusOK), "Nothing here yet")
		b.page("/alice/m/commit/0000000000000000000000000000000000000000", http.StatusNotFound)
		b.page("/alice/m/blob/main/missing.txt", http.StatusNotFound)
		b.page("/alice/nope", http.StatusNotFound)
		b.page("/alice/m/tree/nobranch", http.StatusNotFound)

		// Datasets and spaces live under their prefix.
		h.CreateRepo(t, h.Alice, "datasets/alice/d", false)
		mustContain(t, "dataset home", b.page("/datasets/alice/d", http.StatusOK), "Dataset card", "--repo-type dataset")
		mustContain(t, "/datasets", b.page("/datasets", http.StatusOK), "alice/d")
		h.CreateRepo(t, h.Alice, "spaces/alice/s", false)
		b.page("/spaces/alice/s", http.StatusOK)
		b.page("/spaces/alice/s/tree/main", http.StatusOK)
	})
}

// TestPagesEscape: no README, file name or commit message can run script.
func TestPagesEscape(t *testing.T) {
	run(t, func(t *testing.T, h *servertest.Hub) {
		f := seed(t, h)
		b := newBrowser(t, h)
		escaped := "&lt;img src=x onerror=alert(1)&gt;.md"
		for _, p := range []string{"/alice/m", "/alice/m/tree/main", "/alice/m/commit/" + f.first} {
			body := b.page(p, http.StatusOK)
			mustContain(t, p, body, escaped)
			mustNotContain(t, p, body, "<img src=x", "<script>alert", "<script>")
		}
		blob := b.page("/alice/m/blob/main/"+url.PathEscape(evilName), http.StatusOK)
		mustContain(t, "evil blob", blob, escaped)
		mustNotContain(t, "evil blob", blob, "<img src=x")
		csp := b.get("/alice/m").Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("Content-Security-Policy %q", csp)
		}
	})
}

func TestPagesPrivate(t *testing.T) {
	run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/secret", true)
		h.Commit(t, h.Alice, "alice/secret", "main", servertest.File("README.md", []byte("# top secret\n")))
		anon := newBrowser(t, h)
		carol := newBrowser(t, h)
		carol.login(h.Carol)
		for _, b := range []*browser{anon, carol} {
			for _, p := range []string{"/alice/secret", "/alice/secret/tree/main", "/alice/secret/blob/main/README.md",
				"/alice/secret/commits/main", "/alice/secret/commit/main", "/alice/secret/discussions", "/alice/secret/settings"} {
				body := b.page(p, http.StatusNotFound)
				mustNotContain(t, p, body, "top secret")
			}
			mustNotContain(t, "home", b.page("/", http.StatusOK), "alice/secret")
			mustNotContain(t, "profile", b.page("/alice", http.StatusOK), "alice/secret")
		}
		alice := newBrowser(t, h)
		alice.login(h.Alice)
		mustContain(t, "owner", alice.page("/alice/secret", http.StatusOK), "top secret", "private")
		mustContain(t, "owner home", alice.page("/", http.StatusOK), "alice/secret")
		// A bearer token works as well as a session.
		bearer := newBrowser(t, h)
		bearer.id = h.Alice
		bearer.page("/alice/secret", http.StatusOK)
	})
}

func TestSignIn(t *testing.T) {
	run(t, func(t *testing.T, h *servertest.Hub) {
		b := newBrowser(t, h)
		body := b.page("/login", http.StatusOK)
		token := csrf(t, body)
		// Wrong token: the form again, no session.
		p := b.do(http.MethodPost, "/login", url.Values{"csrf": {token}, "token": {"hf_notavalidtokenatallxxxxxx"}})
		if p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, "not valid") {
			t.Fatalf("bad token: status %d", p.Status)
		}
		// No CSRF value: refused.
		p = b.do(http.MethodPost, "/login", url.Values{"token": {h.Alice}})
		if p.Status != http.StatusForbidden {
			t.Fatalf("sign in without csrf: status %d", p.Status)
		}
		// Foreign origin: refused.
		req, _ := http.NewRequest(http.MethodPost, h.URL+"/login", strings.NewReader(url.Values{"csrf": {token}, "token": {h.Alice}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("sign in from another origin: status %d", resp.StatusCode)
		}
		p = b.do(http.MethodPost, "/login", url.Values{"csrf": {token}, "token": {h.Alice}, "next": {"https://evil.example/"}})
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/" {
			t.Fatalf("sign in: status %d, Location %q", p.Status, p.Header.Get("Location"))
		}
		var session *http.Cookie
		for _, c := range (&http.Response{Header: p.Header}).Cookies() {
			if c.Name == "wharf_session" {
				session = c
			}
		}
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure {
			t.Fatalf("session cookie %+v", session)
		}
		if strings.Contains(session.Value, h.Alice) || strings.Contains(session.Value, h.Alice[3:]) {
			t.Fatal("the session cookie holds the token")
		}
		home := b.page("/", http.StatusOK)
		mustContain(t, "signed in", home, `href="/alice"`, "Sign out")
		mustNotContain(t, "signed in", home, h.Alice)
		// The session's CSRF value differs from the anonymous one.
		sessionCSRF := csrf(t, home)
		if sessionCSRF == token {
			t.Error("the session reuses the anonymous csrf value")
		}
		if p := b.do(http.MethodPost, "/logout", url.Values{"csrf": {token}}); p.Status != http.StatusForbidden {
			t.Errorf("sign out with a stale csrf: status %d", p.Status)
		}
		if p := b.do(http.MethodPost, "/logout", url.Values{"csrf": {sessionCSRF}}); p.Status != http.StatusSeeOther {
			t.Fatalf("sign out: status %d", p.Status)
		}
		mustContain(t, "signed out", b.page("/", http.StatusOK), "Sign in")
		// The old cookie is dead server-side too.
		old := newBrowser(t, h)
		u, _ := url.Parse(h.URL)
		old.c.Jar.SetCookies(u, []*http.Cookie{{Name: "wharf_session", Value: session.Value}})
		mustContain(t, "old session", old.page("/", http.StatusOK), "Sign in")
	})
}

func TestSettingsPage(t *testing.T) {
	run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		bob := newBrowser(t, h)
		bob.login(h.Bob)
		bob.page("/alice/m/settings", http.StatusForbidden)
		mustNotContain(t, "bob", bob.page("/alice/m", http.StatusOK), "/alice/m/settings")

		b := newBrowser(t, h)
		b.login(h.Alice)
		mustContain(t, "owner", b.page("/alice/m", http.StatusOK), `href="/alice/m/settings"`)
		if p := b.post("/alice/m/settings", "/alice/m/settings", url.Values{"action": {"visibility"}, "visibility": {"private"}}); p.Status != http.StatusSeeOther {
			t.Fatalf("make private: status %d: %.500s", p.Status, p.Body)
		}
		var info servertest.Info
		h.JSON(t, http.MethodGet, "/api/models/alice/m", h.Alice, nil, http.StatusOK, &info)
		if info.Private == nil || !*info.Private {
			t.Fatal("repo is not private")
		}
		newBrowser(t, h).page("/alice/m", http.StatusNotFound)

		if p := b.post("/alice/m/settings", "/alice/m/settings", url.Values{"action": {"rename"}, "to": {"alice/m2"}}); p.Status != http.StatusSeeOther {
			t.Fatalf("rename: status %d: %.500s", p.Status, p.Body)
		}
		b.page("/alice/m2", http.StatusOK)
		if p := b.post("/alice/m2/settings", "/alice/m2/settings", url.Values{"action": {"rename"}, "to": {"acme/m2"}}); p.Status != http.StatusBadRequest {
			t.Fatalf("rename into acme: status %d", p.Status)
		}
		if p := b.post("/alice/m2/settings", "/alice/m2/settings", url.Values{"action": {"delete"}, "confirm": {"alice/wrong"}}); p.Status != http.StatusBadRequest {
			t.Fatalf("delete with a wrong confirmation: status %d", p.Status)
		}
		if p := b.post("/alice/m2/settings", "/alice/m2/settings", url.Values{"action": {"delete"}, "confirm": {"alice/m2"}}); p.Status != http.StatusSeeOther {
			t.Fatalf("delete: status %d", p.Status)
		}
		h.Do(t, http.MethodGet, "/api/models/alice/m2", h.Alice, nil)
		b.page("/alice/m2", http.StatusNotFound)
	})
}

func TestDiscussionPages(t *testing.T) {
	run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		h.Commit(t, h.Alice, "alice/m", "main", servertest.File("a.txt", []byte("one\ntwo\nthree\n")))
		// Bob opens a pull request through the API, as hf upload --create-pr does.
		resp := h.PostCommit(t, h.Bob, "alice/m", "main", "create_pr=1", servertest.Lines(
			servertest.Header("Better a.txt", ""), servertest.File("a.txt", []byte("one\n2\nthree\n"))))
		var cr servertest.CommitResponse
		if err := json.Unmarshal(servertest.Body(resp), &cr); err != nil || cr.PullRequestURL == "" {
			t.Fatalf("create PR: %s", servertest.Body(resp))
		}
		anon := newBrowser(t, h)
		list := anon.page("/alice/m/discussions", http.StatusOK)
		mustContain(t, "list", list, "Better a.txt", `href="/alice/m/discussions/1"`)
		pr := anon.page("/alice/m/discussions/1", http.StatusOK)
		mustContain(t, "PR", pr, "Better a.txt", "refs/pr/1", "a.txt", "two", "2", "Sign in with a write token")
		mustNotContain(t, "PR anonymous", pr, `value="merge"`)

		bob := newBrowser(t, h)
		bob.login(h.Bob)
		pr = bob.page("/alice/m/discussions/1", http.StatusOK)
		mustContain(t, "PR for bob", pr, `value="comment"`, `value="close"`)
		mustNotContain(t, "PR for bob", pr, `value="merge"`)
		if p := bob.post("/alice/m/discussions/1", "/alice/m/discussions/1", url.Values{"action": {"comment"}, "comment": {"please **merge** <script>x</script>"}}); p.Status != http.StatusSeeOther {
			t.Fatalf("comment: status %d: %.500s", p.Status, p.Body)
		}
		if p := bob.post("/alice/m/discussions/1", "/alice/m/discussions/1", url.Values{"action": {"merge"}}); p.Status != http.StatusForbidden {
			t.Fatalf("merge by bob: status %d", p.Status)
		}

		alice := newBrowser(t, h)
		alice.login(h.Alice)
		pr = alice.page("/alice/m/discussions/1", http.StatusOK)
		mustContain(t, "PR for alice", pr, "please <strong>merge</strong>", `value="merge"`)
		mustNotContain(t, "PR for alice", pr, "<script>x")
		if p := alice.post("/alice/m/discussions/1", "/alice/m/discussions/1", url.Values{"action": {"merge"}}); p.Status != http.StatusSeeOther {
			t.Fatalf("merge: status %d: %.500s", p.Status, p.Body)
		}
		mustContain(t, "merged", alice.page("/alice/m/discussions/1", http.StatusOK), "merged")
		if got := string(h.Download(t, "", "alice/m", "main", "a.txt")); got != "one\n2\nthree\n" {
			t.Fatalf("after merge a.txt = %q", got)
		}
		// A new discussion from the form.
		if p := alice.post("/alice/m/discussions", "/alice/m/discussions", url.Values{"title": {"Question"}, "description": {"Why?"}}); p.Status != http.StatusSeeOther {
			t.Fatalf("new discussion: status %d: %.500s", p.Status, p.Body)
		}
		d := alice.page("/alice/m/discussions/2", http.StatusOK)
		mustContain(t, "discussion", d, "Question", "Why?")
		if p := alice.post("/alice/m/discussions/2", "/alice/m/discussions/2", url.Values{"action": {"close"}}); p.Status != http.StatusSeeOther {
			t.Fatalf("close: status %d", p.Status)
		}
		mustContain(t, "closed", alice.page("/alice/m/discussions?status=closed", http.StatusOK), "Question", "Better a.txt")
	})
}

// TestAPIUnchanged: with pages on, API, resolve, git and unknown URLs
// answer as without them.
func TestAPIUnchanged(t *testing.T) {
	run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		h.Commit(t, h.Alice, "alice/m", "main", servertest.File("a.txt", []byte("hi")))
		h.JSON(t, http.MethodGet, "/api/models/alice/m", "", nil, http.StatusOK, nil)
		if got := string(h.Download(t, "", "alice/m", "main", "a.txt")); got != "hi" {
			t.Fatalf("resolve: %q", got)
		}
		resp := h.Do(t, http.MethodGet, "/alice/m/info/refs?service=git-upload-pack", "", nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-git-upload-pack-advertisement" {
			t.Fatalf("info/refs: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		for _, c := range []struct{ method, path string }{
			{http.MethodPut, "/alice/m"},
			{http.MethodDelete, "/alice/m/tree/main"},
			{http.MethodGet, "/api/nothing"},
			{http.MethodPost, "/alice/m/resolve/main/a.txt"},
		} {
			resp := h.Do(t, c.method, c.path, "", nil)
			servertest.ExpectError(t, resp, http.StatusNotFound, "", "Sorry")
		}
		resp = h.Do(t, http.MethodGet, "/", "", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /: %d", resp.StatusCode)
		}
	})
}
