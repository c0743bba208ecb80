package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfhub/wharf/hub"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startEvery runs 'wharf upload ... --every' until the returned function
// is called (as Ctrl-C would), which returns the outcome.
func startEvery(t *testing.T, args ...string) (stdout *syncBuffer, stop func() result) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- report(ctx, run(ctx, args, &out, &errb), &errb) }()
	return &out, func() result {
		cancel()
		select {
		case code := <-done:
			return result{out.String(), errb.String(), code}
		case <-time.After(30 * time.Second):
			t.Fatal("wharf upload --every did not stop")
			return result{}
		}
	}
}

func TestUploadEvery(t *testing.T) {
	h := newHub(t)
	c, err := hub.New(&hub.Options{Endpoint: h.URL, Token: h.Alice})
	if err != nil {
		t.Fatal(err)
	}
	content := func(r hub.Repo, p string) string {
		var b bytes.Buffer
		if _, err := c.Download(context.Background(), r, p, &b, nil); err != nil {
			return ""
		}
		return b.String()
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	appendTo := func(p, s string) {
		f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(s)
		f.Close()
	}

	// A folder, with --include/--exclude, into PATH_IN_REPO; --delete is ignored.
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"logs/a.jsonl": "1\n", "logs/skip.txt": "no\n", "logs/b.jsonl": "b\n"})
	logs := filepath.Join(dir, "logs")
	out, stop := startEvery(t, "upload", "alice/every", logs, "data", "--repo-type", "dataset", "--every", "0.002",
		"--include", "*.jsonl", "--exclude", "b.*", "--delete", "*", "--endpoint", h.URL, "--token", h.Alice)
	r := hub.Repo{ID: "alice/every", Type: hub.Dataset}
	waitFor("the first push", func() bool { return content(r, "data/a.jsonl") == "1\n" })
	if got := out.String(); got != "Scheduling commits every 0.002 minutes to alice/every.\n" {
		t.Errorf("stdout %q", got)
	}
	appendTo(filepath.Join(logs, "a.jsonl"), "2\n")
	waitFor("the append", func() bool { return content(r, "data/a.jsonl") == "1\n2\n" })
	appendTo(filepath.Join(logs, "a.jsonl"), "3\n")
	res := stop()
	if res.code != 0 || res.stdout != "Scheduling commits every 0.002 minutes to alice/every.\nStopped scheduled commits.\n" ||
		!strings.Contains(res.stderr, "ignoring --delete") {
		t.Errorf("code %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	if got := content(r, "data/a.jsonl"); got != "1\n2\n3\n" {
		t.Errorf("after the stop: %q", got)
	}
	files, _ := c.ListRepoFiles(context.Background(), r, "")
	sameFiles(t, "files", files, []string{".gitattributes", "data/a.jsonl"})

	// A file: its folder is watched for that file only; it keeps its name.
	writeFiles(t, dir, map[string]string{"metrics.csv": "x\n", "other.csv": "no\n"})
	_, stop = startEvery(t, "upload", "alice/every-file", filepath.Join(dir, "metrics.csv"), "runs/renamed.csv", "--every", "5",
		"--endpoint", h.URL, "--token", h.Alice)
	rf := hub.Repo{ID: "alice/every-file"}
	waitFor("the file", func() bool { return content(rf, "runs/metrics.csv") == "x\n" })
	res = stop()
	if res.code != 0 || !strings.Contains(res.stderr, "uploaded as 'runs/metrics.csv' rather than 'runs/renamed.csv'") {
		t.Errorf("code %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	files, _ = c.ListRepoFiles(context.Background(), rf, "")
	sameFiles(t, "files", files, []string{".gitattributes", "runs/metrics.csv"})
	if !strings.HasPrefix(res.stdout, "Scheduling commits every 5.0 minutes to alice/every-file.\n") {
		t.Errorf("stdout %q", res.stdout)
	}
}
