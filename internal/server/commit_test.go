package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/wire"
)

func commitAnswer(t *testing.T, resp *http.Response) servertest.CommitResponse {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("commit: status %d; body %s", resp.StatusCode, servertest.Body(resp))
	}
	var cr servertest.CommitResponse
	if err := json.Unmarshal(servertest.Body(resp), &cr); err != nil {
		t.Fatal(err)
	}
	return cr
}

func TestCommitAddsReplacesAndDeletesFiles(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		const r = "datasets/alice/d"
		h.CreateRepo(t, h.Alice, r, false)
		weights := bytes.Repeat([]byte{0, 1, 2, 3}, 1000)
		oid := h.PutLFS(t, r, weights)
		copyOf := []byte("another LFS object")
		copyOID := h.PutLFS(t, r, copyOf)

		resp := h.PostCommit(t, h.Alice, r, "main", "", servertest.Lines(
			servertest.Header("Upload folder using huggingface_hub", ""),
			servertest.File("README.md", []byte("# hello\n")),
			servertest.File("data/train.txt", []byte("train")),
			servertest.File("data/val.txt", []byte("val")),
			servertest.File("logs/a.log", []byte("a")),
			servertest.File("logs/deep/b.log", []byte("b")),
			servertest.File("empty.txt", nil),
			servertest.LFSFile("weights/model.bin", oid, int64(len(weights))),
			servertest.LFSFile("copy.bin", copyOID, -1),
		))
		cr := commitAnswer(t, resp)
		if !cr.Success || cr.CommitURL != h.URL+"/datasets/alice/d/commit/"+cr.CommitOid || cr.PullRequestURL != "" {
			t.Errorf("answer %+v", cr)
		}
		if got := h.Head(t, h.Alice, r, "main"); got != cr.CommitOid {
			t.Errorf("main is %s, want the new commit %s", got, cr.CommitOid)
		}
		hist := h.History(t, h.Alice, r, "main")
		if len(hist) != 2 || hist[0].ID != cr.CommitOid || hist[0].Title != "Upload folder using huggingface_hub" {
			t.Errorf("history %+v", hist)
		}
		if len(hist) > 0 && (len(hist[0].Authors) != 1 || hist[0].Authors[0].User != "alice") {
			t.Errorf("authors %+v, want alice", hist[0].Authors)
		}
		want := map[string][]byte{
			"README.md": []byte("# hello\n"), "data/train.txt": []byte("train"), "data/val.txt": []byte("val"), "logs/a.log": []byte("a"),
			"logs/deep/b.log": []byte("b"), "empty.txt": {}, "weights/model.bin": weights, "copy.bin": copyOf,
		}
		for p, content := range want {
			if got := h.Download(t, h.Alice, r, "main", p); !bytes.Equal(got, content) {
				t.Errorf("%s: downloaded %d bytes, uploaded %d", p, len(got), len(content))
			}
		}

		// Replace, delete a file, delete a folder (with the trailing slash
		// Python sends).
		second := h.Commit(t, h.Alice, r, "main",
			servertest.DeleteFile("data/train.txt"),
			servertest.DeleteFolder("logs/"),
			servertest.File("README.md", []byte("# changed\n")))
		sameSet(t, "files after deletions", h.Files(t, h.Alice, r, "main"),
			[]string{".gitattributes", "README.md", "data/val.txt", "empty.txt", "weights/model.bin", "copy.bin"})
		if got := string(h.Download(t, h.Alice, r, "main", "README.md")); got != "# changed\n" {
			t.Errorf("README.md: %q", got)
		}
		for _, e := range h.Tree(t, h.Alice, r, "main") {
			if e.Path == "logs" {
				t.Errorf("folder %s survived its deletion", e.Path)
			}
		}
		// The old revision is intact.
		if got := string(h.Download(t, h.Alice, r, cr.CommitOid, "logs/deep/b.log")); got != "b" {
			t.Errorf("logs/deep/b.log at the first commit: %q", got)
		}
		if got := h.History(t, h.Alice, r, "main"); len(got) != 3 || got[0].ID != second {
			t.Errorf("history after second commit: %d commits, newest %v", len(got), got)
		}
	})
}

