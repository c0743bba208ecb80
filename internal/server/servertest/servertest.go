// Package servertest runs a Wharf Hub server over real stores for
// end-to-end tests: a throwaway SQL database (SQLite, and PostgreSQL when
// WHARF_TEST_POSTGRES is set), a local blob store in t.TempDir() and an
// httptest.Server in front of server.New.
//
// Every hub has the same accounts:
//
//   - alice: user with a write token (Hub.Alice)
//   - bob: user with a write token (Hub.Bob), write member of the org acme
//   - carol: user with a read-only token (Hub.Carol)
//   - admin: server administrator with a write token (Hub.Admin)
//   - acme: organization
//
// Repos are named as in URLs: "alice/m" is a model, "datasets/alice/d" a
// dataset and "spaces/alice/s" a space.
package servertest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/server"
	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/blob/local"
	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
	"github.com/wharfhub/wharf/wire"
)

// Options tunes the engine of a Hub.
type Options struct {
	MaxLine        int   // repo.Options.MaxLine (0: engine default)
	MaxCommitBytes int64 // repo.Options.MaxCommitBytes (0: engine default)
	// Backend returns the blob backend (default: blob/local in a temp dir).
	Backend func(t testing.TB) blob.Backend
	// Pages, when set, makes the web UI of the server: it is called with
	// the Hub's stores (DB, Engine, Auth, Blobs) before the server starts.
	Pages func(h *Hub) server.Pages
}

// Hub is a running server with its stores and the tokens of its accounts.
type Hub struct {
	URL     string // base URL, no trailing slash
	Dialect sqltest.Dialect
	DB      *sqlstore.DB
	Engine  *repo.Engine
	Auth    *auth.Store
	Blobs   *blob.Store
	Server  *httptest.Server
	Srv     *server.Server
	Client  *http.Client

	// Tokens.
	Alice string // alice, write
	Bob   string // bob, write; member (write) of acme
	Carol string // carol, read-only
	Admin string // admin, write, server administrator
}

// Run runs fn as a parallel subtest named after each dialect of
// sqltest.Dialects, each with a fresh Hub.
func Run(t *testing.T, fn func(t *testing.T, h *Hub)) {
	t.Helper()
	RunWith(t, Options{}, fn)
}

// RunWith is Run with engine options.
func RunWith(t *testing.T, opts Options, fn func(t *testing.T, h *Hub)) {
	t.Helper()
	for _, d := range sqltest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, NewWith(t, d, opts))
		})
	}
}

// New starts a Hub over a fresh database of dialect d. Everything is
// closed and removed when the test ends.
func New(t testing.TB, d sqltest.Dialect) *Hub {
	t.Helper()
	return NewWith(t, d, Options{})
}

