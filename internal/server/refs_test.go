package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/wire"
)

type refItem struct {
	Name         string `json:"name"`
	Ref          string `json:"ref"`
	TargetCommit string `json:"targetCommit"`
}

type refsAnswer struct {
	Branches     []refItem  `json:"branches"`
	Tags         []refItem  `json:"tags"`
	Converts     []refItem  `json:"converts"`
	PullRequests *[]refItem `json:"pullRequests"`
}

func findRef(items []refItem, name string) (refItem, bool) {
	for _, it := range items {
		if it.Name == name {
			return it, true
		}
	}
	return refItem{}, false
}

func TestBranchesCreateFromRevisionAndDelete(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		const api = "/api/models/alice/m"
		h.CreateRepo(t, h.Alice, "alice/m", false)
		first := h.Commit(t, h.Alice, "alice/m", "main", servertest.File("a.txt", []byte("1")))
		second := h.Commit(t, h.Alice, "alice/m", "main", servertest.File("a.txt", []byte("2")))

		h.JSON(t, http.MethodPost, api+"/branch/dev", h.Alice, nil, http.StatusOK, nil) // no body: from main
		h.JSON(t, http.MethodPost, api+"/branch/"+servertest.Rev("feature/old"), h.Alice, map[string]any{"startingPoint": first}, http.StatusOK, nil)
		h.JSON(t, http.MethodPost, api+"/tag/"+first, h.Alice, map[string]any{"tag": "v1"}, http.StatusOK, nil)
		h.JSON(t, http.MethodPost, api+"/branch/from-tag", h.Alice, map[string]any{"startingPoint": "v1"}, http.StatusOK, nil)

		for rev, want := range map[string]string{"dev": second, "feature/old": first, "from-tag": first} {
			if got := h.Head(t, h.Alice, "alice/m", rev); got != want {
				t.Errorf("branch %s at %s, want %s", rev, got, want)
			}
		}
		if got := string(h.Download(t, h.Alice, "alice/m", "feature/old", "a.txt")); got != "1" {
			t.Errorf("a.txt on feature/old: %q", got)
		}
		// A commit to a branch moves only that branch.
		c := h.Commit(t, h.Alice, "alice/m", "feature/old", servertest.File("b.txt", []byte("b")))
		if got := h.Head(t, h.Alice, "alice/m", "main"); got != second {
			t.Errorf("committing to feature/old moved main")
		}
		var refs refsAnswer
		h.JSON(t, http.MethodGet, api+"/refs", h.Alice, nil, http.StatusOK, &refs)
		if b, ok := findRef(refs.Branches, "feature/old"); !ok || b.Ref != "refs/heads/feature/old" || b.TargetCommit != c {
			t.Errorf("refs lists feature/old as %+v, want target %s", b, c)
		}

		resp := h.Do(t, http.MethodPost, api+"/branch/dev", h.Alice, map[string]any{"startingPoint": first})
		servertest.ExpectError(t, resp, http.StatusConflict, "", "dev")
		if got := h.Head(t, h.Alice, "alice/m", "dev"); got != second {
			t.Errorf("a refused create moved dev")
		}
		resp = h.Do(t, http.MethodPost, api+"/branch/x", h.Alice, map[string]any{"startingPoint": "nope"})
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "nope")
		for _, bad := range []string{"with space", "a..b", "-x", "refs/heads/x", "x.lock"} {
			resp = h.Do(t, http.MethodPost, api+"/branch/"+servertest.Rev(bad), h.Alice, nil)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("branch %q: status %d, want 400", bad, resp.StatusCode)
			}
		}
		resp = h.Do(t, http.MethodPost, api+"/branch/bobs", h.Bob, nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("bob creating a branch in alice/m: status %d, want 403", resp.StatusCode)
		}

		h.JSON(t, http.MethodDelete, api+"/branch/"+servertest.Rev("feature/old"), h.Alice, nil, http.StatusOK, nil)
		resp = h.Do(t, http.MethodGet, api+"/revision/"+servertest.Rev("feature/old"), h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "")
		resp = h.Do(t, http.MethodDelete, api+"/branch/"+servertest.Rev("feature/old"), h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "")
		resp = h.Do(t, http.MethodDelete, api+"/branch/main", h.Alice, nil)
		if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusForbidden {
			t.Errorf("deleting main: status %d, want 400 or 403", resp.StatusCode)
		}
		if got := h.Head(t, h.Alice, "alice/m", "main"); got != second {
			t.Errorf("main moved")
		}
	})
}

