package hub_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharfhub/wharf/hub"
)

// fakeHub is an httptest server whose handler a test writes, counting the
// requests per "METHOD /path".
type fakeHub struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func newFakeHub(t *testing.T, h http.HandlerFunc) *fakeHub {
	f := &fakeHub{hits: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.hits[r.Method+" "+r.URL.Path]++
		f.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeHub) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[key]
}

// fastClient returns a client of url whose backoff is a few milliseconds.
func fastClient(t *testing.T, url string, maxRetries int) *hub.Client {
	t.Helper()
	c, err := hub.New(&hub.Options{Endpoint: url, Token: "hf_test", MaxRetries: maxRetries,
		RetryBaseDelay: 5 * time.Millisecond, RetryMaxDelay: 20 * time.Millisecond})
	ok(t, err)
	return c
}

const whoamiJSON = `{"name":"alice","type":"user","auth":{"accessToken":{"displayName":"t","role":"write"}}}`

func TestRetryAfter429(t *testing.T) {
	var n atomic.Int32
	var times [2]time.Time
	f := newFakeHub(t, func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		if i <= 2 {
			times[i-1] = time.Now()
		}
		if i == 1 {
			w.Header().Set("Retry-After", "1")
			w.Header().Set("X-Error-Message", "slow down")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, whoamiJSON)
	})
	// A tiny base delay: only Retry-After can make the client wait 1 s.
	c := fastClient(t, f.URL, 3)
	u, err := c.Whoami(t.Context())
	ok(t, err)
	equals(t, "name", u.Name, "alice")
	equals(t, "attempts", n.Load(), int32(2))
	if wait := times[1].Sub(times[0]); wait < 950*time.Millisecond || wait > 3*time.Second {
		t.Fatalf("the retry came %v after the 429, want about 1 s (Retry-After: 1)", wait)
	}
}

func TestRetry503ThenSuccess(t *testing.T) {
	var n atomic.Int32
	f := newFakeHub(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, whoamiJSON)
	})
	start := time.Now()
	_, err := fastClient(t, f.URL, 5).Whoami(t.Context())
	ok(t, err)
	equals(t, "attempts", n.Load(), int32(3))
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v with a 5 ms base delay", d)
	}
}

func TestRetryGivesUp(t *testing.T) {
	var n atomic.Int32
	f := newFakeHub(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html><body>bad gateway</body></html>")
	})
	_, err := fastClient(t, f.URL, 3).Whoami(t.Context())
	var he *hub.Error
	if !errors.As(err, &he) || he.StatusCode != http.StatusBadGateway {
		t.Fatalf("got %v, want a 502 *hub.Error", err)
	}
	if strings.Contains(err.Error(), "<html>") {
		t.Errorf("HTML page in the error: %v", err)
	}
	equals(t, "attempts", n.Load(), int32(4))

	n.Store(0)
	_, err = fastClient(t, f.URL, -1).Whoami(t.Context())
	if err == nil {
		t.Fatal("no error")
	}
	equals(t, "attempts without retries", n.Load(), int32(1))
}

