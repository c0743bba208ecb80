package hub_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wharfhub/wharf/hub"
	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
)

func TestPlanMultiCommits(t *testing.T) {
	add := func(p string, n int) hub.Operation { return hub.Add(p, hub.FromBytes(make([]byte, n))) }
	var ops []hub.Operation
	for i := range 120 {
		ops = append(ops, add(fmt.Sprintf("f%03d", i), 10))
	}
	for i := range 60 {
		ops = append(ops, hub.Delete(fmt.Sprintf("old%02d", i)))
	}
	sizes := func(steps [][]hub.Operation) string {
		var s []string
		for _, st := range steps {
			kind := "add"
			if _, ok := st[0].(*hub.DeleteOp); ok {
				kind = "del"
			}
			s = append(s, fmt.Sprintf("%s%d", kind, len(st)))
		}
		return strings.Join(s, ",")
	}
	equals(t, "default limits", sizes(hub.PlanMultiCommits(ops, 0, 0)), "del50,del10,add50,add50,add20")
	// Bytes: additions group while under the limit; a file as large as
	// the limit goes alone.
	ops = []hub.Operation{add("a", 40), add("b", 40), add("c", 40), add("huge", 100), add("d", 10), hub.Delete("x")}
	steps := hub.PlanMultiCommits(ops, 50, 100)
	equals(t, "byte limits", sizes(steps), "del1,add2,add1,add2")
	equals(t, "huge alone", steps[2][0].(*hub.AddOp).PathInRepo, "huge")
	equals(t, "after huge", steps[3][0].(*hub.AddOp).PathInRepo+steps[3][1].(*hub.AddOp).PathInRepo, "cd")
}

// failingTransport fails the commit requests to a pull request from the
// (n+1)th on, as a connection cut would.
type failingTransport struct {
	n     int64
	count atomic.Int64
	next  http.RoundTripper
}

func (f *failingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && strings.Contains(req.URL.Path, "/commit/refs%2Fpr%2F") || strings.Contains(req.URL.RawPath, "/commit/refs%2Fpr%2F") {
		if f.count.Add(1) > f.n {
			return nil, errors.New("connection cut by the test")
		}
	}
	return f.next.RoundTrip(req)
}