func TestEmptyBranchHasNoFiles(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		resp := h.Do(t, http.MethodPost, "/api/models/alice/m/branch/empty", h.Alice, map[string]any{"emptyBranch": true})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("create an empty branch (huggingface.js emptyBranch): status %d, want 200; body %s", resp.StatusCode, servertest.Body(resp))
		}
		if files := h.Files(t, h.Alice, "alice/m", "empty"); len(files) != 0 {
			t.Errorf("empty branch has files %v", files)
		}
		if hist := h.History(t, h.Alice, "alice/m", "empty"); len(hist) != 1 {
			t.Errorf("empty branch has %d commits, want 1", len(hist))
		}
	})
}

func TestTagsCreateListAndDelete(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		const api = "/api/datasets/alice/d"
		h.CreateRepo(t, h.Alice, "datasets/alice/d", false)
		first := h.Head(t, h.Alice, "datasets/alice/d", "main")
		second := h.Commit(t, h.Alice, "datasets/alice/d", "main", servertest.File("a.txt", []byte("a")))

		h.JSON(t, http.MethodPost, api+"/tag/main", h.Alice, map[string]any{"tag": "v2", "message": "release"}, http.StatusOK, nil)
		h.JSON(t, http.MethodPost, api+"/tag/"+first, h.Alice, map[string]any{"tag": "v1"}, http.StatusOK, nil)
		for tag, want := range map[string]string{"v1": first, "v2": second} {
			if got := h.Head(t, h.Alice, "datasets/alice/d", tag); got != want {
				t.Errorf("tag %s at %s, want %s", tag, got, want)
			}
		}
		// Files are readable at a tag.
		resp := h.Do(t, http.MethodHead, "/datasets/alice/d/resolve/v1/a.txt", h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeEntryNotFound, "")
		if got := string(h.Download(t, h.Alice, "datasets/alice/d", "v2", "a.txt")); got != "a" {
			t.Errorf("a.txt at v2: %q", got)
		}

		resp = h.Do(t, http.MethodPost, api+"/tag/main", h.Alice, map[string]any{"tag": "v1"})
		servertest.ExpectError(t, resp, http.StatusConflict, "", "v1")
		if got := h.Head(t, h.Alice, "datasets/alice/d", "v1"); got != first {
			t.Errorf("a refused tag moved v1")
		}
		resp = h.Do(t, http.MethodPost, api+"/tag/nope", h.Alice, map[string]any{"tag": "v3"})
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "nope")
		resp = h.Do(t, http.MethodPost, api+"/tag/main", h.Alice, map[string]any{"tag": "with space"})
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("tag with a space: status %d, want 4xx", resp.StatusCode)
		}

		var refs refsAnswer
		h.JSON(t, http.MethodGet, api+"/refs", "", nil, http.StatusOK, &refs)
		for tag, want := range map[string]string{"v1": first, "v2": second} {
			if r, ok := findRef(refs.Tags, tag); !ok || r.Ref != "refs/tags/"+tag || r.TargetCommit != want {
				t.Errorf("refs lists tag %s as %+v", tag, r)
			}
		}

		h.JSON(t, http.MethodDelete, api+"/tag/v1", h.Alice, nil, http.StatusOK, nil)
		resp = h.Do(t, http.MethodGet, api+"/revision/v1", h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "")
		resp = h.Do(t, http.MethodDelete, api+"/tag/v1", h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "v1")
		resp = h.Do(t, http.MethodDelete, api+"/tag/main", h.Alice, nil) // a branch, not a tag
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "")
		if got := h.Head(t, h.Alice, "datasets/alice/d", "main"); got != second {
			t.Errorf("deleting tag main touched branch main")
		}
		resp = h.Do(t, http.MethodDelete, api+"/tag/v2", h.Carol, nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("carol deleting a tag: status %d, want 403", resp.StatusCode)
		}
	})
}

