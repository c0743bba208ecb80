package hub_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wharfhub/wharf/hub"
	"github.com/wharfhub/wharf/internal/server/servertest"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestCreateCommitAddDeleteCopy(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, rec := newClient(t, h.URL, h.Alice)
		r := hub.Repo{ID: "alice/ops"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		weights := randomBytes(5, 200<<10)
		_, err = c.CreateCommit(ctx, r, []hub.Operation{
			hub.Add("a.txt", hub.FromBytes([]byte("a"))),
			hub.Add("keep.txt", hub.FromBytes([]byte("keep"))),
			hub.Add("dir/x.txt", hub.FromBytes([]byte("x"))),
			hub.Add("dir/sub/y.txt", hub.FromBytes([]byte("y"))),
			hub.Add("model.bin", hub.FromBytes(weights)),
		}, &hub.CommitOptions{Message: "first"})
		ok(t, err)
		rec.take()

		// One commit: delete a file and a folder, copy a regular and an LFS
		// file, and add one.
		ci, err := c.CreateCommit(ctx, r, []hub.Operation{
			hub.Delete("a.txt"),
			hub.Delete("dir/"),
			&hub.CopyOp{SrcPath: "keep.txt", DstPath: "copies/keep.txt"},
			&hub.CopyOp{SrcPath: "model.bin", DstPath: "copies/model.bin"},
			hub.Add("new.txt", hub.FromBytes([]byte("new"))),
		}, &hub.CommitOptions{Message: "second"})
		ok(t, err)
		reqs := rec.take()
		equals(t, "LFS batch calls for an LFS copy", count(reqs, "/info/lfs/objects/batch"), 0)
		equals(t, "LFS uploads for an LFS copy", count(reqs, "PUT "), 0)
		// The regular source is downloaded; the LFS one is not.
		equals(t, "downloads of keep.txt", count(reqs, "/resolve/main/keep.txt"), 1)
		equals(t, "downloads of model.bin", count(reqs, "/resolve/main/model.bin"), 0)

		want := []string{".gitattributes", "copies/keep.txt", "copies/model.bin", "keep.txt", "model.bin", "new.txt"}
		if got := sortedFiles(t, c, r, ""); !slices.Equal(got, want) {
			t.Fatalf("files:\n got %q\nwant %q", got, want)
		}
		equals(t, "copied regular file", string(download(t, c, r, "", "copies/keep.txt")), "keep")
		if !bytes.Equal(download(t, c, r, "", "copies/model.bin"), weights) {
			t.Fatal("copied LFS file differs")
		}
		ents, err := c.ListRepoTree(ctx, r, &hub.ListTreeOptions{Path: "copies"})
		ok(t, err)
		for _, e := range ents {
			if e.Path == "copies/model.bin" && (e.LFS == nil || e.LFS.OID != sha(weights)) {
				t.Fatalf("copied LFS entry %+v", e)
			}
		}

		// Copy from an older revision, and rename = copy + delete.
		first, err := c.ListCommits(ctx, r, "")
		ok(t, err)
		_, err = c.CreateCommit(ctx, r, []hub.Operation{
			&hub.CopyOp{SrcPath: "a.txt", DstPath: "restored.txt", SrcRevision: first[1].ID},
			&hub.CopyOp{SrcPath: "new.txt", DstPath: "renamed.txt"},
			hub.Delete("new.txt"),
		}, &hub.CommitOptions{Message: "third"})
		ok(t, err)
		equals(t, "restored", string(download(t, c, r, "", "restored.txt")), "a")
		equals(t, "renamed", string(download(t, c, r, "", "renamed.txt")), "new")

		// Errors: a missing copy source, a missing file or folder to delete.
		_, err = c.CreateCommit(ctx, r, []hub.Operation{&hub.CopyOp{SrcPath: "nope.txt", DstPath: "x.txt"}}, &hub.CommitOptions{Message: "bad"})
		if !errors.Is(err, hub.ErrEntryNotFound) {
			t.Fatalf("copy of a missing file: got %v, want ErrEntryNotFound", err)
		}
		_, err = c.CreateCommit(ctx, r, []hub.Operation{hub.Delete("nope.txt")}, &hub.CommitOptions{Message: "bad"})
		if !errors.Is(err, hub.ErrEntryNotFound) {
			t.Fatalf("delete of a missing file: got %v, want ErrEntryNotFound", err)
		}
		_, err = c.CreateCommit(ctx, r, []hub.Operation{hub.Delete("nope/")}, &hub.CommitOptions{Message: "bad"})
		if !errors.Is(err, hub.ErrEntryNotFound) {
			t.Fatalf("delete of a missing folder: got %v, want ErrEntryNotFound", err)
		}
		_, err = c.CreateCommit(ctx, r, []hub.Operation{hub.Add("x", hub.FromBytes(nil))}, nil)
		if err == nil || !strings.Contains(err.Error(), "message") {
			t.Fatalf("commit without a message: %v", err)
		}
		equals(t, "history", historyLen(t, c, r, ""), 4)

		// An operation is committed once.
		add := hub.Add("once.txt", hub.FromBytes([]byte("once")))
		_, err = c.CreateCommit(ctx, r, []hub.Operation{add}, &hub.CommitOptions{Message: "once"})
		ok(t, err)
		if _, err = c.CreateCommit(ctx, r, []hub.Operation{add}, &hub.CommitOptions{Message: "twice"}); err == nil {
			t.Fatal("an operation committed twice: no error")
		}
		_ = ci
	})
}

