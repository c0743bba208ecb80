package repo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
	"github.com/wharfhub/wharf/wire"
)

// ok fails the test at once if err is not nil.
func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// equals fails the test if got and want differ.
func equals[T any](t testing.TB, what string, want, got T) {
	t.Helper()
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("%s:\nwant %#v\n got %#v", what, want, got)
	}
}

// isErr fails the test unless err matches kind.
func isErr(t testing.TB, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("want an error matching %q, got %v", kind, err)
	}
}

// testEngine is an engine over a fresh database, with a clock that ticks one
// second per call so commits get distinct, increasing times.
type testEngine struct {
	*Engine
	db *sqlstore.DB
}

func newTestEngine(t testing.TB, d sqltest.Dialect) *testEngine {
	t.Helper()
	db := sqltest.Open(t, d)
	var tick atomic.Int64
	base := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	e := New(db, Options{
		TempDir: t.TempDir(),
		Now:     func() time.Time { return base.Add(time.Duration(tick.Add(1)) * time.Second) },
	})
	return &testEngine{Engine: e, db: db}
}

// eachDialect runs fn as a subtest on every SQL dialect under test.
func eachDialect(t *testing.T, fn func(t *testing.T, e *testEngine)) {
	t.Helper()
	for _, d := range sqltest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) {
			fn(t, newTestEngine(t, d))
		})
	}
}

var repoSeq atomic.Int64

// newRepo creates a model repo with a unique name.
func (e *testEngine) newRepo(t testing.TB) *Repo {
	t.Helper()
	id := wire.RepoID{Namespace: "alice", Name: fmt.Sprintf("repo-%d", repoSeq.Add(1))}
	r, err := e.CreateRepo(t.Context(), wire.Model, id, CreateOptions{Author: Author{Name: "alice"}})
	ok(t, err)
	return r
}

// head returns the commit a branch points at.
func (e *testEngine) head(t testing.TB, r *Repo, branch string) string {
	t.Helper()
	rev, err := e.Resolve(t.Context(), r, branch)
	ok(t, err)
	return rev.Commit
}

// commit commits changes to rev and fails the test on error.
func (e *testEngine) commit(t testing.TB, r *Repo, rev, summary string, changes ...Change) *CommitResult {
	t.Helper()
	res, err := e.Commit(t.Context(), r, rev, CommitOptions{Summary: summary, Author: Author{Name: "alice"}}, changes)
	ok(t, err)
	return res
}

// files returns every file at commit as path -> content (LFS files as
// their pointer).
func (e *testEngine) files(t testing.TB, r *Repo, commit string) map[string]string {
	t.Helper()
	ctx := t.Context()
	out := map[string]string{}
	var walk func(dir, oid string)
	walk = func(dir, oid string) {
		ents, err := readTree(ctx, e.db, r.Key, oid)
		ok(t, err)
		for _, te := range ents {
			p := te.Name
			if dir != "" {
				p = dir + "/" + te.Name
			}
			if te.IsDir() {
				walk(p, te.OID)
				continue
			}
			data, err := e.ReadBlob(ctx, r, te.OID)
			ok(t, err)
			out[p] = string(data)
		}
	}
	root, err := e.CommitTree(ctx, r, commit)
	ok(t, err)
	walk("", root)
	return out
}

// paths returns the sorted paths of files, without .gitattributes.
func paths(files map[string]string) []string {
	var out []string
	for p := range files {
		if p != ".gitattributes" {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// countRows counts the rows of a table.
func (e *testEngine) countRows(t testing.TB, table string) int {
	t.Helper()
	var n int
	ok(t, e.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM `+table).Scan(&n))
	return n
}

// storeLFS records an LFS object as stored and linked to r, as the LFS
// batch API does after verifying an upload.
func (e *testEngine) storeLFS(t testing.TB, r *Repo, content string) wire.Pointer {
	t.Helper()
	sum := sha256.Sum256([]byte(content))
	oid := hex.EncodeToString(sum[:])
	ctx := t.Context()
	_, err := e.db.ExecContext(ctx, `INSERT INTO lfs_objects (oid, size, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, oid, len(content), 0)
	ok(t, err)
	_, err = e.db.ExecContext(ctx, `INSERT INTO repo_lfs (repo_id, oid, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, r.Key, oid, 0)
	ok(t, err)
	return wire.Pointer{OID: wire.OID(oid), Size: int64(len(content))}
}

func add(p, content string) Change { return Change{Kind: Add, Path: p, Content: []byte(content)} }
func del(p string) Change          { return Change{Kind: Delete, Path: p} }
func delFolder(p string) Change    { return Change{Kind: DeleteFolder, Path: p} }
func addLFS(p string, ptr wire.Pointer) Change {
	return Change{Kind: AddLFS, Path: p, Pointer: ptr}
}

// gitBinary returns the path of git, or skips the test.
func gitBinary(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not installed")
	}
	return p
}

// gitRepo makes an empty git repository isolated from the user's and the
// system's configuration (no global attributes or excludes files).
func gitRepo(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	runGit(t, dir, nil, "init", "-q", ".")
	return dir
}

// runGit runs git in dir with stdin and returns its stdout.
func runGit(t testing.TB, dir string, stdin []byte, args ...string) []byte {
	t.Helper()
	out, err := runGitErr(t, dir, stdin, args...)
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// runGitEnv is runGit with extra environment variables.
func runGitEnv(t testing.TB, dir string, stdin []byte, env []string, args ...string) []byte {
	t.Helper()
	out, err := runGitErrEnv(t, dir, stdin, env, args...)
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func runGitErr(t testing.TB, dir string, stdin []byte, args ...string) ([]byte, error) {
	t.Helper()
	return runGitErrEnv(t, dir, stdin, nil, args...)
}

func runGitErrEnv(t testing.TB, dir string, stdin []byte, env []string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(gitBinary(t), args...)
	cmd.Dir = dir
	home := filepath.Join(dir, ".git-test-home")
	os.MkdirAll(home, 0o755)
	cmd.Env = append(os.Environ(),
		"HOME="+home, "XDG_CONFIG_HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%w: %s", err, stderr.String())
	}
	return out, nil
}

var bg = context.Background()
