package gitrepo_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/hub/gitrepo"
	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
)

// TestMain gives git a HOME of its own, without identity or credentials.
func TestMain(m *testing.M) {
	home, err := os.MkdirTemp("", "gitrepo-home-")
	if err != nil {
		panic(err)
	}
	os.Setenv("HOME", home)
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	os.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	code := m.Run()
	os.RemoveAll(home)
	os.Exit(code)
}

func requireGit(t *testing.T) {
	t.Helper()
	for _, b := range []string{"git", "git-lfs"} {
		if _, err := exec.LookPath(b); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed", b)
			}
			t.Skipf("%s is not installed", b)
		}
	}
}

func clone(t *testing.T, h *servertest.Hub, r, token string, opts *gitrepo.CloneOptions) *gitrepo.Repository {
	t.Helper()
	o := gitrepo.CloneOptions{Token: token, UserName: "Alice", UserEmail: "alice@example.com"}
	if opts != nil {
		o = *opts
		o.Token, o.UserName, o.UserEmail = token, "Alice", "alice@example.com"
	}
	repo, err := gitrepo.Clone(context.Background(), h.URL+servertest.Web(r), filepath.Join(t.TempDir(), "clone"), &o)
	if err != nil {
		t.Fatal(err)
	}
	fsck(t, repo.Dir())
	return repo
}

func fsck(t *testing.T, dir string) {
	t.Helper()
	cmd := exec.Command("git", "fsck", "--full", "--strict", "--no-dangling")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("git fsck in %s: %v\n%s", dir, err, out)
	}
}