func TestCreateCommitParentCommit(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, rec := newClient(t, h.URL, h.Alice)
		r := hub.Repo{ID: "alice/parent"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		info, err := c.RepoInfo(ctx, r, nil)
		ok(t, err)
		base := info.SHA
		ci, err := c.UploadFile(ctx, r, "a.txt", hub.FromBytes([]byte("a")), &hub.CommitOptions{ParentCommit: base})
		ok(t, err)
		// Abbreviated ids are fine.
		ci, err = c.UploadFile(ctx, r, "b.txt", hub.FromBytes([]byte("b")), &hub.CommitOptions{ParentCommit: ci.OID[:7]})
		ok(t, err)
		rec.take()
		weights := randomBytes(6, 100<<10)
		_, err = c.CreateCommit(ctx, r, []hub.Operation{
			hub.Add("c.txt", hub.FromBytes([]byte("c"))),
			hub.Add("w.bin", hub.FromBytes(weights)),
		}, &hub.CommitOptions{Message: "stale", ParentCommit: base})
		if !errors.Is(err, hub.ErrPreconditionFailed) {
			t.Fatalf("stale parent: got %v, want ErrPreconditionFailed", err)
		}
		var he *hub.Error
		if !errors.As(err, &he) || he.StatusCode != 412 || !strings.Contains(he.Message, "A commit has happened since") {
			t.Fatalf("stale parent error: %#v", err)
		}
		equals(t, "commit POSTs (not retried)", count(rec.take(), "POST /api/models/alice/parent/commit/"), 1)
		info, err = c.RepoInfo(ctx, r, nil)
		ok(t, err)
		equals(t, "head after stale commit", info.SHA, ci.OID)

		if _, err := c.UploadFile(ctx, r, "d.txt", hub.FromBytes([]byte("d")), &hub.CommitOptions{ParentCommit: "not-hex"}); err == nil {
			t.Fatal("invalid parent commit: no error")
		}
	})
}