func TestCommitDeletingLastFileOfFolderRemovesFolder(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		h.Commit(t, h.Alice, "alice/m", "main",
			servertest.File("keep.txt", []byte("k")),
			servertest.File("data/only.txt", []byte("o")),
			servertest.File("a/b/c/deep.txt", []byte("d")))
		resp := h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.Lines(
			servertest.Header("empty two folders", ""),
			servertest.DeleteFile("data/only.txt"),
			servertest.DeleteFile("a/b/c/deep.txt")))
		if resp.StatusCode != http.StatusOK {
			// Emptying a folder makes the tree builder write the empty
			// tree: its encoding has zero bytes, which must not become NULL.
			t.Fatalf("deleting the last file of a folder: status %d, want 200; body %s", resp.StatusCode, servertest.Body(resp))
		}
		sameSet(t, "files", h.Files(t, h.Alice, "alice/m", "main"), []string{".gitattributes", "keep.txt"})
		for _, e := range h.Tree(t, h.Alice, "alice/m", "main") {
			if e.Type != "file" {
				t.Errorf("folder %s survived the deletion of all its files", e.Path)
			}
		}
	})
}

func TestCommitKeepsDescriptionAndAcceptsJSClientBody(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		// The JS client: no trailing newline, utf-8 encoding, no description.
		body := `{"key":"header","value":{"summary":"from js"}}` + "\n" +
			`{"key":"file","value":{"path":"a.txt","content":"héllo","encoding":"utf-8"}}`
		resp := h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.NDJSON(body))
		commitAnswer(t, resp)
		if got := string(h.Download(t, h.Alice, "alice/m", "main", "a.txt")); got != "héllo" {
			t.Errorf("a.txt: %q", got)
		}
		// Python: description, \uXXXX escapes, ", " separators.
		body = `{"key": "header", "value": {"summary": "title", "description": "line one\nline two"}}` + "\n" +
			`{"key": "file", "value": {"content": "aMOpbGxv", "path": "caf\u00e9.txt", "encoding": "base64"}}` + "\n"
		commitAnswer(t, h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.NDJSON(body)))
		if got := string(h.Download(t, h.Alice, "alice/m", "main", "café.txt")); got != "héllo" {
			t.Errorf("café.txt: %q", got)
		}
		hist := h.History(t, h.Alice, "alice/m", "main")
		if hist[0].Title != "title" || hist[0].Message != "line one\nline two" {
			t.Errorf("title %q message %q", hist[0].Title, hist[0].Message)
		}
	})
}

func TestCommitParentCommit(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		base := h.Head(t, h.Alice, "alice/m", "main")
		next := h.Commit(t, h.Alice, "alice/m", "main", servertest.Header("first", base), servertest.File("a.txt", []byte("a")))
		// Abbreviated ids are accepted, in either case.
		next = h.Commit(t, h.Alice, "alice/m", "main", servertest.Header("second", strings.ToUpper(next[:7])), servertest.File("b.txt", []byte("b")))

		resp := h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.Lines(servertest.Header("stale", base), servertest.File("c.txt", []byte("c"))))
		servertest.ExpectError(t, resp, http.StatusPreconditionFailed, "", wire.MessageParentMismatch)
		if got := h.Head(t, h.Alice, "alice/m", "main"); got != next {
			t.Errorf("a stale commit moved main to %s", got)
		}
		resp = h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.Lines(servertest.Header("bad", "xyz12"), servertest.File("c.txt", []byte("c"))))
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("parentCommit xyz12: status %d, want 400", resp.StatusCode)
		}
	})
}

