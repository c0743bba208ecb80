package main

// The go column's rows for pull requests (the discussions API), scheduled
// commits (CommitScheduler, `wharf upload --every`) and resumable large
// uploads (UploadLargeFolder, `wharf upload-large-folder`), registered in
// sdk.go in the order of the Python rows. As in sdk.go, every upload is
// downloaded back and compared byte for byte.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wharfhub/wharf/hub"
)

// --------------------------------------------------------------------------
// helpers of these rows

// waitFor polls cond until it holds, failing the scenario after timeout.
func waitFor(what string, timeout time.Duration, cond func() bool) {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			failf("%s: still not the case after %v", what, timeout)
		}
		select {
		case <-ctx.Done():
			failf("%s: %v", what, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// remoteIs reports whether path of r at main has this content now (false
// when it cannot be read yet).
func remoteIs(r hub.Repo, path string, want []byte) bool {
	var buf bytes.Buffer
	if _, err := api.Download(ctx, r, path, &buf, nil); err != nil {
		return false
	}
	return bytes.Equal(buf.Bytes(), want)
}

func appendTo(p string, data []byte) {
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	ok(err, "open for append")
	_, err = f.Write(data)
	ok(errors.Join(err, f.Close()), "append to "+filepath.Base(p))
}

// countTitle counts the commits of main titled title.
func countTitle(r hub.Repo, title string) int {
	n := 0
	for _, t := range titles(r, "") {
		if t == title {
			n++
		}
	}
	return n
}

// treeFiles maps the files of r at revision to their blob ids.
func treeFiles(r hub.Repo, revision string) map[string]string {
	entries, err := api.ListRepoTree(ctx, r, &hub.ListTreeOptions{Recursive: true, Revision: revision})
	ok(err, "list tree at "+revOr(revision))
	out := map[string]string{}
	for _, e := range entries {
		if !e.IsDir() {
			out[e.Path] = e.OID
		}
	}
	return out
}

// committedOnce checks the history of main: no commit leaves the tree
// unchanged, and each file is added or changed by exactly one commit
// (nothing was committed twice across interrupted and resumed runs). It
// returns the number of commits.
func committedOnce(r hub.Repo) int {
	commits := must(api.ListCommits(ctx, r, ""))
	prev := map[string]string{}
	changes := map[string]int{}
	for i := len(commits) - 1; i >= 0; i-- {
		c := commits[i]
		cur := treeFiles(r, c.ID)
		check(!maps.Equal(cur, prev), "commit %s (%q) changes nothing", c.ID[:12], c.Title)
		for p, oid := range cur {
			if prev[p] != oid {
				changes[p]++
			}
		}
		prev = cur
	}
	for p, n := range changes {
		check(n == 1, "%s was committed %d times", p, n)
	}
	return len(commits)
}

// tripwire is a transport (in front of the recorder) that counts the LFS
// uploads the server accepted and calls fire once, when the answer to a
// commit arrives, while armed.
type tripwire struct {
	mu      sync.Mutex
	fire    func()
	lfsPuts map[string]int // path of an accepted LFS upload -> times
	commits int
}

func (t *tripwire) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := rec.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	ok2xx := resp.StatusCode/100 == 2
	if ok2xx && (req.Method == http.MethodPut && !strings.HasPrefix(req.URL.Path, "/api/") ||
		req.Method == http.MethodPost && strings.Contains(req.URL.Path, "/v1/xorbs/")) {
		if t.lfsPuts == nil {
			t.lfsPuts = map[string]int{}
		}
		t.lfsPuts[req.URL.Path]++
	}
	if ok2xx && isCommitPost(req) {
		t.commits++
		if t.fire != nil {
			// The commit is made; its answer may be lost to the
			// cancellation: the next run must find out by itself.
			t.fire()
			t.fire = nil
		}
	}
	return resp, nil
}

func (t *tripwire) counts() (puts, commits int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for p, n := range t.lfsPuts {
		check(n == 1, "LFS content uploaded %d times (PUT %s)", n, p)
		puts += n
	}
	return puts, t.commits
}

func isCommitPost(req *http.Request) bool {
	return req.Method == http.MethodPost && strings.HasPrefix(req.URL.Path, "/api/") && strings.Contains(req.URL.Path, "/commit/")
}

// killedAtCommit runs the wharf CLI (alice's token) through a proxy of the
// server that SIGKILLs it when the answer to its first commit arrives,
// before passing it on: the commit is made, the CLI never learns it. It
// returns whether the CLI was killed so.
func killedAtCommit(dir string, args ...string) bool {
	target, err := url.Parse(E)
	ok(err, "endpoint URL")
	var mu sync.Mutex
	var proc *os.Process
	killed := false
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorLog = log.New(io.Discard, "", 0)
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.StatusCode/100 != 2 || !isCommitPost(resp.Request) {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		if !killed && proc != nil {
			killed = proc.Kill() == nil
		}
		return errors.New("killed at its first commit")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ok(err, "listen")
	srv := &http.Server{Handler: rp}
	go srv.Serve(ln)
	defer srv.Close()
	cmd := exec.CommandContext(ctx, wharfBin, append(args, "--endpoint", "http://"+ln.Addr().String(), "--token", tokAlice)...)
	cmd.Dir = dir
	mu.Lock()
	err = cmd.Start()
	if err == nil {
		proc = cmd.Process
	}
	mu.Unlock()
	ok(err, "start wharf")
	cmd.Wait()
	mu.Lock()
	defer mu.Unlock()
	return killed
}

func discussionNums(ds []hub.Discussion) []int {
	out := []int{}
	for _, d := range ds {
		out = append(out, d.Num)
	}
	return out
}

// events summarizes the timeline of a discussion: "TYPE AUTHOR: what".
func events(d *hub.DiscussionDetails) []string {
	var out []string
	for _, ev := range d.Events {
		var data struct{ Subject, Status string }
		json.Unmarshal(ev.Data, &data)
		what := ev.Content() + data.Subject + data.Status
		out = append(out, ev.Type+" "+ev.Author.Name+": "+what)
	}
	return out
}

// --------------------------------------------------------------------------
// pr_merge

func prMerge() {
	r := repoOf("pr-merge", hub.Model)
	must(api.CreateRepo(ctx, r, nil))
	must(api.UploadFile(ctx, r, "base.txt", hub.FromBytes([]byte("base\n")), nil))
	// a PR opened by a commit, then more commits to it
	pr := must(api.UploadFile(ctx, r, "feature.txt", hub.FromBytes([]byte("feature\n")),
		&hub.CommitOptions{Message: "add feature", CreatePR: true}))
	check(pr.PRNum > 0, "no PR opened: %+v", pr)
	weights := rand(200_000, "pr-merge")
	must(api.CreateCommit(ctx, r, []hub.Operation{
		hub.Add("weights.bin", hub.FromBytes(weights)),
		hub.Add("feature.txt", hub.FromBytes([]byte("feature v2\n"))),
	}, &hub.CommitOptions{Message: "more on the PR", Revision: pr.PRRevision}))
	// main moves on meanwhile, without conflict
	must(api.UploadFile(ctx, r, "main-only.txt", hub.FromBytes([]byte("main moved on\n")), nil))
	ev := must(api.CommentDiscussion(ctx, r, pr.PRNum, "looks good"))
	eq(ev.Type, "comment", "CommentDiscussion event type")
	eq(ev.Content(), "looks good", "CommentDiscussion event content")
	must(bob.CommentDiscussion(ctx, r, pr.PRNum, "+1 from bob"))
	question := must(api.CreateDiscussion(ctx, r, "a question", "why?", false))
	eq(question.IsPullRequest, false, "a discussion is not a PR")
	eq(question.GitReference, "", "GitReference of a discussion")
	eq(discussionNums(must(api.ListDiscussions(ctx, r, &hub.ListDiscussionsOptions{Type: "pull_request"}))), []int{pr.PRNum}, "ListDiscussions(pull_request)")
	eq(discussionNums(must(api.ListDiscussions(ctx, r, nil))), []int{question.Num, pr.PRNum}, "ListDiscussions, newest first")
	d := must(api.GetDiscussion(ctx, r, pr.PRNum))
	eq([]any{d.Status, d.IsPullRequest, d.GitReference, d.Title, d.Author.Name}, []any{"open", true, pr.PRRevision, "add feature", "alice"}, "PR details")
	eq(d.URL, pr.PRURL, "PR URL")
	check(d.Changes != nil && d.Changes.Base == "refs/heads/main", "PR changes %+v", d.Changes)
	eq(events(d), []string{"commit alice: add feature", "commit alice: more on the PR", "comment alice: looks good", "comment bob: +1 from bob"}, "PR events")
	// only a maintainer merges
	_, err := bob.MergePullRequest(ctx, r, pr.PRNum, "")
	wantErr(err, hub.ErrForbidden, 403, "bob merges alice's PR")
	mergeID := must(api.MergePullRequest(ctx, r, pr.PRNum, "merging"))
	main := head(r, "")
	if mergeID != "" {
		eq(mergeID, main, "MergePullRequest returns the head of main")
	}
	d = must(api.GetDiscussion(ctx, r, pr.PRNum))
	eq(d.Status, "merged", "PR status after the merge")
	eq(events(d)[4:], []string{"comment alice: merging", "status-change alice: merged"}, "PR events of the merge")
	check(d.Changes != nil && d.Changes.MergeCommitID == main, "PR changes after the merge: %+v (head %s)", d.Changes, main)
	_, err = api.MergePullRequest(ctx, r, pr.PRNum, "")
	wantErr(err, hub.ErrConflict, 409, "merge a merged PR")
	files := map[string][]byte{
		"base.txt": []byte("base\n"), "feature.txt": []byte("feature v2\n"), "weights.bin": weights, "main-only.txt": []byte("main moved on\n"),
	}
	assertRemote(r, files, "")
	lfsTreeCheck(r, "weights.bin", weights)
	// a draft PR opened by the API: nothing to merge until it has a commit
	draft := must(api.CreatePullRequest(ctx, r, "draft PR", ""))
	eq([]any{draft.Status, draft.IsPullRequest, draft.GitReference}, []any{"draft", true, fmt.Sprintf("refs/pr/%d", draft.Num)}, "CreatePullRequest")
	_, err = api.MergePullRequest(ctx, r, draft.Num, "")
	wantErr(err, hub.ErrBadRequest, 400, "merge a PR without changes")
	must(api.UploadFile(ctx, r, "from-draft.txt", hub.FromBytes([]byte("draft\n")), &hub.CommitOptions{Revision: draft.GitReference}))
	files["from-draft.txt"] = []byte("draft\n")
	assertRemote(r, files, draft.GitReference)
	must(api.ChangeDiscussionStatus(ctx, r, draft.Num, "open", "ready"))
	eq(must(api.GetDiscussion(ctx, r, draft.Num)).Status, "open", "status of the draft after ChangeDiscussionStatus(open)")
	must(api.MergePullRequest(ctx, r, draft.Num, ""))
	assertRemote(r, files, "")
	// close the discussion; the status filters
	must(api.ChangeDiscussionStatus(ctx, r, question.Num, "closed", "answered"))
	eq(must(api.GetDiscussion(ctx, r, question.Num)).Status, "closed", "closed discussion")
	closed := discussionNums(must(api.ListDiscussions(ctx, r, &hub.ListDiscussionsOptions{Status: "closed"})))
	slices.Sort(closed)
	eq(closed, []int{pr.PRNum, question.Num, draft.Num}, "ListDiscussions(closed) (merged included)")
	eq(discussionNums(must(api.ListDiscussions(ctx, r, &hub.ListDiscussionsOptions{Status: "open"}))), []int{}, "ListDiscussions(open)")
}

// --------------------------------------------------------------------------
// commit_scheduler

func commitScheduler() {
	const every = 500 * time.Millisecond
	r := repoOf("scheduler", hub.Dataset)
	folder := tmpdir("sched")
	big := rand(300_000, "sched")
	line := func(i int) []byte { return fmt.Appendf(nil, "{\"a\": %d}\n", i) }
	lines := func(n int) []byte {
		var b []byte
		for i := 1; i <= n; i++ {
			b = append(b, line(i)...)
		}
		return b
	}
	write(folder, map[string][]byte{"data/a.jsonl": line(1), "big.bin": big})
	jsonl := filepath.Join(folder, "data/a.jsonl")
	s := must(hub.NewCommitScheduler(ctx, api, r, folder, &hub.CommitSchedulerOptions{Every: every, PathInRepo: "logs", Private: ptr(true)}))
	running := []*hub.CommitScheduler{s}
	defer func() { // on failure
		for _, s := range running {
			c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			s.Stop(c)
			cancel()
		}
	}()
	// The constructor's first push runs in the background; a push queued
	// now runs after it.
	must(s.Trigger().Wait())
	eq(must(api.RepoInfo(ctx, r, nil)).Private, true, "the scheduler's repo is private")
	assertRemote(r, map[string][]byte{"logs/data/a.jsonl": line(1), "logs/big.bin": big}, "")
	lfsTreeCheck(r, "logs/big.bin", big)
	eq(countTitle(r, hub.ScheduledCommitMessage), 1, "scheduled commits after the first push")
	// an append arrives with a tick
	s.Lock()
	appendTo(jsonl, line(2))
	s.Unlock()
	waitFor("the append pushed by a tick", time.Minute, func() bool { return remoteIs(r, "logs/data/a.jsonl", lines(2)) })
	eq(countTitle(r, hub.ScheduledCommitMessage), 2, "scheduled commits after an append")
	// ticks without changes commit nothing
	h := head(r, "")
	time.Sleep(4 * every)
	eq(head(r, ""), h, "head after ticks without changes")
	// Stop pushes what is left (both writes under one lock: one push)
	s.Lock()
	appendTo(jsonl, line(3))
	write(folder, map[string][]byte{"data/b.jsonl": []byte("{\"b\": 1}\n")})
	s.Unlock()
	ok(s.Stop(ctx), "Stop")
	running = nil
	want := map[string][]byte{"logs/data/a.jsonl": lines(3), "logs/data/b.jsonl": []byte("{\"b\": 1}\n"), "logs/big.bin": big}
	assertRemote(r, want, "")
	eq(countTitle(r, hub.ScheduledCommitMessage), 3, "scheduled commits after Stop")
	// pushes after Stop do nothing; Stop again is a no-op
	h = head(r, "")
	appendTo(jsonl, line(4))
	ci, err := s.Trigger().Wait()
	check(ci == nil && err == nil, "Trigger after Stop: %+v, %v", ci, err)
	ok(s.Stop(ctx), "second Stop")
	eq(head(r, ""), h, "head after a Trigger after Stop")
	// a new scheduler (interval 1h) on the same folder: its first push
	// commits only the changed file; its Stop pushes the last append
	s2 := must(hub.NewCommitScheduler(ctx, api, r, folder, &hub.CommitSchedulerOptions{Every: time.Hour, PathInRepo: "logs"}))
	running = []*hub.CommitScheduler{s2}
	must(s2.Trigger().Wait())
	before, after := treeFiles(r, h), treeFiles(r, "")
	var changed []string
	for p, oid := range after {
		if before[p] != oid {
			changed = append(changed, p)
		}
	}
	eq(changed, []string{"logs/data/a.jsonl"}, "files changed by a new scheduler's first push")
	s2.Lock()
	appendTo(jsonl, line(5))
	s2.Unlock()
	ok(s2.Stop(ctx), "Stop of the second scheduler")
	running = nil
	want["logs/data/a.jsonl"] = lines(5)
	assertRemote(r, want, "")
	eq(countTitle(r, hub.ScheduledCommitMessage), 5, "scheduled commits at the end")
	eq(len(titles(r, "")), 6, "commits at the end (initial + scheduled)")

	// the CLI: wharf upload --every MINUTES until Ctrl-C
	rc := repoOf("scheduler-cli", hub.Dataset)
	cwd := tmpdir("schedcli")
	write(cwd, map[string][]byte{"logs/log.jsonl": line(1)})
	logf := filepath.Join(cwd, "logs/log.jsonl")
	cmd := exec.CommandContext(ctx, wharfBin, "upload", rc.ID, "./logs", "logs", "--repo-type", "dataset", "--every", "0.01", "--token", tokAlice)
	cmd.Dir = cwd
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	ok(cmd.Start(), "start wharf upload --every")
	exited := false
	defer func() {
		if !exited {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	waitFor("wharf upload --every: first push", time.Minute, func() bool { return remoteIs(rc, "logs/log.jsonl", line(1)) })
	appendTo(logf, line(2))
	waitFor("wharf upload --every: the append", time.Minute, func() bool { return remoteIs(rc, "logs/log.jsonl", lines(2)) })
	appendTo(logf, line(3))
	ok(cmd.Process.Signal(os.Interrupt), "interrupt wharf upload --every")
	err = cmd.Wait()
	exited = true
	check(err == nil, "wharf upload --every after Ctrl-C: %v: %s", err, strings.TrimSpace(errb.String()))
	check(strings.Contains(out.String(), "Scheduling commits every 0.01 minutes") && strings.Contains(out.String(), "Stopped scheduled commits."),
		"wharf upload --every printed %q", out.String())
	assertRemote(rc, map[string][]byte{"logs/log.jsonl": lines(3)}, "")
	eq(countTitle(rc, hub.ScheduledCommitMessage), 3, "scheduled commits of wharf upload --every")
}

// --------------------------------------------------------------------------
// upload_large_folder

// largeFiles writes a folder for UploadLargeFolder: nText small files in
// 4 folders and nBin LFS shards, plus a local cache file that is never
// uploaded. It returns the files expected in the repo.
func largeFiles(folder, seed string, nText, nBin int) map[string][]byte {
	files := map[string][]byte{}
	for i := range nText {
		files[fmt.Sprintf("part-%d/f%03d.txt", i%4, i)] = fmt.Appendf(nil, "text %d %s\n", i, seed)
	}
	for i := range nBin {
		files[fmt.Sprintf("shards/s%d.bin", i)] = rand(100_000+i, fmt.Sprintf("%s-%d", seed, i))
	}
	write(folder, files)
	write(folder, map[string][]byte{".cache/huggingface/skip.txt": []byte("local cache: never uploaded\n")})
	return files
}

func largeTitles(r hub.Repo) {
	ts := titles(r, "")
	for _, t := range ts[:len(ts)-1] {
		eq(t, hub.LargeFolderMessage, "title of an upload-large-folder commit")
	}
}

func uploadLargeFolder() {
	// SDK: a run cancelled right after its first commit, resumed
	r := repoOf("large-folder", hub.Model)
	folder := tmpdir("large")
	files := largeFiles(folder, "sdk", 120, 4)
	trip := &tripwire{}
	c := newClient(tokAlice, false, trip)
	runCtx, cancel := context.WithCancel(ctx)
	trip.fire = cancel
	opts := &hub.LargeFolderOptions{NumWorkers: 2}
	err := c.UploadLargeFolder(runCtx, r, folder, opts)
	cancel()
	wantErr(err, context.Canceled, 0, "UploadLargeFolder cancelled after its first commit")
	_, commits := trip.counts()
	eq(commits, 1, "commits of the cancelled run")
	plan := must(hub.PlanLargeFolder(folder, opts))
	eq(len(plan), len(files), "files planned (the local cache excluded)")
	left := 0
	for _, f := range plan {
		if f.Stage != "committed" {
			left++
		}
	}
	check(left > 0, "the cancelled run left nothing to do")
	ok(c.UploadLargeFolder(ctx, r, folder, opts), "UploadLargeFolder (resume)")
	puts, commits := trip.counts()
	// each shard sent at most once (counts checks it); fewer than 4 when
	// an upload cut by the cancellation had reached the server anyway
	check(puts >= 1 && puts <= 4, "LFS uploads (or xorbs) of 4 shards across the cancelled and the resumed run: %d", puts)
	check(commits >= 2, "commits of both runs: %d", commits)
	assertRemote(r, files, "")
	for i := range 4 {
		p := fmt.Sprintf("shards/s%d.bin", i)
		sdkTreeCheck(r, p, files[p])
	}
	n := committedOnce(r)
	eq(n, commits+1, "commits of main (initial + upload-large-folder)")
	largeTitles(r)
	for _, f := range must(hub.PlanLargeFolder(folder, opts)) {
		eq(f.Stage, "committed", "stage of "+f.Path+" after the upload")
	}
	// a second run commits (and uploads) nothing
	h := head(r, "")
	ok(c.UploadLargeFolder(ctx, r, folder, opts), "UploadLargeFolder (again)")
	eq(head(r, ""), h, "head after a second run")
	p2, c2 := trip.counts()
	eq([]int{p2, c2}, []int{puts, commits}, "LFS uploads and commits of a second run")
	// a changed file is committed again, alone
	appendTo(filepath.Join(folder, "part-1/f001.txt"), []byte("changed\n"))
	files["part-1/f001.txt"] = append(files["part-1/f001.txt"], "changed\n"...)
	ok(c.UploadLargeFolder(ctx, r, folder, opts), "UploadLargeFolder (a file changed)")
	before, after := treeFiles(r, h), treeFiles(r, "")
	var changed []string
	for p, oid := range after {
		if before[p] != oid {
			changed = append(changed, p)
		}
	}
	eq(changed, []string{"part-1/f001.txt"}, "files changed by a run after a local change")
	assertRemote(r, files, "")

	// CLI: a partial run (--include), a run killed when its first commit
	// is made (before it knows), the resumed run, then a run with nothing
	// to do
	rc := repoOf("large-folder-cli", hub.Model)
	cwd := tmpdir("largecli")
	cfolder := filepath.Join(cwd, "big")
	cfiles := largeFiles(cfolder, "cli", 80, 3)
	res := wharf(cwd, "upload-large-folder", rc.ID, "big", "--repo-type", "model", "--no-report",
		"--include", "part-0/*", "--include", "shards/s0.bin")
	check(res.code == 0, "wharf upload-large-folder --include: exit %d: %s", res.code, res.tail())
	eq(cliURL(res), webURL(rc)+"/tree/main", "printed URL")
	part := map[string][]byte{}
	for p, b := range cfiles {
		if strings.HasPrefix(p, "part-0/") || p == "shards/s0.bin" {
			part[p] = b
		}
	}
	assertRemote(rc, part, "")
	n = len(titles(rc, ""))
	check(killedAtCommit(cwd, "upload-large-folder", rc.ID, "big", "--repo-type", "model", "--no-report"),
		"wharf upload-large-folder was not killed at its first commit")
	eq(len(titles(rc, "")), n+1, "commits after the CLI was killed at its first commit")
	left = 0
	for _, f := range must(hub.PlanLargeFolder(cfolder, nil)) {
		if f.Stage != "committed" {
			left++
		}
	}
	check(left > 0, "the killed CLI left nothing to do")
	res = wharf(cwd, "upload-large-folder", rc.ID, "big", "--repo-type", "model", "--no-report", "--num-workers", "2")
	check(res.code == 0, "wharf upload-large-folder (resume): exit %d: %s", res.code, res.tail())
	assertRemote(rc, cfiles, "")
	lfsTreeCheck(rc, "shards/s2.bin", cfiles["shards/s2.bin"])
	committedOnce(rc)
	largeTitles(rc)
	h = head(rc, "")
	res = wharf(cwd, "upload-large-folder", rc.ID, "big", "--repo-type", "model")
	check(res.code == 0, "wharf upload-large-folder (again): exit %d: %s", res.code, res.tail())
	eq(head(rc, ""), h, "head after wharf upload-large-folder with nothing to do")
	check(strings.Contains(res.stdout, fmt.Sprintf("Found %d candidate files to upload", len(cfiles))), "report of a run with nothing to do: %q", res.stdout)
	res = wharf(cwd, "upload-large-folder", rc.ID, "big", "--repo-type", "model", "--dry-run")
	check(res.code == 0, "wharf upload-large-folder --dry-run: exit %d: %s", res.code, res.tail())
	check(strings.Contains(res.stdout, fmt.Sprintf(": %d already done, 0 to upload", len(cfiles))), "--dry-run after the upload: %q", res.tail())
	res = wharf(cwd, "upload-large-folder", rc.ID, "big")
	check(res.code == 2, "wharf upload-large-folder without --repo-type: exit %d, want 2: %s", res.code, res.tail())
}
