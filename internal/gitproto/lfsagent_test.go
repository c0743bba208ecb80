package gitproto_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
)

var (
	wharfOnce sync.Once
	wharfBin  string
	wharfErr  error
)

// buildWharf builds the wharf binary once per test run.
func buildWharf(t testing.TB) string {
	t.Helper()
	wharfOnce.Do(func() {
		dir, err := os.MkdirTemp("", "wharf-bin-")
		if err != nil {
			wharfErr = err
			return
		}
		wharfBin = filepath.Join(dir, "wharf")
		out, err := exec.Command("go", "build", "-o", wharfBin, "github.com/wharfhub/wharf/cmd/wharf").CombinedOutput()
		if err != nil {
			wharfErr = &buildError{err: err, out: string(out)}
		}
	})
	if wharfErr != nil {
		t.Fatalf("build wharf: %v", wharfErr)
	}
	return wharfBin
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

func TestMain(m *testing.M) {
	code := m.Run()
	if wharfBin != "" {
		os.RemoveAll(filepath.Dir(wharfBin))
	}
	os.Exit(code)
}

// TestLFSMultipartAgent pushes an LFS file above the repo's multipart
// threshold (a stand-in for the Hub's 5 GB) through wharf
// lfs-multipart-upload as git-lfs' custom transfer agent.
func TestLFSMultipartAgent(t *testing.T) {
	requireGit(t, true)
	bin := buildWharf(t)
	h := servertest.New(t, sqltest.SQLite)
	h.JSON(t, http.MethodPost, "/api/repos/create", h.Alice,
		map[string]any{"name": "big", "organization": "alice", "lfsmultipartthresh": 1 << 20}, http.StatusOK, nil)
	g := newGit(t, h, h.Alice)
	dir := g.clone("alice/big")
	out, err := exec.Command(bin, "lfs-enable-largefiles", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("wharf lfs-enable-largefiles: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(g.run(dir, "config", "lfs.customtransfer.multipart.path")); got != bin {
		t.Errorf("lfs.customtransfer.multipart.path = %q, want %q", got, bin)
	}
	if got := strings.TrimSpace(g.run(dir, "config", "lfs.customtransfer.multipart.args")); got != "lfs-multipart-upload" {
		t.Errorf("lfs.customtransfer.multipart.args = %q", got)
	}
	big := randomBytes(t, 3<<20+12345) // 4 parts of 1 MiB
	small := randomBytes(t, 100<<10)   // below the threshold: basic transfer
	os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o644)
	os.WriteFile(filepath.Join(dir, "small.bin"), small, 0o644)
	g.commitAll(dir, "large files")
	out2, err := g.tryEnv(dir, []string{"GIT_TRACE=1"}, "push", "origin", "main")
	if err != nil {
		t.Fatalf("push: %v\n%s", err, out2)
	}
	// git-lfs started the custom agent for the multipart transfer.
	contains(t, "push trace", out2, `"transfer":"multipart"`, `starting transfer adapter "multipart"`, bin+" lfs-multipart-upload")
	for name, want := range map[string][]byte{"big.bin": big, "small.bin": small} {
		if got := h.Download(t, "", "alice/big", "main", name); !bytes.Equal(got, want) {
			t.Errorf("resolve %s: content differs", name)
		}
	}
	c := newGit(t, h, "").clone("alice/big")
	if got, _ := os.ReadFile(filepath.Join(c, "big.bin")); !bytes.Equal(got, big) {
		t.Error("cloned big.bin differs")
	}

	// Without the agent the same push must not fall back silently to
	// anything else than basic below 5 GB: a new large file still works.
	plain := newGit(t, h, h.Alice)
	d2 := plain.clone("alice/big")
	other := randomBytes(t, 2<<20)
	os.WriteFile(filepath.Join(d2, "other.bin"), other, 0o644)
	plain.commitAll(d2, "no agent")
	plain.run(d2, "push", "-q", "origin", "main")
	if got := h.Download(t, "", "alice/big", "main", "other.bin"); !bytes.Equal(got, other) {
		t.Error("resolve other.bin: content differs")
	}
}

// agentRun runs wharf lfs-multipart-upload with the given lines on stdin.
func agentRun(t *testing.T, bin string, lines ...any) ([]map[string]any, error) {
	t.Helper()
	var in bytes.Buffer
	for _, l := range lines {
		b, _ := json.Marshal(l)
		in.Write(append(b, '\n'))
	}
	cmd := exec.Command(bin, "lfs-multipart-upload")
	cmd.Stdin = &in
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	err := cmd.Run()
	var msgs []map[string]any
	dec := json.NewDecoder(&out)
	for {
		var m map[string]any
		if derr := dec.Decode(&m); derr == io.EOF {
			break
		} else if derr != nil {
			t.Fatalf("agent output: %v", derr)
		}
		msgs = append(msgs, m)
	}
	return msgs, err
}

func TestLFSAgentProtocol(t *testing.T) {
	bin := buildWharf(t)
	// Downloads are not supported: error 32 and exit status 1.
	msgs, err := agentRun(t, bin, map[string]any{"event": "init", "operation": "download", "remote": "origin", "concurrent": true, "concurrenttransfers": 8})
	if err == nil || len(msgs) != 1 {
		t.Fatalf("download init: err %v, messages %v", err, msgs)
	}
	if e, _ := msgs[0]["error"].(map[string]any); e == nil || e["code"] != float64(32) {
		t.Errorf("download init answered %v", msgs[0])
	}

	// An upload action without chunk_size is one PUT of the whole file.
	var mu sync.Mutex
	var puts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		puts = append(puts, r.Method+" "+r.URL.Path+" "+string(b)+" "+r.Header.Get("X-Extra"))
		mu.Unlock()
		w.Header().Set("ETag", `"e"`)
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "obj")
	os.WriteFile(file, []byte("hello world"), 0o644)
	oid := servertest.SHA256([]byte("hello world"))
	msgs, err = agentRun(t, bin,
		map[string]any{"event": "init", "operation": "upload", "remote": "origin"},
		map[string]any{"event": "upload", "oid": oid, "size": 11, "path": file,
			"action": map[string]any{"href": srv.URL + "/basic", "header": map[string]string{"X-Extra": "yes"}}},
		map[string]any{"event": "upload", "oid": oid, "size": 11, "path": file,
			"action": map[string]any{"href": srv.URL + "/complete", "header": map[string]string{
				"chunk_size": "4", "00001": srv.URL + "/p1", "00002": srv.URL + "/p2", "00003": srv.URL + "/p3"}}},
		map[string]any{"event": "terminate"})
	if err != nil {
		t.Fatalf("agent: %v (%v)", err, msgs)
	}
	if len(msgs) == 0 || len(msgs[0]) != 0 {
		t.Errorf("init answer %v, want {}", msgs)
	}
	var completes int
	for _, m := range msgs {
		if m["event"] == "complete" {
			completes++
			if m["error"] != nil {
				t.Errorf("complete with error: %v", m)
			}
		}
	}
	if completes != 2 {
		t.Errorf("%d complete events in %v", completes, msgs)
	}
	got := strings.Join(puts, "\n")
	contains(t, "requests", got, "PUT /basic hello world yes", "PUT /p1 hell ", "PUT /p2 o wo ", "PUT /p3 rld ",
		`POST /complete {"oid":"`+oid+`","parts":[{"partNumber":1,"etag":"\"e\""},{"partNumber":2,"etag":"\"e\""},{"partNumber":3,"etag":"\"e\""}]}`)
}
