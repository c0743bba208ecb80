package server_test

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/server/servertest"
)

// exportGit writes every object of repo r as a loose object of a new bare
// git repository, and its refs as ref files, and returns the directory.
func exportGit(t *testing.T, h *servertest.Hub, r string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "export.git")
	git(t, "", "init", "--quiet", "--bare", dir)
	rows, err := h.DB.QueryContext(t.Context(), `SELECT oid, kind, data FROM objects WHERE repo_id = $1`, h.Repo(t, r).Key)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var oid string
		var kind int
		var data []byte
		if err := rows.Scan(&oid, &kind, &data); err != nil {
			t.Fatal(err)
		}
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		fmt.Fprintf(zw, "%s %d\x00", repo.Kind(kind), len(data))
		zw.Write(data)
		zw.Close()
		p := filepath.Join(dir, "objects", oid[:2], oid[2:])
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, z.Bytes(), 0o444); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("repo %s has no objects", r)
	}
	var refs refsAnswer
	h.JSON(t, http.MethodGet, servertest.API(r)+"/refs?include_prs=1", h.Admin, nil, http.StatusOK, &refs)
	all := slices.Concat(refs.Branches, refs.Tags, refs.Converts, *refs.PullRequests)
	for _, ref := range all {
		p := filepath.Join(dir, filepath.FromSlash(ref.Ref))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(ref.TargetCommit+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// git runs git with no user or system configuration and returns its stdout.
func git(t *testing.T, gitDir string, args ...string) string {
	t.Helper()
	if gitDir != "" {
		args = append([]string{"--git-dir=" + gitDir}, args...)
	}
	cmd := exec.CommandContext(t.Context(), "git", args...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull, "LC_ALL=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("git %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	if s := stderr.String(); strings.Contains(s, "warning") || strings.Contains(s, "error") {
		t.Errorf("git %s: %s", strings.Join(args, " "), s)
	}
	return stdout.String()
}

func lines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestGitFsckAcceptsStoredObjects(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		const r = "alice/m"
		h.CreateRepo(t, h.Alice, r, false)
		weights := []byte("\x00\x01\x02 weights")
		oid := h.PutLFS(t, r, weights)
		h.Commit(t, h.Alice, r, "main",
			servertest.Header("first", ""),
			servertest.File("README.md", []byte("# m\n")),
			servertest.File("a/b/c.txt", []byte("c")),
			servertest.File("a/b.txt", []byte("b")),     // "b.txt" sorts before the folder "b" in git order
			servertest.File("a/b-c/d.txt", []byte("d")), // "b-c" sorts between "b" and "b/"
			servertest.File("spaces and ünïcode/#1.txt", []byte("u")),
			servertest.File("empty.txt", nil),
			servertest.LFSFile("model.bin", oid, int64(len(weights))),
			servertest.LFSFile("custom.weights", oid, -1)) // appends to .gitattributes
		h.Commit(t, h.Alice, r, "main", servertest.DeleteFile("a/b/c.txt"), servertest.DeleteFolder("a/b-c/"), servertest.File("a/new.txt", []byte("n")))
		h.JSON(t, http.MethodPost, "/api/models/alice/m/branch/dev", h.Alice, nil, http.StatusOK, nil)
		h.Commit(t, h.Alice, r, "dev", servertest.File("dev.txt", []byte("dev")))
		h.JSON(t, http.MethodPost, "/api/models/alice/m/tag/main", h.Alice, map[string]any{"tag": "v1"}, http.StatusOK, nil)
		// bob has no email: the commit gets a noreply address.
		commitAnswer(t, h.PostCommit(t, h.Bob, r, "main", "create_pr=1", servertest.Lines(servertest.Header("PR", ""), servertest.File("pr.txt", []byte("pr")))))
		h.JSON(t, http.MethodPost, "/api/models/alice/m/discussions/1/merge", h.Alice, nil, http.StatusOK, nil)
		h.Commit(t, h.Alice, r, "main", servertest.Header("with description", ""), servertest.File("last.txt", []byte("last")))

		dir := exportGit(t, h, r)
		git(t, dir, "fsck", "--full", "--strict", "--no-dangling")

		for _, branch := range []string{"main", "dev", "v1", "refs/pr/1"} {
			hist := h.History(t, h.Alice, r, branch)
			var ids []string
			for _, c := range hist {
				ids = append(ids, c.ID)
			}
			if got := lines(git(t, dir, "log", "--format=%H", branch, "--")); !slices.Equal(got, ids) {
				t.Errorf("%s: git log %v, API history %v", branch, got, ids)
			}
			files := h.Files(t, h.Alice, r, branch)
			gitFiles := lines(git(t, dir, "-c", "core.quotePath=false", "ls-tree", "-r", "--name-only", branch))
			sameSet(t, branch+": git ls-tree vs API tree", gitFiles, files)
			for _, f := range files {
				content := git(t, dir, "cat-file", "blob", branch+":"+f)
				want := string(h.Download(t, h.Alice, r, branch, f))
				if f == "model.bin" || f == "custom.weights" {
					want = string(servertest.Pointer(weights))
				}
				if content != want {
					t.Errorf("%s:%s: git has %q, API serves %q", branch, f, content, want)
				}
			}
		}
		if got := strings.TrimSpace(git(t, dir, "log", "-1", "--format=%an <%ae>", "refs/pr/1")); got != "bob <bob@users.noreply.wharf>" {
			t.Errorf("PR author %q", got)
		}
		if got := strings.TrimSpace(git(t, dir, "log", "-1", "--format=%an <%ae>|%s", "dev")); got != "alice <alice@example.com>|test commit" {
			t.Errorf("dev author and subject %q", got)
		}

		// After a super-squash the squashed history is still a valid repository.
		h.JSON(t, http.MethodPost, "/api/models/alice/m/super-squash/main", h.Alice, map[string]any{"message": "squash"}, http.StatusOK, nil)
		dir = exportGit(t, h, r)
		git(t, dir, "fsck", "--full", "--strict", "--no-dangling")
		if got := lines(git(t, dir, "log", "--format=%H", "main", "--")); len(got) != 1 {
			t.Errorf("git log after super-squash: %d commits", len(got))
		}
	})
}
