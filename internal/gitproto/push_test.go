package gitproto_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
)

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// commitAll adds everything in dir and commits it.
func (g *gitEnv) commitAll(dir, msg string) string {
	g.t.Helper()
	g.run(dir, "add", "-A")
	g.run(dir, "commit", "-q", "-m", msg)
	return strings.TrimSpace(g.run(dir, "rev-parse", "HEAD"))
}

func TestPushLFS(t *testing.T) {
	requireGit(t, true)
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		g := newGit(t, h, h.Alice)
		dir := g.clone("alice/m")
		content := randomBytes(t, 300<<10)
		if err := os.WriteFile(filepath.Join(dir, "model.bin"), content, 0o644); err != nil {
			t.Fatal(err)
		}
		write(t, dir, map[string]string{"config.json": `{"a": 1}`})
		g.commitAll(dir, "add a model")
		out := g.run(dir, "push", "origin", "main")
		// git-lfs asks POST {repo}.git/info/lfs/locks/verify before pushing:
		// a 200 makes it print "Locking support detected … consider enabling
		// it"; a 404 or 501 makes it note locksverify=false and stay quiet.
		if strings.Contains(out, "Locking support detected") || strings.Contains(strings.ToLower(out), "warning") {
			t.Errorf("git-lfs warned during push (locks/verify must answer 404 or 501, not 200):\n%s", out)
		}
		// The API lists model.bin as an LFS file and serves its content.
		var found bool
		for _, e := range h.Tree(t, "", "alice/m", "main") {
			if e.Path == "model.bin" {
				found = true
				if e.LFS == nil || e.LFS.OID != servertest.SHA256(content) || e.Size != int64(len(content)) {
					t.Errorf("model.bin entry: %+v", e)
				}
			}
		}
		if !found {
			t.Fatal("model.bin not listed by the API")
		}
		if got := h.Download(t, "", "alice/m", "main", "model.bin"); !bytes.Equal(got, content) {
			t.Error("resolve model.bin: content differs")
		}
		// A fresh clone smudges the content back; with the skip flag it
		// keeps the pointer.
		c := newGit(t, h, "").clone("alice/m")
		if got, _ := os.ReadFile(filepath.Join(c, "model.bin")); !bytes.Equal(got, content) {
			t.Error("cloned model.bin differs from what was pushed")
		}
		skip := newGit(t, h, "")
		skip.env = append(skip.env, "GIT_LFS_SKIP_SMUDGE=1")
		s := skip.clone("alice/m")
		contains(t, "pointer", read(t, filepath.Join(s, "model.bin")), "version https://git-lfs.github.com/spec/v1", servertest.SHA256(content))
	})
}