func TestRefsListsPullRequestsOnlyWhenAsked(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		var refs refsAnswer
		h.JSON(t, http.MethodGet, "/api/models/alice/m/refs", h.Alice, nil, http.StatusOK, &refs)
		if refs.Branches == nil || refs.Tags == nil || refs.Converts == nil {
			t.Errorf("branches, tags and converts must be lists: %+v", refs)
		}
		if main, ok := findRef(refs.Branches, "main"); !ok || main.Ref != "refs/heads/main" {
			t.Errorf("main: %+v", main)
		}
		var prs []string
		for range 11 {
			resp := h.PostCommit(t, h.Bob, "alice/m", "main", "create_pr=1", servertest.Lines(servertest.Header("pr", ""), servertest.File("x.txt", []byte("x"))))
			prs = append(prs, commitAnswer(t, resp).CommitOid)
		}
		h.JSON(t, http.MethodGet, "/api/models/alice/m/refs", h.Alice, nil, http.StatusOK, &refs)
		if refs.PullRequests != nil {
			t.Errorf("pullRequests listed without include_prs")
		}
		for _, q := range []string{"?include_prs=1", "?include_prs=True", "?include_prs=true"} {
			h.JSON(t, http.MethodGet, "/api/models/alice/m/refs"+q, h.Alice, nil, http.StatusOK, &refs)
			if refs.PullRequests == nil || len(*refs.PullRequests) != len(prs) {
				t.Fatalf("%s: pullRequests %v, want %d", q, refs.PullRequests, len(prs))
			}
			for i, pr := range *refs.PullRequests {
				n := fmt.Sprint(i + 1) // listed in PR number order: 1, 2, ..., 10, 11
				if pr.Name != n || pr.Ref != "refs/pr/"+n || pr.TargetCommit != prs[i] {
					t.Errorf("%s: PR %d listed as %+v", q, i+1, pr)
				}
			}
		}
		if len(refs.Branches) != 1 {
			t.Errorf("PR refs leak into branches: %+v", refs.Branches)
		}
	})
}

func TestCommitsListingFollowsLinkPages(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		want := []string{h.Head(t, h.Alice, "alice/m", "main")}
		for i := range 11 {
			want = append(want, h.Commit(t, h.Alice, "alice/m", "main", servertest.Header(fmt.Sprintf("commit %d", i), ""), servertest.File("n.txt", []byte(fmt.Sprint(i)))))
		}
		slices.Reverse(want)
		for _, limit := range []int{1, 3, 5, 12, 50} {
			path := fmt.Sprintf("/api/models/alice/m/commits/main?limit=%d", limit)
			var got []string
			pages := 0
			for path != "" {
				var page []servertest.CommitItem
				resp := h.JSON(t, http.MethodGet, path, h.Alice, nil, http.StatusOK, &page)
				pages++
				if len(page) > limit {
					t.Errorf("limit %d: page of %d", limit, len(page))
				}
				for _, c := range page {
					got = append(got, c.ID)
				}
				path = servertest.NextLink(resp)
				if path != "" && !strings.HasPrefix(path, h.URL+"/") {
					t.Fatalf("Link %q is not an absolute URL of the hub", path)
				}
				if pages > 20 {
					t.Fatal("endless pagination")
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("limit %d: %d commits over %d pages, want %d newest first", limit, len(got), pages, len(want))
			}
			if wantPages := (len(want) + limit - 1) / limit; pages != wantPages {
				t.Errorf("limit %d: %d pages, want %d", limit, pages, wantPages)
			}
		}
		// Without limit (as huggingface_hub asks) everything fits.
		hist := h.History(t, h.Alice, "alice/m", "main")
		if len(hist) != len(want) || hist[0].Title != "commit 10" || hist[len(hist)-1].Title != "initial commit" {
			t.Errorf("history: %d commits, first %q", len(hist), hist[0].Title)
		}
		// expand[]=formatted adds HTML.
		h.Commit(t, h.Alice, "alice/m", "main", servertest.Header("a <b> & c", ""), servertest.File("n.txt", []byte("x")))
		var page []struct {
			Formatted struct {
				Title string `json:"title"`
			} `json:"formatted"`
		}
		h.JSON(t, http.MethodGet, "/api/models/alice/m/commits/main?expand[]=formatted&limit=1", h.Alice, nil, http.StatusOK, &page)
		if len(page) != 1 || page[0].Formatted.Title != "a &lt;b&gt; &amp; c" {
			t.Errorf("formatted title %+v", page)
		}
		resp := h.Do(t, http.MethodGet, "/api/models/alice/m/commits/nope", h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "nope")
	})
}