// NewWith is New with engine options.
func NewWith(t testing.TB, d sqltest.Dialect, opts Options) *Hub {
	t.Helper()
	ctx := context.Background()
	db := sqltest.Open(t, d)
	accounts := auth.New(db)
	var bs blob.Backend
	if opts.Backend != nil {
		bs = opts.Backend(t)
	} else {
		lb, err := local.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		bs = lb
	}
	tmp := t.TempDir()
	logs := &logBuffer{}
	// Registered before ts.Close, so it runs after the server has finished
	// every request: the log then has the errors behind failed requests.
	t.Cleanup(func() {
		if t.Failed() {
			logs.dump(t)
		}
	})
	logger := slog.New(slog.NewTextHandler(logs, nil))
	engine := repo.New(db, repo.Options{TempDir: tmp, MaxLine: opts.MaxLine, MaxCommitBytes: opts.MaxCommitBytes, Logger: logger})
	blobs := blob.New(bs)
	h := &Hub{Dialect: d, DB: db, Engine: engine, Auth: accounts, Blobs: blobs}
	var pages server.Pages
	if opts.Pages != nil {
		pages = opts.Pages(h)
	}
	srv := server.New(server.Config{Engine: engine, Auth: accounts, Blobs: blobs, TempDir: tmp, Logger: logger, Pages: pages})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	h.URL, h.Server, h.Srv, h.Client = ts.URL, ts, srv, ts.Client()
	mk := func(name, email string, org, admin bool) *auth.Account {
		a := &auth.Account{Name: name, Fullname: strings.ToUpper(name[:1]) + name[1:], Email: email, IsOrg: org, IsAdmin: admin}
		if err := accounts.CreateAccount(ctx, a); err != nil {
			t.Fatalf("create account %s: %v", name, err)
		}
		return a
	}
	token := func(a *auth.Account, role string) string {
		tok, err := accounts.AddToken(ctx, a, role, a.Name+"-"+role, "")
		if err != nil {
			t.Fatalf("token for %s: %v", a.Name, err)
		}
		return tok
	}
	alice := mk("alice", "alice@example.com", false, false)
	bob := mk("bob", "", false, false)
	carol := mk("carol", "carol@example.com", false, false)
	admin := mk("admin", "", false, true)
	acme := mk("acme", "", true, false)
	if err := accounts.AddMember(ctx, acme, bob, auth.RoleWrite); err != nil {
		t.Fatal(err)
	}
	h.Alice = token(alice, auth.RoleWrite)
	h.Bob = token(bob, auth.RoleWrite)
	h.Carol = token(carol, auth.RoleRead)
	h.Admin = token(admin, auth.RoleWrite)
	return h
}

// logBuffer keeps the server log of a test.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// dump logs the server log lines that report an error or a 5xx status.
func (l *logBuffer) dump(t testing.TB) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ln := range strings.SplitSeq(l.buf.String(), "\n") {
		if strings.Contains(ln, " status=5") || strings.Contains(ln, "level=ERROR") || strings.Contains(ln, "level=WARN") {
			t.Logf("server log: %s", ln)
		}
	}
}

// SplitRepo splits "datasets/alice/d" into its type and id ("alice/m" is a model).
func SplitRepo(r string) (wire.RepoType, string) {
	for _, t := range []wire.RepoType{wire.Model, wire.Dataset, wire.Space} {
		if rest, ok := strings.CutPrefix(r, t.Plural()+"/"); ok {
			return t, rest
		}
	}
	return wire.Model, r
}

// API returns the API path of a repo: "/api/models/alice/m".
func API(r string) string {
	t, id := SplitRepo(r)
	return "/api/" + t.Plural() + "/" + id
}

// Web returns the web path of a repo: "/alice/m", "/datasets/alice/d".
func Web(r string) string {
	t, id := SplitRepo(r)
	return "/" + t.URLPrefix() + id
}

// Rev encodes a revision as the Python client does: quote(rev, safe="").
func Rev(rev string) string { return url.PathEscape(rev) }

// NDJSON is a commit body; Do sends it as application/x-ndjson.
type NDJSON []byte

// Raw is a request body sent as is with the given content type.
type Raw struct {
	ContentType string
	Data        []byte
}

// Chunked is a request body sent with chunked transfer encoding (no
// Content-Length), as streaming clients send it. With Pause, the client
// waits that long after the data before it ends the body, so the server
// reads the end on its own.
type Chunked struct {
	ContentType string
	Data        []byte
	Pause       time.Duration
}

// pausedReader returns data, then waits before it returns io.EOF.
type pausedReader struct {
	r     io.Reader
	pause time.Duration
}

func (p *pausedReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if err == io.EOF && p.pause > 0 {
		time.Sleep(p.pause)
		p.pause = 0
	}
	return n, err
}

// bufferedBody is a response body read in full, still available through Body.
type bufferedBody struct {
	*bytes.Reader
	data []byte
}

func (bufferedBody) Close() error { return nil }

