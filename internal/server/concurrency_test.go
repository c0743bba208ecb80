package server_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/wire"
)

// TestConcurrentCommitsWithoutParentAllLand checks that concurrent writers
// to one branch never lose each other's files: every commit lands, and the
// history is a line holding each of them once.
func TestConcurrentCommitsWithoutParentAllLand(t *testing.T) {
	const writers, perWriter = 16, 3
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/busy", false)
		base := h.Head(t, h.Alice, "alice/busy", "main")
		var mu sync.Mutex
		commits := map[string]bool{}
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range perWriter {
					p := fmt.Sprintf("w%02d/f%d.txt", w, i)
					resp := h.PostCommit(t, h.Alice, "alice/busy", "main", "", servertest.Lines(
						servertest.Header("add "+p, ""), servertest.File(p, []byte(p))))
					if resp.StatusCode != http.StatusOK {
						t.Errorf("commit %s: status %d; body %s", p, resp.StatusCode, servertest.Body(resp))
						continue
					}
					var cr servertest.CommitResponse
					if err := jsonUnmarshal(servertest.Body(resp), &cr); err != nil {
						t.Error(err)
						continue
					}
					mu.Lock()
					commits[cr.CommitOid] = true
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		var want []string
		for w := range writers {
			for i := range perWriter {
				want = append(want, fmt.Sprintf("w%02d/f%d.txt", w, i))
			}
		}
		sameSet(t, "files after concurrent commits", h.Files(t, h.Alice, "alice/busy", "main"), append(want, ".gitattributes"))
		for _, p := range []string{"w00/f0.txt", fmt.Sprintf("w%02d/f%d.txt", writers-1, perWriter-1)} {
			if got := string(h.Download(t, h.Alice, "alice/busy", "main", p)); got != p {
				t.Errorf("%s: content %q", p, got)
			}
		}
		hist := h.History(t, h.Alice, "alice/busy", "main")
		if len(hist) != writers*perWriter+1 {
			t.Errorf("history has %d commits, want %d", len(hist), writers*perWriter+1)
		}
		seen := map[string]bool{}
		for i, c := range hist {
			if seen[c.ID] {
				t.Errorf("commit %s listed twice", c.ID)
			}
			seen[c.ID] = true
			if i < len(hist)-1 && !commits[c.ID] {
				t.Errorf("history holds %s, which no writer made", c.ID)
			}
		}
		if len(hist) > 0 && hist[len(hist)-1].ID != base {
			t.Errorf("history does not end at the initial commit")
		}
		// Linear: each commit's parent is the next one in the listing.
		ctx := t.Context()
		rp := h.Repo(t, "alice/busy")
		for i := 0; i+1 < len(hist); i++ {
			c, err := h.Engine.ReadCommit(ctx, rp, hist[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Parents) != 1 || c.Parents[0] != hist[i+1].ID {
				t.Errorf("commit %s has parents %v, want [%s]", hist[i].ID, c.Parents, hist[i+1].ID)
			}
		}
		for oid := range commits {
			if !seen[oid] {
				t.Errorf("commit %s answered 200 but is not in the history", oid)
			}
		}
	})
}

// TestConcurrentCommitsWithSameParentOneWins checks the parentCommit
// compare-and-swap: of writers that all start from the same head, exactly
// one commits and the others get 412.
func TestConcurrentCommitsWithSameParentOneWins(t *testing.T) {
	const writers = 16
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/race", false)
		base := h.Head(t, h.Alice, "alice/race", "main")
		statuses := make([]int, writers)
		oids := make([]string, writers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := range writers {
			wg.Go(func() {
				<-start
				p := fmt.Sprintf("w%02d.txt", w)
				resp := h.PostCommit(t, h.Alice, "alice/race", "main", "", servertest.Lines(
					servertest.Header("add "+p, base), servertest.File(p, []byte(p))))
				statuses[w] = resp.StatusCode
				if resp.StatusCode == http.StatusOK {
					var cr servertest.CommitResponse
					jsonUnmarshal(servertest.Body(resp), &cr)
					oids[w] = cr.CommitOid
				} else if resp.StatusCode == http.StatusPreconditionFailed {
					servertest.ExpectError(t, resp, http.StatusPreconditionFailed, "", wire.MessageParentMismatch)
				}
			})
		}
		close(start)
		wg.Wait()
		won := -1
		for w, st := range statuses {
			switch st {
			case http.StatusOK:
				if won >= 0 {
					t.Errorf("writers %d and %d both committed on parent %s", won, w, base)
				}
				won = w
			case http.StatusPreconditionFailed:
			default:
				t.Errorf("writer %d: status %d, want 200 or 412", w, st)
			}
		}
		if won < 0 {
			t.Fatalf("no writer committed: %v", statuses)
		}
		if got := h.Head(t, h.Alice, "alice/race", "main"); got != oids[won] {
			t.Errorf("main is %s, want the winner's %s", got, oids[won])
		}
		sameSet(t, "files", h.Files(t, h.Alice, "alice/race", "main"), []string{".gitattributes", fmt.Sprintf("w%02d.txt", won)})
		if hist := h.History(t, h.Alice, "alice/race", "main"); len(hist) != 2 {
			t.Errorf("history has %d commits, want 2", len(hist))
		}
	})
}