func TestCommitCreatePROpensPullRequest(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		main := h.Head(t, h.Alice, "alice/m", "main")
		// bob may not write to alice/m, but he may open a pull request.
		resp := h.PostCommit(t, h.Bob, "alice/m", "main", "create_pr=1", servertest.Lines(
			servertest.Header("Add a.txt", ""), servertest.File("a.txt", []byte("from bob"))))
		cr := commitAnswer(t, resp)
		if cr.PullRequestURL != h.URL+"/alice/m/discussions/1" {
			t.Fatalf("pullRequestUrl %q", cr.PullRequestURL)
		}
		m := regexp.MustCompile(`.*/discussions/(\d+)$`).FindStringSubmatch(cr.PullRequestURL)
		prRef := "refs/pr/" + m[1]
		if got := h.Head(t, h.Alice, "alice/m", prRef); got != cr.CommitOid {
			t.Errorf("%s is %s, want %s", prRef, got, cr.CommitOid)
		}
		if got := h.Head(t, h.Alice, "alice/m", "main"); got != main {
			t.Errorf("create_pr moved main")
		}
		var d struct {
			Num           int    `json:"num"`
			Status        string `json:"status"`
			IsPullRequest bool   `json:"isPullRequest"`
			Title         string `json:"title"`
			Changes       struct {
				Base string `json:"base"`
			} `json:"changes"`
		}
		h.JSON(t, http.MethodGet, "/api/models/alice/m/discussions/1?diff=1", h.Alice, nil, http.StatusOK, &d)
		if d.Status != "open" || !d.IsPullRequest || d.Changes.Base != "refs/heads/main" || d.Title != "Add a.txt" {
			t.Errorf("discussion %+v", d)
		}

		// Commit to the PR with the encoded ref, as Python does, then with the verbatim ref.
		c2 := h.Commit(t, h.Bob, "alice/m", "refs/pr/1", servertest.File("b.txt", []byte("b")))
		resp = h.Do(t, http.MethodPost, "/api/models/alice/m/commit/refs/pr/1", h.Bob, servertest.Lines(servertest.Header("verbatim", ""), servertest.File("c.txt", []byte("c"))))
		c3 := commitAnswer(t, resp).CommitOid
		if got := h.Head(t, h.Alice, "alice/m", "refs/pr/1"); got != c3 {
			t.Errorf("refs/pr/1 is %s, want %s", got, c3)
		}
		hist := h.History(t, h.Alice, "alice/m", "refs/pr/1")
		if len(hist) != 4 || hist[0].ID != c3 || hist[1].ID != c2 || hist[2].ID != cr.CommitOid || hist[3].ID != main {
			t.Errorf("PR history: %+v", hist)
		}
		sameSet(t, "files of the PR", h.Files(t, h.Alice, "alice/m", "refs/pr/1"), []string{".gitattributes", "a.txt", "b.txt", "c.txt"})
		sameSet(t, "files of main", h.Files(t, h.Alice, "alice/m", "main"), []string{".gitattributes"})

		// A second create_pr opens PR 2.
		cr = commitAnswer(t, h.PostCommit(t, h.Alice, "alice/m", "main", "create_pr=True", servertest.Lines(servertest.Header("two", ""), servertest.File("x.txt", []byte("x")))))
		if !strings.HasSuffix(cr.PullRequestURL, "/discussions/2") {
			t.Errorf("second PR url %q", cr.PullRequestURL)
		}
		// create_pr against a commit id or a missing branch.
		for _, rev := range []string{main, "nope"} {
			resp = h.PostCommit(t, h.Alice, "alice/m", rev, "create_pr=1", servertest.Lines(servertest.Header("x", ""), servertest.File("y.txt", []byte("y"))))
			servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "")
		}
		// A PR that does not exist.
		resp = h.PostCommit(t, h.Alice, "alice/m", "refs/pr/9", "", servertest.Lines(servertest.Header("x", ""), servertest.File("y.txt", []byte("y"))))
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "")
		// carol may not push to bob's PR.
		resp = h.PostCommit(t, h.Carol, "alice/m", "refs/pr/1", "", servertest.Lines(servertest.Header("x", ""), servertest.File("y.txt", []byte("y"))))
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("carol pushing to bob's PR: status %d, want 403", resp.StatusCode)
		}
		if got := h.Head(t, h.Alice, "alice/m", "refs/pr/1"); got != c3 {
			t.Errorf("refused pushes moved refs/pr/1")
		}
	})
}