// treeRepo creates alice/tree with n files spread over nested folders and
// returns the expected recursive listing (files and folders).
func treeRepo(t *testing.T, h *servertest.Hub, n int) (files, dirs []string) {
	t.Helper()
	h.CreateRepo(t, h.Alice, "alice/tree", false)
	var ops []servertest.Op
	dirSet := map[string]bool{}
	for i := range n {
		var p string
		switch i % 5 {
		case 0:
			p = fmt.Sprintf("f%03d.txt", i)
		case 1:
			p = fmt.Sprintf("sub/dir/f%03d.txt", i)
		case 2:
			p = fmt.Sprintf("sub/f%03d.txt", i)
		case 3:
			p = fmt.Sprintf("sub-x/f%03d.txt", i) // "sub-x" sorts between "sub" and "sub/" in git order
		case 4:
			p = fmt.Sprintf("deep/%d/a/b/f%03d.txt", i%3, i)
		}
		ops = append(ops, servertest.File(p, []byte(p)))
		files = append(files, p)
		for d := p; strings.Contains(d, "/"); {
			d = d[:strings.LastIndex(d, "/")]
			dirSet[d] = true
		}
	}
	h.Commit(t, h.Alice, "alice/tree", "main", ops...)
	for d := range dirSet {
		dirs = append(dirs, d)
	}
	return append(files, ".gitattributes"), dirs
}

func TestTreeListingRecursiveAndPaged(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		files, dirs := treeRepo(t, h, 300)
		all := h.Tree(t, h.Alice, "alice/tree", "main")
		var gotFiles, gotDirs []string
		for _, e := range all {
			switch e.Type {
			case "file":
				gotFiles = append(gotFiles, e.Path)
				if e.Path != ".gitattributes" && e.Size != int64(len(e.Path)) {
					t.Errorf("%s: size %d", e.Path, e.Size)
				}
				if e.Path != ".gitattributes" && e.OID != servertest.GitBlobID([]byte(e.Path)) {
					t.Errorf("%s: oid %s is not the git blob id", e.Path, e.OID)
				}
			case "directory":
				gotDirs = append(gotDirs, e.Path)
				if !wire.IsCommitID(e.OID) {
					t.Errorf("folder %s: oid %q", e.Path, e.OID)
				}
			default:
				t.Errorf("%s: type %q", e.Path, e.Type)
			}
		}
		sameSet(t, "recursive files", gotFiles, files)
		sameSet(t, "recursive folders", gotDirs, dirs)

		for _, tc := range []struct {
			query     string
			limit     int
			recursive bool
		}{
			{"recursive=true", 7, true}, {"recursive=true", 50, true}, {"recursive=True&expand=False", 299, true},
			{"recursive=true", 1000, true}, {"recursive=false", 1, false}, {"recursive=false", 10, false},
		} {
			path := fmt.Sprintf("/api/models/alice/tree/tree/main?%s&limit=%d", tc.query, tc.limit)
			var got []string
			seen := map[string]bool{}
			for _, e := range servertest.Pages[servertest.Entry](t, h, h.Alice, path) {
				if seen[e.Path] {
					t.Errorf("%s: %s listed twice", path, e.Path)
				}
				seen[e.Path] = true
				got = append(got, e.Path)
			}
			var want []string
			for _, e := range all {
				if tc.recursive || !strings.Contains(e.Path, "/") {
					want = append(want, e.Path)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: pages hold %d entries, want the %d of the full listing in the same order", path, len(got), len(want))
			}
		}
		// Non-recursive root listing: files and first-level folders only.
		root := servertest.Pages[servertest.Entry](t, h, h.Alice, "/api/models/alice/tree/tree/main?recursive=false")
		var names []string
		for _, e := range root {
			if e.Type == "directory" {
				names = append(names, e.Path)
			}
		}
		sameSet(t, "root folders", names, []string{"sub", "sub-x", "deep"})
	})
}

