package gitproto_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/server/servertest"
)

// requireGit skips the test when git or git-lfs is missing (CI installs
// them: scripts/test.sh).
func requireGit(t testing.TB, lfs bool) {
	t.Helper()
	bins := []string{"git"}
	if lfs {
		bins = append(bins, "git-lfs")
	}
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed (apt-get install -y git git-lfs)", b)
			}
			t.Skipf("%s is not installed (apt-get install -y git git-lfs)", b)
		}
	}
}

// gitEnv runs the git binary as a user of a hub: HOME is a fresh temp dir
// whose .gitconfig holds an identity and a credential helper that answers
// the user's token (so git and git-lfs authenticate after the challenge).
type gitEnv struct {
	t    testing.TB
	h    *servertest.Hub
	home string
	env  []string
}

func newGit(t testing.TB, h *servertest.Hub, token string) *gitEnv {
	t.Helper()
	home := t.TempDir()
	helper := filepath.Join(home, "cred.sh")
	script := "#!/bin/sh\ntest \"$1\" = get || exit 0\necho username=hf_user\necho password=" + token + "\n"
	if token == "" {
		script = "#!/bin/sh\nexit 0\n"
	}
	if err := os.WriteFile(helper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`[user]
	name = Test User
	email = test@example.com
[credential]
	helper = %s
[init]
	defaultBranch = main
[advice]
	detachedHead = false
[filter "lfs"]
	clean = git-lfs clean -- %%f
	smudge = git-lfs smudge -- %%f
	process = git-lfs filter-process
	required = true
`, helper)
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_LFS_SKIP_PUSH_LOCKS_VERIFY=0",
		"LANG=C",
		"TMPDIR=" + os.TempDir(),
	}
	return &gitEnv{t: t, h: h, home: home, env: env}
}

// url returns the clone URL of a repo ("alice/m", "datasets/alice/d").
func (g *gitEnv) url(r string) string { return g.h.URL + servertest.Web(r) }

// try runs git in dir and returns its combined output.
func (g *gitEnv) try(dir string, args ...string) (string, error) {
	return g.tryEnv(dir, nil, args...)
}

func (g *gitEnv) tryEnv(dir string, extra []string, args ...string) (string, error) {
	g.t.Helper()
	return g.tryIn(dir, extra, "", args...)
}

// tryIn runs git with stdin, returning stdout and stderr combined.
func (g *gitEnv) tryIn(dir string, extra []string, stdin string, args ...string) (string, error) {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Dir = dir
	cmd.Env = append(append([]string(nil), g.env...), extra...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.String(), err
}

// run runs git and fails the test if it fails.
func (g *gitEnv) run(dir string, args ...string) string {
	g.t.Helper()
	out, err := g.try(dir, args...)
	if err != nil {
		g.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// fails runs git, fails the test if git succeeds, and returns its output.
func (g *gitEnv) fails(dir string, args ...string) string {
	g.t.Helper()
	out, err := g.try(dir, args...)
	if err == nil {
		g.t.Fatalf("git %s succeeded, want an error:\n%s", strings.Join(args, " "), out)
	}
	return out
}

// clone clones r into a new directory and checks it with git fsck.
func (g *gitEnv) clone(r string, args ...string) string {
	g.t.Helper()
	dir := filepath.Join(g.t.TempDir(), "clone")
	g.run("", append(append([]string{"clone"}, args...), g.url(r), dir)...)
	g.fsck(dir)
	return dir
}

func (g *gitEnv) fsck(dir string) {
	g.t.Helper()
	out := g.run(dir, "fsck", "--full", "--strict", "--no-dangling")
	if strings.TrimSpace(out) != "" {
		g.t.Errorf("git fsck in %s:\n%s", dir, out)
	}
}

// write writes files (path → content) under dir.
func write(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func read(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func contains(t testing.TB, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s: %q not found in:\n%s", what, w, got)
		}
	}
}
