package hub_test

import (
	"testing"

	"github.com/wharfhub/wharf/hub"
	"github.com/wharfhub/wharf/internal/server/servertest"
)

func TestSuperSquashHistoryOfPullRequest(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, _ := newClient(t, h.URL, h.Alice)
		r := hub.Repo{ID: "alice/squash-pr"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		pr, err := c.UploadFile(ctx, r, "a.txt", hub.FromBytes([]byte("a")), &hub.CommitOptions{CreatePR: true})
		ok(t, err)
		_, err = c.UploadFile(ctx, r, "b.txt", hub.FromBytes([]byte("b")), &hub.CommitOptions{Revision: pr.PRRevision})
		ok(t, err)
		_, err = c.SuperSquashHistory(ctx, r, pr.PRRevision, "squashed")
		ok(t, err)
		commits, err := c.ListCommits(ctx, r, pr.PRRevision)
		ok(t, err)
		equals(t, "commits of the squashed PR", len(commits), 1)
		equals(t, "title", commits[0].Title, "squashed")
	})
}
