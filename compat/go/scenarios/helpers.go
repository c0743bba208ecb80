package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wharfhub/wharf/hub"
)

// --------------------------------------------------------------------------
// outcomes: a scenario fails by panicking with a failure (from the
// assertion helpers below) or skips by panicking with a skipped.

type failure struct{ msg string }

type skipped struct{ reason string }

// failf fails the running scenario, naming the first line of scenario code
// on the stack (helpers.go lines are skipped).
func failf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	pcs := make([]uintptr, 32)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !strings.HasSuffix(f.File, "/helpers.go") && strings.Contains(f.File, "/compat/go/") {
			msg = fmt.Sprintf("%s (%s:%d)", msg, filepath.Base(f.File), f.Line)
			break
		}
		if !more {
			break
		}
	}
	panic(failure{msg})
}

func skip(format string, args ...any) { panic(skipped{fmt.Sprintf(format, args...)}) }

func check(cond bool, format string, args ...any) {
	if !cond {
		failf(format, args...)
	}
}

func short(v any) string {
	var s string
	switch x := v.(type) {
	case []byte:
		if len(x) > 64 {
			s = fmt.Sprintf("%d bytes sha256 %s", len(x), sha(x)[:12])
		} else {
			s = fmt.Sprintf("%q", x)
		}
	case string:
		s = fmt.Sprintf("%q", x)
	default:
		s = fmt.Sprintf("%#v", v)
	}
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

func eq[T any](got, want T, what string) {
	if !reflect.DeepEqual(got, want) {
		failf("%s: got %s, want %s", what, short(got), short(want))
	}
}

// ok fails the scenario on an error.
func ok(err error, what string) {
	if err != nil {
		failf("%s: %v", what, err)
	}
}

// must returns v or fails the scenario with err.
func must[T any](v T, err error) T {
	if err != nil {
		failf("%v", err)
	}
	return v
}

// wantErr checks that err matches target (errors.Is) and, when status is
// not 0, that it is a *hub.Error with that HTTP status.
func wantErr(err error, target error, status int, what string) {
	if err == nil {
		failf("%s: no error, want %v", what, target)
	}
	if target != nil && !errors.Is(err, target) {
		failf("%s: got error %v, want %v", what, err, target)
	}
	if status != 0 {
		var he *hub.Error
		if !errors.As(err, &he) {
			failf("%s: error %T (%v) is not a *hub.Error", what, err, err)
		}
		if he.StatusCode != status {
			failf("%s: status %d, want %d (%v)", what, he.StatusCode, status, err)
		}
	}
}

var hex40 = regexp.MustCompile(`^[0-9a-f]{40}$`)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func gitBlobSHA1(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// rand returns deterministic pseudo-random bytes (binary, so they go to
// LFS), as scenarios.py does.
func rand(n int, seed string) []byte {
	out := make([]byte, 0, n+2048)
	h := sha256.Sum256([]byte(seed))
	for len(out) < n {
		h = sha256.Sum256(h[:])
		for range 64 {
			out = append(out, h[:]...)
		}
	}
	return out[:n]
}

func ptr[T any](v T) *T { return &v }

// --------------------------------------------------------------------------
// environment

var (
	ctx      context.Context // the running scenario's context
	E        string          // server URL
	tokAlice string
	tokBob   string
	tokRead  string
	column   string // WHARF_COMPAT_CLIENT
	prefix   string // repo name prefix
	wharfBin string // the wharf CLI binary
	work     string // temp dir of this run

	api    *hub.Client // alice, requests recorded by rec
	bob    *hub.Client
	reader *hub.Client // alice's read token
	anon   *hub.Client
	rec    = &recorder{base: http.DefaultTransport}
)

// recorder records the method and path of every request alice's client
// sends, for assertions on the transfers.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	reqs []string // "PUT /lfs-upload/..."
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Method+" "+req.URL.Path)
	r.mu.Unlock()
	return r.base.RoundTrip(req)
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.reqs = nil
	r.mu.Unlock()
}

func (r *recorder) count(match func(method, path string) bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.reqs {
		m, p, _ := strings.Cut(s, " ")
		if match(m, p) {
			n++
		}
	}
	return n
}

// lfsPuts counts LFS data transfers: PUTs outside the API (the SDK's only
// other PUT is repo settings, under /api/).
func lfsPuts() int {
	return rec.count(func(m, p string) bool { return m == http.MethodPut && !strings.HasPrefix(p, "/api/") })
}

// xetOn: this column lets the SDK use Xet (the default; the go-noxet
// column sets HF_HUB_DISABLE_XET=1), so LFS-size files go in xorbs.
var xetOn = os.Getenv("HF_HUB_DISABLE_XET") == ""

// xorbPosts counts Xet xorb uploads.
func xorbPosts() int {
	return rec.count(func(m, p string) bool { return m == http.MethodPost && strings.Contains(p, "/v1/xorbs/") })
}

// uploads counts content transfers: LFS PUTs, or xorb POSTs with Xet on.
func uploads() int {
	if xetOn {
		check(lfsPuts() == 0, "LFS PUTs with Xet on: %d", lfsPuts())
		return xorbPosts()
	}
	return lfsPuts()
}

// sdkTreeCheck is lfsTreeCheck for content the SDK uploaded: with Xet on it
// went through Xet, so it has a xetHash.
func sdkTreeCheck(r hub.Repo, path string, content []byte) {
	lfsTreeCheck(r, path, content)
	if xetOn {
		e := treeEntry(r, path, "")
		check(len(e.XetHash) == 64, "%s was not stored through Xet: xetHash %q", path, e.XetHash)
	}
}

