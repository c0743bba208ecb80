package hub_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfhub/wharf/hub"
	"github.com/wharfhub/wharf/internal/server/servertest"
)

// waitFor polls cond every 20 ms for up to 10 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func appendFile(t testing.TB, s *hub.CommitScheduler, name, line string) {
	t.Helper()
	s.Lock()
	defer s.Unlock()
	ok(t, os.MkdirAll(filepath.Dir(filepath.Join(s.Folder(), name)), 0o755))
	f, err := os.OpenFile(filepath.Join(s.Folder(), name), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	ok(t, err)
	_, err = f.WriteString(line)
	ok(t, err)
	ok(t, f.Close())
}

func TestCommitScheduler(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := context.Background()
		c, rec := newClient(t, h.URL, h.Alice)
		r := hub.Repo{ID: "alice/feedback", Type: hub.Dataset}
		dir := filepath.Join(t.TempDir(), "feedback") // created by the scheduler
		private := true
		s, err := hub.NewCommitScheduler(ctx, c, r, dir, &hub.CommitSchedulerOptions{
			Every: 100 * time.Millisecond, PathInRepo: "data", Private: &private, IgnorePatterns: []string{"*.tmp"},
		})
		ok(t, err)
		info, err := c.RepoInfo(ctx, r, nil)
		ok(t, err)
		equals(t, "private", info.Private, true)
		content := func(p string) string {
			var b bytes.Buffer
			if _, err := c.Download(ctx, r, p, &b, nil); err != nil {
				return ""
			}
			return b.String()
		}
		appendFile(t, s, "log.jsonl", `{"a":1}`+"\n")
		writeTree(t, dir, map[string]string{"skip.tmp": "ignored"})
		waitFor(t, "the first line", func() bool { return content("data/log.jsonl") == `{"a":1}`+"\n" })
		appendFile(t, s, "log.jsonl", `{"a":2}`+"\n")
		appendFile(t, s, "sub/other.jsonl", "x\n")
		waitFor(t, "the appends", func() bool {
			return content("data/log.jsonl") == `{"a":1}`+"\n"+`{"a":2}`+"\n" && content("data/sub/other.jsonl") == "x\n"
		})
		// Nothing changes: no request at all, hence no commit.
		time.Sleep(150 * time.Millisecond)
		rec.take()
		n := historyLen(t, c, r, "")
		time.Sleep(400 * time.Millisecond)
		if reqs := rec.take(); len(reqs) != 1 { // the history listing above
			t.Errorf("idle scheduler sent %v", reqs)
		}
		equals(t, "commits while idle", historyLen(t, c, r, ""), n)
		// Stop makes a last push with what was written just before.
		appendFile(t, s, "log.jsonl", `{"a":3}`+"\n")
		ok(t, s.Stop(ctx))
		equals(t, "after Stop", content("data/log.jsonl"), `{"a":1}`+"\n"+`{"a":2}`+"\n"+`{"a":3}`+"\n")
		// Pushes after Stop do nothing.
		appendFile(t, s, "log.jsonl", "late\n")
		ci, err := s.Trigger().Wait()
		if ci != nil || err != nil {
			t.Errorf("push after Stop: %v, %v", ci, err)
		}
		ok(t, s.Stop(ctx))
		files := sortedFiles(t, c, r, "")
		equals(t, "files", strings.Join(files, ","), ".gitattributes,data/log.jsonl,data/sub/other.jsonl")
		// Every commit is a scheduled one with changes.
		n, _ = commitAudit(t, c, r, hub.ScheduledCommitMessage)
		if n < 3 {
			t.Errorf("%d scheduled commits, want 3 or more", n)
		}
	})
}

// TestCommitSchedulerAppendDuringPush: bytes appended while a push is
// under way are not part of it; the next push sends them.
func TestCommitSchedulerAppendDuringPush(t *testing.T) {
	var once sync.Once
	inCommit, release := make(chan struct{}), make(chan struct{})
	h := newLocalHub(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/preupload/") {
				once.Do(func() {
					close(inCommit)
					<-release
				})
			}
			next.ServeHTTP(w, r)
		})
	})
	ctx := context.Background()
	c, _ := newClient(t, h.URL, h.Alice)
	r := hub.Repo{ID: "alice/appends", Type: hub.Dataset}
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"log.txt": "one\n"})
	s, err := hub.NewCommitScheduler(ctx, c, r, dir, &hub.CommitSchedulerOptions{Every: time.Hour})
	ok(t, err)
	<-inCommit
	appendFile(t, s, "log.txt", "two\n")
	close(release)
	ci, err := s.Trigger().Wait() // queued behind the first push
	ok(t, err)
	if ci == nil {
		t.Fatal("second push made no commit")
	}
	equals(t, "content", string(download(t, c, r, "", "log.txt")), "one\ntwo\n")
	cs, err := c.ListCommits(ctx, r, "")
	ok(t, err)
	equals(t, "commits", len(cs), 3)
	equals(t, "first push", string(download(t, c, r, cs[1].ID, "log.txt")), "one\n")
	ok(t, s.Stop(ctx))
	equals(t, "commits after a Stop with nothing new", historyLen(t, c, r, ""), 3)
}