// Body returns the whole body of a response returned by Do.
func Body(resp *http.Response) []byte {
	if b, ok := resp.Body.(bufferedBody); ok {
		return b.data
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = bufferedBody{bytes.NewReader(data), data}
	return data
}

// Do sends a request and returns the response with its body read in full
// (see Body). path is relative to the hub ("/api/whoami-v2") or an absolute
// URL (a Link header). token "" sends no Authorization. body is nil, an
// NDJSON, a Raw, a Chunked, url.Values (form-encoded), or any value sent as
// JSON. hdr
// holds extra header name/value pairs. A transport error fails the test and
// returns a response with status 0. Redirects are followed.
func (h *Hub) Do(t testing.TB, method, path, token string, body any, hdr ...string) *http.Response {
	t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case NDJSON:
		rd, ctype = bytes.NewReader(b), "application/x-ndjson"
	case Raw:
		rd, ctype = bytes.NewReader(b.Data), b.ContentType
	case Chunked:
		// pausedReader hides the length, so the request goes out chunked.
		rd, ctype = &pausedReader{bytes.NewReader(b.Data), b.Pause}, b.ContentType
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode request body: %v", err)
		}
		rd, ctype = bytes.NewReader(data), "application/json"
	}
	u := path
	if !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		u = h.URL + path
	}
	req, err := http.NewRequestWithContext(context.Background(), method, u, rd)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if len(hdr)%2 != 0 {
		t.Fatalf("Do: odd number of header arguments")
	}
	for i := 0; i < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := h.Client.Do(req)
	if err != nil {
		// Errorf, not Fatalf: Do is called from writer goroutines too. The
		// status 0 then fails the caller's checks.
		t.Errorf("%s %s: %v", method, path, err)
		return &http.Response{Header: http.Header{}, Body: bufferedBody{bytes.NewReader(nil), nil}, Request: req}
	}
	Body(resp)
	return resp
}

// JSON sends a request like Do, fails the test unless the status is want,
// and decodes the JSON body into out (when out is not nil).
func (h *Hub) JSON(t testing.TB, method, path, token string, body any, want int, out any) *http.Response {
	t.Helper()
	resp := h.Do(t, method, path, token, body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, resp.StatusCode, want, Body(resp))
	}
	if out != nil {
		if err := json.Unmarshal(Body(resp), out); err != nil {
			t.Fatalf("%s %s: decode %T: %v; body: %s", method, path, out, err, Body(resp))
		}
	}
	return resp
}

// ExpectError checks an error response: its status, its X-Error-Code (code
// "" means the header must be absent), and that both the JSON "error" of
// the body and X-Error-Message contain msg.
func ExpectError(t testing.TB, resp *http.Response, status int, code, msg string) {
	t.Helper()
	req := resp.Request.Method + " " + resp.Request.URL.String()
	if resp.StatusCode != status {
		t.Errorf("%s: status %d, want %d; body: %s", req, resp.StatusCode, status, Body(resp))
	}
	if got := resp.Header.Get(wire.HeaderErrorCode); got != code {
		t.Errorf("%s: X-Error-Code %q, want %q", req, got, code)
	}
	if resp.Request.Method == http.MethodHead {
		if got := resp.Header.Get(wire.HeaderErrorMessage); !strings.Contains(got, msg) {
			t.Errorf("%s: X-Error-Message %q does not contain %q", req, got, msg)
		}
		return
	}
	var eb struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(Body(resp), &eb); err != nil {
		t.Errorf("%s: error body is not JSON: %v; body: %s", req, err, Body(resp))
		return
	}
	if !strings.Contains(eb.Error, msg) {
		t.Errorf("%s: error %q does not contain %q", req, eb.Error, msg)
	}
	if got := resp.Header.Get(wire.HeaderErrorMessage); !strings.Contains(got, msg) {
		t.Errorf("%s: X-Error-Message %q does not contain %q", req, got, msg)
	}
}

// Op is one line of a commit body.
type Op map[string]any

func line(key string, value map[string]any) Op { return Op{"key": key, "value": value} }

// Header is the header line of a commit; parent "" leaves parentCommit out.
func Header(summary, parent string) Op {
	v := map[string]any{"summary": summary, "description": ""}
	if parent != "" {
		v["parentCommit"] = parent
	}
	return line("header", v)
}