func newClient(token string, noToken bool, transport http.RoundTripper) *hub.Client {
	o := &hub.Options{Endpoint: E, Token: token, NoToken: noToken, MaxRetries: 1, RetryBaseDelay: 100 * time.Millisecond}
	if transport != nil {
		o.HTTPClient = &http.Client{Transport: transport}
	}
	c, err := hub.New(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hub.New:", err)
		os.Exit(2)
	}
	return c
}

// --------------------------------------------------------------------------
// repo helpers

// repoOf names a repo of this column: NS/PREFIX-NAME.
func repoOf(name string, t hub.RepoType, ns ...string) hub.Repo {
	n := "alice"
	if len(ns) > 0 {
		n = ns[0]
	}
	return hub.Repo{ID: n + "/" + prefix + "-" + name, Type: t}
}

// webURL is the repo's URL on the server (also its git remote).
func webURL(r hub.Repo) string { return E + "/" + r.Type.URLPrefix() + r.ID }

func tmpdir(name string) string {
	d, err := os.MkdirTemp(work, name+"-")
	ok(err, "temp dir")
	return d
}

func write(root string, files map[string][]byte) {
	for rel, content := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		ok(os.MkdirAll(filepath.Dir(p), 0o755), "mkdir")
		ok(os.WriteFile(p, content, 0o644), "write "+rel)
	}
}

func readFile(p string) []byte {
	b, err := os.ReadFile(p)
	ok(err, "read local file")
	return b
}

// download reads a file of the repo back through alice's client.
func download(r hub.Repo, path, revision string) []byte {
	var buf bytes.Buffer
	_, err := api.Download(ctx, r, path, &buf, &hub.DownloadOptions{Revision: revision})
	ok(err, fmt.Sprintf("download %s@%s:%s", r.ID, revOr(revision), path))
	return buf.Bytes()
}

func revOr(rev string) string {
	if rev == "" {
		return "main"
	}
	return rev
}

// assertRemote checks that the repo holds exactly these files (besides
// .gitattributes) at revision, and downloads each back byte for byte.
func assertRemote(r hub.Repo, files map[string][]byte, revision string) {
	listed, err := api.ListRepoFiles(ctx, r, revision)
	ok(err, "list files of "+r.ID)
	listed = slices.DeleteFunc(listed, func(s string) bool { return s == ".gitattributes" })
	slices.Sort(listed)
	eq(listed, slices.Sorted(maps.Keys(files)), fmt.Sprintf("files of %s@%s", r.ID, revOr(revision)))
	for p, want := range files {
		got := download(r, p, revision)
		eq(len(got), len(want), "size of downloaded "+p)
		eq(sha(got), sha(want), "sha256 of downloaded "+p)
	}
}

func titles(r hub.Repo, revision string) []string {
	cs, err := api.ListCommits(ctx, r, revision)
	ok(err, "list commits")
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Title
	}
	return out
}

func head(r hub.Repo, revision string) string {
	info, err := api.RepoInfo(ctx, r, &hub.RepoInfoOptions{Revision: revision})
	ok(err, "repo info")
	return info.SHA
}

func treeEntry(r hub.Repo, path, revision string) hub.TreeEntry {
	entries, err := api.ListRepoTree(ctx, r, &hub.ListTreeOptions{Recursive: true, Revision: revision})
	ok(err, "list tree")
	for _, e := range entries {
		if e.Path == path {
			return e
		}
	}
	failf("%s not in the tree of %s", path, r.ID)
	return hub.TreeEntry{}
}

// lfsTreeCheck checks that path is an LFS file with this content.
func lfsTreeCheck(r hub.Repo, path string, content []byte) {
	e := treeEntry(r, path, "")
	check(e.LFS != nil, "%s is not stored in LFS (tree entry %+v)", path, e)
	eq(e.LFS.OID, sha(content), "tree lfs oid of "+path)
	eq(e.Size, int64(len(content)), "tree size of "+path)
}

// rawHTTP sends a request with alice's token (unless token is "-").
func rawHTTP(method, path, token string, headers map[string]string, body any) (int, http.Header, []byte) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		ok(err, "marshal")
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, E+path, rd)
	ok(err, "request")
	if token != "-" {
		if token == "" {
			token = tokAlice
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	ok(err, method+" "+path)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	ok(err, "read body")
	return resp.StatusCode, resp.Header, data
}

// rawCreateRepo creates a repo with a direct POST /api/repos/create, for
// fields the SDK has no option for.
func rawCreateRepo(r hub.Repo, fields map[string]any) {
	ns, name, _ := strings.Cut(r.ID, "/")
	body := map[string]any{"name": name, "organization": ns}
	if r.Type != "" && r.Type != hub.Model {
		body["type"] = string(r.Type)
	}
	maps.Copy(body, fields)
	status, _, data := rawHTTP(http.MethodPost, "/api/repos/create", "", nil, body)
	check(status == 200, "raw create %s: %d %s", r.ID, status, data)
}

// --------------------------------------------------------------------------
// commands

type cmdResult struct {
	code           int
	stdout, stderr string
}

// run runs a command in dir with extra environment, bounded by the
// scenario's context.
func run(dir string, env []string, name string, args ...string) cmdResult {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	res := cmdResult{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		failf("run %s %s: %v", name, strings.Join(args, " "), err)
	}
	return res
}

func (r cmdResult) tail() string {
	s := strings.TrimSpace(r.stderr)
	if s == "" {
		s = strings.TrimSpace(r.stdout)
	}
	if len(s) > 800 {
		s = "..." + s[len(s)-800:]
	}
	return s
}

// wharf runs the wharf CLI with alice's token.
func wharf(dir string, args ...string) cmdResult {
	return run(dir, nil, wharfBin, append(args, "--token", tokAlice)...)
}