func TestCommitLFSFileOutsideGitattributesAddsRule(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		before := h.Download(t, h.Alice, "alice/m", "main", ".gitattributes")
		content := []byte("custom format")
		oid := h.PutLFS(t, "alice/m", content)
		head := h.Commit(t, h.Alice, "alice/m", "main",
			servertest.LFSFile("weights/model.custom", oid, int64(len(content))),
			servertest.LFSFile("my file [1].ckptx", oid, int64(len(content))),
			servertest.LFSFile("covered.bin", oid, int64(len(content))))
		after := h.Download(t, h.Alice, "alice/m", head, ".gitattributes")
		if !bytes.HasPrefix(after, before) {
			t.Fatalf(".gitattributes lost its rules:\n%s", after)
		}
		added := strings.Split(strings.TrimSpace(string(after[len(before):])), "\n")
		if len(added) != 2 {
			t.Fatalf("rules added: %q, want 2 (covered.bin needs none)", added)
		}
		for _, l := range added {
			if !strings.HasSuffix(l, " filter=lfs diff=lfs merge=lfs -text") {
				t.Errorf("rule %q is not an LFS rule", l)
			}
		}
		// The rules must cover the paths: preupload now answers lfs for
		// them, even for tiny text samples.
		got := preupload(t, h, h.Alice, "alice/m", "main", map[string]any{"files": []any{
			fileReq("weights/model.custom", []byte("x")), fileReq("my file [1].ckptx", []byte("x")), fileReq("other.custom", []byte("x")),
		}})
		if got["weights/model.custom"].UploadMode != "lfs" || got["my file [1].ckptx"].UploadMode != "lfs" {
			t.Errorf("after the commit: %+v", got)
		}
		if got["other.custom"].UploadMode != "regular" {
			t.Errorf("the rule for weights/model.custom also covers other.custom")
		}
		// One commit did it all.
		if hist := h.History(t, h.Alice, "alice/m", "main"); len(hist) != 2 {
			t.Errorf("%d commits, want 2", len(hist))
		}
		for _, p := range []string{"weights/model.custom", "my file [1].ckptx", "covered.bin"} {
			if !bytes.Equal(h.Download(t, h.Alice, "alice/m", "main", p), content) {
				t.Errorf("%s: wrong content", p)
			}
		}
	})
}

func TestCommitRejectsLFSObjectNotLinkedToRepo(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		h.CreateRepo(t, h.Bob, "bob/other", false)
		head := h.Head(t, h.Alice, "alice/m", "main")
		inOther := []byte("bob's weights")
		otherOID := h.PutLFS(t, "bob/other", inOther)
		stored := []byte("stored but not linked")
		storedOID := h.StoreLFS(t, stored)
		never := servertest.SHA256([]byte("never uploaded"))
		linked := []byte("linked")
		linkedOID := h.PutLFS(t, "alice/m", linked)
		tests := []struct {
			name string
			op   servertest.Op
		}{
			{"object of another repo", servertest.LFSFile("w.bin", otherOID, int64(len(inOther)))},
			{"object of another repo without size", servertest.LFSFile("w.bin", otherOID, -1)},
			{"stored object linked to no repo", servertest.LFSFile("w.bin", storedOID, int64(len(stored)))},
			{"object never uploaded", servertest.LFSFile("w.bin", never, 14)},
			{"linked object with wrong size", servertest.LFSFile("w.bin", linkedOID, int64(len(linked)+1))},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				resp := h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.Lines(servertest.Header("x", ""), servertest.File("ok.txt", []byte("ok")), tc.op))
				if resp.StatusCode < 400 || resp.StatusCode >= 500 {
					t.Errorf("status %d, want 4xx; body %s", resp.StatusCode, servertest.Body(resp))
				}
				if got := h.Head(t, h.Alice, "alice/m", "main"); got != head {
					t.Errorf("a refused commit moved main to %s", got)
				}
			})
		}
		sameSet(t, "files", h.Files(t, h.Alice, "alice/m", "main"), []string{".gitattributes"})
	})
}

