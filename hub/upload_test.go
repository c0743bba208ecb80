package hub_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/hub"
	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
)

// onlyReader hides every method but Read (no Seek, no ReadAt).
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestUploadFileFromPathBytesReader(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, _ := newClient(t, h.URL, h.Alice)
		r := hub.Repo{ID: "alice/files"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)

		dir := t.TempDir()
		local := filepath.Join(dir, "local.txt")
		ok(t, os.WriteFile(local, []byte("from a path\n"), 0o644))
		content, err := hub.FromPath(local)
		ok(t, err)
		ci, err := c.UploadFile(ctx, r, "docs/path.txt", content, nil)
		ok(t, err)
		equals(t, "commit url", ci.URL, h.URL+"/alice/files/commit/"+ci.OID)
		equals(t, "skipped", ci.Skipped, false)
		cs, err := c.ListCommits(ctx, r, "")
		ok(t, err)
		equals(t, "default message", cs[0].Title, "Upload docs/path.txt with huggingface_hub")
		equals(t, "head", cs[0].ID, ci.OID)

		_, err = c.UploadFile(ctx, r, "bytes.txt", hub.FromBytes([]byte("from bytes")), &hub.CommitOptions{Message: "bytes"})
		ok(t, err)

		// A reader that can only be read once, regular and LFS sized.
		small := []byte("from a plain reader")
		_, err = c.UploadFile(ctx, r, "reader.txt", hub.FromReader(onlyReader{bytes.NewReader(small)}, int64(len(small))), nil)
		ok(t, err)
		big := randomBytes(1, 300<<10)
		_, err = c.UploadFile(ctx, r, "reader.bin", hub.FromReader(onlyReader{bytes.NewReader(big)}, int64(len(big))), nil)
		ok(t, err)
		// A reader that is also an io.ReaderAt is read in place.
		_, err = c.UploadFile(ctx, r, "readerat.txt", hub.FromReader(strings.NewReader("read at"), 7), nil)
		ok(t, err)
		// Leading "./" and "/" are dropped, backslashes become slashes.
		_, err = c.UploadFile(ctx, r, `./dir\odd.txt`, hub.FromBytes([]byte("odd")), nil)
		ok(t, err)

		want := map[string]string{
			"docs/path.txt": "from a path\n", "bytes.txt": "from bytes", "reader.txt": string(small),
			"reader.bin": string(big), "readerat.txt": "read at", "dir/odd.txt": "odd",
		}
		for p, w := range want {
			if got := download(t, c, r, "", p); string(got) != w {
				t.Errorf("%s: %d bytes, want %d", p, len(got), len(w))
			}
		}
		ents, err := c.ListRepoTree(ctx, r, &hub.ListTreeOptions{Recursive: true})
		ok(t, err)
		for _, e := range ents {
			if e.Path == "reader.bin" && (e.LFS == nil || e.LFS.Size != int64(len(big))) {
				t.Errorf("reader.bin is not stored in LFS: %+v", e)
			}
		}
		equals(t, "history", historyLen(t, c, r, ""), 7)

		// Wrong lengths: a clear error, and no commit.
		for name, content := range map[string]hub.Content{
			"short reader":     hub.FromReader(onlyReader{strings.NewReader("abc")}, 10),
			"long reader":      hub.FromReader(onlyReader{strings.NewReader("abcdefghijkl")}, 10),
			"short reader LFS": hub.FromReader(onlyReader{bytes.NewReader(big)}, int64(len(big))+1),
			"short readerat":   hub.FromReader(strings.NewReader("abc"), 10),
			"long readerat":    hub.FromReader(strings.NewReader("abcdefghijkl"), 10),
		} {
			_, err := c.UploadFile(ctx, r, "bad.txt", content, nil)
			if err == nil {
				t.Fatalf("%s: no error", name)
			}
			if !strings.Contains(err.Error(), "want 10") && !strings.Contains(err.Error(), "bytes") {
				t.Errorf("%s: unclear error %q", name, err)
			}
			t.Logf("%s: %v", name, err)
		}
		equals(t, "history after failed uploads", historyLen(t, c, r, ""), 7)

		// A missing file, a folder.
		if _, err := hub.FromPath(filepath.Join(dir, "nope")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("FromPath of a missing file: %v", err)
		}
		if _, err := hub.FromPath(dir); err == nil {
			t.Fatal("FromPath of a folder: no error")
		}
		// Invalid paths in the repo.
		for _, p := range []string{"", "/", "../x", ".git/config", "a/.git/x", ".cache/x", "a/../../b"} {
			if _, err := c.UploadFile(ctx, r, p, hub.FromBytes([]byte("x")), nil); err == nil {
				t.Errorf("upload to %q: no error", p)
			}
		}
		equals(t, "history after refused paths", historyLen(t, c, r, ""), 7)
	})
}

