package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wharfhub/wharf/hub"
)

// TestUploadLargeFolderHelperProcess is not a test: it runs the CLI with
// the arguments in $WHARF_HELPER_ARGS when another test starts the test
// binary as a subprocess (to kill it with SIGKILL).
func TestUploadLargeFolderHelperProcess(t *testing.T) {
	raw := os.Getenv("WHARF_HELPER_ARGS")
	if raw == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		os.Exit(3)
	}
	ctx := context.Background()
	os.Exit(report(ctx, run(ctx, args, os.Stdout, os.Stderr), os.Stderr))
}

func largeTree(n int) map[string]string {
	files := map[string]string{}
	for i := range n {
		files[fmt.Sprintf("d%d/f%04d.txt", i%5, i)] = fmt.Sprintf("file %d\n", i)
	}
	for i := range 4 {
		files[fmt.Sprintf("w/%d.bin", i)] = binary(150_000 + i)
	}
	return files
}

// checkCommittedOnce checks that repo holds files (under prefix) and that
// no commit of the history leaves the tree unchanged (a file committed
// twice would). It returns the number of commits.
func checkCommittedOnce(t *testing.T, c *hub.Client, r hub.Repo, prefix string, files map[string]string) int {
	t.Helper()
	ctx := context.Background()
	got, err := c.ListRepoFiles(ctx, r, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".gitattributes"}
	for p := range files {
		want = append(want, prefix+p)
	}
	sameFiles(t, "repo files", got, want)
	commits, err := c.ListCommits(ctx, r, "")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	prev := map[string]string{}
	for i := len(commits) - 1; i >= 0; i-- {
		ents, err := c.ListRepoTree(ctx, r, &hub.ListTreeOptions{Revision: commits[i].ID, Recursive: true})
		if err != nil {
			t.Fatal(err)
		}
		cur := map[string]string{}
		changed := 0
		for _, e := range ents {
			if !e.IsDir() {
				cur[e.Path] = e.OID
				if prev[e.Path] != e.OID {
					changed++
					seen[e.Path]++
				}
			}
		}
		if changed == 0 {
			t.Errorf("commit %s %q changes nothing", commits[i].ID, commits[i].Title)
		}
		prev = cur
	}
	for p := range files {
		if seen[prefix+p] != 1 {
			t.Errorf("%s committed %d times", prefix+p, seen[prefix+p])
		}
	}
	var b bytes.Buffer
	if _, err := c.Download(ctx, r, prefix+"w/2.bin", &b, nil); err != nil || b.String() != files["w/2.bin"] {
		t.Errorf("w/2.bin: %v, %d bytes", err, b.Len())
	}
	return len(commits) - 1
}

