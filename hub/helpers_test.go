package hub_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfhub/wharf/hub"
	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/server"
	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/blob/local"
	"github.com/wharfhub/wharf/internal/store/sqlstore"
)

// ok fails the test on a non-nil error.
func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// equals fails the test unless got == want.
func equals[T comparable](t testing.TB, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// recorder is an http.RoundTripper that remembers every request it sends
// ("METHOD /path", no query) and forwards it to the default transport.
type recorder struct {
	mu   sync.Mutex
	reqs []string
	next http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Method+" "+req.URL.EscapedPath())
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

// take returns the requests recorded since the last call and forgets them.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reqs
	r.reqs = nil
	return out
}

// count returns how many of reqs contain sub.
func count(reqs []string, sub string) int {
	n := 0
	for _, s := range reqs {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

// newClient returns a client of the hub at url with token, recording its
// requests. Retries are fast so that failures do not stall tests.
func newClient(t testing.TB, url, token string) (*hub.Client, *recorder) {
	t.Helper()
	return newClientXet(t, url, token, false)
}

// newLFSClient is newClient with Xet disabled, for tests of the LFS
// transfers.
func newLFSClient(t testing.TB, url, token string) (*hub.Client, *recorder) {
	t.Helper()
	return newClientXet(t, url, token, true)
}

func newClientXet(t testing.TB, url, token string, disableXet bool) (*hub.Client, *recorder) {
	t.Helper()
	rec := &recorder{next: http.DefaultTransport.(*http.Transport).Clone()}
	c, err := hub.New(&hub.Options{
		Endpoint: url, Token: token, NoToken: token == "",
		HTTPClient:     &http.Client{Transport: rec},
		RetryBaseDelay: 10 * time.Millisecond, RetryMaxDelay: 50 * time.Millisecond,
		XetCacheDir: t.TempDir(), DisableXet: disableXet,
	})
	ok(t, err)
	return c, rec
}

// uploads counts the content uploads among reqs: LFS PUTs and Xet xorb
// POSTs.
func uploads(reqs []string) int {
	return count(reqs, "PUT ") + count(reqs, "POST /api/cas/v1/xorbs/")
}

// writeTree writes files (slash-separated relative path → content) below dir.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		ok(t, os.MkdirAll(filepath.Dir(full), 0o755))
		ok(t, os.WriteFile(full, []byte(content), 0o644))
	}
}

// readTree returns the files below dir (slash-separated relative path →
// content).
func readTree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	ok(t, err)
	return out
}

// randomBytes returns n pseudo-random bytes, the same for the same seed.
func randomBytes(seed uint64, n int) []byte {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	b := make([]byte, n)
	rand.NewChaCha8(s).Read(b)
	return b
}

// sortedFiles lists a revision's files, sorted.
func sortedFiles(t testing.TB, c *hub.Client, r hub.Repo, revision string) []string {
	t.Helper()
	files, err := c.ListRepoFiles(context.Background(), r, revision)
	ok(t, err)
	slices.Sort(files)
	return files
}

// historyLen is the number of commits of a revision.
func historyLen(t testing.TB, c *hub.Client, r hub.Repo, revision string) int {
	t.Helper()
	cs, err := c.ListCommits(context.Background(), r, revision)
	ok(t, err)
	return len(cs)
}

// download returns a file's content at a revision.
func download(t testing.TB, c *hub.Client, r hub.Repo, revision, p string) []byte {
	t.Helper()
	var b bytes.Buffer
	_, err := c.Download(context.Background(), r, p, &b, &hub.DownloadOptions{Revision: revision})
	ok(t, err)
	return b.Bytes()
}

// localHub is a Wharf server over a SQLite database and a local blob store
// in a temp dir, started without a testing.TB so that Examples and
// benchmarks can use it too. wrap, if set, wraps the server's handler (to
// inject faults).
type localHub struct {
	URL   string
	Alice string // write token of user alice
	Bob   string // write token of user bob

	srv *server.Server
	dir string
	db  *sqlstore.DB
	ts  *httptest.Server
}

func startLocalHub(wrap func(http.Handler) http.Handler) (*localHub, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "hub-test-*")
	if err != nil {
		return nil, err
	}
	h := &localHub{dir: dir}
	fail := func(err error) (*localHub, error) {
		h.Close()
		return nil, err
	}
	for _, d := range []string{"blobs", "tmp"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			return fail(err)
		}
	}
	h.db, err = sqlstore.Open(ctx, filepath.Join(dir, "wharf.db"))
	if err != nil {
		return fail(err)
	}
	bs, err := local.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		return fail(err)
	}
	accounts := auth.New(h.db)
	tmp := filepath.Join(dir, "tmp")
	engine := repo.New(h.db, repo.Options{TempDir: tmp})
	h.srv = server.New(server.Config{Engine: engine, Auth: accounts, Blobs: blob.New(bs), TempDir: tmp})
	var handler http.Handler = h.srv
	if wrap != nil {
		handler = wrap(handler)
	}
	for _, name := range []string{"alice", "bob"} {
		a := &auth.Account{Name: name, Fullname: strings.ToUpper(name[:1]) + name[1:]}
		if err := accounts.CreateAccount(ctx, a); err != nil {
			return fail(fmt.Errorf("create account %s: %w", name, err))
		}
		tok, err := accounts.AddToken(ctx, a, auth.RoleWrite, name+"-write", "")
		if err != nil {
			return fail(err)
		}
		if name == "alice" {
			h.Alice = tok
		} else {
			h.Bob = tok
		}
	}
	h.ts = httptest.NewServer(handler)
	h.URL = h.ts.URL
	return h, nil
}

// Close stops the server and removes its data.
func (h *localHub) Close() {
	if h.ts != nil {
		h.ts.Close()
	}
	if h.db != nil {
		h.db.Close()
	}
	os.RemoveAll(h.dir)
}

// newLocalHub is startLocalHub for tests.
func newLocalHub(t testing.TB, wrap func(http.Handler) http.Handler) *localHub {
	t.Helper()
	h, err := startLocalHub(wrap)
	ok(t, err)
	t.Cleanup(h.Close)
	return h
}