func TestTreeListingOfSubfolder(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		treeRepo(t, h, 40)
		var want []string
		for _, e := range h.Tree(t, h.Alice, "alice/tree", "main") {
			if strings.HasPrefix(e.Path, "sub/") {
				want = append(want, e.Path)
			}
		}
		for _, p := range []string{
			"/api/models/alice/tree/tree/main/sub?recursive=true",
			"/api/models/alice/tree/tree/main/sub/?recursive=true",
			"/api/models/alice/tree/tree/main/sub?recursive=true&limit=3",
		} {
			got := servertest.Pages[servertest.Entry](t, h, h.Alice, p)
			var paths []string
			for _, e := range got {
				paths = append(paths, e.Path)
			}
			if !slices.Equal(paths, want) {
				t.Errorf("%s: %v, want %v", p, paths, want)
			}
		}
		// sub/dir: encoded as Python sends it, and verbatim as the JS client does.
		var wantDir []string
		for _, p := range want {
			if strings.HasPrefix(p, "sub/dir/") {
				wantDir = append(wantDir, p)
			}
		}
		for _, p := range []string{
			"/api/models/alice/tree/tree/main/sub%2Fdir?recursive=false&expand=false",
			"/api/models/alice/tree/tree/main/sub/dir?recursive=false",
			"/api/models/alice/tree/tree/main/sub%2Fdir%2F?recursive=false",
		} {
			got := servertest.Pages[servertest.Entry](t, h, h.Alice, p)
			var paths []string
			for _, e := range got {
				paths = append(paths, e.Path)
			}
			if !slices.Equal(paths, wantDir) {
				t.Errorf("%s: %v, want %v", p, paths, wantDir)
			}
		}
		resp := h.Do(t, http.MethodGet, "/api/models/alice/tree/tree/main/nope", h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeEntryNotFound, "nope")
		resp = h.Do(t, http.MethodGet, "/api/models/alice/tree/tree/nope/sub", h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "nope")
		resp = h.Do(t, http.MethodGet, "/api/models/alice/tree/tree/main/sub%2F..%2F..%2Fx", h.Alice, nil)
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("tree of sub/../../x: status %d, want 4xx", resp.StatusCode)
		}
	})
}