// TestUploadFileNoTempFilesLeft checks that the spool file of a
// non-seekable reader is removed once the upload is done.
func TestUploadFileNoTempFilesLeft(t *testing.T) {
	h := servertest.New(t, "sqlite")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ctx := t.Context()
	c, _ := newClient(t, h.URL, h.Alice)
	r := hub.Repo{ID: "alice/spool"}
	_, err := c.CreateRepo(ctx, r, nil)
	ok(t, err)
	big := randomBytes(2, 200<<10)
	_, err = c.UploadFile(ctx, r, "a.bin", hub.FromReader(onlyReader{bytes.NewReader(big)}, int64(len(big))), nil)
	ok(t, err)
	_, err = c.UploadFile(ctx, r, "a.txt", hub.FromReader(onlyReader{strings.NewReader("hello")}, 5), nil)
	ok(t, err)
	_, err = c.UploadFile(ctx, r, "b.txt", hub.FromReader(onlyReader{strings.NewReader("hel")}, 5), nil)
	if err == nil {
		t.Fatal("short reader: no error")
	}
	left, _ := os.ReadDir(tmp)
	if len(left) != 0 {
		t.Fatalf("temp files left behind: %v", left)
	}
}

func TestUploadFolderSelection(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, _ := newClient(t, h.URL, h.Alice)
		r := hub.Repo{ID: "alice/folder"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{
			"README.md":                   "# Model\n",
			"config.json":                 "{}",
			"weights/model.safetensors":   string(randomBytes(3, 64<<10)),
			"weights/extra/opt.bin":       "opt",
			"notes/a.md":                  "a",
			"notes/draft.tmp":             "tmp",
			"logs/run1.txt":               "1",
			".git/HEAD":                   "ref: refs/heads/main\n",
			".git/objects/ab/cdef":        "blob",
			"sub/.git/config":             "[core]",
			"sub/keep.txt":                "keep",
			".cache/huggingface/x.lock":   "lock",
			"sub/.cache/huggingface/meta": "meta",
		})

		// Allow and ignore patterns, into a sub-folder.
		ci, err := c.UploadFolder(ctx, r, dir, &hub.UploadFolderOptions{
			PathInRepo:     "/model/",
			AllowPatterns:  []string{"*.json", "weights/", "notes/*", "README.md", "sub/*"},
			IgnorePatterns: []string{"*.tmp", "weights/extra/"},
		})
		ok(t, err)
		cs, err := c.ListCommits(ctx, r, "")
		ok(t, err)
		equals(t, "message", cs[0].Title, "Upload folder using huggingface_hub")
		equals(t, "head", cs[0].ID, ci.OID)
		want := []string{".gitattributes", "model/README.md", "model/config.json", "model/notes/a.md", "model/sub/keep.txt", "model/weights/model.safetensors"}
		if got := sortedFiles(t, c, r, ""); !slices.Equal(got, want) {
			t.Fatalf("files:\n got %q\nwant %q", got, want)
		}
		ents, err := c.ListRepoTree(ctx, r, &hub.ListTreeOptions{Path: "model/weights"})
		ok(t, err)
		if len(ents) != 1 || ents[0].LFS == nil {
			t.Fatalf("weights: %+v (want one LFS file)", ents)
		}

		// Everything but the default ignores, at the root; .cache/other is
		// refused as huggingface_hub refuses it.
		ops, err := c.FolderOperations(ctx, r, dir, &hub.UploadFolderOptions{})
		ok(t, err)
		var planned []string
		for _, op := range ops {
			planned = append(planned, op.(*hub.AddOp).PathInRepo)
		}
		wantPlan := []string{"README.md", "config.json", "logs/run1.txt", "notes/a.md", "notes/draft.tmp", "sub/keep.txt", "weights/extra/opt.bin", "weights/model.safetensors"}
		if !slices.Equal(planned, wantPlan) {
			t.Fatalf("planned:\n got %q\nwant %q", planned, wantPlan)
		}
		writeTree(t, dir, map[string]string{".cache/other/x": "x"})
		if _, err := c.UploadFolder(ctx, r, dir, nil); err == nil || !strings.Contains(err.Error(), ".cache") {
			t.Fatalf("upload with .cache/other: %v", err)
		}

		// Not a folder.
		if _, err := c.UploadFolder(ctx, r, filepath.Join(dir, "config.json"), nil); err == nil {
			t.Fatal("upload of a file as a folder: no error")
		}
		if _, err := c.UploadFolder(ctx, r, filepath.Join(dir, "nope"), nil); err == nil {
			t.Fatal("upload of a missing folder: no error")
		}
	})
}