func writeFile(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWorkflow(t *testing.T) {
	requireGit(t)
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := context.Background()
		h.CreateRepo(t, h.Alice, "alice/m", false)
		repo := clone(t, h, "alice/m", h.Alice, nil)
		dir := repo.Dir()
		cfg, _ := os.ReadFile(filepath.Join(dir, ".git", "config"))
		if strings.Contains(string(cfg), h.Alice) {
			t.Fatal("the token was written to .git/config")
		}

		// Add, Commit, Push.
		writeFile(t, dir, "README.md", []byte("# m\n"))
		if err := repo.Add(ctx, "README.md"); err != nil {
			t.Fatal(err)
		}
		if err := repo.Commit(ctx, "readme"); err != nil {
			t.Fatal(err)
		}
		if err := repo.Commit(ctx, "again"); !errors.Is(err, gitrepo.ErrNothingToCommit) {
			t.Errorf("empty commit: %v, want ErrNothingToCommit", err)
		}
		if err := repo.Push(ctx); err != nil {
			t.Fatal(err)
		}

		// CommitWith pulls an API commit first, auto-tracks a large file with
		// git-lfs, and pushes.
		h.Commit(t, h.Alice, "alice/m", "main", servertest.File("api.txt", []byte("api\n")))
		big := make([]byte, gitrepo.LargeFileSize+1)
		rand.Read(big)
		err := repo.CommitWith(ctx, "add weights", func() error {
			if _, err := os.Stat(filepath.Join(dir, "api.txt")); err != nil {
				t.Errorf("CommitWith did not pull first: %v", err)
			}
			writeFile(t, dir, "weights/big.dat", big)
			writeFile(t, dir, "notes.txt", []byte("notes\n"))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		files := h.Files(t, "", "alice/m", "main")
		for _, f := range []string{"README.md", "api.txt", "notes.txt", "weights/big.dat"} {
			if !slices.Contains(files, f) {
				t.Errorf("%s missing from %q", f, files)
			}
		}
		var lfs bool
		for _, e := range h.Tree(t, "", "alice/m", "main") {
			if e.Path == "weights/big.dat" && e.LFS != nil && e.LFS.Size == int64(len(big)) {
				lfs = true
			}
		}
		if !lfs {
			t.Error("weights/big.dat was not pushed as an LFS file")
		}
		if got := h.Download(t, "", "alice/m", "main", "weights/big.dat"); !bytes.Equal(got, big) {
			t.Error("resolve weights/big.dat: content differs")
		}
		// A failing fn commits nothing.
		boom := errors.New("boom")
		if err := repo.CommitWith(ctx, "never", func() error { return boom }); !errors.Is(err, boom) {
			t.Errorf("CommitWith with a failing fn: %v", err)
		}

		// PushAsync: queued in order, with status.
		var cmds []*gitrepo.Command
		for i, name := range []string{"a.txt", "b.txt"} {
			writeFile(t, dir, name, []byte{byte('a' + i)})
			if err := repo.Add(ctx); err != nil {
				t.Fatal(err)
			}
			if err := repo.Commit(ctx, "add "+name); err != nil {
				t.Fatal(err)
			}
			cmds = append(cmds, repo.PushAsync(ctx))
		}
		if err := repo.Wait(); err != nil {
			t.Fatal(err)
		}
		for _, c := range cmds {
			if !c.Done() || c.Failed() || c.Status() != 0 {
				t.Errorf("push: done %v failed %v status %d stderr %q", c.Done(), c.Failed(), c.Status(), c.Stderr())
			}
		}
		if len(repo.CommandsInProgress()) != 0 {
			t.Errorf("%d commands still in progress", len(repo.CommandsInProgress()))
		}
		files = h.Files(t, "", "alice/m", "main")
		if !slices.Contains(files, "a.txt") || !slices.Contains(files, "b.txt") {
			t.Errorf("async pushes: %q", files)
		}

		// A clone skipping LFS content keeps the pointer; one on a new
		// revision creates the branch on push.
		skip := clone(t, h, "alice/m", "", &gitrepo.CloneOptions{SkipLFSSmudge: true})
		ptr, _ := os.ReadFile(filepath.Join(skip.Dir(), "weights", "big.dat"))
		if !bytes.HasPrefix(ptr, []byte("version https://git-lfs.github.com/spec/v1")) {
			t.Errorf("SkipLFSSmudge clone has %d bytes, not a pointer", len(ptr))
		}
		full := clone(t, h, "alice/m", "", nil)
		if got, _ := os.ReadFile(filepath.Join(full.Dir(), "weights", "big.dat")); !bytes.Equal(got, big) {
			t.Error("clone without SkipLFSSmudge: big.dat differs")
		}
		dev := clone(t, h, "alice/m", h.Alice, &gitrepo.CloneOptions{Revision: "dev"})
		if err := dev.CommitWith(ctx, "on dev", func() error {
			writeFile(t, dev.Dir(), "dev.txt", []byte("dev"))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if files := h.Files(t, "", "alice/m", "dev"); !slices.Contains(files, "dev.txt") {
			t.Errorf("dev branch: %q", files)
		}
		fsck(t, dir)
		fsck(t, dev.Dir())
	})
}

func TestPushFailure(t *testing.T) {
	requireGit(t)
	ctx := context.Background()
	h := servertest.New(t, sqltest.SQLite)
	h.CreateRepo(t, h.Alice, "alice/m", false)
	// carol's token is read-only: the push fails, and says why.
	repo := clone(t, h, "alice/m", h.Carol, nil)
	writeFile(t, repo.Dir(), "x.txt", []byte("x"))
	if err := repo.Add(ctx); err != nil {
		t.Fatal(err)
	}
	if err := repo.Commit(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	c := repo.PushAsync(ctx)
	if err := c.Wait(); err == nil {
		t.Fatal("push with a read token succeeded")
	}
	if !c.Failed() || c.Status() <= 0 || !strings.Contains(c.Stderr(), "403") {
		t.Errorf("failed push: failed %v status %d stderr %q", c.Failed(), c.Status(), c.Stderr())
	}
	if strings.Contains(c.Stderr(), h.Carol) {
		t.Error("the token shows in stderr")
	}
	var ge *gitrepo.GitError
	if err := repo.Push(ctx); !errors.As(err, &ge) {
		t.Errorf("Push error %v is not a *GitError", err)
	}
	if resp := h.Do(t, http.MethodGet, servertest.API("alice/m")+"/tree/main", "", nil); strings.Contains(string(servertest.Body(resp)), "x.txt") {
		t.Error("x.txt was pushed")
	}
}

func TestMissingBinaries(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := gitrepo.Clone(context.Background(), "http://127.0.0.1:1/alice/m", t.TempDir(), nil)
	if !errors.Is(err, gitrepo.ErrGitNotFound) || !strings.Contains(err.Error(), "install") {
		t.Errorf("Clone without git: %v", err)
	}
}
