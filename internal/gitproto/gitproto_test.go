package gitproto_test

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
)

func TestCloneNewRepo(t *testing.T) {
	requireGit(t, false)
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		h.CreateRepo(t, h.Alice, "datasets/alice/d", false)
		g := newGit(t, h, "")
		for _, r := range []string{"alice/m", "datasets/alice/d"} {
			dir := g.clone(r)
			contains(t, r+" .gitattributes", read(t, filepath.Join(dir, ".gitattributes")), "filter=lfs")
			head := strings.TrimSpace(g.run(dir, "rev-parse", "HEAD"))
			if want := h.Head(t, "", r, "main"); head != want {
				t.Errorf("%s: HEAD %s, API says %s", r, head, want)
			}
			if b := strings.TrimSpace(g.run(dir, "symbolic-ref", "HEAD")); b != "refs/heads/main" {
				t.Errorf("%s: HEAD is %s", r, b)
			}
		}
		// With .git, and over protocol v0 and v2.
		dir := t.TempDir()
		g.run(dir, "-c", "protocol.version=0", "clone", g.url("alice/m")+".git", "v0")
		g.fsck(filepath.Join(dir, "v0"))
		g.run(dir, "-c", "protocol.version=2", "clone", g.url("alice/m")+".git", "v2")
		g.fsck(filepath.Join(dir, "v2"))
	})
}

func TestPushAndClone(t *testing.T) {
	requireGit(t, false)
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		g := newGit(t, h, h.Alice)
		dir := g.clone("alice/m")
		write(t, dir, map[string]string{
			"README.md":       "# hello\n",
			"src/a.py":        "print('a')\n",
			"src/deep/b.txt":  "b\n",
			"data/empty.txt":  "",
			"weird name ü.md": "unicode\n",
		})
		// Regular files of all sizes below the 10 MiB limit: packs are
		// read from SQL in batches bounded by count and by bytes.
		sizes := map[string]int{"mid/a.dat": 20 << 10, "mid/b.dat": 100 << 10, "big/a.dat": 5 << 20, "big/b.dat": 5 << 20, "big/c.dat": 9 << 20}
		for name, n := range sizes {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(i*7 + n)
			}
			write(t, dir, map[string]string{name: string(b)})
		}
		g.run(dir, "add", ".")
		g.run(dir, "commit", "-q", "-m", "add files")
		g.run(dir, "push", "-q", "origin", "main")
		head := strings.TrimSpace(g.run(dir, "rev-parse", "HEAD"))
		if got := h.Head(t, "", "alice/m", "main"); got != head {
			t.Fatalf("API main %s, pushed %s", got, head)
		}
		files := h.Files(t, "", "alice/m", "main")
		want := []string{".gitattributes", "README.md", "big/a.dat", "big/b.dat", "big/c.dat", "data/empty.txt", "mid/a.dat", "mid/b.dat", "src/a.py", "src/deep/b.txt", "weird name ü.md"}
		slices.Sort(files)
		if !slices.Equal(files, want) {
			t.Errorf("API files %q, want %q", files, want)
		}
		if got := string(h.Download(t, "", "alice/m", "main", "src/deep/b.txt")); got != "b\n" {
			t.Errorf("resolve src/deep/b.txt = %q", got)
		}
		// A second clone sees the same commit, shallow over v2 too.
		other := newGit(t, h, "")
		c := other.clone("alice/m")
		if got := strings.TrimSpace(other.run(c, "rev-parse", "HEAD")); got != head {
			t.Errorf("clone HEAD %s, want %s", got, head)
		}
		for name, n := range sizes {
			if got := len(read(t, filepath.Join(c, name))); got != n {
				t.Errorf("cloned %s has %d bytes, want %d", name, got, n)
			}
		}
		s := other.clone("alice/m", "-c", "protocol.version=2", "--depth", "1")
		if n := strings.TrimSpace(other.run(s, "rev-list", "--count", "HEAD")); n != "1" {
			t.Errorf("shallow clone has %s commits", n)
		}
		contains(t, "shallow file", read(t, filepath.Join(s, "src/a.py")), "print")
		// Shallow over v0 too (go-git's own upload-pack cannot do this one).
		s0 := other.clone("alice/m", "-c", "protocol.version=0", "--depth", "1")
		if n := strings.TrimSpace(other.run(s0, "rev-list", "--count", "HEAD")); n != "1" {
			t.Errorf("shallow v0 clone has %s commits", n)
		}
		c0 := other.clone("alice/m", "-c", "protocol.version=0")
		if n := strings.TrimSpace(other.run(c0, "rev-list", "--count", "HEAD")); n != "2" {
			t.Errorf("v0 clone has %s commits, want 2", n)
		}

		// Fetch after an API commit.
		h.Commit(t, h.Alice, "alice/m", "main", servertest.File("api.txt", []byte("from the API\n")))
		g.run(dir, "pull", "-q", "--ff-only")
		contains(t, "pulled file", read(t, filepath.Join(dir, "api.txt")), "from the API")
		g.fsck(dir)

		// Incremental fetches negotiate with haves, over v2 and v0.
		h.Commit(t, h.Alice, "alice/m", "main", servertest.File("api2.txt", []byte("again\n")))
		other.run(c, "-c", "protocol.version=0", "pull", "-q", "--ff-only")
		contains(t, "pulled over v0", read(t, filepath.Join(c, "api2.txt")), "again")
		other.fsck(c)
		h.Commit(t, h.Alice, "alice/m", "main", servertest.File("api3.txt", []byte("v2\n")))
		other.run(c, "-c", "protocol.version=2", "pull", "-q", "--ff-only")
		contains(t, "pulled over v2", read(t, filepath.Join(c, "api3.txt")), "v2")
		other.fsck(c)
	})
}