func TestCommitSchedulerSquashAndErrors(t *testing.T) {
	var mu sync.Mutex
	down := false
	h := newLocalHub(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			d := down
			mu.Unlock()
			if d && r.Method == http.MethodPost {
				http.Error(w, "down", http.StatusBadGateway)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	ctx := context.Background()
	c, _ := newClient(t, h.URL, h.Alice)
	r := hub.Repo{ID: "alice/squashed"}
	dir := t.TempDir()
	s, err := hub.NewCommitScheduler(ctx, c, r, dir, &hub.CommitSchedulerOptions{Every: time.Hour, SquashHistory: true})
	ok(t, err)
	for i := range 3 {
		appendFile(t, s, "metrics.csv", fmt.Sprintf("%d\n", i))
		_, err := s.Trigger().Wait()
		ok(t, err)
	}
	cs, err := c.ListCommits(ctx, r, "")
	ok(t, err)
	equals(t, "history after squashed pushes", len(cs), 1)
	// A failed push is retried by the next one.
	mu.Lock()
	down = true
	mu.Unlock()
	appendFile(t, s, "metrics.csv", "3\n")
	if _, err := s.Trigger().Wait(); err == nil {
		t.Fatal("push to a failing Hub succeeded")
	}
	mu.Lock()
	down = false
	mu.Unlock()
	ok(t, s.Stop(ctx))
	equals(t, "content", string(download(t, c, r, "", "metrics.csv")), "0\n1\n2\n3\n")
	equals(t, "history", historyLen(t, c, r, ""), 1)
	// Super-squash on its own.
	oid, err := c.SuperSquashHistory(ctx, r, "", "one commit")
	ok(t, err)
	cs, err = c.ListCommits(ctx, r, "main")
	ok(t, err)
	equals(t, "squash commit", cs[0].ID+" "+cs[0].Title, oid+" one commit")
}

// ExampleCommitScheduler_zip replaces the default push, as the upload
// guide's ZipScheduler does: the PNG files of the folder are zipped into
// one archive, uploaded, then deleted locally.
func ExampleCommitScheduler_zip() {
	srv, err := startLocalHub(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	c, err := hub.New(&hub.Options{Endpoint: srv.URL, Token: srv.Alice})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "images-*")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	zipPNGs := func(ctx context.Context, s *hub.CommitScheduler) error {
		// 1. List the PNG files (under the lock: writers hold it).
		s.Lock()
		pngs, _ := filepath.Glob(filepath.Join(s.Folder(), "*.png"))
		s.Unlock()
		if len(pngs) == 0 {
			return nil // nothing to commit
		}
		// 2. Zip them into one archive.
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, p := range pngs {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			w, err := zw.Create(filepath.Base(p))
			if err != nil {
				return err
			}
			w.Write(data)
		}
		if err := zw.Close(); err != nil {
			return err
		}
		// 3. Upload the archive.
		name := fmt.Sprintf("%strain-%d.zip", s.PathInRepo(), time.Now().UnixNano())
		if _, err := s.Client().UploadFile(ctx, s.Repo(), name, hub.FromBytes(buf.Bytes()), &hub.CommitOptions{Revision: s.Revision()}); err != nil {
			return err
		}
		// 4. Delete the local files so that they are not uploaded again.
		for _, p := range pngs {
			os.Remove(p)
		}
		return nil
	}
	repo := hub.Repo{ID: "alice/images", Type: hub.Dataset}
	s, err := hub.NewCommitScheduler(ctx, c, repo, dir, &hub.CommitSchedulerOptions{Every: 10 * time.Minute, PathInRepo: "archives", Push: zipPNGs})
	if err != nil {
		log.Fatal(err)
	}
	s.Lock()
	os.WriteFile(filepath.Join(dir, "cat.png"), []byte("\x89PNG cat"), 0o644)
	os.WriteFile(filepath.Join(dir, "dog.png"), []byte("\x89PNG dog"), 0o644)
	s.Unlock()
	if err := s.Stop(ctx); err != nil { // a last push, then stop
		log.Fatal(err)
	}
	files, err := c.ListRepoFiles(ctx, repo, "")
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".zip") {
			var b bytes.Buffer
			c.Download(ctx, repo, f, &b, nil)
			zr, _ := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
			fmt.Println(strings.Split(f, "/")[0], "holds", len(zr.File), "images:", zr.File[0].Name, zr.File[1].Name)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	fmt.Println("local PNG files left:", len(left))
	// Output:
	// archives holds 2 images: cat.png dog.png
	// local PNG files left: 0
}
