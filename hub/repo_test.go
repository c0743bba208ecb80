package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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

func TestListRepoTreeExpandAndPathsInfo(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, _ := newClient(t, h.URL, h.Alice)
		r := hub.Repo{ID: "alice/expand"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		c1, err := c.UploadFile(ctx, r, "one.txt", hub.FromBytes([]byte("one\n")), &hub.CommitOptions{Message: "first file"})
		ok(t, err)
		c2, err := c.UploadFile(ctx, r, "dir/two.txt", hub.FromBytes([]byte("two\n")), &hub.CommitOptions{Message: "second"})
		ok(t, err)
		// A later commit that touches only dir/three.bin (LFS) leaves the
		// others' last commits alone.
		c3, err := c.UploadFile(ctx, r, "dir/three.bin", hub.FromBytes(randomBytes(3, 2000)), &hub.CommitOptions{Message: "third"})
		ok(t, err)
		_, err = c.UploadFile(ctx, r, "one.txt", hub.FromBytes([]byte("one\n")), &hub.CommitOptions{Message: "no change"})
		ok(t, err)
		commits, err := c.ListCommits(ctx, r, "")
		ok(t, err)
		dates := map[string]time.Time{}
		for _, ce := range commits {
			dates[ce.ID] = ce.Date
		}
		want := map[string]struct{ id, title string }{
			"one.txt":       {c1.OID, "first file"},
			"dir":           {c3.OID, "third"},
			"dir/two.txt":   {c2.OID, "second"},
			"dir/three.bin": {c3.OID, "third"},
		}
		checkLast := func(what string, e hub.TreeEntry) {
			t.Helper()
			w, found := want[e.Path]
			if !found {
				return
			}
			if e.LastCommit == nil {
				t.Fatalf("%s: %s has no LastCommit", what, e.Path)
			}
			equals(t, what+": last commit of "+e.Path, e.LastCommit.ID, w.id)
			equals(t, what+": title of "+e.Path, e.LastCommit.Title, w.title)
			if !e.LastCommit.Date.Equal(dates[w.id]) {
				t.Fatalf("%s: date of %s: got %v, want %v", what, e.Path, e.LastCommit.Date, dates[w.id])
			}
		}

		ents, err := c.ListRepoTree(ctx, r, &hub.ListTreeOptions{Recursive: true, Expand: true})
		ok(t, err)
		seen := 0
		for _, e := range ents {
			if _, found := want[e.Path]; found {
				seen++
			}
			checkLast("tree", e)
		}
		equals(t, "expanded entries", seen, len(want))
		ents, err = c.ListRepoTree(ctx, r, &hub.ListTreeOptions{Path: "dir", Expand: true})
		ok(t, err)
		equals(t, "entries of dir", len(ents), 2)
		for _, e := range ents {
			checkLast("tree of dir", e)
		}
		ents, err = c.ListRepoTree(ctx, r, &hub.ListTreeOptions{Recursive: true})
		ok(t, err)
		for _, e := range ents {
			if e.LastCommit != nil {
				t.Fatalf("tree without Expand: %s has a LastCommit", e.Path)
			}
		}
		// At an older revision the last commits are those of its history.
		ents, err = c.ListRepoTree(ctx, r, &hub.ListTreeOptions{Revision: c2.OID, Expand: true})
		ok(t, err)
		for _, e := range ents {
			if e.Path == "dir" {
				equals(t, "last commit of dir at c2", e.LastCommit.ID, c2.OID)
			}
		}

		paths := []string{"dir/two.txt", "missing.txt", "one.txt", "dir", "dir/nope/x"}
		infos, err := c.PathsInfo(ctx, r, "", paths, true)
		ok(t, err)
		got := map[string]hub.TreeEntry{}
		for _, e := range infos {
			got[e.Path] = e
			checkLast("paths-info", e)
		}
		equals(t, "paths-info entries", len(got), 3)
		for _, p := range []string{"dir/two.txt", "one.txt", "dir"} {
			if _, found := got[p]; !found {
				t.Fatalf("paths-info: %s missing from %+v", p, infos)
			}
		}
		equals(t, "paths-info dir is a folder", got["dir"].IsDir(), true)
		equals(t, "paths-info size", got["one.txt"].Size, int64(4))

		infos, err = c.PathsInfo(ctx, r, "main", []string{"one.txt", "dir/three.bin", "gone"}, false)
		ok(t, err)
		equals(t, "paths-info without expand", len(infos), 2)
		for _, e := range infos {
			if e.LastCommit != nil {
				t.Fatalf("paths-info without expand: %s has a LastCommit", e.Path)
			}
			if e.Path == "dir/three.bin" && (e.LFS == nil || e.LFS.Size != 2000) {
				t.Fatalf("paths-info of an LFS file: %+v", e)
			}
		}
		infos, err = c.PathsInfo(ctx, r, c1.OID, []string{"dir/two.txt"}, true)
		ok(t, err)
		equals(t, "paths-info at c1", len(infos), 0)
		infos, err = c.PathsInfo(ctx, r, "", nil, true)
		ok(t, err)
		equals(t, "paths-info of no paths", len(infos), 0)

		// More paths than one request takes: batches.
		many := make([]string, 1203)
		for i := range many {
			many[i] = fmt.Sprintf("nope/%d", i)
		}
		many[1202] = "one.txt"
		infos, err = c.PathsInfo(ctx, r, "", many, false)
		ok(t, err)
		if len(infos) != 1 || infos[0].Path != "one.txt" {
			t.Fatalf("paths-info of 1203 paths: %+v", infos)
		}

		if _, err := c.PathsInfo(ctx, r, "nope", []string{"one.txt"}, false); !errors.Is(err, hub.ErrRevisionNotFound) {
			t.Fatalf("paths-info at a missing revision: got %v, want ErrRevisionNotFound", err)
		}
		if _, err := c.PathsInfo(ctx, hub.Repo{ID: "bad id"}, "", []string{"one.txt"}, false); err == nil {
			t.Fatal("paths-info of an invalid repo id: no error")
		}
	})
}

