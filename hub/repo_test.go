package hub_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/hub"
	"github.com/wharfhub/wharf/internal/server/servertest"
)

func TestCreateRepoExistOKAndDelete(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, _ := newClient(t, h.URL, h.Alice)
		r := hub.Repo{ID: "alice/m"}

		u, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		equals(t, "url", u, h.URL+"/alice/m")
		_, err = c.CreateRepo(ctx, r, nil)
		if !errors.Is(err, hub.ErrConflict) {
			t.Fatalf("second create: got %v, want ErrConflict", err)
		}
		u, err = c.CreateRepo(ctx, r, &hub.CreateRepoOptions{ExistOK: true})
		ok(t, err)
		equals(t, "url (exist_ok)", u, h.URL+"/alice/m")

		exists, err := c.RepoExists(ctx, r)
		ok(t, err)
		equals(t, "exists", exists, true)
		info, err := c.RepoInfo(ctx, r, nil)
		ok(t, err)
		equals(t, "id", info.ID, "alice/m")
		equals(t, "private", info.Private, false)
		if len(info.SHA) != 40 {
			t.Fatalf("sha %q", info.SHA)
		}
		if len(info.Siblings) != 1 || info.Siblings[0].Path != ".gitattributes" {
			t.Fatalf("siblings of a new repo: %+v", info.Siblings)
		}

		ok(t, c.DeleteRepo(ctx, r, nil))
		exists, err = c.RepoExists(ctx, r)
		ok(t, err)
		equals(t, "exists after delete", exists, false)
		if err := c.DeleteRepo(ctx, r, nil); !errors.Is(err, hub.ErrRepoNotFound) {
			t.Fatalf("delete missing repo: got %v, want ErrRepoNotFound", err)
		}
		ok(t, c.DeleteRepo(ctx, r, &hub.DeleteRepoOptions{MissingOK: true}))
	})
}

func TestCreateRepoPrivateDatasetSpace(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		alice, _ := newClient(t, h.URL, h.Alice)
		bob, _ := newClient(t, h.URL, h.Bob)
		anon, _ := newClient(t, h.URL, "")

		private := true
		p := hub.Repo{ID: "alice/secret"}
		_, err := alice.CreateRepo(ctx, p, &hub.CreateRepoOptions{Private: &private})
		ok(t, err)
		info, err := alice.RepoInfo(ctx, p, nil)
		ok(t, err)
		equals(t, "private", info.Private, true)
		for name, c := range map[string]*hub.Client{"bob": bob, "anonymous": anon} {
			exists, err := c.RepoExists(ctx, p)
			ok(t, err)
			equals(t, name+" sees the private repo", exists, false)
			_, err = c.RepoInfo(ctx, p, nil)
			if !errors.Is(err, hub.ErrRepoNotFound) {
				t.Fatalf("%s: repo info of a private repo: got %v, want ErrRepoNotFound", name, err)
			}
		}
		// Bob may not write to alice's namespace.
		_, err = bob.UploadFile(ctx, hub.Repo{ID: "alice/secret"}, "x.txt", hub.FromBytes([]byte("x")), nil)
		if !errors.Is(err, hub.ErrRepoNotFound) {
			t.Fatalf("bob uploads to alice's private repo: got %v, want ErrRepoNotFound", err)
		}

		for _, r := range []hub.Repo{{ID: "alice/d", Type: hub.Dataset}, {ID: "alice/s", Type: hub.Space}} {
			u, err := alice.CreateRepo(ctx, r, nil)
			ok(t, err)
			equals(t, "url", u, h.URL+"/"+string(r.Type)+"s/"+r.ID)
			equals(t, "client url", alice.URL(r), u)
			_, err = alice.UploadFile(ctx, r, "README.md", hub.FromBytes([]byte("# "+r.ID+"\n")), nil)
			ok(t, err)
			got := download(t, alice, r, "", "README.md")
			equals(t, "readme", string(got), "# "+r.ID+"\n")
			// The same id as a model does not exist.
			exists, err := alice.RepoExists(ctx, hub.Repo{ID: r.ID})
			ok(t, err)
			equals(t, "model "+r.ID+" exists", exists, false)
			_, err = alice.CreateRepo(ctx, r, &hub.CreateRepoOptions{ExistOK: true})
			ok(t, err)
			ok(t, alice.DeleteRepo(ctx, r, nil))
			exists, err = alice.RepoExists(ctx, r)
			ok(t, err)
			equals(t, string(r.Type)+" exists after delete", exists, false)
		}

		// Client-side validation: nothing is sent.
		for _, r := range []hub.Repo{{ID: "no-namespace"}, {ID: "alice/bad name"}, {ID: "alice/x", Type: "bucket"}} {
			if _, err := alice.CreateRepo(ctx, r, nil); err == nil {
				t.Errorf("create %+v: no error", r)
			}
		}
	})
}

