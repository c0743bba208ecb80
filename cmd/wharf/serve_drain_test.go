package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeDrainsOnSIGTERM: when serve's context ends (what SIGTERM does),
// it stops accepting connections, lets a commit that is still arriving
// finish, and returns.
func TestServeDrainsOnSIGTERM(t *testing.T) {
	data := t.TempDir()
	const token = "hf_draintest0123456789"
	if err := run(context.Background(), []string{"admin", "user", "add", "alice", "--token", token, "--data", data}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--shutdown-timeout", "30s"}, &out, io.Discard)
	}()
	var base string
	for i := 0; base == ""; i++ {
		if m := regexp.MustCompile(`serving (http://\S+)`).FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		} else if i > 200 {
			t.Fatalf("serve did not start: %q", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	do := func(method, path, ctype string, body io.Reader) (*http.Response, error) {
		req, _ := http.NewRequest(method, base+path, body)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", ctype)
		return http.DefaultClient.Do(req)
	}
	resp, err := do("POST", "/api/repos/create", "application/json", strings.NewReader(`{"name": "drain", "organization": "alice"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("create repo: %v %v", err, resp)
	}
	resp.Body.Close()

	// A commit whose body is still arriving when the server is told to stop.
	pr, pw := io.Pipe()
	result := make(chan *http.Response, 1)
	go func() {
		resp, err := do("POST", "/api/models/alice/drain/commit/main", "application/x-ndjson", pr)
		if err != nil {
			t.Errorf("commit during shutdown: %v", err)
		}
		result <- resp
	}()
	fmt.Fprintln(pw, `{"key": "header", "value": {"summary": "during shutdown"}}`)
	time.Sleep(300 * time.Millisecond)
	cancel()
	// New connections are refused soon; the running request goes on.
	refused := false
	for i := 0; i < 250 && !refused; i++ {
		if r, err := http.Get(base + "/healthz"); err != nil {
			refused = true
		} else {
			r.Body.Close()
			time.Sleep(20 * time.Millisecond)
		}
	}
	if !refused {
		t.Fatal("the server still accepts connections after its context ended")
	}
	line, _ := json.Marshal(map[string]any{"key": "file", "value": map[string]any{"path": "a.txt", "content": "YQo=", "encoding": "base64"}})
	pw.Write(append(line, '\n'))
	pw.Close()
	r := <-result
	if r == nil {
		t.Fatal("no answer to the commit")
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 || !strings.Contains(string(body), "commitOid") {
		t.Fatalf("commit during shutdown: %d %s", r.StatusCode, body)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return after draining")
	}
}