// File adds or replaces a regular file, base64-encoded as Python sends it.
func File(path string, content []byte) Op {
	return line("file", map[string]any{"path": path, "encoding": "base64", "content": base64.StdEncoding.EncodeToString(content)})
}

// LFSFile adds or replaces an LFS file; size < 0 leaves "size" out (a copy).
func LFSFile(path, oid string, size int64) Op {
	v := map[string]any{"path": path, "algo": "sha256", "oid": oid}
	if size >= 0 {
		v["size"] = size
	}
	return line("lfsFile", v)
}

// DeleteFile deletes a file.
func DeleteFile(path string) Op { return line("deletedFile", map[string]any{"path": path}) }

// DeleteFolder deletes a folder.
func DeleteFolder(path string) Op { return line("deletedFolder", map[string]any{"path": path}) }

// Lines renders commit lines as NDJSON, each line ending in "\n".
func Lines(ops ...Op) NDJSON {
	var b bytes.Buffer
	for _, op := range ops {
		data, err := json.Marshal(op)
		if err != nil {
			panic(err)
		}
		b.Write(data)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// PostCommit posts a commit body to /commit/{rev}; query is "" or a query
// string without "?" ("create_pr=1").
func (h *Hub) PostCommit(t testing.TB, token, r, rev, query string, body NDJSON) *http.Response {
	t.Helper()
	p := API(r) + "/commit/" + Rev(rev)
	if query != "" {
		p += "?" + query
	}
	return h.Do(t, http.MethodPost, p, token, body)
}

// CommitResponse is the JSON answer to a commit.
type CommitResponse struct {
	Success        bool   `json:"success"`
	CommitOid      string `json:"commitOid"`
	CommitURL      string `json:"commitUrl"`
	PullRequestURL string `json:"pullRequestUrl"`
}

// Commit commits ops to rev (a header is added unless ops starts with
// one), fails the test unless it succeeds, and returns the commit id.
func (h *Hub) Commit(t testing.TB, token, r, rev string, ops ...Op) string {
	t.Helper()
	if len(ops) == 0 || ops[0]["key"] != "header" {
		ops = append([]Op{Header("test commit", "")}, ops...)
	}
	resp := h.PostCommit(t, token, r, rev, "", Lines(ops...))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("commit to %s@%s: status %d; body: %s", r, rev, resp.StatusCode, Body(resp))
	}
	var cr CommitResponse
	if err := json.Unmarshal(Body(resp), &cr); err != nil {
		t.Fatal(err)
	}
	if !wire.IsCommitID(cr.CommitOid) {
		t.Fatalf("commit to %s@%s: commitOid %q is not a commit id", r, rev, cr.CommitOid)
	}
	return cr.CommitOid
}

// CreateRepo creates a repo, failing the test unless it is created.
func (h *Hub) CreateRepo(t testing.TB, token, r string, private bool) {
	t.Helper()
	typ, id := SplitRepo(r)
	ns, name, _ := strings.Cut(id, "/")
	h.JSON(t, http.MethodPost, "/api/repos/create", token,
		map[string]any{"name": name, "organization": ns, "type": string(typ), "private": private}, http.StatusOK, nil)
}

// Info is the part of a repo info answer tests look at.
type Info struct {
	ID           string    `json:"id"`
	SHA          string    `json:"sha"`
	Private      *bool     `json:"private"`
	XetEnabled   *bool     `json:"xetEnabled"`
	LastModified string    `json:"lastModified"`
	Siblings     []Sibling `json:"siblings"`
}

// Sibling is one file of a repo info answer.
type Sibling struct {
	RFilename string `json:"rfilename"`
	Size      *int64 `json:"size"`
	BlobID    string `json:"blobId"`
	LFS       *struct {
		SHA256      string `json:"sha256"`
		Size        int64  `json:"size"`
		PointerSize int64  `json:"pointerSize"`
	} `json:"lfs"`
}

// Head returns the commit rev resolves to, through /revision/{rev}.
func (h *Hub) Head(t testing.TB, token, r, rev string) string {
	t.Helper()
	var info Info
	h.JSON(t, http.MethodGet, API(r)+"/revision/"+Rev(rev)+"?expand=sha", token, nil, http.StatusOK, &info)
	if !wire.IsCommitID(info.SHA) {
		t.Fatalf("%s@%s: sha %q is not a commit id", r, rev, info.SHA)
	}
	return info.SHA
}

// Entry is a tree or paths-info entry.
type Entry struct {
	Type string `json:"type"`
	OID  string `json:"oid"`
	Size int64  `json:"size"`
	Path string `json:"path"`
	LFS  *struct {
		OID         string `json:"oid"`
		Size        int64  `json:"size"`
		PointerSize int64  `json:"pointerSize"`
	} `json:"lfs"`
}

var linkNext = regexp.MustCompile(`<([^>]+)>;\s*rel="next"`)

// NextLink returns the URL of a Link rel="next" header, or "".
func NextLink(resp *http.Response) string {
	m := linkNext.FindStringSubmatch(resp.Header.Get("Link"))
	if m == nil {
		return ""
	}
	return m[1]
}

// Pages GETs path and every page its Link headers lead to, decoding each
// page (a JSON array) and returning all items.
func Pages[T any](t testing.TB, h *Hub, token, path string) []T {
	t.Helper()
	var all []T
	for n := 0; path != ""; n++ {
		if n > 10000 {
			t.Fatalf("more than 10000 pages from %s", path)
		}
		var page []T
		resp := h.JSON(t, http.MethodGet, path, token, nil, http.StatusOK, &page)
		all = append(all, page...)
		path = NextLink(resp)
	}
	return all
}

// Tree lists a revision recursively (all pages), folders included.
func (h *Hub) Tree(t testing.TB, token, r, rev string) []Entry {
	t.Helper()
	return Pages[Entry](t, h, token, API(r)+"/tree/"+Rev(rev)+"?recursive=true&expand=false")
}

// Files lists the file paths of a revision, in listing order.
func (h *Hub) Files(t testing.TB, token, r, rev string) []string {
	t.Helper()
	var out []string
	for _, e := range h.Tree(t, token, r, rev) {
		if e.Type == "file" {
			out = append(out, e.Path)
		}
	}
	return out
}

// CommitItem is one item of a commits listing.
type CommitItem struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Message string `json:"message"`
	Date    string `json:"date"`
	Authors []struct {
		User string `json:"user"`
	} `json:"authors"`
}