func TestWhoami(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, _ := newClient(t, h.URL, h.Alice)
		u, err := c.Whoami(ctx)
		ok(t, err)
		equals(t, "name", u.Name, "alice")
		equals(t, "email", u.Email, "alice@example.com")
		equals(t, "role", u.Auth.AccessToken.Role, "write")

		bob, _ := newClient(t, h.URL, h.Bob)
		u, err = bob.Whoami(ctx)
		ok(t, err)
		if len(u.Orgs) != 1 || u.Orgs[0].Name != "acme" {
			t.Fatalf("bob's orgs: %+v", u.Orgs)
		}
		carol, _ := newClient(t, h.URL, h.Carol)
		u, err = carol.Whoami(ctx)
		ok(t, err)
		equals(t, "carol's role", u.Auth.AccessToken.Role, "read")

		bad, _ := newClient(t, h.URL, "hf_not_a_real_token")
		if _, err := bad.Whoami(ctx); !errors.Is(err, hub.ErrUnauthorized) {
			t.Fatalf("bad token: got %v, want ErrUnauthorized", err)
		}
		anon, _ := newClient(t, h.URL, "")
		equals(t, "anonymous has a token", anon.HasToken(), false)
		if _, err := anon.Whoami(ctx); err == nil || !strings.Contains(err.Error(), "not logged in") {
			t.Fatalf("anonymous whoami: %v", err)
		}
	})
}

// TestListRepoTreePagination lists a repo with more files than one page of
// the tree endpoint (1000) holds; the files are uploaded by UploadFolder,
// which sends them in several preupload batches.
func TestListRepoTreePagination(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, rec := newClient(t, h.URL, h.Alice)
		r := hub.Repo{ID: "alice/many"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		dir := t.TempDir()
		const n = 1205
		var want []string
		for i := range n {
			p := fmt.Sprintf("data/%02d/f%04d.txt", i%7, i)
			want = append(want, p)
			full := filepath.Join(dir, filepath.FromSlash(p))
			ok(t, os.MkdirAll(filepath.Dir(full), 0o755))
			ok(t, os.WriteFile(full, []byte(p), 0o644))
		}
		rec.take()
		_, err = c.UploadFolder(ctx, r, dir, nil)
		ok(t, err)
		reqs := rec.take()
		equals(t, "preupload calls (256 files each)", count(reqs, "/preupload/"), 5)
		equals(t, "commit calls", count(reqs, "/commit/"), 1)

		files, err := c.ListRepoFiles(ctx, r, "")
		ok(t, err)
		if pages := count(rec.take(), "/tree/"); pages < 2 {
			t.Fatalf("listing %d files took %d page(s), want several", len(files), pages)
		}
		want = append(want, ".gitattributes")
		slices.Sort(want)
		slices.Sort(files)
		if !slices.Equal(files, want) {
			t.Fatalf("ListRepoFiles: %d files, want %d", len(files), len(want))
		}
		seen := map[string]bool{}
		for _, f := range files {
			if seen[f] {
				t.Fatalf("%s listed twice", f)
			}
			seen[f] = true
		}

		// Recursive tree: files and folders.
		ents, err := c.ListRepoTree(ctx, r, &hub.ListTreeOptions{Recursive: true})
		ok(t, err)
		dirs := 0
		for _, e := range ents {
			if e.IsDir() {
				dirs++
			}
		}
		equals(t, "folders in the recursive tree", dirs, 8) // data + 7
		equals(t, "entries in the recursive tree", len(ents), n+1+8)

		// One level, and a sub-folder.
		top, err := c.ListRepoTree(ctx, r, nil)
		ok(t, err)
		equals(t, "root entries", len(top), 2)
		sub, err := c.ListRepoTree(ctx, r, &hub.ListTreeOptions{Path: "data/03"})
		ok(t, err)
		equals(t, "entries of data/03", len(sub), 172)
		for _, e := range sub {
			if !strings.HasPrefix(e.Path, "data/03/") || e.IsDir() || e.Size != int64(len(e.Path)) || len(e.OID) != 40 {
				t.Fatalf("entry %+v", e)
			}
		}
		_, err = c.ListRepoTree(ctx, r, &hub.ListTreeOptions{Path: "nope"})
		if !errors.Is(err, hub.ErrEntryNotFound) {
			t.Fatalf("tree of a missing folder: got %v, want ErrEntryNotFound", err)
		}
	})
}