func TestNoRetryOn404(t *testing.T) {
	var n atomic.Int32
	f := newFakeHub(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("X-Error-Code", "RepoNotFound")
		w.Header().Set("X-Error-Message", "Repository not found")
		w.Header().Set("X-Request-Id", "req-123")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"Repository not found"}`)
	})
	_, err := fastClient(t, f.URL, 5).RepoInfo(t.Context(), hub.Repo{ID: "alice/x"}, nil)
	if !errors.Is(err, hub.ErrRepoNotFound) {
		t.Fatalf("got %v, want ErrRepoNotFound", err)
	}
	equals(t, "attempts", n.Load(), int32(1))
	var he *hub.Error
	if !errors.As(err, &he) {
		t.Fatal("not a *hub.Error")
	}
	equals(t, "request id", he.RequestID, "req-123")
	equals(t, "method", he.Method, "GET")
	equals(t, "url", he.URL, f.URL+"/api/models/alice/x")
	equals(t, "error text", err.Error(), "404 Not Found (RepoNotFound): Repository not found [GET "+f.URL+"/api/models/alice/x request req-123]")
}

// TestErrorBodies maps the Hub's error answers to *hub.Error.
func TestErrorBodies(t *testing.T) {
	for _, tc := range []struct {
		status  int
		header  map[string]string
		body    string
		want    error
		message string
	}{
		{404, map[string]string{"X-Error-Code": "RevisionNotFound"}, `{"error":"Invalid rev id: nope"}`, hub.ErrRevisionNotFound, "Invalid rev id: nope"},
		{404, map[string]string{"X-Error-Code": "EntryNotFound"}, `{"error":["a","b"]}`, hub.ErrEntryNotFound, "a; b"},
		{403, map[string]string{"X-Error-Code": "GatedRepo", "X-Error-Message": "gated"}, `{}`, hub.ErrGatedRepo, "gated"},
		{403, map[string]string{"X-Error-Code": "GatedRepo"}, `{}`, hub.ErrRepoNotFound, ""},
		{401, nil, `{"error":"Invalid credentials in Authorization header"}`, hub.ErrUnauthorized, "Invalid credentials in Authorization header"},
		{403, nil, `{"errors":[{"message":"no"}]}`, hub.ErrForbidden, "no"},
		{409, nil, `{"error":"You already created this model repo"}`, hub.ErrConflict, "You already created this model repo"},
		{412, nil, `{"error":"The branch was updated since you opened this page."}`, hub.ErrPreconditionFailed, "The branch was updated since you opened this page."},
		{400, nil, `plain text`, hub.ErrBadRequest, "plain text"},
		{422, nil, `{"message":"bad path"}`, hub.ErrBadRequest, "bad path"},
		{413, nil, ``, hub.ErrTooLarge, ""},
	} {
		t.Run(fmt.Sprint(tc.status, tc.want), func(t *testing.T) {
			f := newFakeHub(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			_, err := fastClient(t, f.URL, 2).RepoInfo(t.Context(), hub.Repo{ID: "alice/x"}, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			var he *hub.Error
			if !errors.As(err, &he) || he.StatusCode != tc.status || he.Message != tc.message {
				t.Fatalf("error %#v, want status %d message %q", err, tc.status, tc.message)
			}
			equals(t, "attempts", f.count("GET /api/models/alice/x"), 1)
		})
	}
}

func TestGarbageJSON(t *testing.T) {
	f := newFakeHub(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.Contains(r.URL.Path, "/preupload/"):
			io.WriteString(w, `{"files": [{"path": "a.txt", "uploadMode": "regular", "shouldIgnore": fal`)
		case strings.Contains(r.URL.Path, "/commit/"):
			t.Error("a commit was sent after a garbage preupload answer")
		case strings.Contains(r.URL.Path, "/tree/"):
			io.WriteString(w, `[{"type":"file","path":"a"}, <html>`)
		default:
			io.WriteString(w, `<!DOCTYPE html><html>oops</html>`)
		}
	})
	c := fastClient(t, f.URL, 2)
	ctx := t.Context()
	r := hub.Repo{ID: "alice/x"}
	_, err := c.RepoInfo(ctx, r, nil)
	if err == nil || !strings.Contains(err.Error(), "decode answer of GET "+f.URL+"/api/models/alice/x") {
		t.Fatalf("repo info: %v", err)
	}
	_, err = c.ListRepoFiles(ctx, r, "")
	if err == nil || !strings.Contains(err.Error(), "decode answer") {
		t.Fatalf("list files: %v", err)
	}
	_, err = c.UploadFile(ctx, r, "a.txt", hub.FromBytes([]byte("a")), nil)
	if err == nil || !strings.Contains(err.Error(), "decode answer of POST") || !strings.Contains(err.Error(), "/preupload/main") {
		t.Fatalf("upload: %v", err)
	}
	t.Log(err)
}

// TestPreuploadAnswerChecks feeds CreateCommit preupload answers that do
// not fit the request.
func TestPreuploadAnswerChecks(t *testing.T) {
	for name, answer := range map[string]string{
		"missing path": `{"files": []}`,
		"bad mode":     `{"files": [{"path": "a.txt", "uploadMode": "xet", "shouldIgnore": false}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeHub(t, func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "/commit/") {
					t.Error("commit sent")
				}
				io.WriteString(w, answer)
			})
			_, err := fastClient(t, f.URL, 0).UploadFile(t.Context(), hub.Repo{ID: "alice/x"}, "a.txt", hub.FromBytes([]byte("a")), nil)
			if err == nil || !strings.Contains(err.Error(), "a.txt") {
				t.Fatalf("got %v", err)
			}
			t.Log(err)
		})
	}
}

// TestLFSBatchErrors: objects with errors, and multipart answers that do
// not fit the object, fail the upload before any commit.
func TestLFSBatchErrors(t *testing.T) {
	data := randomBytes(20, 3000)
	oid := sha(data)
	for name, obj := range map[string]string{
		"object error":    `{"oid":"` + oid + `","size":3000,"error":{"code":422,"message":"Object too large"}}`,
		"too many parts":  `{"oid":"` + oid + `","size":3000,"actions":{"upload":{"href":"URL/complete","header":{"chunk_size":"1000","1":"URL/p1","2":"URL/p2","3":"URL/p3","4":"URL/p4"}}}}`,
		"bad chunk size":  `{"oid":"` + oid + `","size":3000,"actions":{"upload":{"href":"URL/complete","header":{"chunk_size":"zero","1":"URL/p1"}}}}`,
		"missing object":  `{"oid":"` + strings.Repeat("0", 64) + `","size":3000}`,
		"part sans ETag":  `{"oid":"` + oid + `","size":3000,"actions":{"upload":{"href":"URL/complete","header":{"chunk_size":"1000","1":"URL/noetag","2":"URL/p2","3":"URL/p3"}}}}`,
		"upload rejected": `{"oid":"` + oid + `","size":3000,"actions":{"upload":{"href":"URL/reject"}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			var f *fakeHub
			f = newFakeHub(t, func(w http.ResponseWriter, r *http.Request) {
				switch p := r.URL.Path; {
				case strings.Contains(p, "/preupload/"):
					io.WriteString(w, `{"files": [{"path": "w.bin", "uploadMode": "lfs", "shouldIgnore": false}]}`)
				case strings.Contains(p, "/xet-write-token/"):
					http.NotFound(w, r) // a Hub without Xet
				case strings.HasSuffix(p, "/objects/batch"):
					io.WriteString(w, `{"transfer":"basic","objects":[`+strings.ReplaceAll(obj, "URL", f.URL)+`]}`)
				case p == "/noetag":
					io.Copy(io.Discard, r.Body)
				case p == "/reject":
					w.WriteHeader(http.StatusForbidden)
					io.WriteString(w, `<Error><Code>SignatureDoesNotMatch</Code></Error>`)
				case strings.HasPrefix(p, "/p"):
					io.Copy(io.Discard, r.Body)
					w.Header().Set("ETag", `"e"`)
				case p == "/complete":
				default:
					t.Errorf("unexpected %s %s", r.Method, p)
				}
			})
			_, err := fastClient(t, f.URL, 1).UploadFile(t.Context(), hub.Repo{ID: "alice/x"}, "w.bin", hub.FromBytes(data), nil)
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			if strings.Contains(err.Error(), "sig=") {
				t.Errorf("presigned query in the error: %v", err)
			}
		})
	}
}

// cutPartOnce wraps a handler: the first time a multipart part PUT
// arrives, it reads part of the body, then drops the connection.
func cutPartOnce(cut *atomic.Int32) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/lfs-part/") && strings.HasSuffix(r.URL.Path, "/2") && cut.Add(1) == 1 {
				io.CopyN(io.Discard, r.Body, 100<<10)
				conn, _, err := w.(http.Hijacker).Hijack()
				if err != nil {
					panic(err)
				}
				conn.Close()
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestMultipartPartConnectionCut(t *testing.T) {
	var cut atomic.Int32
	h := newLocalHub(t, cutPartOnce(&cut))
	ctx := t.Context()
	c, rec := newLFSClient(t, h.URL, h.Alice)
	r := hub.Repo{ID: "alice/cut"}
	_, err := c.CreateRepo(ctx, r, &hub.CreateRepoOptions{LFSMultipartThreshold: 1 << 20})
	ok(t, err)
	data := randomBytes(21, 3<<20+999)
	ci, err := c.UploadFile(ctx, r, "w.bin", hub.FromBytes(data), nil)
	ok(t, err)
	reqs := rec.take()
	equals(t, "connections cut", cut.Load(), int32(2)) // the cut one and its retry
	equals(t, "part PUTs", count(reqs, "PUT /lfs-part/"), 5)
	var buf bytes.Buffer
	md, err := c.Download(ctx, r, "w.bin", &buf, nil)
	ok(t, err)
	equals(t, "commit", md.Commit, ci.OID)
	if !bytes.Equal(buf.Bytes(), data) {
		t.Fatal("downloaded bytes differ")
	}
}

// grower appends to a file when the server sees a request matching match,
// before handling it.
func grower(path string, matches ...string) func(http.Handler) http.Handler {
	var once sync.Once
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if slices.ContainsFunc(matches, func(m string) bool { return strings.Contains(r.URL.Path, m) }) {
				once.Do(func() {
					f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
					if err != nil {
						panic(err)
					}
					f.WriteString("more")
					f.Close()
				})
			}
			next.ServeHTTP(w, r)
		})
	}
}

// TestFileChangesSizeAfterHashing grows a file after it was hashed (when
// the CAS token or the LFS batch call is asked for, whichever comes
// first): the upload fails clearly and no commit is
// sent, for an LFS file and for a regular file uploaded next to one.
func TestFileChangesSizeAfterHashing(t *testing.T) {
	for _, name := range []string{"w.bin", "a.txt"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, map[string]string{"w.bin": string(randomBytes(22, 200<<10)), "a.txt": "hello"})
			h := newLocalHub(t, grower(filepath.Join(dir, name), "/xet-write-token/", "/info/lfs/objects/batch"))
			ctx := t.Context()
			c, rec := newClient(t, h.URL, h.Alice)
			r := hub.Repo{ID: "alice/grow"}
			_, err := c.CreateRepo(ctx, r, nil)
			ok(t, err)
			before := historyLen(t, c, r, "")
			rec.take()
			_, err = c.UploadFolder(ctx, r, dir, nil)
			if err == nil || !strings.Contains(err.Error(), "changed size") || !strings.Contains(err.Error(), name) {
				t.Fatalf("got %v, want a 'changed size' error naming %s", err, name)
			}
			t.Log(err)
			reqs := rec.take()
			equals(t, "commit POSTs", count(reqs, "/commit/"), 0)
			equals(t, "uploads", uploads(reqs), map[string]int{"w.bin": 0, "a.txt": 1}[name])
			equals(t, "history", historyLen(t, c, r, ""), before)
		})
	}
}

// shiftyContent is a Content whose reads start failing, or come up short,
// from its nth ReaderAt call on (1: sample, 2: hash, 3: upload or commit).
type shiftyContent struct {
	data  []byte
	from  int32
	short bool
	calls atomic.Int32
}

func (s *shiftyContent) Size() int64      { return int64(len(s.data)) }
func (s *shiftyContent) Describe() string { return "shifty" }
func (s *shiftyContent) ReaderAt() (io.ReaderAt, func() error, error) {
	if s.calls.Add(1) < s.from {
		return bytes.NewReader(s.data), func() error { return nil }, nil
	}
	if s.short {
		return bytes.NewReader(s.data[:len(s.data)/2]), func() error { return nil }, nil
	}
	return failingReaderAt{}, func() error { return nil }, nil
}

type failingReaderAt struct{}

func (failingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	return 0, errors.New("disk on fire")
}

// TestBodyReadErrorsAreNotRetried: a request body that cannot be read is
// not a network error; it fails at once.
func TestBodyReadErrorsAreNotRetried(t *testing.T) {
	h := newLocalHub(t, nil)
	ctx := t.Context()
	c, rec := newLFSClient(t, h.URL, h.Alice)
	r := hub.Repo{ID: "alice/fire"}
	_, err := c.CreateRepo(ctx, r, nil)
	ok(t, err)
	rec.take()
	_, err = c.UploadFile(ctx, r, "w.bin", &shiftyContent{data: randomBytes(23, 300<<10), from: 3}, nil)
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("got %v", err)
	}
	reqs := rec.take()
	equals(t, "PUT attempts", count(reqs, "PUT /lfs-upload/"), 1)
	equals(t, "commits", count(reqs, "/commit/"), 0)
}

// TestCommitBodyBreaksMidway: when a regular file's content comes up
// short while the commit body streams, the request is aborted and the
// server commits nothing.
func TestCommitBodyBreaksMidway(t *testing.T) {
	h := newLocalHub(t, nil)
	ctx := t.Context()
	c, rec := newClient(t, h.URL, h.Alice)
	r := hub.Repo{ID: "alice/midway"}
	_, err := c.CreateRepo(ctx, r, nil)
	ok(t, err)
	before := historyLen(t, c, r, "")
	rec.take()
	text := bytes.Repeat([]byte("all work and no play\n"), 10000)
	// Calls: sample, hash, the check before the commit, the commit body.
	_, err = c.CreateCommit(ctx, r, []hub.Operation{
		hub.Add("a.txt", hub.FromBytes([]byte("a"))),
		hub.Add("b.txt", &shiftyContent{data: text, from: 4, short: true}),
	}, &hub.CommitOptions{Message: "broken"})
	if err == nil || !strings.Contains(err.Error(), "changed size") {
		t.Fatalf("got %v", err)
	}
	t.Log(err)
	equals(t, "commit attempts", count(rec.take(), "/commit/"), 1)
	equals(t, "history", historyLen(t, c, r, ""), before)
	files := sortedFiles(t, c, r, "")
	equals(t, "files", strings.Join(files, ","), ".gitattributes")
}

// TestCancelStopsUpload cancels an upload while the server holds an LFS
// PUT or a Xet xorb POST: the call returns promptly with context.Canceled and nothing is
// committed.
func TestCancelStopsUpload(t *testing.T) {
	arrived := make(chan struct{})
	var once sync.Once
	release := make(chan struct{})
	h := newLocalHub(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut || strings.HasPrefix(r.URL.Path, "/api/cas/v1/xorbs/") {
				once.Do(func() { close(arrived) })
				select {
				case <-r.Context().Done():
				case <-release:
				}
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	defer close(release)
	c, rec := newClient(t, h.URL, h.Alice)
	r := hub.Repo{ID: "alice/cancel"}
	_, err := c.CreateRepo(t.Context(), r, nil)
	ok(t, err)
	rec.take()
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-arrived
		cancel()
	}()
	start := time.Now()
	_, err = c.UploadFile(ctx, r, "w.bin", hub.FromBytes(randomBytes(24, 2<<20)), nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cancel took %v", d)
	}
	equals(t, "commits", count(rec.take(), "/commit/"), 0)
	equals(t, "history", historyLen(t, c, r, ""), 1)

	// Cancelled before it starts: nothing is sent at all.
	rec.take()
	_, err = c.UploadFile(ctx, r, "x.txt", hub.FromBytes([]byte("x")), nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	equals(t, "requests after cancel", len(rec.take()), 0)
}

// TestCancelDuringBackoff: a cancelled context ends the wait between
// retries.
func TestCancelDuringBackoff(t *testing.T) {
	f := newFakeHub(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	c, err := hub.New(&hub.Options{Endpoint: f.URL, Token: "x", RetryBaseDelay: time.Minute})
	ok(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Whoami(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("returned after %v", d)
	}
	equals(t, "attempts", f.count("GET /api/whoami-v2"), 1)
}

// TestCancelHashing: cancelling stops the hashing of a large file.
func TestCancelHashing(t *testing.T) {
	f := newFakeHub(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"files": [{"path": "big.bin", "uploadMode": "lfs", "shouldIgnore": false}]}`)
	})
	c := fastClient(t, f.URL, 0)
	ctx, cancel := context.WithCancel(t.Context())
	content := &slowContent{size: 1 << 40, cancel: cancel}
	_, err := c.UploadFile(ctx, hub.Repo{ID: "alice/x"}, "big.bin", content, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	if n := content.read.Load(); n > 64<<20 {
		t.Fatalf("read %d bytes after the cancel", n)
	}
	equals(t, "batch calls", f.count("POST /alice/x.git/info/lfs/objects/batch"), 0)
}