func TestUpdateRepoSettingsAndMoveRepo(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		alice, rec := newClient(t, h.URL, h.Alice)
		anon, _ := newClient(t, h.URL, "")
		bob, _ := newClient(t, h.URL, h.Bob)
		r := hub.Repo{ID: "alice/settings", Type: hub.Dataset}
		_, err := alice.CreateRepo(ctx, r, nil)
		ok(t, err)
		_, err = alice.UploadFile(ctx, r, "m.txt", hub.FromBytes([]byte("m\n")), nil)
		ok(t, err)

		yes, no := true, false
		ok(t, alice.UpdateRepoSettings(ctx, r, &hub.RepoSettings{Private: &yes}))
		info, err := alice.RepoInfo(ctx, r, nil)
		ok(t, err)
		equals(t, "private after update", info.Private, true)
		for name, c := range map[string]*hub.Client{"anonymous": anon, "bob": bob} {
			if _, err := c.RepoInfo(ctx, r, nil); !errors.Is(err, hub.ErrRepoNotFound) {
				t.Fatalf("%s reads the now private repo: got %v, want ErrRepoNotFound", name, err)
			}
		}
		// Bob may not change alice's settings.
		if err := bob.UpdateRepoSettings(ctx, r, &hub.RepoSettings{Private: &no}); !errors.Is(err, hub.ErrRepoNotFound) {
			t.Fatalf("bob updates alice's private repo: got %v, want ErrRepoNotFound", err)
		}
		ok(t, alice.UpdateRepoSettings(ctx, r, &hub.RepoSettings{Private: &no}))
		info, err = anon.RepoInfo(ctx, r, nil)
		ok(t, err)
		equals(t, "public again", info.Private, false)

		for _, g := range []string{"auto", "manual", ""} {
			rec.take()
			ok(t, alice.UpdateRepoSettings(ctx, r, &hub.RepoSettings{Gated: &g}))
			equals(t, "settings request", strings.Join(rec.take(), ","), "PUT /api/datasets/alice/settings/settings")
			var got struct {
				Gated any `json:"gated"`
			}
			resp, err := h.Client.Get(h.URL + "/api/datasets/" + r.ID)
			ok(t, err)
			ok(t, json.NewDecoder(resp.Body).Decode(&got))
			resp.Body.Close()
			var want any = g
			if g == "" {
				want = false
			}
			equals(t, "gated", got.Gated, want)
		}
		bad := "sometimes"
		rec.take()
		if err := alice.UpdateRepoSettings(ctx, r, &hub.RepoSettings{Gated: &bad}); err == nil {
			t.Fatal("invalid gated mode: no error")
		}
		if err := alice.UpdateRepoSettings(ctx, r, nil); err == nil {
			t.Fatal("no setting: no error")
		}
		equals(t, "requests sent for invalid settings", len(rec.take()), 0)

		// Move (rename) within alice's namespace.
		to := hub.Repo{ID: "alice/moved", Type: hub.Dataset}
		ok(t, alice.MoveRepo(ctx, r, to.ID))
		exists, err := alice.RepoExists(ctx, r)
		ok(t, err)
		equals(t, "old id redirects after move", exists, true)
		equals(t, "content after move", string(download(t, alice, to, "", "m.txt")), "m\n")
		if err := alice.MoveRepo(ctx, r, "alice/again"); !errors.Is(err, hub.ErrRepoNotFound) {
			t.Fatalf("move a missing repo: got %v, want ErrRepoNotFound", err)
		}
		// Not into a namespace alice may not write to, and not as another type.
		if err := alice.MoveRepo(ctx, to, "bob/stolen"); err == nil {
			t.Fatal("move into bob's namespace: no error")
		}
		exists, err = alice.RepoExists(ctx, hub.Repo{ID: "alice/moved"})
		ok(t, err)
		equals(t, "moved dataset exists as a model", exists, false)
		// The old name can be reused.
		_, err = alice.CreateRepo(ctx, r, nil)
		ok(t, err)
		equals(t, "files of a re-created repo", strings.Join(sortedFiles(t, alice, r, ""), ","), ".gitattributes")

		rec.take()
		for _, bad := range []string{"no-namespace", "alice/bad name", ""} {
			if err := alice.MoveRepo(ctx, to, bad); err == nil {
				t.Errorf("move to %q: no error", bad)
			}
		}
		equals(t, "requests sent for invalid targets", len(rec.take()), 0)
	})
}