func TestCreatePullRequest(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, _ := newClient(t, h.URL, h.Alice)
		r := hub.Repo{ID: "alice/pr"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		main, err := c.UploadFile(ctx, r, "a.txt", hub.FromBytes([]byte("a")), nil)
		ok(t, err)

		weights := randomBytes(7, 150<<10)
		pr, err := c.CreateCommit(ctx, r, []hub.Operation{
			hub.Add("a.txt", hub.FromBytes([]byte("changed in the PR"))),
			hub.Add("w.bin", hub.FromBytes(weights)),
		}, &hub.CommitOptions{Message: "Propose", CreatePR: true})
		ok(t, err)
		if pr.PRNum < 1 || pr.PRRevision != fmt.Sprintf("refs/pr/%d", pr.PRNum) || !strings.HasSuffix(pr.PRURL, fmt.Sprintf("/discussions/%d", pr.PRNum)) {
			t.Fatalf("PR info %+v", pr)
		}
		info, err := c.RepoInfo(ctx, r, nil)
		ok(t, err)
		equals(t, "main untouched", info.SHA, main.OID)
		equals(t, "main content", string(download(t, c, r, "", "a.txt")), "a")

		// Commit to the PR ref.
		more, err := c.UploadFile(ctx, r, "b.txt", hub.FromBytes([]byte("b")), &hub.CommitOptions{Revision: pr.PRRevision})
		ok(t, err)
		equals(t, "no new PR", more.PRNum, 0)
		info, err = c.RepoInfo(ctx, r, &hub.RepoInfoOptions{Revision: pr.PRRevision})
		ok(t, err)
		equals(t, "PR head", info.SHA, more.OID)
		equals(t, "PR content", string(download(t, c, r, pr.PRRevision, "a.txt")), "changed in the PR")
		if !bytes.Equal(download(t, c, r, pr.PRRevision, "w.bin"), weights) {
			t.Fatal("PR LFS file differs")
		}
		cs, err := c.ListCommits(ctx, r, pr.PRRevision)
		ok(t, err)
		equals(t, "PR history", len(cs), 4)
		refs, err := c.ListRefs(ctx, r, true)
		ok(t, err)
		if len(refs.PullRequests) != 1 || refs.PullRequests[0].Ref != pr.PRRevision || refs.PullRequests[0].TargetCommit != more.OID {
			t.Fatalf("refs: %+v", refs.PullRequests)
		}

		// A second PR gets the next number; the folder upload works too.
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"c.txt": "c"})
		pr2, err := c.UploadFolder(ctx, r, dir, &hub.UploadFolderOptions{CommitOptions: hub.CommitOptions{CreatePR: true}, DeletePatterns: []string{"a.txt"}})
		ok(t, err)
		equals(t, "second PR number", pr2.PRNum, pr.PRNum+1)
		want := []string{".gitattributes", "c.txt"}
		if got := sortedFiles(t, c, r, pr2.PRRevision); !slices.Equal(got, want) {
			t.Fatalf("files of PR 2: %q, want %q", got, want)
		}
	})
}

// TestPreuploadLFSFiles preuploads generated shards one by one, releasing
// each, then commits them all at once.
func TestPreuploadLFSFiles(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, rec := newClient(t, h.URL, h.Alice)
		r := hub.Repo{ID: "alice/shards", Type: hub.Dataset}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		var ops []hub.Operation
		var shards [][]byte
		for i := range 5 {
			data := randomBytes(uint64(100+i), 64<<10+i)
			shards = append(shards, data)
			add := hub.Add(fmt.Sprintf("data/train-%05d-of-00005.parquet", i), hub.FromBytes(data))
			ok(t, c.PreuploadLFSFiles(ctx, r, []*hub.AddOp{add}, nil))
			if add.Content != nil {
				t.Fatalf("shard %d: content kept after preupload", i)
			}
			equals(t, "is LFS", add.IsLFS(), true)
			equals(t, "sha256", add.SHA256(), sha(data))
			ops = append(ops, add)
		}
		reqs := rec.take()
		equals(t, "uploads", uploads(reqs), 5)
		equals(t, "commits before CreateCommit", count(reqs, "/commit/"), 0)

		// A small regular file preuploaded keeps its content.
		readme := hub.Add("README.md", hub.FromBytes([]byte("---\nlicense: mit\n---\n# Shards\n")))
		ok(t, c.PreuploadLFSFiles(ctx, r, []*hub.AddOp{readme}, nil))
		if readme.Content == nil || readme.IsLFS() {
			t.Fatal("regular file: content dropped or LFS")
		}
		ops = append(ops, readme)

		ci, err := c.CreateCommit(ctx, r, ops, &hub.CommitOptions{Message: "Add 5 shards"})
		ok(t, err)
		reqs = rec.take()
		equals(t, "uploads during the commit", uploads(reqs), 0)
		equals(t, "commits", count(reqs, "/commit/"), 1)
		equals(t, "history", historyLen(t, c, r, ""), 2)
		for i, data := range shards {
			if !bytes.Equal(download(t, c, r, ci.OID, fmt.Sprintf("data/train-%05d-of-00005.parquet", i)), data) {
				t.Fatalf("shard %d differs", i)
			}
		}
		// Preuploaded and committed: cannot be committed again.
		if _, err := c.CreateCommit(ctx, r, ops[:1], &hub.CommitOptions{Message: "again"}); err == nil {
			t.Fatal("committed twice: no error")
		}
		// A preuploaded op whose content is gone cannot be committed
		// unless it was uploaded.
		if _, err := c.CreateCommit(ctx, r, []hub.Operation{&hub.AddOp{PathInRepo: "x.bin"}}, &hub.CommitOptions{Message: "empty"}); err == nil {
			t.Fatal("an addition without content: no error")
		}
	})
}