func TestPathsInfoFormAndJSON(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		weights := []byte("w\x00eights")
		oid := h.PutLFS(t, "alice/m", weights)
		h.Commit(t, h.Alice, "alice/m", "main",
			servertest.File("a.txt", []byte("aaa")),
			servertest.File("dir/b.txt", []byte("b")),
			servertest.LFSFile("dir/w.bin", oid, int64(len(weights))))
		check := func(t *testing.T, got []servertest.Entry) {
			t.Helper()
			byPath := map[string]servertest.Entry{}
			var paths []string
			for _, e := range got {
				byPath[e.Path] = e
				paths = append(paths, e.Path)
			}
			sameSet(t, "paths-info", paths, []string{"a.txt", "dir/w.bin", "dir"})
			if e := byPath["a.txt"]; e.Type != "file" || e.Size != 3 || e.OID != servertest.GitBlobID([]byte("aaa")) || e.LFS != nil {
				t.Errorf("a.txt: %+v", e)
			}
			if e := byPath["dir/w.bin"]; e.Type != "file" || e.Size != int64(len(weights)) || e.LFS == nil || e.LFS.OID != oid ||
				e.LFS.Size != int64(len(weights)) || e.LFS.PointerSize != int64(len(servertest.Pointer(weights))) ||
				e.OID != servertest.GitBlobID(servertest.Pointer(weights)) {
				t.Errorf("dir/w.bin: %+v lfs %+v", e, e.LFS)
			}
			if e := byPath["dir"]; e.Type != "directory" {
				t.Errorf("dir: %+v", e)
			}
		}
		asked := []string{"a.txt", "missing.txt", "dir/w.bin", "dir/missing/x", "dir"}
		var got []servertest.Entry
		h.JSON(t, http.MethodPost, "/api/models/alice/m/paths-info/main", h.Alice, url.Values{"paths": asked, "expand": {"False"}}, http.StatusOK, &got)
		check(t, got)
		h.JSON(t, http.MethodPost, "/api/models/alice/m/paths-info/main", h.Alice, map[string]any{"paths": asked, "expand": false}, http.StatusOK, &got)
		check(t, got)
		h.JSON(t, http.MethodPost, "/api/models/alice/m/paths-info/main", h.Alice, url.Values{"paths": {"nope"}}, http.StatusOK, &got)
		if len(got) != 0 {
			t.Errorf("only missing paths: %+v", got)
		}
		resp := h.Do(t, http.MethodPost, "/api/models/alice/m/paths-info/nope", h.Alice, url.Values{"paths": {"a.txt"}})
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "nope")
		many := url.Values{}
		for i := range 1001 {
			many.Add("paths", fmt.Sprint(i))
		}
		resp = h.Do(t, http.MethodPost, "/api/models/alice/m/paths-info/main", h.Alice, many)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("1001 paths: status %d, want 413", resp.StatusCode)
		}
	})
}

func TestPullRequestRevisionEncodings(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		resp := h.PostCommit(t, h.Alice, "alice/m", "main", "create_pr=1", servertest.Lines(
			servertest.Header("pr", ""),
			servertest.File("sub/dir/file.txt", []byte("in the PR")),
			servertest.File("pr/1/trap.txt", []byte("a folder named like the ref"))))
		pr := commitAnswer(t, resp).CommitOid
		// A branch named "refs" must not capture refs/pr/1 URLs.
		h.JSON(t, http.MethodPost, "/api/models/alice/m/branch/refs", h.Alice, nil, http.StatusOK, nil)

		for _, p := range []string{
			"/alice/m/resolve/refs%2Fpr%2F1/sub/dir/file.txt",
			"/alice/m/resolve/refs/pr/1/sub/dir/file.txt",
			"/alice/m/resolve/" + pr + "/sub/dir/file.txt",
		} {
			for _, m := range []string{http.MethodGet, http.MethodHead} {
				resp := h.Do(t, m, p, h.Alice, nil)
				if resp.StatusCode != http.StatusOK || resp.Header.Get(wire.HeaderRepoCommit) != pr {
					t.Errorf("%s %s: status %d X-Repo-Commit %q, want 200 %s", m, p, resp.StatusCode, resp.Header.Get(wire.HeaderRepoCommit), pr)
				}
				if m == http.MethodGet && string(servertest.Body(resp)) != "in the PR" {
					t.Errorf("GET %s: %q", p, servertest.Body(resp))
				}
			}
		}
		for _, p := range []string{
			"/api/models/alice/m/tree/refs%2Fpr%2F1/sub%2Fdir",
			"/api/models/alice/m/tree/refs/pr/1/sub/dir",
			"/api/models/alice/m/tree/refs%2Fpr%2F1/sub/dir",
		} {
			var got []servertest.Entry
			h.JSON(t, http.MethodGet, p, h.Alice, nil, http.StatusOK, &got)
			if len(got) != 1 || got[0].Path != "sub/dir/file.txt" {
				t.Errorf("%s: %+v", p, got)
			}
		}
		for _, p := range []string{
			"/api/models/alice/m/revision/refs%2Fpr%2F1",
			"/api/models/alice/m/revision/refs/pr/1",
			"/api/models/alice/m/commits/refs%2Fpr%2F1",
		} {
			resp := h.Do(t, http.MethodGet, p, h.Alice, nil)
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(servertest.Body(resp)), pr) {
				t.Errorf("%s: status %d, body without %s", p, resp.StatusCode, pr)
			}
		}
		var got []servertest.Entry
		h.JSON(t, http.MethodPost, "/api/models/alice/m/paths-info/refs%2Fpr%2F1", h.Alice, url.Values{"paths": {"sub/dir/file.txt"}}, http.StatusOK, &got)
		if len(got) != 1 {
			t.Errorf("paths-info on refs/pr/1: %+v", got)
		}
		// On branch "refs", "pr/1/trap.txt" does not exist: the verbatim
		// PR ref wins over a branch named refs.
		resp = h.Do(t, http.MethodGet, "/alice/m/resolve/refs/pr/1/trap.txt", h.Alice, nil)
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get(wire.HeaderRepoCommit) != pr {
			t.Errorf("resolve refs/pr/1/trap.txt: status %d X-Repo-Commit %q, want 404 at %s", resp.StatusCode, resp.Header.Get(wire.HeaderRepoCommit), pr)
		}
		if got := string(h.Download(t, h.Alice, "alice/m", "refs/pr/1", "pr/1/trap.txt")); got != "a folder named like the ref" {
			t.Errorf("pr/1/trap.txt on refs/pr/1: %q", got)
		}
		resp = h.Do(t, http.MethodGet, "/alice/m/resolve/refs%2Fpr%2F2/sub/dir/file.txt", h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "")
	})
}