func TestGitAuth(t *testing.T) {
	requireGit(t, false)
	h := servertest.New(t, sqltest.SQLite)
	h.CreateRepo(t, h.Alice, "alice/private", true)
	h.CreateRepo(t, h.Alice, "alice/public", false)

	// Anonymous: 401 with a Basic challenge on private repos and on push.
	for _, path := range []string{
		"/alice/private/info/refs?service=git-upload-pack",
		"/alice/public.git/info/refs?service=git-receive-pack",
	} {
		resp := h.Do(t, http.MethodGet, path, "", nil)
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
			t.Errorf("GET %s: %d, WWW-Authenticate %q", path, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
	// Others: private repos do not exist; read tokens cannot push.
	if resp := h.Do(t, http.MethodGet, "/alice/private/info/refs?service=git-upload-pack", h.Bob, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("bob reads alice/private: %d", resp.StatusCode)
	}
	if resp := h.Do(t, http.MethodGet, "/alice/public/info/refs?service=git-receive-pack", h.Carol, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("carol pushes to alice/public: %d", resp.StatusCode)
	}
	resp := h.Do(t, http.MethodGet, "/alice/public/info/refs?service=git-upload-pack", "", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-git-upload-pack-advertisement" {
		t.Fatalf("anonymous info/refs: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	contains(t, "advertisement", string(servertest.Body(resp)), "# service=git-upload-pack", "refs/heads/main", "symref=HEAD:refs/heads/main")

	// git itself: anonymous clone of a private repo fails, with the token it works.
	anon := newGit(t, h, "")
	out := anon.fails("", "clone", anon.url("alice/private"), filepath.Join(t.TempDir(), "x"))
	if !strings.Contains(out, "Authentication failed") && !strings.Contains(out, "could not read Username") {
		t.Errorf("anonymous clone of a private repo:\n%s", out)
	}
	alice := newGit(t, h, h.Alice)
	alice.clone("alice/private")

	// Anonymous push is refused; bob (no write access) gets 403.
	dir := anon.clone("alice/public")
	write(t, dir, map[string]string{"x.txt": "x"})
	anon.run(dir, "add", ".")
	anon.run(dir, "commit", "-q", "-m", "x")
	anon.fails(dir, "push", "origin", "main")
	bob := newGit(t, h, h.Bob)
	out = bob.fails(dir, "push", "origin", "main")
	contains(t, "bob's push", out, "403")
}
