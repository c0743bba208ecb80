package hub_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfhub/wharf/hub"
	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
)

// largeFixture writes n small text files in nested folders and a few
// binary (LFS) files, and returns path → content.
func largeFixture(t testing.TB, dir string, n, nLFS, lfsSize int) map[string]string {
	t.Helper()
	files := map[string]string{}
	for i := range n {
		files[fmt.Sprintf("part-%02d/f%04d.txt", i%7, i)] = fmt.Sprintf("small file %d\n", i)
	}
	for i := range nLFS {
		files[fmt.Sprintf("shards/s%02d.bin", i)] = string(randomBytes(uint64(1000+i), lfsSize+i))
	}
	writeTree(t, dir, files)
	return files
}

// commitAudit walks the history of main, oldest first, and returns the
// commits whose title is title and how many of them changed each path. It
// fails the test on a commit that changes nothing.
func commitAudit(t testing.TB, c *hub.Client, r hub.Repo, title string) (int, map[string]int) {
	t.Helper()
	ctx := context.Background()
	commits, err := c.ListCommits(ctx, r, "main")
	ok(t, err)
	changed := map[string]int{}
	prev := map[string]string{}
	n := 0
	for i := len(commits) - 1; i >= 0; i-- {
		ents, err := c.ListRepoTree(ctx, r, &hub.ListTreeOptions{Revision: commits[i].ID, Recursive: true})
		ok(t, err)
		cur := map[string]string{}
		for _, e := range ents {
			if !e.IsDir() {
				cur[e.Path] = e.OID
			}
		}
		diff := 0
		for p, oid := range cur {
			if prev[p] != oid {
				diff++
				changed[p]++
			}
		}
		for p := range prev {
			if _, ok := cur[p]; !ok {
				diff++
			}
		}
		if commits[i].Title == title {
			n++
			if diff == 0 {
				t.Errorf("commit %s (%q) changes nothing: files committed twice", commits[i].ID, commits[i].Title)
			}
		}
		prev = cur
	}
	return n, changed
}

// checkLarge checks that the repo holds exactly files under prefix (and
// .gitattributes), each committed once.
func checkLarge(t testing.TB, c *hub.Client, r hub.Repo, prefix string, files map[string]string) int {
	t.Helper()
	got := sortedFiles(t, c, r, "")
	var want []string
	for p := range files {
		want = append(want, prefix+p)
	}
	want = append(want, ".gitattributes")
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("repo files: got %d, want %d; missing %v, extra %v", len(got), len(want), diff(want, got), diff(got, want))
	}
	n, changed := commitAudit(t, c, r, hub.LargeFolderMessage)
	for p := range files {
		if changed[prefix+p] != 1 {
			t.Errorf("%s committed %d times", prefix+p, changed[prefix+p])
		}
	}
	// Spot-check contents, LFS included.
	for p, content := range files {
		if strings.HasPrefix(p, "shards/") || strings.HasSuffix(p, "0.txt") {
			if got := download(t, c, r, "", prefix+p); string(got) != content {
				t.Errorf("%s: content differs (%d bytes, want %d)", p, len(got), len(content))
			}
		}
	}
	return n
}

func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	if len(out) > 5 {
		out = append(out[:5], "...")
	}
	return out
}