func TestCommitDeletingMissingFileIsEntryNotFound(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		head := h.Commit(t, h.Alice, "alice/m", "main", servertest.File("dir/a.txt", []byte("a")))
		for _, op := range []servertest.Op{
			servertest.DeleteFile("missing.txt"),
			servertest.DeleteFile("dir/missing.txt"),
			servertest.DeleteFile("nodir/a.txt"),
		} {
			resp := h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.Lines(servertest.Header("x", ""), servertest.File("new.txt", []byte("n")), op))
			servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeEntryNotFound, "A file with this name doesn't exist")
		}
		resp := h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.Lines(servertest.Header("x", ""), servertest.DeleteFolder("nodir/")))
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeEntryNotFound, "nodir")
		if got := h.Head(t, h.Alice, "alice/m", "main"); got != head {
			t.Errorf("a refused commit moved main")
		}
	})
}

func TestCommitRejectsInvalidPaths(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		head := h.Head(t, h.Alice, "alice/m", "main")
		oid := h.PutLFS(t, "alice/m", []byte("lfs"))
		paths := []string{`..\ddd`, "../x", "a/../../x", "/abs", "a//b", ".git/config", "a/.GIT/x", "dir/", ".", "", "a\x00b", "./a"}
		for _, p := range paths {
			for _, op := range []servertest.Op{
				servertest.File(p, []byte("x")),
				servertest.LFSFile(p, oid, 3),
				servertest.DeleteFile(p),
			} {
				name := fmt.Sprintf("%s %q", op["key"], p)
				resp := h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.Lines(servertest.Header("x", ""), servertest.File("ok.txt", []byte("ok")), op))
				if resp.StatusCode != http.StatusUnprocessableEntity && resp.StatusCode != http.StatusBadRequest {
					t.Errorf("%s: status %d, want 422 or 400; body %s", name, resp.StatusCode, servertest.Body(resp))
				}
			}
		}
		// The Hub answers 422 to "..\ddd" (huggingface_hub test).
		resp := h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.Lines(servertest.Header("x", ""), servertest.File(`..\ddd`, []byte("x"))))
		servertest.ExpectError(t, resp, http.StatusUnprocessableEntity, "", `..\\ddd`)
		// A rename from an invalid oldPath is an invalid path too.
		resp = h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.NDJSON(`{"key":"header","value":{"summary":"x"}}`+"\n"+
			`{"key":"file","value":{"path":"ok.txt","oldPath":"../../etc/passwd","content":"YQ=="}}`+"\n"))
		servertest.ExpectError(t, resp, http.StatusUnprocessableEntity, "", "oldPath")
		for _, p := range []string{"../x", "/", ".git"} {
			resp := h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.Lines(servertest.Header("x", ""), servertest.DeleteFolder(p)))
			if resp.StatusCode < 400 || resp.StatusCode >= 500 {
				t.Errorf("deletedFolder %q: status %d, want 4xx", p, resp.StatusCode)
			}
		}
		if got := h.Head(t, h.Alice, "alice/m", "main"); got != head {
			t.Errorf("refused commits moved main to %s", got)
		}
		sameSet(t, "files", h.Files(t, h.Alice, "alice/m", "main"), []string{".gitattributes"})
	})
}