// TestUploadFolderDeletePatterns is the guide's logs example: upload the
// local *.txt logs and delete the old remote ones in the same commit.
func TestUploadFolderDeletePatterns(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, _ := newClient(t, h.URL, h.Alice)
		r := hub.Repo{ID: "alice/trained-model"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		_, err = c.CreateCommit(ctx, r, []hub.Operation{
			hub.Add("experiment/logs/old1.txt", hub.FromBytes([]byte("old 1"))),
			hub.Add("experiment/logs/old2.txt", hub.FromBytes([]byte("old 2"))),
			hub.Add("experiment/logs/keep.json", hub.FromBytes([]byte("{}"))),
			hub.Add("experiment/logs/nested/deep.txt", hub.FromBytes([]byte("deep"))),
			hub.Add("experiment/logs/.gitattributes", hub.FromBytes([]byte("*.x binary\n"))),
			hub.Add("experiment/other.txt", hub.FromBytes([]byte("outside"))),
			hub.Add("top.txt", hub.FromBytes([]byte("top"))),
		}, &hub.CommitOptions{Message: "old logs"})
		ok(t, err)
		before := historyLen(t, c, r, "")

		logs := t.TempDir()
		writeTree(t, logs, map[string]string{"new.txt": "new", "old1.txt": "old 1 again", "metrics.csv": "a,b"})
		_, err = c.UploadFolder(ctx, r, logs, &hub.UploadFolderOptions{
			PathInRepo:     "experiment/logs/",
			AllowPatterns:  []string{"*.txt"},
			DeletePatterns: []string{"*.txt", ".gitattributes"},
		})
		ok(t, err)
		equals(t, "one commit", historyLen(t, c, r, ""), before+1)
		// Only the repo root's .gitattributes is protected from deletion, as
		// in huggingface_hub's _prepare_folder_deletions.
		want := []string{
			".gitattributes", "experiment/logs/keep.json",
			"experiment/logs/new.txt", "experiment/logs/old1.txt", "experiment/other.txt", "top.txt",
		}
		if got := sortedFiles(t, c, r, ""); !slices.Equal(got, want) {
			t.Fatalf("files:\n got %q\nwant %q", got, want)
		}
		equals(t, "replaced file", string(download(t, c, r, "", "experiment/logs/old1.txt")), "old 1 again")

		// The plan: deletions first, and none for a path being added.
		ops, err := c.FolderOperations(ctx, r, logs, &hub.UploadFolderOptions{
			PathInRepo: "experiment/logs", AllowPatterns: []string{"*.txt"}, DeletePatterns: []string{"*"},
		})
		ok(t, err)
		var kinds []string
		for _, op := range ops {
			switch op := op.(type) {
			case *hub.DeleteOp:
				kinds = append(kinds, "-"+op.PathInRepo)
			case *hub.AddOp:
				kinds = append(kinds, "+"+op.PathInRepo)
			}
		}
		wantKinds := []string{"-experiment/logs/keep.json", "+experiment/logs/new.txt", "+experiment/logs/old1.txt"}
		if !slices.Equal(kinds, wantKinds) {
			t.Fatalf("plan:\n got %q\nwant %q", kinds, wantKinds)
		}

		// At the root, "*" deletes everything but .gitattributes.
		_, err = c.UploadFolder(ctx, r, logs, &hub.UploadFolderOptions{AllowPatterns: []string{"new.txt"}, DeletePatterns: []string{"*"}})
		ok(t, err)
		want = []string{".gitattributes", "new.txt"}
		if got := sortedFiles(t, c, r, ""); !slices.Equal(got, want) {
			t.Fatalf("files:\n got %q\nwant %q", got, want)
		}
	})
}