func TestUploadFolderMultiCommits(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := context.Background()
		c, rec := newClient(t, h.URL, h.Alice)
		r := hub.Repo{ID: "alice/multi", Type: hub.Dataset}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		_, err = c.CreateCommit(ctx, r, []hub.Operation{
			hub.Add("data/old1.txt", hub.FromBytes([]byte("old"))), hub.Add("data/old2.txt", hub.FromBytes([]byte("old"))),
			hub.Add("keep.md", hub.FromBytes([]byte("keep"))),
		}, &hub.CommitOptions{Message: "seed"})
		ok(t, err)
		dir := t.TempDir()
		files := map[string]string{}
		for i := range 130 {
			files[fmt.Sprintf("f%03d.txt", i)] = fmt.Sprintf("file %d\n", i)
		}
		files["w.bin"] = string(randomBytes(5, 50_000))
		writeTree(t, dir, files)
		opts := &hub.UploadFolderOptions{
			CommitOptions: hub.CommitOptions{Message: "Add many files", Description: "in steps"},
			PathInRepo:    "data", DeletePatterns: []string{"old*"}, MultiCommits: true,
		}
		// 1. Interrupted after two steps.
		cut := &failingTransport{n: 2, next: http.DefaultTransport}
		cc, err := hub.New(&hub.Options{Endpoint: h.URL, Token: h.Alice, HTTPClient: &http.Client{Transport: cut}, MaxRetries: -1})
		ok(t, err)
		_, err = cc.UploadFolder(ctx, r, dir, opts)
		if err == nil || !strings.Contains(err.Error(), "connection cut by the test") {
			t.Fatalf("interrupted upload: %v", err)
		}
		prs, err := c.ListDiscussions(ctx, r, &hub.ListDiscussionsOptions{Type: "pull_request"})
		ok(t, err)
		if len(prs) != 1 || prs[0].Status != "draft" || !strings.HasPrefix(prs[0].Title, "[WIP] Add many files (multi-commit ") {
			t.Fatalf("pull requests after the interruption: %+v", prs)
		}
		equals(t, "commits on the PR", historyLen(t, c, r, prs[0].GitReference)-historyLen(t, c, r, ""), 2)

		// 2. Resumed: the same PR gets the 2 missing steps (1 deletion
		// step, 3 addition steps in all), then is merged.
		rec.take()
		ci, err := c.UploadFolder(ctx, r, dir, opts)
		ok(t, err)
		reqs := rec.take()
		equals(t, "commits pushed on resume", count(reqs, "/commit/refs%2Fpr%2F"), 2)
		equals(t, "PR", ci.PRNum, prs[0].Num)
		if ci.OID == "" || ci.URL != c.URL(r)+"/commit/"+ci.OID {
			t.Errorf("result: %+v", ci)
		}
		d, err := c.GetDiscussion(ctx, r, ci.PRNum)
		ok(t, err)
		equals(t, "status", d.Status, "merged")
		equals(t, "title", d.Title, "Add many files")
		var first string
		for _, ev := range d.Events {
			if ev.Type == "comment" {
				first = ev.Content()
				break
			}
		}
		if strings.Count(first, "- [x] ") != 4 || strings.Contains(first, "- [ ] ") {
			t.Errorf("first comment not updated: %q", first)
		}
		// The merged result is the folder.
		want := []string{".gitattributes", "keep.md"}
		for p := range files {
			want = append(want, "data/"+p)
		}
		got := sortedFiles(t, c, r, "")
		if strings.Join(got, ",") != strings.Join(sortedStrings(want), ",") {
			t.Errorf("files after merge: %v", got)
		}
		equals(t, "binary", string(download(t, c, r, "", "data/w.bin")), files["w.bin"])
		equals(t, "text", string(download(t, c, r, "", "data/f042.txt")), "file 42\n")

		// 3. Again: nothing changes, the PR is closed, not merged.
		ci, err = c.UploadFolder(ctx, r, dir, &hub.UploadFolderOptions{CommitOptions: hub.CommitOptions{Message: "Again"}, PathInRepo: "data", MultiCommits: true})
		ok(t, err)
		d, err = c.GetDiscussion(ctx, r, ci.PRNum)
		ok(t, err)
		if !ci.Skipped || d.Status != "closed" {
			t.Errorf("no-op multi-commit: %+v, status %s", ci, d.Status)
		}

		// 4. CreatePR leaves the pull request open.
		writeTree(t, dir, map[string]string{"new.txt": "new\n"})
		head := historyLen(t, c, r, "")
		ci, err = c.UploadFolder(ctx, r, dir, &hub.UploadFolderOptions{
			CommitOptions: hub.CommitOptions{Message: "Review me", CreatePR: true}, PathInRepo: "data", MultiCommits: true,
		})
		ok(t, err)
		d, err = c.GetDiscussion(ctx, r, ci.PRNum)
		ok(t, err)
		equals(t, "CreatePR status", d.Status+" "+d.Title, "open Review me")
		equals(t, "main untouched", historyLen(t, c, r, ""), head)
		equals(t, "new file on the PR", string(download(t, c, r, ci.PRRevision, "data/new.txt")), "new\n")

		// Multi-commit is for main only.
		_, err = c.UploadFolder(ctx, r, dir, &hub.UploadFolderOptions{CommitOptions: hub.CommitOptions{Revision: "dev"}, MultiCommits: true})
		if err == nil {
			t.Error("multi-commit to a branch accepted")
		}
	})
}

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestDiscussionsAPI(t *testing.T) {
	h := servertest.New(t, sqltest.SQLite)
	ctx := context.Background()
	c, _ := newClient(t, h.URL, h.Alice)
	bob, _ := newClient(t, h.URL, h.Bob)
	r := hub.Repo{ID: "alice/talk"}
	_, err := c.CreateRepo(ctx, r, nil)
	ok(t, err)
	d, err := c.CreateDiscussion(ctx, r, "Question", "How?", false)
	ok(t, err)
	equals(t, "discussion", fmt.Sprintf("%d %v %s %q %s", d.Num, d.IsPullRequest, d.Status, d.GitReference, d.Author.Name), `1 false open "" alice`)
	pr, err := bob.CreatePullRequest(ctx, r, "Fix", "")
	ok(t, err)
	equals(t, "pr", fmt.Sprintf("%d %s %s %s", pr.Num, pr.Status, pr.GitReference, pr.Changes.Base), "2 draft refs/pr/2 refs/heads/main")
	ev, err := c.CommentDiscussion(ctx, r, 1, "Like this")
	ok(t, err)
	equals(t, "comment", ev.Content(), "Like this")
	ev, err = c.EditDiscussionComment(ctx, r, 1, ev.ID, "Like that")
	ok(t, err)
	equals(t, "edited", ev.Content(), "Like that")
	if _, err := bob.EditDiscussionComment(ctx, r, 1, ev.ID, "hijacked"); !errors.Is(err, hub.ErrForbidden) {
		t.Errorf("bob edits alice's comment: %v", err)
	}
	_, err = c.RenameDiscussion(ctx, r, 1, "Better question")
	ok(t, err)
	_, err = c.ChangeDiscussionStatus(ctx, r, 1, "closed", "answered")
	ok(t, err)
	list, err := c.ListDiscussions(ctx, r, &hub.ListDiscussionsOptions{Status: "closed"})
	ok(t, err)
	if len(list) != 1 || list[0].Title != "Better question" {
		t.Errorf("closed discussions: %+v", list)
	}
	_, err = c.MergePullRequest(ctx, r, 2, "")
	if !errors.Is(err, hub.ErrBadRequest) {
		t.Errorf("merge of an empty PR: %v", err)
	}
	_, err = bob.UploadFile(ctx, r, "fix.txt", hub.FromBytes([]byte("fix")), &hub.CommitOptions{Revision: pr.GitReference})
	ok(t, err)
	oid, err := c.MergePullRequest(ctx, r, 2, "thanks")
	ok(t, err)
	info, err := c.RepoInfo(ctx, r, nil)
	ok(t, err)
	equals(t, "merge commit", oid, info.SHA)
}