func TestUploadLargeFolder(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := context.Background()
		c, rec := newClient(t, h.URL, h.Alice)
		dir := t.TempDir()
		files := largeFixture(t, dir, 180, 3, 70_000)
		writeTree(t, dir, map[string]string{".cache/huggingface/upload/stray.txt": "never uploaded", ".git/HEAD": "no"})
		r := hub.Repo{ID: "alice/large", Type: hub.Dataset}
		var report bytes.Buffer
		err := c.UploadLargeFolder(ctx, r, dir, &hub.LargeFolderOptions{PathInRepo: "data", NumWorkers: 3, Report: &report})
		ok(t, err)
		n := checkLarge(t, c, r, "data/", files)
		if n < 2 || n > 6 {
			t.Errorf("%d commits for 183 files, want a few", n)
		}
		// The local state is in huggingface_hub's format.
		for _, name := range []string{".gitignore", "CACHEDIR.TAG", "upload/shards/s00.bin.metadata", "upload/part-00/f0000.txt.metadata"} {
			if _, err := os.Stat(filepath.Join(dir, ".cache", "huggingface", name)); err != nil {
				t.Error(err)
			}
		}
		md, err := os.ReadFile(filepath.Join(dir, ".cache/huggingface/upload/shards/s00.bin.metadata"))
		ok(t, err)
		lines := strings.Split(string(md), "\n")
		sum := sha256.Sum256([]byte(files["shards/s00.bin"]))
		if len(lines) != 9 || lines[1] != "70000" || lines[2] != "0" || lines[3] != hex.EncodeToString(sum[:]) || lines[4] != "lfs" || lines[6] != "1" || lines[7] != "1" {
			t.Errorf("metadata of an LFS file: %q", md)
		}
		// Report layout.
		reportRE := regexp.MustCompile(`(?m)^-{10} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\d+:\d\d:\d\d\) -{10}\n` +
			`Files:   hashed \d+/183 \([\d.]+[KMG]?/[\d.]+[KMG]?\) \| pre-uploaded: \d+/\d+ \([\d.]+[KMG]?/[\d.]+[KMG]?\)( \(\+\d+ unsure\))? \| committed: \d+/183 \([\d.]+[KMG]?/[\d.]+[KMG]?\) \| ignored: 0\n` +
			`Workers: hashing: \d+ \| get upload mode: \d+ \| pre-uploading: \d+ \| committing: \d+ \| waiting: \d+\n-{51}$`)
		if got := reportRE.FindAllString(report.String(), -1); len(got) < 2 || !strings.Contains(got[len(got)-1], "committed: 183/183 (") {
			t.Errorf("report:\n%s", report.String())
		}
		if !strings.HasPrefix(report.String(), "Found 183 candidate files to upload\n") {
			t.Errorf("report start: %q", report.String()[:40])
		}
		// A second run has nothing to do and sends no commit, no preupload.
		rec.take()
		ok(t, c.UploadLargeFolder(ctx, r, dir, &hub.LargeFolderOptions{PathInRepo: "data"}))
		reqs := rec.take()
		if count(reqs, "/commit/") != 0 || count(reqs, "/preupload/") != 0 || count(reqs, "lfs") != 0 {
			t.Errorf("second run sent %v", reqs)
		}
		// A file changed after it was committed is hashed and committed again.
		time.Sleep(10 * time.Millisecond)
		writeTree(t, dir, map[string]string{"part-00/f0000.txt": "changed\n"})
		ok(t, c.UploadLargeFolder(ctx, r, dir, &hub.LargeFolderOptions{PathInRepo: "data"}))
		equals(t, "changed file", string(download(t, c, r, "", "data/part-00/f0000.txt")), "changed\n")
		equals(t, "commits of the third run", count(rec.take(), "/commit/"), 1)
	})
}

func TestUploadLargeFolderNeedsRepoType(t *testing.T) {
	c, err := hub.New(&hub.Options{Endpoint: "http://127.0.0.1:1", Token: "x"})
	ok(t, err)
	err = c.UploadLargeFolder(t.Context(), hub.Repo{ID: "alice/x"}, t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "explicit repo type") {
		t.Fatalf("err = %v", err)
	}
}

// TestUploadLargeFolderResume interrupts uploads at random moments and
// resumes them: in the end every file is committed exactly once.
func TestUploadLargeFolderResume(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := context.Background()
		c, _ := newClient(t, h.URL, h.Alice)
		r := hub.Repo{ID: "alice/resume", Type: hub.Model}
		_, err := c.CreateRepo(ctx, r, &hub.CreateRepoOptions{LFSMultipartThreshold: 64 << 10})
		ok(t, err)
		dir := t.TempDir()
		files := largeFixture(t, dir, 400, 6, 200_000)
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
		interrupted := 0
		for i := range 12 {
			cctx, cancel := context.WithCancel(ctx)
			errc := make(chan error, 1)
			go func() { errc <- c.UploadLargeFolder(cctx, r, dir, &hub.LargeFolderOptions{NumWorkers: 1 + i%4}) }()
			after := time.Duration(rng.IntN(400)) * time.Millisecond
			select {
			case err = <-errc:
			case <-time.After(after):
				cancel()
				err = <-errc
				if err != nil {
					interrupted++
				}
			}
			cancel()
			if err == nil {
				break
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("run %d: %v", i, err)
			}
		}
		t.Logf("%d interrupted runs", interrupted)
		ok(t, c.UploadLargeFolder(ctx, r, dir, &hub.LargeFolderOptions{NumWorkers: 2}))
		n := checkLarge(t, c, r, "", files)
		t.Logf("%d commits", n)
	})
}