func TestCommitRejectsMalformedBody(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		head := h.Head(t, h.Alice, "alice/m", "main")
		hdr := `{"key":"header","value":{"summary":"x"}}` + "\n"
		file := `{"key":"file","value":{"path":"a.txt","content":"YQ==","encoding":"base64"}}` + "\n"
		tests := []struct {
			name, body, msg string
		}{
			{"empty body", "", "header"},
			{"not JSON", "hello\n", "invalid JSON"},
			{"truncated JSON", hdr + `{"key":"file","value":{"path":"a.txt"` + "\n", "invalid JSON"},
			{"header not first", file + hdr, "header"},
			{"two headers", hdr + hdr, "header"},
			{"unknown key", hdr + `{"key":"symlink","value":{"path":"a"}}` + "\n", "symlink"},
			{"missing key", hdr + `{"value":{"path":"a"}}` + "\n", "key"},
			{"extra field on the line", hdr + `{"key":"file","value":{"path":"a.txt","content":"YQ=="},"x":1}` + "\n", "unknown field"},
			{"empty summary", `{"key":"header","value":{"summary":""}}` + "\n" + file, "summary"},
			{"bad base64", hdr + `{"key":"file","value":{"path":"a.txt","content":"!!!notbase64","encoding":"base64"}}` + "\n", "base64"},
			{"bad base64 in a file named path.txt", hdr + `{"key":"file","value":{"path":"path.txt","content":"!!!notbase64","encoding":"base64"}}` + "\n", "base64"},
			{"bad base64 in a long file name", hdr + `{"key":"file","value":{"path":"` + strings.Repeat("path/", 40) + `x.txt","content":"!!!","encoding":"base64"}}` + "\n", "base64"},
			{"bad lfs oid in a file named oldPath", hdr + `{"key":"lfsFile","value":{"path":"oldPath","algo":"sha256","oid":"abc"}}` + "\n", "oid"},
			{"unknown encoding", hdr + `{"key":"file","value":{"path":"a.txt","content":"a","encoding":"rot13"}}` + "\n", "encoding"},
			{"missing content", hdr + `{"key":"file","value":{"path":"a.txt"}}` + "\n", "content"},
			{"bad lfs oid", hdr + `{"key":"lfsFile","value":{"path":"a.bin","algo":"sha256","oid":"abc","size":1}}` + "\n", "oid"},
			{"negative lfs size", hdr + `{"key":"lfsFile","value":{"path":"a.bin","algo":"sha256","oid":"` + strings.Repeat("a", 64) + `","size":-1}}` + "\n", "size"},
			{"array line", hdr + "[1,2]\n", "object"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				resp := h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.NDJSON(tc.body))
				servertest.ExpectError(t, resp, http.StatusBadRequest, "", tc.msg)
			})
		}
		if got := h.Head(t, h.Alice, "alice/m", "main"); got != head {
			t.Errorf("malformed commits moved main to %s", got)
		}
	})
}

func TestCommitOverLimitsIs413(t *testing.T) {
	const maxLine, maxBody = 1024, 8 << 10
	servertest.RunWith(t, servertest.Options{MaxLine: maxLine, MaxCommitBytes: maxBody}, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		head := h.Head(t, h.Alice, "alice/m", "main")
		hdr := servertest.Header("x", "")
		longLine := servertest.Lines(hdr, servertest.File("big.txt", bytes.Repeat([]byte("a"), maxLine)))
		resp := h.PostCommit(t, h.Alice, "alice/m", "main", "", longLine)
		servertest.ExpectError(t, resp, http.StatusRequestEntityTooLarge, "", "longer than")

		var ops []servertest.Op
		for i := range 20 {
			ops = append(ops, servertest.File(fmt.Sprintf("f%02d.txt", i), bytes.Repeat([]byte("b"), 500)))
		}
		body := servertest.Lines(append([]servertest.Op{hdr}, ops...)...)
		if len(body) <= maxBody {
			t.Fatalf("test body of %d bytes is not over the limit", len(body))
		}
		resp = h.PostCommit(t, h.Alice, "alice/m", "main", "", body)
		servertest.ExpectError(t, resp, http.StatusRequestEntityTooLarge, "", "larger than")
		if got := h.Head(t, h.Alice, "alice/m", "main"); got != head {
			t.Errorf("an oversized commit moved main")
		}

		// Just under both limits is fine.
		ok := servertest.Lines(hdr, servertest.File("ok.txt", bytes.Repeat([]byte("c"), 600)))
		commitAnswer(t, h.PostCommit(t, h.Alice, "alice/m", "main", "", ok))

		// A line of exactly MaxLine bytes (without its end) is fine; one more is not.
		fileLine := func(n int) string {
			return `{"key":"file","value":{"path":"exact.txt","encoding":"utf-8","content":"` + strings.Repeat("e", n) + `"}}`
		}
		n := maxLine - len(fileLine(0))
		first := `{"key":"header","value":{"summary":"x"}}` + "\n"
		if l := len(fileLine(n)); l != maxLine {
			t.Fatalf("line of %d bytes", l)
		}
		commitAnswer(t, h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.NDJSON(first+fileLine(n)+"\n")))
		commitAnswer(t, h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.NDJSON(first+fileLine(n)+"\r\n")))
		commitAnswer(t, h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.NDJSON(first+fileLine(n))))
		resp = h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.NDJSON(first+fileLine(n+1)+"\n"))
		servertest.ExpectError(t, resp, http.StatusRequestEntityTooLarge, "", "longer than")
	})
}