// History lists the commits of a revision, newest first (all pages).
func (h *Hub) History(t testing.TB, token, r, rev string) []CommitItem {
	t.Helper()
	return Pages[CommitItem](t, h, token, API(r)+"/commits/"+Rev(rev))
}

// Download GETs a file through resolve and returns its content.
func (h *Hub) Download(t testing.TB, token, r, rev, path string) []byte {
	t.Helper()
	resp := h.Do(t, http.MethodGet, Web(r)+"/resolve/"+Rev(rev)+"/"+EscapePath(path), token, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("download %s@%s:%s: status %d; body: %s", r, rev, path, resp.StatusCode, Body(resp))
	}
	return Body(resp)
}

// EscapePath encodes a repo path as the Python client does: quote(path),
// slashes kept.
func EscapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// Repo returns the engine's record of a repo.
func (h *Hub) Repo(t testing.TB, r string) *repo.Repo {
	t.Helper()
	typ, id := SplitRepo(r)
	rid, err := wire.ParseRepoID(id)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := h.Engine.GetRepo(context.Background(), typ, rid)
	if err != nil {
		t.Fatalf("repo %s: %v", r, err)
	}
	return rp
}

// SHA256 returns the hex sha256 of data: an LFS oid.
func SHA256(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// GitBlobID returns the git blob id of data.
func GitBlobID(data []byte) string { return repo.HashObject(repo.KindBlob, data) }

// StoreLFS puts content into the blob store and records it as an LFS
// object, without linking it to any repo. It returns the oid.
func (h *Hub) StoreLFS(t testing.TB, content []byte) string {
	t.Helper()
	ctx := context.Background()
	oid := SHA256(content)
	if err := h.Blobs.Put(ctx, oid, int64(len(content)), bytes.NewReader(content)); err != nil {
		t.Fatalf("store LFS object: %v", err)
	}
	_, err := h.DB.ExecContext(ctx, `INSERT INTO lfs_objects (oid, size, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		oid, int64(len(content)), time.Now().UnixMilli())
	if err != nil {
		t.Fatalf("record LFS object: %v", err)
	}
	return oid
}

// PutLFS stores content as an LFS object linked to repo r, as an LFS
// upload would, and returns its oid.
func (h *Hub) PutLFS(t testing.TB, r string, content []byte) string {
	t.Helper()
	oid := h.StoreLFS(t, content)
	_, err := h.DB.ExecContext(context.Background(), `INSERT INTO repo_lfs (repo_id, oid, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		h.Repo(t, r).Key, oid, time.Now().UnixMilli())
	if err != nil {
		t.Fatalf("link LFS object to %s: %v", r, err)
	}
	return oid
}

// Pointer is the git-lfs pointer file of content.
func Pointer(content []byte) []byte {
	return []byte(fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", SHA256(content), len(content)))
}

// UploadLFS uploads content through the LFS batch API as huggingface_hub
// does (batch, PUT to the signed href without credentials, then verify)
// and returns its oid.
func (h *Hub) UploadLFS(t testing.TB, token, r string, content []byte) string {
	t.Helper()
	oid := SHA256(content)
	var batch struct {
		Transfer string `json:"transfer"`
		Objects  []struct {
			OID     string `json:"oid"`
			Size    int64  `json:"size"`
			Actions map[string]struct {
				Href   string            `json:"href"`
				Header map[string]string `json:"header"`
			} `json:"actions"`
			Error *struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		} `json:"objects"`
	}
	req := map[string]any{
		"operation": "upload", "transfers": []string{"basic", "multipart"}, "hash_algo": "sha256",
		"objects": []any{map[string]any{"oid": oid, "size": len(content)}}, "ref": map[string]any{"name": "main"},
	}
	data, _ := json.Marshal(req)
	resp := h.Do(t, http.MethodPost, Web(r)+".git/info/lfs/objects/batch", token, Raw{ContentType: "application/vnd.git-lfs+json", Data: data},
		"Accept", "application/vnd.git-lfs+json")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("LFS batch: status %d; body %s", resp.StatusCode, Body(resp))
	}
	if err := json.Unmarshal(Body(resp), &batch); err != nil {
		t.Fatalf("LFS batch answer: %v: %s", err, Body(resp))
	}
	if len(batch.Objects) != 1 || batch.Objects[0].OID != oid || batch.Objects[0].Error != nil {
		t.Fatalf("LFS batch answer: %s", Body(resp))
	}
	obj := batch.Objects[0]
	if up, ok := obj.Actions["upload"]; ok {
		if _, multipart := up.Header["chunk_size"]; multipart {
			t.Fatalf("LFS batch asked for a multipart upload of %d bytes; UploadLFS only does basic", len(content))
		}
		resp := h.Do(t, http.MethodPut, up.Href, "", Raw{ContentType: "application/octet-stream", Data: content})
		if resp.StatusCode/100 != 2 {
			t.Fatalf("LFS PUT: status %d; body %s", resp.StatusCode, Body(resp))
		}
	}
	if v, ok := obj.Actions["verify"]; ok {
		resp := h.Do(t, http.MethodPost, v.Href, token, map[string]any{"oid": oid, "size": len(content)})
		if resp.StatusCode/100 != 2 {
			t.Fatalf("LFS verify: status %d; body %s", resp.StatusCode, Body(resp))
		}
	}
	return oid
}