// slowContent is a 1 TiB content of zeros that cancels ctx once 8 MiB
// have been read.
type slowContent struct {
	size   int64
	read   atomic.Int64
	cancel context.CancelFunc
}

func (s *slowContent) Size() int64      { return s.size }
func (s *slowContent) Describe() string { return "zeros" }
func (s *slowContent) ReaderAt() (io.ReaderAt, func() error, error) {
	return s, func() error { return nil }, nil
}
func (s *slowContent) ReadAt(p []byte, off int64) (int, error) {
	if s.read.Add(int64(len(p))) > 8<<20 {
		s.cancel()
	}
	n := min(int64(len(p)), s.size-off)
	clear(p[:n])
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

// TestRunAsFutureCancelled: jobs queued behind a slow one see their
// context cancelled and end at once.
func TestRunAsFutureCancelled(t *testing.T) {
	f := newFakeHub(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	c := fastClient(t, f.URL, 0)
	ctx, cancel := context.WithCancel(t.Context())
	var fs []*hub.Future[*hub.User]
	for range 5 {
		fs = append(fs, hub.RunAsFuture(c, func() (*hub.User, error) { return c.Whoami(ctx) }))
	}
	time.Sleep(50 * time.Millisecond)
	cancel()
	start := time.Now()
	for i, fu := range fs {
		if _, err := fu.Wait(); !errors.Is(err, context.Canceled) {
			t.Fatalf("job %d: %v", i, err)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("jobs took %v to end", d)
	}
	if n := f.count("GET /api/whoami-v2"); n != 1 {
		t.Fatalf("%d requests sent, want only the first job's", n)
	}
}