// TestLFSBasicAndMultipart uploads LFS files through the basic transfer
// and, in a repo with a 1 MiB multipart threshold, through multipart.
func TestLFSBasicAndMultipart(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, rec := newLFSClient(t, h.URL, h.Alice)
		basic := hub.Repo{ID: "alice/basic"}
		multi := hub.Repo{ID: "alice/multi"}
		_, err := c.CreateRepo(ctx, basic, nil)
		ok(t, err)
		_, err = c.CreateRepo(ctx, multi, &hub.CreateRepoOptions{LFSMultipartThreshold: 1 << 20})
		ok(t, err)
		data := randomBytes(8, 4<<20+12345)
		path := filepath.Join(t.TempDir(), "big.safetensors")
		ok(t, os.WriteFile(path, data, 0o644))

		for _, tc := range []struct {
			r     hub.Repo
			parts int
		}{{basic, 0}, {multi, 5}} {
			rec.take()
			content, err := hub.FromPath(path)
			ok(t, err)
			var mu sync.Mutex
			var last int64
			ci, err := c.UploadFile(ctx, tc.r, "big.safetensors", content, &hub.CommitOptions{Progress: func(p hub.Progress) {
				mu.Lock()
				defer mu.Unlock()
				if p.Total != int64(len(data)) || p.Path != "big.safetensors" {
					t.Errorf("progress %+v", p)
				}
				last = max(last, p.Sent)
			}})
			ok(t, err)
			equals(t, "bytes reported", last, int64(len(data)))
			reqs := rec.take()
			equals(t, tc.r.ID+": part uploads", count(reqs, "PUT /lfs-part/"), tc.parts)
			if tc.parts == 0 {
				equals(t, tc.r.ID+": basic uploads", count(reqs, "PUT /lfs-upload/"), 1)
			} else {
				equals(t, tc.r.ID+": completions", count(reqs, "POST /lfs-complete/"), 1)
			}
			var buf bytes.Buffer
			md, err := c.Download(ctx, tc.r, "big.safetensors", &buf, nil)
			ok(t, err)
			if !bytes.Equal(buf.Bytes(), data) {
				t.Fatalf("%s: downloaded bytes differ", tc.r.ID)
			}
			equals(t, "etag", md.ETag, sha(data))
			equals(t, "size", md.Size, int64(len(data)))
			equals(t, "commit", md.Commit, ci.OID)
		}

		// The same content again elsewhere: the Hub has it, nothing is sent.
		rec.take()
		_, err = c.UploadFile(ctx, multi, "copy.safetensors", hub.FromBytes(data), nil)
		ok(t, err)
		reqs := rec.take()
		equals(t, "uploads of known content", count(reqs, "PUT "), 0)
		equals(t, "batch calls", count(reqs, "/info/lfs/objects/batch"), 1)

		// Two additions with the same content in one commit: one upload.
		twin := randomBytes(9, 2<<20)
		_, err = c.CreateCommit(ctx, multi, []hub.Operation{
			hub.Add("twin/a.bin", hub.FromBytes(twin)), hub.Add("twin/b.bin", hub.FromBytes(twin)),
		}, &hub.CommitOptions{Message: "twins"})
		ok(t, err)
		equals(t, "completions for twins", count(rec.take(), "POST /lfs-complete/"), 1)
		for _, p := range []string{"twin/a.bin", "twin/b.bin"} {
			if !bytes.Equal(download(t, c, multi, "", p), twin) {
				t.Fatalf("%s differs", p)
			}
		}
	})
}