// TestUploadLargeFolderPermanentError: a read-only token gets 403 answers,
// which stop the upload at once with the Hub's message.
func TestUploadLargeFolderPermanentError(t *testing.T) {
	h := servertest.New(t, sqltest.SQLite)
	ctx := context.Background()
	alice, _ := newClient(t, h.URL, h.Alice)
	r := hub.Repo{ID: "alice/ro", Type: hub.Model}
	_, err := alice.CreateRepo(ctx, r, nil)
	ok(t, err)
	dir := t.TempDir()
	largeFixture(t, dir, 30, 1, 5000)
	// Default retry delays: a retried 403 would take seconds.
	carol, err := hub.New(&hub.Options{Endpoint: h.URL, Token: h.Carol})
	ok(t, err)
	start := time.Now()
	err = carol.UploadLargeFolder(ctx, r, dir, &hub.LargeFolderOptions{NumWorkers: 2})
	if !errors.Is(err, hub.ErrForbidden) {
		t.Fatalf("err = %v, want 403", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v to give up", time.Since(start))
	}
	t.Log(err)
	// A missing repo that cannot be created: 404/403 at once too.
	err = carol.UploadLargeFolder(ctx, hub.Repo{ID: "alice/missing", Type: hub.Model}, dir, nil)
	if err == nil {
		t.Fatal("no error for a repo carol cannot create")
	}
}

// TestUploadLargeFolderTransient: 503 answers are retried; a Hub that
// keeps failing makes the run give up instead of retrying forever.
func TestUploadLargeFolderTransient(t *testing.T) {
	var mu sync.Mutex
	failing := 0 // commit requests still to fail
	h := newLocalHub(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			fail := strings.Contains(r.URL.Path, "/commit/") && failing != 0
			if fail && failing > 0 {
				failing--
			}
			mu.Unlock()
			if fail {
				http.Error(w, "try later", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	ctx := context.Background()
	c, rec := newClient(t, h.URL, h.Alice)
	r := hub.Repo{ID: "alice/flaky", Type: hub.Model}
	dir := t.TempDir()
	files := largeFixture(t, dir, 40, 1, 5000)
	mu.Lock()
	failing = 5 // commit requests are not retried by the client: the task is
	mu.Unlock()
	ok(t, c.UploadLargeFolder(ctx, r, dir, nil))
	checkLarge(t, c, r, "", files)
	rec.take()

	mu.Lock()
	failing = -1 // for ever
	mu.Unlock()
	writeTree(t, dir, map[string]string{"new.txt": "new\n"})
	start := time.Now()
	err := c.UploadLargeFolder(ctx, r, dir, nil)
	if err == nil || !strings.Contains(err.Error(), "giving up after 8 failures in a row") || !strings.Contains(err.Error(), "503") {
		t.Fatalf("err = %v", err)
	}
	t.Logf("gave up after %v and %d commit requests: %v", time.Since(start), count(rec.take(), "/commit/"), err)
}

// TestUploadLargeFolderBadPath: a file the Hub cannot take is left out
// and reported; the others are committed.
func TestUploadLargeFolderBadPath(t *testing.T) {
	h := servertest.New(t, sqltest.SQLite)
	c, _ := newClient(t, h.URL, h.Alice)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"ok.txt": "fine\n", ".cache/other/x.txt": "a .cache folder cannot be uploaded\n"})
	r := hub.Repo{ID: "alice/badpath", Type: hub.Model}
	err := c.UploadLargeFolder(t.Context(), r, dir, nil)
	if err == nil || !strings.Contains(err.Error(), "1 file could not be uploaded") || !strings.Contains(err.Error(), ".cache/other/x.txt") {
		t.Fatalf("err = %v", err)
	}
	equals(t, "files", strings.Join(sortedFiles(t, c, r, ""), ","), ".gitattributes,ok.txt")
}

// TestLargeFolderMetadataFormats: metadata written by huggingface_hub 0.2x
// (7 lines) and 1.x (8 lines) is read and trusted.
func TestLargeFolderMetadataFormats(t *testing.T) {
	h := servertest.New(t, sqltest.SQLite)
	ctx := context.Background()
	c, rec := newClient(t, h.URL, h.Alice)
	r := hub.Repo{ID: "alice/formats", Type: hub.Model}
	dir := t.TempDir()
	files := map[string]string{"old.txt": "from 0.26\n", "new.txt": "from 1.x\n", "plain.txt": "no metadata\n"}
	writeTree(t, dir, files)
	time.Sleep(20 * time.Millisecond)
	sha := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	ts := strconv.FormatFloat(float64(time.Now().UnixNano())/1e9, 'f', -1, 64)
	writeTree(t, dir, map[string]string{
		// 0.26: hashed, upload mode known, not committed: goes to commit.
		".cache/huggingface/upload/old.txt.metadata": ts + "\n10\n0\n" + sha(files["old.txt"]) + "\nregular\n0\n0\n",
		// 1.x: says committed, so it is skipped (this test's Hub does not have it).
		".cache/huggingface/upload/new.txt.metadata": ts + "\n9\n0\n" + sha(files["new.txt"]) + "\nregular\n\n0\n1\n",
	})
	ok(t, c.UploadLargeFolder(ctx, r, dir, nil))
	equals(t, "files", strings.Join(sortedFiles(t, c, r, ""), ","), ".gitattributes,old.txt,plain.txt")
	reqs := rec.take()
	equals(t, "commits", count(reqs, "/commit/"), 1)
	// Both are now in the 8-line format, committed.
	for _, name := range []string{"old.txt", "plain.txt"} {
		b, err := os.ReadFile(filepath.Join(dir, ".cache/huggingface/upload", name+".metadata"))
		ok(t, err)
		l := strings.Split(string(b), "\n")
		if len(l) != 9 || l[4] != "regular" || l[6] != "0" || l[7] != "1" {
			t.Errorf("%s metadata: %q", name, b)
		}
	}
	// Corrupted metadata is dropped and the file uploaded again (the Hub
	// has it: no commit). Metadata older than the file is ignored too.
	writeTree(t, dir, map[string]string{".cache/huggingface/upload/plain.txt.metadata": "garbage\n"})
	ok(t, c.UploadLargeFolder(ctx, r, dir, nil))
	equals(t, "commits after corrupt metadata", count(rec.take(), "/commit/"), 0)
	b, err := os.ReadFile(filepath.Join(dir, ".cache/huggingface/upload/plain.txt.metadata"))
	ok(t, err)
	if !strings.HasSuffix(string(b), "\n0\n1\n") {
		t.Errorf("metadata after recovery: %q", b)
	}
	// LFS content uploaded more than 20 hours ago and never committed is
	// uploaded again (the Hub has dropped it by now).
	writeTree(t, dir, map[string]string{"big.bin": "\x00binary"})
	old := time.Now().Add(-21 * time.Hour)
	ok(t, os.Chtimes(filepath.Join(dir, "big.bin"), old, old))
	oldTS := strconv.FormatFloat(float64(old.Add(time.Second).UnixNano())/1e9, 'f', -1, 64)
	writeTree(t, dir, map[string]string{".cache/huggingface/upload/big.bin.metadata": oldTS + "\n7\n0\n" + sha("\x00binary") + "\nlfs\n\n1\n0\n"})
	plan, err := hub.PlanLargeFolder(dir, nil)
	ok(t, err)
	equals(t, "stage after 20 h", plan[0].Path+":"+plan[0].Stage, "big.bin:upload")
	os.Remove(filepath.Join(dir, "big.bin"))
	// Dry run: what the metadata says.
	plan, err = hub.PlanLargeFolder(dir, &hub.LargeFolderOptions{PathInRepo: "x"})
	ok(t, err)
	var got []string
	for _, f := range plan {
		got = append(got, f.Path+":"+f.Stage)
	}
	equals(t, "plan", strings.Join(got, ","), "x/new.txt:committed,x/old.txt:committed,x/plain.txt:committed")
}