func TestSuperSquashKeepsTreeAndDropsHistory(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		oid := h.PutLFS(t, "alice/m", []byte("weights"))
		for i := range 5 {
			h.Commit(t, h.Alice, "alice/m", "main", servertest.File(fmt.Sprintf("f%d.txt", i), []byte(fmt.Sprint(i))), servertest.LFSFile("w.bin", oid, 7))
		}
		h.JSON(t, http.MethodPost, "/api/models/alice/m/branch/dev", h.Alice, nil, http.StatusOK, nil)
		before := h.Tree(t, h.Alice, "alice/m", "main")
		oldHead := h.Head(t, h.Alice, "alice/m", "main")

		var ans map[string]any
		h.JSON(t, http.MethodPost, "/api/models/alice/m/super-squash/main", h.Alice, map[string]any{"message": "Squash!"}, http.StatusOK, &ans)
		hist := h.History(t, h.Alice, "alice/m", "main")
		if len(hist) != 1 || hist[0].Title != "Squash!" {
			t.Fatalf("history after super-squash: %+v", hist)
		}
		if after := h.Tree(t, h.Alice, "alice/m", "main"); !reflect.DeepEqual(after, before) {
			t.Errorf("tree changed:\nbefore %+v\nafter  %+v", before, after)
		}
		if got := h.Download(t, h.Alice, "alice/m", "main", "w.bin"); string(got) != "weights" {
			t.Errorf("w.bin after squash: %q", got)
		}
		// Other branches keep their history; the old commits stay readable by id.
		if got := h.History(t, h.Alice, "alice/m", "dev"); len(got) != 6 || got[0].ID != oldHead {
			t.Errorf("dev history: %d commits", len(got))
		}
		// Commits continue on the squashed branch.
		h.Commit(t, h.Alice, "alice/m", "main", servertest.File("after.txt", []byte("a")))
		if got := h.History(t, h.Alice, "alice/m", "main"); len(got) != 2 {
			t.Errorf("history after a new commit: %d commits, want 2", len(got))
		}
		resp := h.Do(t, http.MethodPost, "/api/models/alice/m/super-squash/nope", h.Alice, map[string]any{"message": "x"})
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "nope")
		resp = h.Do(t, http.MethodPost, "/api/models/alice/m/super-squash/main", h.Bob, map[string]any{"message": "x"})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("bob squashing alice/m: status %d, want 403", resp.StatusCode)
		}
		// Default message.
		h.JSON(t, http.MethodPost, "/api/models/alice/m/super-squash/dev", h.Alice, nil, http.StatusOK, nil)
		if got := h.History(t, h.Alice, "alice/m", "dev"); len(got) != 1 || !strings.Contains(got[0].Title, "dev") {
			t.Errorf("dev after squash with the default message: %+v", got)
		}
	})
}