// TestRunAsFutureOrder queues 10 uploads; they land in submission order.
func TestRunAsFutureOrder(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, _ := newClient(t, h.URL, h.Alice)
		r := hub.Repo{ID: "alice/futures"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		var futures []*hub.Future[*hub.CommitInfo]
		for i := range 10 {
			content := []byte(fmt.Sprintf("file %d", i))
			if i%3 == 0 {
				content = randomBytes(uint64(i), 80<<10) // some LFS
			}
			futures = append(futures, hub.RunAsFuture(c, func() (*hub.CommitInfo, error) {
				return c.UploadFile(ctx, r, fmt.Sprintf("f%d", i), hub.FromBytes(content), &hub.CommitOptions{Message: fmt.Sprintf("upload %d", i)})
			}))
		}
		var oids []string
		for i, f := range futures {
			ci, err := f.Wait()
			ok(t, err)
			select {
			case <-f.Done():
			default:
				t.Fatalf("future %d: Wait returned before Done", i)
			}
			oids = append(oids, ci.OID)
		}
		cs, err := c.ListCommits(ctx, r, "")
		ok(t, err)
		equals(t, "commits", len(cs), 11)
		for i := range 10 {
			got := cs[9-i] // newest first
			equals(t, fmt.Sprintf("commit %d title", i), got.Title, fmt.Sprintf("upload %d", i))
			equals(t, fmt.Sprintf("commit %d id", i), got.ID, oids[i])
		}

		// A failing job and a panicking job do not stop the queue.
		bad := hub.RunAsFuture(c, func() (int, error) { return 0, errors.New("boom") })
		boom := hub.RunAsFuture(c, func() (int, error) { panic("kaboom") })
		good := hub.RunAsFuture(c, func() (int, error) { return 42, nil })
		if _, err := bad.Wait(); err == nil || err.Error() != "boom" {
			t.Fatalf("failing job: %v", err)
		}
		if _, err := boom.Wait(); err == nil || !strings.Contains(err.Error(), "kaboom") {
			t.Fatalf("panicking job: %v", err)
		}
		v, err := good.Wait()
		ok(t, err)
		equals(t, "value", v, 42)
	})
}

func TestDownloadAndSnapshot(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, _ := newClient(t, h.URL, h.Alice)
		r := hub.Repo{ID: "alice/snap"}
		_, err := c.CreateRepo(ctx, r, &hub.CreateRepoOptions{LFSMultipartThreshold: 1 << 20})
		ok(t, err)
		dir := t.TempDir()
		files := map[string]string{
			"README.md":              "# Snap\n",
			"config.json":            `{"a": 1}`,
			"weights/model.bin":      string(randomBytes(10, 3<<20+5)),
			"weights/small.bin":      string(randomBytes(11, 1000)),
			"tokenizer/vocab.txt":    strings.Repeat("word\n", 1000),
			"deep/a/b/c/d/e.txt":     "deep",
			"empty.txt":              "",
			"names/with space.txt":   "space",
			"names/ünïcödé.txt":      "unicode",
			"names/per%cent#hash.md": "odd",
		}
		writeTree(t, dir, files)
		ci, err := c.UploadFolder(ctx, r, dir, nil)
		ok(t, err)

		for p, want := range files {
			var buf bytes.Buffer
			md, err := c.Download(ctx, r, p, &buf, nil)
			ok(t, err)
			if buf.String() != want {
				t.Fatalf("%s: %d bytes, want %d", p, buf.Len(), len(want))
			}
			equals(t, p+" commit", md.Commit, ci.OID)
		}
		out := filepath.Join(t.TempDir(), "single", "model.bin")
		md, err := c.DownloadFile(ctx, r, "weights/model.bin", out, &hub.DownloadOptions{Revision: ci.OID})
		ok(t, err)
		got, err := os.ReadFile(out)
		ok(t, err)
		if string(got) != files["weights/model.bin"] || md.Size != int64(len(got)) {
			t.Fatal("DownloadFile: content differs")
		}

		snap := t.TempDir()
		// Later commits do not leak into a snapshot of the older revision.
		_, err = c.UploadFile(ctx, r, "later.txt", hub.FromBytes([]byte("later")), nil)
		ok(t, err)
		head, err := c.SnapshotDownload(ctx, r, snap, &hub.SnapshotOptions{Revision: ci.OID})
		ok(t, err)
		equals(t, "snapshot commit", head, ci.OID)
		want := map[string]string{".gitattributes": ""}
		for p, content := range files {
			want[p] = content
		}
		gotTree := readTree(t, snap)
		gattr, err := c.ListRepoFiles(ctx, r, ci.OID)
		ok(t, err)
		want[".gitattributes"] = gotTree[".gitattributes"]
		if len(gotTree) != len(want) || len(gattr) != len(want) {
			t.Fatalf("snapshot has %d files, want %d", len(gotTree), len(want))
		}
		for p, w := range want {
			if gotTree[p] != w {
				t.Fatalf("snapshot %s: %d bytes, want %d", p, len(gotTree[p]), len(w))
			}
		}
		if !strings.Contains(want[".gitattributes"], "filter=lfs") {
			t.Fatalf(".gitattributes: %q", want[".gitattributes"])
		}

		// Filtered snapshot.
		part := t.TempDir()
		_, err = c.SnapshotDownload(ctx, r, part, &hub.SnapshotOptions{AllowPatterns: []string{"weights/", "*.json"}, IgnorePatterns: []string{"*small*"}})
		ok(t, err)
		var names []string
		for p := range readTree(t, part) {
			names = append(names, p)
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"config.json", "weights/model.bin"}) {
			t.Fatalf("filtered snapshot: %q", names)
		}
	})
}