// TestMergeAndSuperSquashUnderConcurrentCommits runs merges and
// super-squashes while other writers commit to the same branch. Each
// operation must either take effect or fail cleanly: never answer 200 for a
// change that did not land, and never 500 (a long merge must not starve
// behind short commits).
func TestMergeAndSuperSquashUnderConcurrentCommits(t *testing.T) {
	const writers, perWriter, rounds = 6, 10, 4
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/hot", false)
		var prs []int
		for i := range rounds {
			resp := h.PostCommit(t, h.Bob, "alice/hot", "main", "create_pr=1", servertest.Lines(
				servertest.Header(fmt.Sprintf("pr %d", i), ""), servertest.File(fmt.Sprintf("pr%d.txt", i), []byte("pr"))))
			prs = append(prs, commitAnswerNum(t, resp))
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		var committed []string
		for w := range writers {
			wg.Go(func() {
				for i := range perWriter {
					select {
					case <-stop:
						return
					default:
					}
					p := fmt.Sprintf("w%d/%d.txt", w, i)
					resp := h.PostCommit(t, h.Alice, "alice/hot", "main", "", servertest.Lines(servertest.Header(p, ""), servertest.File(p, []byte(p))))
					if resp.StatusCode != http.StatusOK {
						t.Errorf("commit %s: status %d; body %s", p, resp.StatusCode, servertest.Body(resp))
						return
					}
					mu.Lock()
					committed = append(committed, p)
					mu.Unlock()
				}
			})
		}
		merged := map[int]bool{}
		lastSquash := ""
		for i := range rounds {
			resp := h.Do(t, http.MethodPost, fmt.Sprintf("/api/models/alice/hot/discussions/%d/merge", prs[i]), h.Alice, nil)
			switch resp.StatusCode {
			case http.StatusOK:
				merged[i] = true
			case http.StatusConflict:
			default:
				t.Errorf("merge PR %d during commits: status %d, want 200 (or 409); body %s", prs[i], resp.StatusCode, servertest.Body(resp))
			}
			msg := fmt.Sprintf("squash %d", i)
			resp = h.Do(t, http.MethodPost, "/api/models/alice/hot/super-squash/main", h.Alice, map[string]any{"message": msg})
			switch resp.StatusCode {
			case http.StatusOK:
				lastSquash = msg
			case http.StatusConflict, http.StatusPreconditionFailed:
			default:
				t.Errorf("super-squash during commits: status %d; body %s", resp.StatusCode, servertest.Body(resp))
			}
		}
		close(stop)
		wg.Wait()
		files := h.Files(t, h.Alice, "alice/hot", "main")
		for _, p := range committed {
			if !slices.Contains(files, p) {
				t.Errorf("%s was committed but is missing from main", p)
			}
		}
		for i := range rounds {
			p := fmt.Sprintf("pr%d.txt", i)
			if merged[i] != slices.Contains(files, p) {
				t.Errorf("PR %d: merge answered %v but %s on main is %v", prs[i], merged[i], p, slices.Contains(files, p))
			}
		}
		if lastSquash != "" {
			hist := h.History(t, h.Alice, "alice/hot", "main")
			if root := hist[len(hist)-1]; root.Title != lastSquash {
				t.Errorf("super-squash %q answered 200, but the root of main is %q: the squash did not land", lastSquash, root.Title)
			}
		}
	})
}

func commitAnswerNum(t *testing.T, resp *http.Response) int {
	t.Helper()
	cr := commitAnswer(t, resp)
	var n int
	if _, err := fmt.Sscanf(cr.PullRequestURL[strings.LastIndex(cr.PullRequestURL, "/")+1:], "%d", &n); err != nil {
		t.Fatalf("pullRequestUrl %q: %v", cr.PullRequestURL, err)
	}
	return n
}