func TestBranchesTagsRefsCommits(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, _ := newClient(t, h.URL, h.Alice)
		r := hub.Repo{ID: "alice/refs"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		first, err := c.UploadFile(ctx, r, "a.txt", hub.FromBytes([]byte("one")), nil)
		ok(t, err)
		second, err := c.UploadFile(ctx, r, "a.txt", hub.FromBytes([]byte("two")), &hub.CommitOptions{Message: "second", Description: "more text"})
		ok(t, err)

		// Branches.
		ok(t, c.CreateBranch(ctx, r, "dev", nil))
		if err := c.CreateBranch(ctx, r, "dev", nil); !errors.Is(err, hub.ErrConflict) {
			t.Fatalf("create an existing branch: got %v, want ErrConflict", err)
		}
		ok(t, c.CreateBranch(ctx, r, "dev", &hub.CreateBranchOptions{ExistOK: true}))
		ok(t, c.CreateBranch(ctx, r, "old", &hub.CreateBranchOptions{Revision: first.OID}))
		equals(t, "old branch content", string(download(t, c, r, "old", "a.txt")), "one")
		if err := c.CreateBranch(ctx, r, "x", &hub.CreateBranchOptions{Revision: "nope"}); !errors.Is(err, hub.ErrRevisionNotFound) {
			t.Fatalf("branch from a missing revision: got %v, want ErrRevisionNotFound", err)
		}
		info, err := c.RepoInfo(ctx, r, &hub.RepoInfoOptions{Revision: "dev"})
		ok(t, err)
		equals(t, "dev head", info.SHA, second.OID)
		_, err = c.UploadFile(ctx, r, "dev.txt", hub.FromBytes([]byte("dev")), &hub.CommitOptions{Revision: "dev"})
		ok(t, err)
		equals(t, "dev history", historyLen(t, c, r, "dev"), 4)
		equals(t, "main history", historyLen(t, c, r, "main"), 3)

		// Tags.
		ok(t, c.CreateTag(ctx, r, "v1", &hub.CreateTagOptions{Revision: first.OID, Message: "first"}))
		ok(t, c.CreateTag(ctx, r, "v2", nil))
		if err := c.CreateTag(ctx, r, "v2", nil); !errors.Is(err, hub.ErrConflict) {
			t.Fatalf("create an existing tag: got %v, want ErrConflict", err)
		}
		ok(t, c.CreateTag(ctx, r, "v2", &hub.CreateTagOptions{ExistOK: true}))
		equals(t, "v1 content", string(download(t, c, r, "v1", "a.txt")), "one")

		// A pull request.
		pr, err := c.UploadFile(ctx, r, "pr.txt", hub.FromBytes([]byte("pr")), &hub.CommitOptions{CreatePR: true})
		ok(t, err)

		refs, err := c.ListRefs(ctx, r, true)
		ok(t, err)
		names := func(rs []hub.GitRef) map[string]string {
			m := map[string]string{}
			for _, x := range rs {
				m[x.Name] = x.Ref + "@" + x.TargetCommit
			}
			return m
		}
		b := names(refs.Branches)
		equals(t, "branches", len(b), 3)
		equals(t, "main", b["main"], "refs/heads/main@"+second.OID)
		equals(t, "old", b["old"], "refs/heads/old@"+first.OID)
		tags := names(refs.Tags)
		equals(t, "v1", tags["v1"], "refs/tags/v1@"+first.OID)
		equals(t, "v2", tags["v2"], "refs/tags/v2@"+second.OID)
		if len(refs.PullRequests) != 1 || refs.PullRequests[0].Ref != pr.PRRevision || refs.PullRequests[0].TargetCommit != pr.OID {
			t.Fatalf("pull requests: %+v, want %s@%s", refs.PullRequests, pr.PRRevision, pr.OID)
		}
		refs, err = c.ListRefs(ctx, r, false)
		ok(t, err)
		equals(t, "pull requests without include_prs", len(refs.PullRequests), 0)

		// Deletions.
		ok(t, c.DeleteBranch(ctx, r, "dev"))
		ok(t, c.DeleteTag(ctx, r, "v1"))
		if err := c.DeleteTag(ctx, r, "v1"); !errors.Is(err, hub.ErrRevisionNotFound) {
			t.Fatalf("delete a missing tag: got %v, want ErrRevisionNotFound", err)
		}
		if err := c.DeleteBranch(ctx, r, "dev"); err == nil {
			t.Fatal("delete a missing branch: no error")
		}
		refs, err = c.ListRefs(ctx, r, false)
		ok(t, err)
		equals(t, "branches after delete", len(refs.Branches), 2)
		equals(t, "tags after delete", len(refs.Tags), 1)
		_, err = c.ListCommits(ctx, r, "dev")
		if !errors.Is(err, hub.ErrRevisionNotFound) {
			t.Fatalf("history of a deleted branch: got %v, want ErrRevisionNotFound", err)
		}

		// History, newest first.
		cs, err := c.ListCommits(ctx, r, "")
		ok(t, err)
		equals(t, "commits", len(cs), 3)
		equals(t, "newest id", cs[0].ID, second.OID)
		equals(t, "newest title", cs[0].Title, "second")
		if !strings.Contains(cs[0].Message, "more text") {
			t.Fatalf("message %q lacks the description", cs[0].Message)
		}
		equals(t, "older title", cs[1].Title, "Upload a.txt with huggingface_hub")
		equals(t, "oldest id", cs[1].ID, first.OID)
		if len(cs[0].Authors) == 0 || cs[0].Authors[0].User != "alice" || cs[0].Date.IsZero() {
			t.Fatalf("commit entry %+v", cs[0])
		}
	})
}

// TestListCommitsPagination follows the commits listing's Link header.
func TestListCommitsPagination(t *testing.T) {
	h := servertest.New(t, "sqlite")
	ctx := context.Background()
	c, rec := newClient(t, h.URL, h.Alice)
	r := hub.Repo{ID: "alice/long"}
	_, err := c.CreateRepo(ctx, r, nil)
	ok(t, err)
	const n = 120
	for i := range n {
		h.Commit(t, h.Alice, "alice/long", "main", servertest.File("f.txt", []byte(fmt.Sprint(i))))
	}
	rec.take()
	cs, err := c.ListCommits(ctx, r, "main")
	ok(t, err)
	equals(t, "commits", len(cs), n+1)
	t.Logf("%d commits in %d page(s)", len(cs), count(rec.take(), "/commits/"))
	for i := 1; i < len(cs); i++ {
		if cs[i].Date.After(cs[i-1].Date) {
			t.Fatalf("commit %d is newer than commit %d", i, i-1)
		}
	}
}