// TestUploadFolderGitIgnore checks that the root .gitignore of the upload
// is sent with the preupload call (and so applied by the Hub), that a
// nested one is not, and that the Hub's own .gitignore applies later.
func TestUploadFolderGitIgnore(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, _ := newClient(t, h.URL, h.Alice)
		r := hub.Repo{ID: "alice/ignore"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{
			".gitignore":           "*.log\nbuild/\n",
			"app.py":               "print(1)",
			"debug.log":            "noise",
			"build/out.bin":        "out",
			"src/.gitignore":       "*.py\n",
			"src/main.py":          "main",
			"src/trace.log":        "noise",
			"checkpoints/last.txt": "last",
		})
		ci, err := c.UploadFolder(ctx, r, dir, nil)
		ok(t, err)
		want := []string{".gitattributes", ".gitignore", "app.py", "checkpoints/last.txt", "src/.gitignore", "src/main.py"}
		if got := sortedFiles(t, c, r, ""); !slices.Equal(got, want) {
			t.Fatalf("files:\n got %q\nwant %q", got, want)
		}

		// Now the .gitignore is on the Hub: an upload without one is still
		// filtered by it.
		more := t.TempDir()
		writeTree(t, more, map[string]string{"late.log": "x", "late.txt": "y"})
		_, err = c.UploadFolder(ctx, r, more, nil)
		ok(t, err)
		want = slices.Insert(want, 4, "late.txt")
		if got := sortedFiles(t, c, r, ""); !slices.Equal(got, want) {
			t.Fatalf("files:\n got %q\nwant %q", got, want)
		}

		// Uploaded into a sub-folder, the .gitignore is not the root one.
		sub := t.TempDir()
		writeTree(t, sub, map[string]string{".gitignore": "*.txt\n", "x.txt": "x"})
		_, err = c.UploadFolder(ctx, r, sub, &hub.UploadFolderOptions{PathInRepo: "sub"})
		ok(t, err)
		files := sortedFiles(t, c, r, "")
		if !slices.Contains(files, "sub/x.txt") {
			t.Fatalf("sub/x.txt was ignored: %q", files)
		}

		// An explicit GitIgnore wins over the Hub's.
		gi := "*.json\n"
		only := t.TempDir()
		writeTree(t, only, map[string]string{"a.json": "{}", "b.log": "log"})
		_, err = c.UploadFolder(ctx, r, only, &hub.UploadFolderOptions{CommitOptions: hub.CommitOptions{GitIgnore: &gi}})
		ok(t, err)
		files = sortedFiles(t, c, r, "")
		if slices.Contains(files, "a.json") || !slices.Contains(files, "b.log") {
			t.Fatalf("explicit GitIgnore not applied: %q", files)
		}
		_ = ci

		// Everything ignored: nothing to commit.
		n := historyLen(t, c, r, "")
		ign := t.TempDir()
		writeTree(t, ign, map[string]string{"only.log": "x"})
		ci, err = c.UploadFolder(ctx, r, ign, nil)
		ok(t, err)
		equals(t, "skipped", ci.Skipped, true)
		equals(t, "history", historyLen(t, c, r, ""), n)
	})
}

// TestUploadSkipsUnchanged uploads the same content twice: the second
// upload makes no commit. Small files are kept in memory from their
// sampling, or (past the memory allowed) hashed at once: both ways.
func TestUploadSkipsUnchanged(t *testing.T) {
	// Not parallel (keptMax is global): runs before Run's subtests.
	t.Run("not kept", func(t *testing.T) {
		defer hub.SetKeptMax(0)()
		uploadSkipsUnchanged(t, servertest.New(t, sqltest.SQLite))
	})
	servertest.Run(t, uploadSkipsUnchanged)
}

func uploadSkipsUnchanged(t *testing.T, h *servertest.Hub) {
	ctx := t.Context()
	c, rec := newClient(t, h.URL, h.Alice)
	r := hub.Repo{ID: "alice/same"}
	_, err := c.CreateRepo(ctx, r, nil)
	ok(t, err)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.txt": "a", "b/c.txt": "c", "w.bin": string(randomBytes(4, 100<<10)),
		"s.bin": string(randomBytes(5, 10<<10)), "empty": ""})
	first, err := c.UploadFolder(ctx, r, dir, nil)
	ok(t, err)
	n := historyLen(t, c, r, "")
	rec.take()
	second, err := c.UploadFolder(ctx, r, dir, nil)
	ok(t, err)
	equals(t, "skipped", second.Skipped, true)
	equals(t, "oid", second.OID, first.OID)
	equals(t, "url", second.URL, h.URL+"/alice/same/commit/"+first.OID)
	reqs := rec.take()
	equals(t, "commit POSTs", count(reqs, "/commit/"), 0)
	equals(t, "LFS batch calls", count(reqs, "/info/lfs/objects/batch"), 0)
	equals(t, "history", historyLen(t, c, r, ""), n)

	ci, err := c.UploadFile(ctx, r, "a.txt", hub.FromBytes([]byte("a")), nil)
	ok(t, err)
	equals(t, "same file skipped", ci.Skipped, true)
	// One changed file among unchanged ones: only it is committed.
	writeTree(t, dir, map[string]string{"b/c.txt": "changed"})
	third, err := c.UploadFolder(ctx, r, dir, nil)
	ok(t, err)
	equals(t, "skipped", third.Skipped, false)
	equals(t, "history", historyLen(t, c, r, ""), n+1)
	if got := download(t, c, r, "", "s.bin"); !bytes.Equal(got, randomBytes(5, 10<<10)) {
		t.Fatal("download of the small LFS file")
	}
}