func TestCommitBodyExactlyAtLimitIsAccepted(t *testing.T) {
	body := servertest.Lines(servertest.Header("x", ""), servertest.File("a.txt", []byte("exact")))
	servertest.RunWith(t, servertest.Options{MaxCommitBytes: int64(len(body))}, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		resp := h.PostCommit(t, h.Alice, "alice/m", "main", "", body)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("a body of exactly MaxCommitBytes (%d) bytes: status %d, want 200; body %s", len(body), resp.StatusCode, servertest.Body(resp))
		}
		// Sent chunked, the end of the body comes in a read of its own.
		resp = h.Do(t, http.MethodPost, "/api/models/alice/m/commit/main", h.Alice, servertest.Chunked{ContentType: "application/x-ndjson", Data: body, Pause: 50 * time.Millisecond})
		if resp.StatusCode != http.StatusOK {
			// The engine's limit reader fails the read that would report the
			// end of a body that is exactly at the limit.
			t.Errorf("a chunked body of exactly MaxCommitBytes (%d) bytes whose end arrives late: status %d, want 200; body %s", len(body), resp.StatusCode, servertest.Body(resp))
		}
		resp = h.PostCommit(t, h.Alice, "alice/m", "main", "", append(body, ' '))
		servertest.ExpectError(t, resp, http.StatusRequestEntityTooLarge, "", "larger than")
	})
}

func TestCommitNeedsWriteAccess(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		// carol's own repo, created by the admin: her read token still cannot write.
		h.JSON(t, http.MethodPost, "/api/repos/create", h.Admin, map[string]any{"name": "c", "organization": "carol"}, http.StatusOK, nil)
		body := servertest.Lines(servertest.Header("x", ""), servertest.File("a.txt", []byte("a")))
		resp := h.PostCommit(t, h.Carol, "carol/c", "main", "", body)
		servertest.ExpectError(t, resp, http.StatusForbidden, "", "read")
		resp = h.PostCommit(t, h.Carol, "carol/c", "main", "create_pr=1", body)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("read token opening a PR: status %d, want 403", resp.StatusCode)
		}
		resp = h.PostCommit(t, h.Bob, "alice/m", "main", "", body)
		servertest.ExpectError(t, resp, http.StatusForbidden, "", "alice/m")
		resp = h.PostCommit(t, "", "alice/m", "main", "", body)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("anonymous commit: status %d, want 401", resp.StatusCode)
		}
		// Org members with write role write to org repos.
		h.CreateRepo(t, h.Bob, "acme/tool", false)
		h.Commit(t, h.Bob, "acme/tool", "main", servertest.File("a.txt", []byte("a")))
		resp = h.PostCommit(t, h.Alice, "acme/tool", "main", "", body)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("non-member committing to an org repo: status %d, want 403", resp.StatusCode)
		}
		sameSet(t, "carol/c files", h.Files(t, h.Carol, "carol/c", "main"), []string{".gitattributes"})
	})
}

func TestCommitToTagOrMissingBranchIsRevisionNotFound(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		head := h.Head(t, h.Alice, "alice/m", "main")
		h.JSON(t, http.MethodPost, "/api/models/alice/m/tag/main", h.Alice, map[string]any{"tag": "v1"}, http.StatusOK, nil)
		body := servertest.Lines(servertest.Header("x", ""), servertest.File("a.txt", []byte("a")))
		for _, rev := range []string{"v1", "refs/tags/v1", "nope", head, "refs/heads/nope", "refs/convert/parquet"} {
			resp := h.PostCommit(t, h.Alice, "alice/m", rev, "", body)
			servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "")
		}
		resp := h.PostCommit(t, h.Alice, "alice/nope", "main", "", body)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRepoNotFound, "")
		// The full branch ref works.
		c := commitAnswer(t, h.PostCommit(t, h.Alice, "alice/m", "refs/heads/main", "", body)).CommitOid
		if got := h.Head(t, h.Alice, "alice/m", "v1"); got != head {
			t.Errorf("tag v1 moved to %s", got)
		}
		if got := h.Head(t, h.Alice, "alice/m", "main"); got != c {
			t.Errorf("main %s, want %s", got, c)
		}
	})
}

