package hub_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/wharfhub/wharf/hub"
	"github.com/wharfhub/wharf/internal/server/servertest"
)

func TestGatedRepoAccessRequests(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		alice, _ := newClient(t, h.URL, h.Alice)
		carol, _ := newClient(t, h.URL, h.Carol)
		r := hub.Repo{ID: "alice/gated"}
		_, err := alice.CreateRepo(ctx, r, nil)
		ok(t, err)
		_, err = alice.UploadFile(ctx, r, "s.txt", hub.FromBytes([]byte("secret")), nil)
		ok(t, err)
		manual := "manual"
		ok(t, alice.UpdateRepoSettings(ctx, r, &hub.RepoSettings{Gated: &manual}))
		info, err := carol.RepoInfo(ctx, r, nil)
		ok(t, err)
		equals(t, "gated", info.Gated, hub.GatedMode("manual"))

		var buf bytes.Buffer
		if _, err := carol.Download(ctx, r, "s.txt", &buf, nil); !errors.Is(err, hub.ErrGatedRepo) {
			t.Fatalf("download by carol: %v, want ErrGatedRepo", err)
		}
		if err := carol.AuthCheck(ctx, r, false); !errors.Is(err, hub.ErrGatedRepo) {
			t.Fatalf("AuthCheck by carol: %v, want ErrGatedRepo", err)
		}
		ok(t, alice.AuthCheck(ctx, r, true))
		st, err := carol.AskAccess(ctx, r, map[string]string{"why": "tests"})
		ok(t, err)
		equals(t, "status after AskAccess", st, "pending")
		pending, err := alice.ListAccessRequests(ctx, r, "pending")
		ok(t, err)
		if len(pending) != 1 || pending[0].Username != "carol" || pending[0].Fields["why"] != "tests" || pending[0].Timestamp.IsZero() {
			t.Fatalf("pending: %+v", pending)
		}
		ok(t, alice.AcceptAccessRequest(ctx, r, "carol"))
		ok(t, carol.AuthCheck(ctx, r, false))
		buf.Reset()
		_, err = carol.Download(ctx, r, "s.txt", &buf, nil)
		ok(t, err)
		equals(t, "downloaded", buf.String(), "secret")
		ok(t, alice.RejectAccessRequest(ctx, r, "carol", "no"))
		if err := carol.AuthCheck(ctx, r, false); !errors.Is(err, hub.ErrGatedRepo) {
			t.Fatalf("AuthCheck after rejection: %v", err)
		}
		ok(t, alice.CancelAccessRequest(ctx, r, "carol"))
		ok(t, alice.GrantAccess(ctx, r, "carol"))
		var he *hub.Error
		if err := alice.GrantAccess(ctx, r, "carol"); !errors.As(err, &he) || he.StatusCode != 400 {
			t.Fatalf("granting twice: %v, want a 400", err)
		}
		accepted, err := alice.ListAccessRequests(ctx, r, "accepted")
		ok(t, err)
		if len(accepted) != 1 || accepted[0].Username != "carol" {
			t.Fatalf("accepted: %+v", accepted)
		}
	})
}

func TestMovedRepoOldIDKeepsWorking(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, _ := newClient(t, h.URL, h.Bob)
		old := hub.Repo{ID: "bob/old"}
		private := true
		_, err := c.CreateRepo(ctx, old, &hub.CreateRepoOptions{Private: &private})
		ok(t, err)
		_, err = c.UploadFile(ctx, old, "f.txt", hub.FromBytes([]byte("kept")), nil)
		ok(t, err)
		ok(t, c.MoveRepo(ctx, old, "acme/new"))
		info, err := c.RepoInfo(ctx, old, nil)
		ok(t, err)
		equals(t, "id through the old id", info.ID, "acme/new")
		var buf bytes.Buffer
		_, err = c.Download(ctx, old, "f.txt", &buf, nil)
		ok(t, err)
		equals(t, "download through the old id", buf.String(), "kept")
		_, err = c.UploadFile(ctx, old, "g.txt", hub.FromBytes([]byte("g")), nil)
		ok(t, err)
		files, err := c.ListRepoFiles(ctx, hub.Repo{ID: "acme/new"}, "")
		ok(t, err)
		equals(t, "files", len(files), 3)
	})
}