func TestTypedErrors(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, _ := newClient(t, h.URL, h.Alice)
		r := hub.Repo{ID: "alice/errs"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		_, err = c.UploadFile(ctx, r, "a.txt", hub.FromBytes([]byte("a")), nil)
		ok(t, err)
		missing := hub.Repo{ID: "alice/missing"}
		var buf bytes.Buffer

		check := func(what string, err, want error) {
			t.Helper()
			if !errors.Is(err, want) {
				t.Errorf("%s: got %v, want %v", what, err, want)
				return
			}
			var he *hub.Error
			if !errors.As(err, &he) || he.StatusCode < 400 {
				t.Errorf("%s: not a *hub.Error: %#v", what, err)
			}
			for _, other := range []error{hub.ErrRepoNotFound, hub.ErrRevisionNotFound, hub.ErrEntryNotFound} {
				if other != want && errors.Is(err, other) {
					t.Errorf("%s: %v also matches %v", what, err, other)
				}
			}
		}
		_, err = c.RepoInfo(ctx, missing, nil)
		check("repo info", err, hub.ErrRepoNotFound)
		_, err = c.Download(ctx, missing, "a.txt", &buf, nil)
		check("download from a missing repo", err, hub.ErrRepoNotFound)
		_, err = c.UploadFile(ctx, missing, "a.txt", hub.FromBytes([]byte("a")), nil)
		check("upload to a missing repo", err, hub.ErrRepoNotFound)
		_, err = c.ListRepoFiles(ctx, missing, "")
		check("list a missing repo", err, hub.ErrRepoNotFound)
		_, err = c.ListRefs(ctx, missing, false)
		check("refs of a missing repo", err, hub.ErrRepoNotFound)

		_, err = c.RepoInfo(ctx, r, &hub.RepoInfoOptions{Revision: "nope"})
		check("repo info at a missing revision", err, hub.ErrRevisionNotFound)
		_, err = c.Download(ctx, r, "a.txt", &buf, &hub.DownloadOptions{Revision: "nope"})
		check("download at a missing revision", err, hub.ErrRevisionNotFound)
		_, err = c.UploadFile(ctx, r, "a.txt", hub.FromBytes([]byte("b")), &hub.CommitOptions{Revision: "nope"})
		check("upload to a missing branch", err, hub.ErrRevisionNotFound)
		_, err = c.ListCommits(ctx, r, "nope")
		check("history of a missing revision", err, hub.ErrRevisionNotFound)
		_, err = c.ListRepoFiles(ctx, r, "nope")
		check("files of a missing revision", err, hub.ErrRevisionNotFound)

		_, err = c.Download(ctx, r, "nope.txt", &buf, nil)
		check("download a missing file", err, hub.ErrEntryNotFound)
		_, err = c.DownloadFile(ctx, r, "nope.txt", filepath.Join(t.TempDir(), "x"), nil)
		check("download a missing file to disk", err, hub.ErrEntryNotFound)
		equals(t, "bytes written on errors", buf.Len(), 0)

		// Read-only token.
		carol, _ := newClient(t, h.URL, h.Carol)
		_, err = carol.UploadFile(ctx, r, "c.txt", hub.FromBytes([]byte("c")), nil)
		if !errors.Is(err, hub.ErrForbidden) {
			t.Errorf("read-only token upload: got %v, want ErrForbidden", err)
		}
	})
}