func TestCommitOperationsApplyInOrder(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		h.Commit(t, h.Alice, "alice/m", "main", servertest.File("x", []byte("a file")), servertest.File("old/name.txt", []byte("renamed")))
		head := h.Head(t, h.Alice, "alice/m", "main")

		// A later add of the same path wins.
		h.Commit(t, h.Alice, "alice/m", "main", servertest.File("dup.txt", []byte("1")), servertest.File("dup.txt", []byte("2")))
		if got := string(h.Download(t, h.Alice, "alice/m", "main", "dup.txt")); got != "2" {
			t.Errorf("dup.txt: %q, want the later content", got)
		}
		// Writing below a file is a conflict, and changes nothing.
		before := h.Head(t, h.Alice, "alice/m", "main")
		resp := h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.Lines(servertest.Header("x", ""), servertest.File("x/y.txt", []byte("y"))))
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("writing below the file x: status %d, want 4xx; body %s", resp.StatusCode, servertest.Body(resp))
		}
		if got := h.Head(t, h.Alice, "alice/m", "main"); got != before {
			t.Errorf("a refused commit moved main")
		}
		// Deleting the file first, in the same commit, makes room for the folder
		// (upload_folder sends deletions first).
		h.Commit(t, h.Alice, "alice/m", "main", servertest.DeleteFile("x"), servertest.File("x/y.txt", []byte("y")))
		if got := string(h.Download(t, h.Alice, "alice/m", "main", "x/y.txt")); got != "y" {
			t.Errorf("x/y.txt: %q", got)
		}
		// The JS client renames with oldPath.
		body := `{"key":"header","value":{"summary":"rename"}}` + "\n" +
			`{"key":"file","value":{"path":"new/name.txt","oldPath":"old/name.txt","content":"cmVuYW1lZA==","encoding":"base64"}}` + "\n"
		commitAnswer(t, h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.NDJSON(body)))
		sameSet(t, "files after rename", h.Files(t, h.Alice, "alice/m", "main"), []string{".gitattributes", "dup.txt", "x/y.txt", "new/name.txt"})
		if got := string(h.Download(t, h.Alice, "alice/m", head, "old/name.txt")); got != "renamed" {
			t.Errorf("old/name.txt at an older commit: %q", got)
		}
	})
}

func TestCommitURLUsesCanonicalRepoName(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "datasets/alice/MyData", false)
		// huggingface_hub tests commit to repo_id.lower().
		resp := h.PostCommit(t, h.Alice, "datasets/alice/mydata", "main", "", servertest.Lines(servertest.Header("lower", ""), servertest.File("a.txt", []byte("a"))))
		cr := commitAnswer(t, resp)
		if want := h.URL + "/datasets/alice/MyData/commit/" + cr.CommitOid; cr.CommitURL != want {
			t.Errorf("commitUrl %q, want %q", cr.CommitURL, want)
		}
		resp = h.PostCommit(t, h.Alice, "datasets/ALICE/MYDATA", "main", "create_pr=1", servertest.Lines(servertest.Header("pr", ""), servertest.File("b.txt", []byte("b"))))
		if cr := commitAnswer(t, resp); cr.PullRequestURL != h.URL+"/datasets/alice/MyData/discussions/1" {
			t.Errorf("pullRequestUrl %q", cr.PullRequestURL)
		}
		if got := string(h.Download(t, h.Alice, "datasets/Alice/mYdAtA", "main", "a.txt")); got != "a" {
			t.Errorf("a.txt through another casing: %q", got)
		}
	})
}