func TestPushRejected(t *testing.T) {
	requireGit(t, true)
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		g := newGit(t, h, h.Alice)
		dir := g.clone("alice/m")
		base := strings.TrimSpace(g.run(dir, "rev-parse", "HEAD"))
		reset := func() { g.run(dir, "reset", "-q", "--hard", base) }

		// An LFS pointer to content never uploaded (pre-push hook skipped).
		missing := servertest.SHA256([]byte("never uploaded"))
		write(t, dir, map[string]string{"weights.safetensors": "version https://git-lfs.github.com/spec/v1\noid sha256:" + missing + "\nsize 14\n"})
		g.commitAll(dir, "pointer only")
		out := g.fails(dir, "push", "--no-verify", "origin", "main")
		contains(t, "missing LFS object", out, "[remote rejected] main -> main", "LFS objects missing", missing)

		// A regular file of 10 MiB or more.
		reset()
		if err := os.WriteFile(filepath.Join(dir, "big.txt"), bytes.Repeat([]byte("0123456789abcdef"), 11<<16), 0o644); err != nil {
			t.Fatal(err)
		}
		g.commitAll(dir, "big regular file")
		out = g.fails(dir, "push", "origin", "main")
		contains(t, "oversized file", out, "[remote rejected] main -> main", "git-lfs", "git lfs track", "big.txt (11 MiB)")

		// A force push that is not a fast-forward.
		reset()
		h.Commit(t, h.Alice, "alice/m", "main", servertest.File("api.txt", []byte("api\n")))
		write(t, dir, map[string]string{"local.txt": "local\n"})
		g.commitAll(dir, "diverged")
		out = g.fails(dir, "push", "origin", "main")
		contains(t, "non-fast-forward push", out, "rejected")
		out = g.fails(dir, "push", "--force", "origin", "main")
		contains(t, "forced push", out, "[remote rejected] main -> main", "non-fast-forward")

		// Refs outside heads, tags and pr; deleting main; moving a tag.
		out = g.fails(dir, "push", "origin", "HEAD:refs/convert/parquet")
		contains(t, "refs/convert", out, "only refs/heads/*, refs/tags/* and refs/pr/* can be pushed")
		out = g.fails(dir, "push", "origin", ":main")
		contains(t, "delete main", out, "cannot be deleted")
		g.run(dir, "fetch", "-q", "origin")
		g.run(dir, "tag", "v1", "origin/main")
		g.run(dir, "push", "-q", "origin", "v1")
		g.run(dir, "tag", "-f", "v1", base)
		out = g.fails(dir, "push", "--force", "origin", "v1")
		contains(t, "moved tag", out, "tags cannot be moved")
		// Annotated tags are accepted, but must tag a commit.
		g.run(dir, "tag", "-a", "-m", "annotated", "v2", "origin/main")
		g.run(dir, "push", "-q", "origin", "v2")
		g.run(dir, "tag", "-a", "-m", "a tree", "v3", "origin/main^{tree}")
		out = g.fails(dir, "push", "origin", "v3")
		contains(t, "tag of a tree", out, "must tag a commit")

		// Trees with names git checkouts choke on, made with plumbing since
		// porcelain refuses them.
		g.run(dir, "fetch", "-q", "origin")
		blob, err := g.tryIn(dir, nil, "hi\n", "hash-object", "-w", "--stdin")
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"a\\b", ".git", ".GIT", "..", "git~1"} {
			tree, err := g.tryIn(dir, nil, "100644 blob "+strings.TrimSpace(blob)+"\t"+name+"\n", "mktree")
			if err != nil {
				t.Fatalf("mktree %q: %v %s", name, err, tree)
			}
			commit, err := g.tryIn(dir, nil, "", "commit-tree", strings.TrimSpace(tree), "-p", "origin/main", "-m", "bad name")
			if err != nil {
				t.Fatalf("commit-tree: %v %s", err, commit)
			}
			out = g.fails(dir, "push", "origin", strings.TrimSpace(commit)+":refs/heads/main")
			contains(t, "entry named "+name, out, "[remote rejected]", "invalid path")
		}

		// Nothing of the refused pushes reached the repo.
		files := strings.Join(h.Files(t, "", "alice/m", "main"), " ")
		for _, f := range []string{"weights.safetensors", "big.txt", "local.txt"} {
			if strings.Contains(files, f) {
				t.Errorf("%s reached main: %s", f, files)
			}
		}
		// Branches can be created, fast-forwarded and deleted; tags deleted.
		g.run(dir, "push", "-q", "origin", "origin/main:refs/heads/dev")
		g.run(dir, "push", "-q", "origin", ":dev")
		g.run(dir, "push", "-q", "origin", ":refs/tags/v1")
		resp := h.Do(t, http.MethodGet, servertest.API("alice/m")+"/refs", "", nil)
		if body := string(servertest.Body(resp)); strings.Contains(body, `"dev"`) || strings.Contains(body, `"v1"`) {
			t.Errorf("refs after deletes: %s", body)
		}
	})
}