func TestUploadLargeFolderCLI(t *testing.T) {
	h := newHub(t)
	dir := t.TempDir()
	files := largeTree(120)
	writeFiles(t, dir, files)

	// --repo-type is required.
	as(t, h, h.Alice, "upload-large-folder", "alice/big", dir).fails(t, 2, "--repo-type is required")

	// --dry-run lists the files and sends nothing.
	res := as(t, h, h.Alice, "upload-large-folder", "alice/big", dir, "--repo-type", "dataset", "--dry-run", "--path-in-repo", "data").ok(t)
	if !strings.Contains(res.stdout, "to upload  7 B     data/d0/f0000.txt") && !strings.Contains(res.stdout, "data/d0/f0000.txt") {
		t.Errorf("dry run: %s", res.stdout)
	}
	if !strings.Contains(res.stdout, "124 files") || !strings.Contains(res.stdout, "0 already done, 124 to upload") {
		t.Errorf("dry run summary: %s", res.stdout)
	}
	c, err := hub.New(&hub.Options{Endpoint: h.URL, Token: h.Alice})
	if err != nil {
		t.Fatal(err)
	}
	r := hub.Repo{ID: "alice/big", Type: hub.Dataset}
	if ok, _ := c.RepoExists(t.Context(), r); ok {
		t.Fatal("--dry-run created the repo")
	}

	res = as(t, h, h.Alice, "upload-large-folder", "alice/big", dir, "--repo-type", "dataset", "--path-in-repo", "data",
		"--num-workers", "3", "--report-every", "50ms").ok(t)
	if !strings.Contains(res.stdout, "Files:   hashed ") || !strings.Contains(res.stdout, "committed: 124/124") {
		t.Errorf("report: %s", res.stdout)
	}
	if !strings.HasSuffix(res.stdout, h.URL+"/datasets/alice/big/tree/main/data\n") {
		t.Errorf("stdout does not end with the tree URL: %q", res.stdout[max(0, len(res.stdout)-200):])
	}
	checkCommittedOnce(t, c, r, "data/", files)

	res = as(t, h, h.Alice, "upload-large-folder", "alice/big", dir, "--repo-type", "dataset", "--dry-run").ok(t)
	if !strings.Contains(res.stdout, "124 already done, 0 to upload") {
		t.Errorf("dry run after the upload: %s", res.stdout)
	}
	// --no-report prints only the URL.
	res = as(t, h, h.Alice, "upload-large-folder", "alice/big", dir, "--repo-type", "dataset", "--path-in-repo", "data", "--no-report").ok(t)
	if res.stdout != h.URL+"/datasets/alice/big/tree/main/data\n" {
		t.Errorf("--no-report stdout: %q", res.stdout)
	}
	// A read-only token: a clear error, quickly.
	start := time.Now()
	writeFiles(t, dir, map[string]string{"new.txt": "new"})
	as(t, h, h.Carol, "upload-large-folder", "alice/big", dir, "--repo-type", "dataset", "--no-report").fails(t, 1, "403 Forbidden")
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("read-only token: gave up after %v", d)
	}
}

// TestUploadLargeFolderKill9 kills wharf upload-large-folder with SIGKILL
// at random moments, then resumes: every file is committed exactly once.
func TestUploadLargeFolderKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts subprocesses")
	}
	h := newHub(t)
	dir := t.TempDir()
	files := largeTree(600)
	writeFiles(t, dir, files)
	args := []string{"upload-large-folder", "alice/killed", dir, "--repo-type", "model", "--no-report", "--num-workers", "2",
		"--endpoint", h.URL, "--token", h.Alice}
	raw, _ := json.Marshal(args)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	killed := 0
	for i := range 6 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestUploadLargeFolderHelperProcess$")
		cmd.Env = append(os.Environ(), "WHARF_HELPER_ARGS="+string(raw))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		select {
		case err = <-done:
		case <-time.After(time.Duration(150+rng.IntN(500)) * time.Millisecond):
			cmd.Process.Signal(syscall.SIGKILL)
			err = <-done
			killed++
		}
		if err == nil {
			t.Logf("run %d finished by itself", i)
			break
		}
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != -1 {
			t.Fatalf("run %d: %v: %s", i, err, out.String())
		}
	}
	t.Logf("%d runs killed with SIGKILL", killed)
	plan, err := hub.PlanLargeFolder(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	stages := map[string]int{}
	for _, f := range plan {
		stages[f.Stage]++
	}
	t.Logf("state before the last run: %v", stages)
	res := as(t, h, h.Alice, "upload-large-folder", "alice/killed", dir, "--repo-type", "model", "--no-report").ok(t)
	if res.stdout != h.URL+"/alice/killed/tree/main\n" {
		t.Errorf("stdout %q", res.stdout)
	}
	c, err := hub.New(&hub.Options{Endpoint: h.URL, Token: h.Alice})
	if err != nil {
		t.Fatal(err)
	}
	n := checkCommittedOnce(t, c, hub.Repo{ID: "alice/killed"}, "", files)
	t.Logf("%d commits for %d files", n, len(files))
}
