package server_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/wire"
)

type discussion struct {
	Num           int    `json:"num"`
	Title         string `json:"title"`
	Status        string `json:"status"`
	IsPullRequest bool   `json:"isPullRequest"`
	Author        struct {
		Name string `json:"name"`
	} `json:"author"`
	Repo struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"repo"`
	Changes *struct {
		Base          string `json:"base"`
		MergeCommitID string `json:"mergeCommitId"`
	} `json:"changes"`
	Events []struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	} `json:"events"`
}

// openPR opens a pull request on repo through the discussions endpoint, as
// the 1.20+ upload_folder pipeline does, and returns its number.
func openPR(t *testing.T, h *servertest.Hub, token, repo, title string) int {
	t.Helper()
	var d discussion
	h.JSON(t, http.MethodPost, servertest.API(repo)+"/discussions", token,
		map[string]any{"title": title, "description": "opened by a test", "pullRequest": true}, http.StatusOK, &d)
	if d.Num < 1 {
		t.Fatalf("discussion number %d", d.Num)
	}
	return d.Num
}

func getDiscussion(t *testing.T, h *servertest.Hub, token, repo string, num int) discussion {
	t.Helper()
	var d discussion
	h.JSON(t, http.MethodGet, fmt.Sprintf("%s/discussions/%d?diff=1", servertest.API(repo), num), token, nil, http.StatusOK, &d)
	return d
}

func TestPullRequestDraftCommitMerge(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		const r = "datasets/alice/d"
		h.CreateRepo(t, h.Alice, r, false)
		h.Commit(t, h.Alice, r, "main", servertest.File("keep.txt", []byte("keep")), servertest.File("old.txt", []byte("old")))
		num := openPR(t, h, h.Bob, r, "Add data")
		d := getDiscussion(t, h, h.Bob, r, num)
		if d.Status != "draft" || !d.IsPullRequest || d.Author.Name != "bob" || d.Repo.Name != "alice/d" || d.Repo.Type != "dataset" {
			t.Errorf("new PR: %+v", d)
		}
		if d.Changes == nil || d.Changes.Base != "refs/heads/main" {
			t.Errorf("changes %+v, want base refs/heads/main", d.Changes)
		}
		prRef := fmt.Sprintf("refs/pr/%d", num)
		if got, want := h.Head(t, h.Bob, r, prRef), h.Head(t, h.Bob, r, "main"); got != want {
			t.Errorf("%s starts at %s, want main's %s", prRef, got, want)
		}

		weights := []byte("\x00weights")
		oid := h.PutLFS(t, r, weights)
		c1 := h.Commit(t, h.Bob, r, prRef, servertest.File("data/train.csv", []byte("a,b\n")), servertest.LFSFile("w.bin", oid, int64(len(weights))))
		c2 := h.Commit(t, h.Bob, r, prRef, servertest.DeleteFile("old.txt"), servertest.File("README.md", []byte("# d\n")))
		d = getDiscussion(t, h, h.Bob, r, num)
		var commits []string
		for _, ev := range d.Events {
			if ev.Type == "commit" {
				commits = append(commits, fmt.Sprint(ev.Data["oid"]))
			}
		}
		if len(commits) != 2 || commits[0] != c1 || commits[1] != c2 {
			t.Errorf("commit events %v, want [%s %s]", commits, c1, c2)
		}

		// Only maintainers merge.
		resp := h.Do(t, http.MethodPost, fmt.Sprintf("/api/datasets/alice/d/discussions/%d/merge", num), h.Bob, nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("bob merging into alice/d: status %d, want 403", resp.StatusCode)
		}
		mainBefore := h.Head(t, h.Alice, r, "main")
		h.JSON(t, http.MethodPost, fmt.Sprintf("/api/datasets/alice/d/discussions/%d/merge", num), h.Alice, map[string]any{"comment": "thanks"}, http.StatusOK, nil)
		d = getDiscussion(t, h, h.Alice, r, num)
		if d.Status != "merged" {
			t.Errorf("status after merge %q", d.Status)
		}
		mainAfter := h.Head(t, h.Alice, r, "main")
		if mainAfter == mainBefore {
			t.Fatalf("merge did not move main")
		}
		if d.Changes == nil || d.Changes.MergeCommitID != mainAfter {
			t.Errorf("mergeCommitId %+v, want %s", d.Changes, mainAfter)
		}
		sameSet(t, "main after merge", h.Files(t, h.Alice, r, "main"), []string{".gitattributes", "keep.txt", "data/train.csv", "w.bin", "README.md"})
		if got := h.Download(t, h.Alice, r, "main", "w.bin"); string(got) != string(weights) {
			t.Errorf("w.bin on main: %q", got)
		}
		hist := h.History(t, h.Alice, r, "main")
		if len(hist) != 3 || hist[1].ID != mainBefore {
			t.Errorf("main history after merge: %d commits (want 3, the merge on top of %s)", len(hist), mainBefore)
		}
		// A merged PR takes no more commits and cannot be merged again.
		resp = h.PostCommit(t, h.Bob, r, prRef, "", servertest.Lines(servertest.Header("late", ""), servertest.File("late.txt", []byte("l"))))
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("commit to a merged PR: status %d, want 4xx", resp.StatusCode)
		}
		resp = h.Do(t, http.MethodPost, fmt.Sprintf("/api/datasets/alice/d/discussions/%d/merge", num), h.Alice, nil)
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("merging twice: status %d, want 4xx", resp.StatusCode)
		}
		if got := h.Head(t, h.Alice, r, "main"); got != mainAfter {
			t.Errorf("refused operations moved main")
		}
	})
}

func TestPullRequestClose(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		num := openPR(t, h, h.Bob, "alice/m", "Will be closed")
		h.Commit(t, h.Bob, "alice/m", fmt.Sprintf("refs/pr/%d", num), servertest.File("x.txt", []byte("x")))
		resp := h.Do(t, http.MethodPost, fmt.Sprintf("/api/models/alice/m/discussions/%d/status", num), h.Carol, map[string]any{"status": "closed"})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("carol closing bob's PR: status %d, want 403", resp.StatusCode)
		}
		var ans struct {
			NewStatus struct {
				Type string `json:"type"`
				Data struct {
					Status string `json:"status"`
				} `json:"data"`
			} `json:"newStatus"`
		}
		h.JSON(t, http.MethodPost, fmt.Sprintf("/api/models/alice/m/discussions/%d/status", num), h.Bob, map[string]any{"status": "closed", "comment": "never mind"}, http.StatusOK, &ans)
		if ans.NewStatus.Type != "status-change" || ans.NewStatus.Data.Status != "closed" {
			t.Errorf("newStatus %+v", ans.NewStatus)
		}
		if d := getDiscussion(t, h, h.Alice, "alice/m", num); d.Status != "closed" {
			t.Errorf("status %q, want closed", d.Status)
		}
		main := h.Head(t, h.Alice, "alice/m", "main")
		resp = h.Do(t, http.MethodPost, fmt.Sprintf("/api/models/alice/m/discussions/%d/merge", num), h.Alice, nil)
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("merging a closed PR: status %d, want 4xx", resp.StatusCode)
		}
		if got := h.Head(t, h.Alice, "alice/m", "main"); got != main {
			t.Errorf("merging a closed PR moved main")
		}
		sameSet(t, "main", h.Files(t, h.Alice, "alice/m", "main"), []string{".gitattributes"})
		// Listing: closed PRs are found with status=closed.
		var list struct {
			Discussions []discussion `json:"discussions"`
			Count       int          `json:"count"`
		}
		h.JSON(t, http.MethodGet, "/api/models/alice/m/discussions?p=0&type=pull_request&status=closed", h.Alice, nil, http.StatusOK, &list)
		if list.Count != 1 || len(list.Discussions) != 1 || list.Discussions[0].Num != num {
			t.Errorf("closed PRs: %+v", list)
		}
		h.JSON(t, http.MethodGet, "/api/models/alice/m/discussions?status=open", h.Alice, nil, http.StatusOK, &list)
		if list.Count != 0 {
			t.Errorf("open discussions: %+v", list)
		}
	})
}

func TestMergeEmptyPullRequestIs400(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		num := openPR(t, h, h.Alice, "alice/m", "Nothing")
		main := h.Head(t, h.Alice, "alice/m", "main")
		resp := h.Do(t, http.MethodPost, fmt.Sprintf("/api/models/alice/m/discussions/%d/merge", num), h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusBadRequest, "", "no associated changes")
		if got := h.Head(t, h.Alice, "alice/m", "main"); got != main {
			t.Errorf("merging an empty PR moved main")
		}
		if d := getDiscussion(t, h, h.Alice, "alice/m", num); d.Status != "draft" {
			t.Errorf("status after a refused merge %q", d.Status)
		}
		// A discussion is not a pull request.
		var d discussion
		h.JSON(t, http.MethodPost, "/api/models/alice/m/discussions", h.Bob, map[string]any{"title": "question", "pullRequest": false}, http.StatusOK, &d)
		if d.IsPullRequest {
			t.Errorf("a discussion came back as a PR")
		}
		resp = h.Do(t, http.MethodPost, fmt.Sprintf("/api/models/alice/m/discussions/%d/merge", d.Num), h.Alice, nil)
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("merging a discussion: status %d, want 4xx", resp.StatusCode)
		}
		resp = h.Do(t, http.MethodGet, "/api/models/alice/m/revision/"+servertest.Rev(fmt.Sprintf("refs/pr/%d", d.Num)), h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "")
		resp = h.Do(t, http.MethodPost, "/api/models/alice/m/discussions/99/merge", h.Alice, nil)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("merging PR 99: status %d, want 404", resp.StatusCode)
		}
	})
}

func TestMergeConflictIs409(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		h.Commit(t, h.Alice, "alice/m", "main", servertest.File("shared.txt", []byte("base")), servertest.File("other.txt", []byte("o")))
		num := openPR(t, h, h.Bob, "alice/m", "Conflicting")
		prRef := fmt.Sprintf("refs/pr/%d", num)
		h.Commit(t, h.Bob, "alice/m", prRef, servertest.File("shared.txt", []byte("from the PR")), servertest.File("pr-only.txt", []byte("p")))
		main := h.Commit(t, h.Alice, "alice/m", "main", servertest.File("shared.txt", []byte("from main")))
		resp := h.Do(t, http.MethodPost, fmt.Sprintf("/api/models/alice/m/discussions/%d/merge", num), h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusConflict, "", "shared.txt")
		if got := h.Head(t, h.Alice, "alice/m", "main"); got != main {
			t.Errorf("a conflicting merge moved main")
		}
		if got := string(h.Download(t, h.Alice, "alice/m", "main", "shared.txt")); got != "from main" {
			t.Errorf("shared.txt on main: %q", got)
		}
		if d := getDiscussion(t, h, h.Alice, "alice/m", num); d.Status == "merged" {
			t.Errorf("a conflicting PR is marked merged")
		}
		// Changes to different files merge cleanly, and so do identical changes.
		num2 := openPR(t, h, h.Bob, "alice/m", "Clean")
		h.Commit(t, h.Bob, "alice/m", fmt.Sprintf("refs/pr/%d", num2), servertest.File("new.txt", []byte("n")), servertest.File("shared.txt", []byte("from main")))
		h.Commit(t, h.Alice, "alice/m", "main", servertest.File("other.txt", []byte("changed on main")))
		h.JSON(t, http.MethodPost, fmt.Sprintf("/api/models/alice/m/discussions/%d/merge", num2), h.Alice, nil, http.StatusOK, nil)
		if got := string(h.Download(t, h.Alice, "alice/m", "main", "other.txt")); got != "changed on main" {
			t.Errorf("merge undid a change of main: other.txt %q", got)
		}
		if got := string(h.Download(t, h.Alice, "alice/m", "main", "new.txt")); got != "n" {
			t.Errorf("new.txt after merge: %q", got)
		}
	})
}