func TestPushPullRequestRef(t *testing.T) {
	requireGit(t, false)
	h := servertest.New(t, sqltest.SQLite)
	h.CreateRepo(t, h.Alice, "alice/m", false)
	resp := h.PostCommit(t, h.Alice, "alice/m", "main", "create_pr=1", servertest.Lines(servertest.Header("open a PR", ""), servertest.File("pr.txt", []byte("pr\n"))))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("create PR: %d %s", resp.StatusCode, servertest.Body(resp))
	}
	g := newGit(t, h, h.Alice)
	dir := g.clone("alice/m")
	g.run(dir, "fetch", "-q", "origin", "refs/pr/1")
	g.run(dir, "checkout", "-q", "-b", "pr", "FETCH_HEAD")
	write(t, dir, map[string]string{"pr2.txt": "more\n"})
	head := g.commitAll(dir, "more for the PR")
	g.run(dir, "push", "-q", "origin", "HEAD:refs/pr/1")
	if got := h.Head(t, "", "alice/m", "refs/pr/1"); got != head {
		t.Errorf("refs/pr/1 = %s, want %s", got, head)
	}
	out := g.fails(dir, "push", "origin", "HEAD:refs/pr/2")
	contains(t, "new PR ref", out, "pull request refs are created by opening a pull request")

	// Once the PR is closed, its ref takes no more pushes.
	resp = h.Do(t, http.MethodPost, servertest.API("alice/m")+"/discussions/1/status", h.Alice, map[string]string{"status": "closed"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("close PR: %d %s", resp.StatusCode, servertest.Body(resp))
	}
	write(t, dir, map[string]string{"pr3.txt": "late\n"})
	g.commitAll(dir, "late")
	out = g.fails(dir, "push", "origin", "HEAD:refs/pr/1")
	contains(t, "closed PR", out, "[remote rejected]", "closed")
}

// TestPushOverAPICommit: fetch, rebase, push on top of a commit made with
// the API; and a push racing API commits, where nothing may be lost.
func TestPushOverAPICommit(t *testing.T) {
	requireGit(t, false)
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		g := newGit(t, h, h.Alice)
		dir := g.clone("alice/m")
		h.Commit(t, h.Alice, "alice/m", "main", servertest.File("api.txt", []byte("api\n")))
		write(t, dir, map[string]string{"git.txt": "git\n"})
		g.commitAll(dir, "from git")
		g.fails(dir, "push", "origin", "main")
		g.run(dir, "pull", "-q", "--rebase", "origin", "main")
		g.run(dir, "push", "-q", "origin", "main")
		files := strings.Join(h.Files(t, "", "alice/m", "main"), " ")
		contains(t, "files after rebase", files, "api.txt", "git.txt")

		// A push racing an API commit: the commit lands after git read the
		// refs and before the push applies (a proxy makes it so). The push
		// is refused, the commit stays, and a rebase and push then work.
		u, _ := url.Parse(h.URL)
		rp := httputil.NewSingleHostReverseProxy(u)
		var n atomic.Int32
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/git-receive-pack") && n.Add(1) == 1 {
				h.Commit(t, h.Alice, "alice/m", "main", servertest.File("api-race.txt", []byte("x")))
			}
			rp.ServeHTTP(w, r)
		}))
		defer proxy.Close()
		write(t, dir, map[string]string{"race.txt": "race\n"})
		g.commitAll(dir, "race")
		out := g.fails(dir, "push", proxy.URL+"/alice/m", "main")
		contains(t, "push that lost the race", out, "[remote rejected] main -> main", "updated by someone else during the push")
		list := h.Files(t, "", "alice/m", "main")
		if !slices.Contains(list, "api-race.txt") || slices.Contains(list, "race.txt") {
			t.Errorf("files after the race: %q, want api-race.txt and not race.txt", list)
		}
		g.run(dir, "pull", "-q", "--rebase", "origin", "main")
		g.run(dir, "push", "-q", "origin", "main")
		contains(t, "files after retry", strings.Join(h.Files(t, "", "alice/m", "main"), " "), "race.txt", "api-race.txt", "api.txt", "git.txt")

		// And truly concurrent: API commits while pushes go on. Whatever
		// the interleaving, every API commit and every accepted push stays.
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				h.Commit(t, h.Alice, "alice/m", "main", servertest.File(fmt.Sprintf("concurrent-%d.txt", i), []byte("x")))
			}
		}()
		var pushed []string
		for i := range 3 {
			name := fmt.Sprintf("pushed-%d.txt", i)
			write(t, dir, map[string]string{name: "p"})
			g.commitAll(dir, name)
			if _, err := g.try(dir, "push", "-q", "origin", "main"); err == nil {
				pushed = append(pushed, name)
			} else {
				g.run(dir, "reset", "-q", "--hard", "HEAD~1")
			}
			g.run(dir, "pull", "-q", "--rebase", "origin", "main")
		}
		wg.Wait()
		files = strings.Join(h.Files(t, "", "alice/m", "main"), " ")
		contains(t, "files after concurrent writes", files, append(pushed, "concurrent-0.txt", "concurrent-4.txt")...)
		g.fsck(g.clone("alice/m"))
	})
}
