package repo

import (
	"bytes"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/wharfhub/wharf/wire"
)

// checkTrees walks every tree of commit and checks that each one is
// canonical (re-encoding gives the same bytes) and that no tree but the
// root is empty.
func (e *testEngine) checkTrees(t testing.TB, r *Repo, commit string) {
	t.Helper()
	ctx := t.Context()
	var walk func(p, oid string)
	walk = func(p, oid string) {
		data, err := readObject(ctx, e.db, r.Key, oid, KindTree)
		ok(t, err)
		ents, err := DecodeTree(data)
		ok(t, err)
		if p != "" && len(ents) == 0 {
			t.Errorf("empty directory %s left in the tree", p)
		}
		if !bytes.Equal(EncodeTree(ents), data) {
			t.Errorf("tree %s (%s) is not in canonical git order", p, oid)
		}
		for _, te := range ents {
			if te.IsDir() {
				walk(p+"/"+te.Name, te.OID)
			}
		}
	}
	root, err := e.CommitTree(ctx, r, commit)
	ok(t, err)
	walk("", root)
}

func TestCreateRepo(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		r := e.newRepo(t)
		files := e.files(t, r, e.head(t, r, "main"))
		equals(t, "files", []string{".gitattributes"}, sortedKeys(files))
		equals(t, "gitattributes", defaultGitattributes(wire.Model), files[".gitattributes"])
		_, err := e.CreateRepo(t.Context(), r.Type, wire.RepoID{Namespace: "ALICE", Name: strings.ToUpper(r.ID.Name)}, CreateOptions{})
		isErr(t, err, ErrRepoExists)
		got, err := e.GetRepo(t.Context(), r.Type, r.ID)
		ok(t, err)
		equals(t, "key", r.Key, got.Key)
	})
}

func sortedKeys(m map[string]string) []string {
	out := paths(m)
	if _, ok := m[".gitattributes"]; ok {
		out = append([]string{".gitattributes"}, out...)
	}
	return out
}

func TestCommitAddReplaceDelete(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		r := e.newRepo(t)
		first := e.head(t, r, "main")
		res := e.commit(t, r, "main", "add", add("a.txt", "A"), add("d/b.txt", "B"), add("d/e/c.txt", "C"), add("d/e/f/g.txt", "G"))
		equals(t, "parent", first, res.Parent)
		equals(t, "ref", "refs/heads/main", res.Ref)
		equals(t, "head", res.Commit, e.head(t, r, "main"))
		equals(t, "paths", []string{"a.txt", "d/b.txt", "d/e/c.txt", "d/e/f/g.txt"}, paths(e.files(t, r, res.Commit)))

		res = e.commit(t, r, "", "replace", add("a.txt", "A2"), add("d/b.txt", "B2"))
		files := e.files(t, r, res.Commit)
		equals(t, "a.txt", "A2", files["a.txt"])
		equals(t, "d/b.txt", "B2", files["d/b.txt"])

		// Deleting the only file of a folder removes the folder.
		res = e.commit(t, r, "main", "delete", del("d/e/f/g.txt"))
		equals(t, "paths", []string{"a.txt", "d/b.txt", "d/e/c.txt"}, paths(e.files(t, r, res.Commit)))
		_, err := e.Stat(t.Context(), r, res.Commit, "d/e/f")
		isErr(t, err, ErrEntryNotFound)
		e.checkTrees(t, r, res.Commit)

		res = e.commit(t, r, "main", "delete folder", delFolder("d/e"))
		equals(t, "paths", []string{"a.txt", "d/b.txt"}, paths(e.files(t, r, res.Commit)))

		// Deleting the last file of nested folders prunes all of them.
		res = e.commit(t, r, "main", "delete nested", del("d/b.txt"), add("x/y/z/w.txt", "W"))
		res = e.commit(t, r, "main", "prune", del("x/y/z/w.txt"))
		equals(t, "paths", []string{"a.txt"}, paths(e.files(t, r, res.Commit)))
		e.checkTrees(t, r, res.Commit)
		for _, p := range []string{"d", "x", "x/y"} {
			_, err := e.Stat(t.Context(), r, res.Commit, p)
			isErr(t, err, ErrEntryNotFound)
		}

		// Delete then re-add, and a folder replaced by a file in one commit.
		e.commit(t, r, "main", "folder", add("f/1.txt", "1"))
		res = e.commit(t, r, "main", "folder to file", delFolder("f"), add("f", "now a file"), del("a.txt"), add("a.txt", "again"))
		files = e.files(t, r, res.Commit)
		equals(t, "paths", []string{"a.txt", "f"}, paths(files))
		equals(t, "f", "now a file", files["f"])

		// Deleting every file leaves an empty root.
		res = e.commit(t, r, "main", "empty", del("a.txt"), del("f"), del(".gitattributes"))
		equals(t, "files", 0, len(e.files(t, r, res.Commit)))
		root, err := e.CommitTree(t.Context(), r, res.Commit)
		ok(t, err)
		equals(t, "empty tree", HashObject(KindTree, nil), root)
	})
}

func TestCommitKeepsExecutableBit(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		r := e.newRepo(t)
		// Only git pushes make executables; fake one with the tree builder.
		ctx := t.Context()
		head := e.head(t, r, "main")
		err := e.db.Tx(ctx, func(tx *sql.Tx) error {
			c, err := readCommit(ctx, tx, r.Key, head)
			if err != nil {
				return err
			}
			b := newTreeBuilder(ctx, tx, e.db.Dialect, r.Key, c.Tree)
			blob, err := writeObject(ctx, tx, r.Key, KindBlob, []byte("#!/bin/sh\n"), nil)
			if err != nil {
				return err
			}
			if err := b.put("run.sh", ModeExec, blob); err != nil {
				return err
			}
			tree, err := b.flush()
			if err != nil {
				return err
			}
			nc := &Commit{Tree: tree, Parents: []string{head}, Message: "exec\n"}
			oid, err := writeObject(ctx, tx, r.Key, KindCommit, nc.Encode(), nil)
			if err != nil {
				return err
			}
			_, err = casRef(ctx, tx, r.Key, "refs/heads/main", head, oid)
			return err
		})
		ok(t, err)
		res := e.commit(t, r, "main", "edit", add("run.sh", "#!/bin/sh\necho hi\n"))
		en, err := e.Stat(ctx, r, res.Commit, "run.sh")
		ok(t, err)
		equals(t, "mode", ModeExec, en.Mode)
	})
}

func TestCommitFileFolderConflict(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		r := e.newRepo(t)
		e.commit(t, r, "main", "setup", add("file", "f"), add("dir/a.txt", "a"))
		head := e.head(t, r, "main")
		objects := e.countRows(t, "objects")
		for name, changes := range map[string][]Change{
			"under a file":              {add("new.txt", "n"), add("file/x.txt", "x")},
			"deep under a file":         {add("file/x/y/z.txt", "x")},
			"file over a folder":        {add("new.txt", "n"), add("dir", "d")},
			"same commit folder first":  {add("p/q.txt", "q"), add("p", "p")},
			"same commit file first":    {add("p", "p"), add("p/q.txt", "q")},
			"lfs over a folder":         {Change{Kind: AddLFS, Path: "dir", Pointer: e.storeLFS(t, r, "big")}},
			"file over folder, nested":  {add("dir/sub/x", "x"), add("dir/sub", "s")},
			"file over implicit folder": {add("a/b/c.txt", "c"), add("a/b", "b")},
		} {
			_, err := e.Commit(t.Context(), r, "main", CommitOptions{Summary: name}, changes)
			isErr(t, err, ErrConflict)
			equals(t, name+": head", head, e.head(t, r, "main"))
			equals(t, name+": objects", objects, e.countRows(t, "objects"))
		}
	})
}

func TestCommitDeleteMissing(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		r := e.newRepo(t)
		e.commit(t, r, "main", "setup", add("file", "f"), add("dir/a.txt", "a"))
		head := e.head(t, r, "main")
		objects := e.countRows(t, "objects")
		for name, changes := range map[string][]Change{
			"missing file":           {add("new.txt", "n"), del("nope.txt")},
			"missing nested":         {del("dir/nope.txt")},
			"missing parent":         {del("nodir/a.txt")},
			"under a file":           {del("file/a.txt")},
			"missing folder":         {delFolder("nodir")},
			"deleted twice":          {del("file"), del("file")},
			"folder deleted twice":   {delFolder("dir"), delFolder("dir")},
			"file in deleted folder": {delFolder("dir"), del("dir/a.txt")},
		} {
			_, err := e.Commit(t.Context(), r, "main", CommitOptions{Summary: name}, changes)
			isErr(t, err, ErrEntryNotFound)
			equals(t, name+": head", head, e.head(t, r, "main"))
			equals(t, name+": objects", objects, e.countRows(t, "objects"))
		}
	})
}

func TestCommitRejectsInvalidInput(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		r := e.newRepo(t)
		head := e.head(t, r, "main")
		objects := e.countRows(t, "objects")
		for name, c := range map[string]struct {
			opts    CommitOptions
			changes []Change
		}{
			"empty summary":      {CommitOptions{Summary: " "}, []Change{add("a", "a")}},
			"bad parent":         {CommitOptions{Summary: "s", ParentCommit: "xyz"}, []Change{add("a", "a")}},
			"empty path":         {CommitOptions{Summary: "s"}, []Change{add("", "a")}},
			"double slash":       {CommitOptions{Summary: "s"}, []Change{add("a//b", "a")}},
			"leading slash":      {CommitOptions{Summary: "s"}, []Change{add("/a", "a")}},
			"trailing slash":     {CommitOptions{Summary: "s"}, []Change{add("a/", "a")}},
			"dot dot":            {CommitOptions{Summary: "s"}, []Change{add("../a", "a")}},
			"dot git":            {CommitOptions{Summary: "s"}, []Change{add(".git/config", "a")}},
			"delete bad path":    {CommitOptions{Summary: "s"}, []Change{del("a//b")}},
			"delete root folder": {CommitOptions{Summary: "s"}, []Change{delFolder("")}},
			"lfs bad path":       {CommitOptions{Summary: "s"}, []Change{addLFS("x/../y", e.storeLFS(t, r, "x"))}},
			"unknown kind":       {CommitOptions{Summary: "s"}, []Change{{Kind: 99, Path: "a"}}},
		} {
			_, err := e.Commit(t.Context(), r, "main", c.opts, c.changes)
			isErr(t, err, wire.ErrInvalid)
			equals(t, name+": head", head, e.head(t, r, "main"))
			equals(t, name+": objects", objects, e.countRows(t, "objects"))
		}
		// Commits go to branches and PR refs only.
		_, err := e.Commit(t.Context(), r, "nope", CommitOptions{Summary: "s"}, []Change{add("a", "a")})
		isErr(t, err, ErrRevisionNotFound)
		ok(t, e.CreateTag(t.Context(), r, "v1", "main"))
		_, err = e.Commit(t.Context(), r, "refs/tags/v1", CommitOptions{Summary: "s"}, []Change{add("a", "a")})
		isErr(t, err, ErrRevisionNotFound)
		_, err = e.Commit(t.Context(), r, head, CommitOptions{Summary: "s"}, []Change{add("a", "a")})
		isErr(t, err, ErrRevisionNotFound)
		equals(t, "objects", objects, e.countRows(t, "objects"))
	})
}

func TestCommitLFS(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		ctx := t.Context()
		r := e.newRepo(t)
		other := e.newRepo(t)
		objects := e.countRows(t, "objects")

		// Not stored at all, or stored but linked to another repo only.
		_, err := e.Commit(ctx, r, "main", CommitOptions{Summary: "s"}, []Change{add("x.txt", "x"), addLFS("w.bin", wire.Pointer{OID: wire.OID(strings.Repeat("a", 64)), Size: 3})})
		isErr(t, err, ErrLFSObjectMissing)
		foreign := e.storeLFS(t, other, "someone else's weights")
		_, err = e.Commit(ctx, r, "main", CommitOptions{Summary: "s"}, []Change{add("x.txt", "x"), addLFS("w.bin", foreign)})
		isErr(t, err, ErrLFSObjectMissing)
		equals(t, "objects after failures", objects, e.countRows(t, "objects"))

		ptr := e.storeLFS(t, r, "model weights")
		bad := ptr
		bad.Size++
		_, err = e.Commit(ctx, r, "main", CommitOptions{Summary: "s"}, []Change{addLFS("w.bin", bad)})
		isErr(t, err, wire.ErrInvalid)

		// A copy by reference (size -1) takes the stored size.
		byRef := ptr
		byRef.Size = -1
		res := e.commit(t, r, "main", "lfs", addLFS("w.bin", ptr), addLFS("sub/copy.bin", byRef))
		for _, p := range []string{"w.bin", "sub/copy.bin"} {
			en, err := e.Stat(ctx, r, res.Commit, p)
			ok(t, err)
			equals(t, p+" lfs", &ptr, en.LFS)
			equals(t, p+" size", ptr.Size, en.Size)
			equals(t, p+" pointer size", int64(len(ptr.Encode())), en.PointerSize)
			data, err := e.ReadBlob(ctx, r, en.OID)
			ok(t, err)
			equals(t, p+" blob", string(ptr.Encode()), string(data))
		}
		// *.bin is in the default .gitattributes: no rule added.
		equals(t, "gitattributes", defaultGitattributes(wire.Model), e.files(t, r, res.Commit)[".gitattributes"])
	})
}

func TestCommitLFSAddsGitattributesRule(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		ctx := t.Context()
		r := e.newRepo(t)
		ptr := e.storeLFS(t, r, "weights")
		tricky := "weights/my [model] v1*.weights"
		res := e.commit(t, r, "main", "lfs", addLFS(tricky, ptr), addLFS("tokenizer.json", ptr), addLFS("covered.safetensors", ptr))
		attrs := e.files(t, r, res.Commit)[".gitattributes"]
		want := defaultGitattributes(wire.Model) +
			`/weights/my[[:space:]]\[model\][[:space:]]v1\*.weights filter=lfs diff=lfs merge=lfs -text` + "\n" +
			"tokenizer.json filter=lfs diff=lfs merge=lfs -text\n"
		equals(t, "gitattributes", want, attrs)
		parsed := ParseAttributes([]byte(attrs))
		for p, lfs := range map[string]bool{
			tricky: true, "tokenizer.json": true, "covered.safetensors": true,
			"weights/my m v1x.weights": false, "weights/my [model] v1x.weights": false, "config.json": false,
		} {
			equals(t, "IsLFS "+p, lfs, parsed.IsLFS(p))
		}
		if _, err := exec.LookPath("git"); err == nil {
			got := checkAttrLFS(t, attrs, []string{tricky, "weights/my m v1x.weights"})
			equals(t, "git agrees", map[string]bool{tricky: true, "weights/my m v1x.weights": false}, got)
		}

		// A .gitattributes without a final newline, changed in the same
		// commit, gets the rule on a line of its own.
		res = e.commit(t, r, "main", "attrs", add(".gitattributes", "*.bin filter=lfs"), addLFS("new.weights", ptr))
		equals(t, "appended", "*.bin filter=lfs\nnew.weights filter=lfs diff=lfs merge=lfs -text\n", e.files(t, r, res.Commit)[".gitattributes"])

		// With no .gitattributes at all, one is created.
		e.commit(t, r, "main", "rm attrs", del(".gitattributes"))
		res = e.commit(t, r, "main", "lfs again", addLFS("a b.weights", ptr))
		equals(t, "created", "a[[:space:]]b.weights filter=lfs diff=lfs merge=lfs -text\n", e.files(t, r, res.Commit)[".gitattributes"])
		_ = ctx
	})
}

func TestCommitParentCommit(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		ctx := t.Context()
		r := e.newRepo(t)
		base := e.head(t, r, "main")
		res, err := e.Commit(ctx, r, "main", CommitOptions{Summary: "s", ParentCommit: strings.ToUpper(base[:7])}, []Change{add("a", "1")})
		ok(t, err)
		objects := e.countRows(t, "objects")
		_, err = e.Commit(ctx, r, "main", CommitOptions{Summary: "s", ParentCommit: base}, []Change{add("b", "2")})
		isErr(t, err, ErrParentMismatch)
		equals(t, "objects", objects, e.countRows(t, "objects"))
		equals(t, "head", res.Commit, e.head(t, r, "main"))
		_, err = e.Commit(ctx, r, "main", CommitOptions{Summary: "s", ParentCommit: res.Commit}, []Change{add("b", "2")})
		ok(t, err)
	})
}

func TestCommitCreatePR(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		ctx := t.Context()
		r := e.newRepo(t)
		main := e.head(t, r, "main")
		res, err := e.Commit(ctx, r, "main", CommitOptions{Summary: "Add weights", CreatePR: true, Author: Author{Name: "bob"}}, []Change{add("w.txt", "w")})
		ok(t, err)
		equals(t, "pr num", int64(1), res.PRNum)
		equals(t, "ref", "refs/pr/1", res.Ref)
		equals(t, "parent", main, res.Parent)
		equals(t, "main unchanged", main, e.head(t, r, "main"))
		equals(t, "pr head", res.Commit, e.head(t, r, "refs/pr/1"))
		d, evs, err := e.GetDiscussion(ctx, r, 1)
		ok(t, err)
		equals(t, "is pr", true, d.IsPR)
		equals(t, "status", "open", d.Status)
		equals(t, "title", "Add weights", d.Title)
		equals(t, "base ref", "refs/heads/main", d.BaseRef)
		equals(t, "base commit", main, d.BaseCommit)
		equals(t, "events", 1, len(evs))

		// More commits go to the PR ref; each is an event.
		res2 := e.commit(t, r, "refs/pr/1", "more", add("x.txt", "x"))
		equals(t, "pr parent", res.Commit, res2.Parent)
		_, evs, err = e.GetDiscussion(ctx, r, 1)
		ok(t, err)
		equals(t, "events", 2, len(evs))
		equals(t, "event type", "commit", evs[1].Type)
		equals[any](t, "event oid", res2.Commit, evs[1].Data["oid"])

		// A second PR gets the next number; a failed one takes no number.
		_, err = e.Commit(ctx, r, "main", CommitOptions{Summary: "bad", CreatePR: true}, []Change{del("nope")})
		isErr(t, err, ErrEntryNotFound)
		res3, err := e.Commit(ctx, r, "main", CommitOptions{Summary: "second", CreatePR: true}, []Change{add("y.txt", "y")})
		ok(t, err)
		equals(t, "second pr", int64(2), res3.PRNum)
		list, err := e.ListDiscussions(ctx, r)
		ok(t, err)
		equals(t, "discussions", 2, len(list))

		// A PR needs a branch as its base.
		ok(t, e.CreateTag(ctx, r, "v1", "main"))
		_, err = e.Commit(ctx, r, "v1", CommitOptions{Summary: "s", CreatePR: true}, []Change{add("z", "z")})
		isErr(t, err, ErrRevisionNotFound)
	})
}

func TestCommitNDJSON(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		ctx := t.Context()
		r := e.newRepo(t)
		e.commit(t, r, "main", "setup", add("old.txt", "old"), add("gone.txt", "g"), add("folder/a", "a"), add("folder/b", "b"))
		ptr := e.storeLFS(t, r, "lfs content")
		var body bytes.Buffer
		line := func(key string, value map[string]any) {
			b, err := json.Marshal(map[string]any{"key": key, "value": value})
			ok(t, err)
			body.Write(b)
			body.WriteByte('\n')
		}
		line("header", map[string]any{"summary": "ndjson", "description": "body"})
		line("file", map[string]any{"path": "new.txt", "content": base64.StdEncoding.EncodeToString([]byte("new\x00bytes")), "encoding": "base64"})
		line("file", map[string]any{"path": "renamed.txt", "oldPath": "old.txt", "content": base64.StdEncoding.EncodeToString([]byte("old"))})
		line("lfsFile", map[string]any{"path": "model.bin", "algo": "sha256", "oid": string(ptr.OID), "size": ptr.Size})
		line("deletedFile", map[string]any{"path": "gone.txt"})
		line("deletedFolder", map[string]any{"path": "folder/"})
		res, err := e.CommitNDJSON(ctx, r, "main", &body, CommitOptions{Author: Author{Name: "carol"}})
		ok(t, err)
		files := e.files(t, r, res.Commit)
		equals(t, "paths", []string{"model.bin", "new.txt", "renamed.txt"}, paths(files))
		equals(t, "new.txt", "new\x00bytes", files["new.txt"])
		equals(t, "model.bin", string(ptr.Encode()), files["model.bin"])
		c, err := e.ReadCommit(ctx, r, res.Commit)
		ok(t, err)
		equals(t, "message", "ndjson\n\nbody\n", c.Message)
		equals(t, "author", "carol", c.Author.Name)

		// An invalid line anywhere fails the whole commit before any write.
		objects := e.countRows(t, "objects")
		body.Reset()
		line("header", map[string]any{"summary": "bad"})
		line("file", map[string]any{"path": "ok.txt", "content": "b2s="})
		line("file", map[string]any{"path": "../evil", "content": "b2s="})
		_, err = e.CommitNDJSON(ctx, r, "main", &body, CommitOptions{})
		isErr(t, err, wire.ErrInvalid)
		equals(t, "objects", objects, e.countRows(t, "objects"))
	})
}

// TestFailedCommitWritesNothing fails commits late, after many blobs and
// trees were written inside the transaction, and checks that no row of any
// table changed.
func TestFailedCommitWritesNothing(t *testing.T) {
	tables := []string{"objects", "refs", "discussions", "discussion_events", "repo_lfs", "lfs_objects", "repos"}
	eachDialect(t, func(t *testing.T, e *testEngine) {
		ctx := t.Context()
		r := e.newRepo(t)
		e.commit(t, r, "main", "setup", add("file", "f"), add("dir/a", "a"))
		many := func(last Change) []Change {
			var cs []Change
			for i := range 200 {
				cs = append(cs, add(fmt.Sprintf("n%d/f%d.txt", i%7, i), fmt.Sprint("content ", i)))
			}
			return append(cs, last)
		}
		ptr := e.storeLFS(t, r, "lfs")
		before := map[string]int{}
		for _, tb := range tables {
			before[tb] = e.countRows(t, tb)
		}
		head := e.head(t, r, "main")
		for name, c := range map[string]struct {
			opts    CommitOptions
			changes []Change
			kind    error
		}{
			"conflict":        {CommitOptions{Summary: "s"}, many(add("file/x", "x")), ErrConflict},
			"missing delete":  {CommitOptions{Summary: "s"}, many(del("nope")), ErrEntryNotFound},
			"missing lfs":     {CommitOptions{Summary: "s"}, many(addLFS("x.bin", wire.Pointer{OID: wire.OID(strings.Repeat("b", 64)), Size: 1})), ErrLFSObjectMissing},
			"lfs size":        {CommitOptions{Summary: "s"}, many(addLFS("x.weights", wire.Pointer{OID: ptr.OID, Size: 99})), wire.ErrInvalid},
			"parent mismatch": {CommitOptions{Summary: "s", ParentCommit: strings.Repeat("0", 40)}, many(add("z", "z")), ErrParentMismatch},
			"pr conflict":     {CommitOptions{Summary: "s", CreatePR: true}, many(add("dir", "x")), ErrConflict},
		} {
			_, err := e.Commit(ctx, r, "main", c.opts, c.changes)
			isErr(t, err, c.kind)
			for _, tb := range tables {
				equals(t, name+": rows in "+tb, before[tb], e.countRows(t, tb))
			}
			equals(t, name+": head", head, e.head(t, r, "main"))
		}
		// The next PR still gets number 1.
		res, err := e.Commit(ctx, r, "main", CommitOptions{Summary: "s", CreatePR: true}, []Change{add("ok", "ok")})
		ok(t, err)
		equals(t, "pr num", int64(1), res.PRNum)
	})
}

// TestConcurrentCommits has writers commit distinct files to one branch
// without parentCommit: every commit must land, in one linear history. On
// PostgreSQL this exercises the compare-and-swap retry.
func TestConcurrentCommits(t *testing.T) {
	const writers, perWriter = 8, 5
	eachDialect(t, func(t *testing.T, e *testEngine) {
		ctx := t.Context()
		r := e.newRepo(t)
		first := e.head(t, r, "main")
		var wg sync.WaitGroup
		errs := make(chan error, writers*perWriter)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWriter {
					p := fmt.Sprintf("w%d/f%d.txt", w, i)
					_, err := e.Commit(ctx, r, "main", CommitOptions{Summary: "add " + p}, []Change{add(p, p), add(fmt.Sprintf("shared/w%d-%d", w, i), "s")})
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			ok(t, err)
		}
		head := e.head(t, r, "main")
		files := e.files(t, r, head)
		for w := range writers {
			for i := range perWriter {
				p := fmt.Sprintf("w%d/f%d.txt", w, i)
				equals(t, p, p, files[p])
			}
		}
		equals(t, "file count", 2*writers*perWriter, len(paths(files)))
		log, more, err := e.Log(ctx, r, head, 0, 1000)
		ok(t, err)
		equals(t, "more", false, more)
		equals(t, "history length", writers*perWriter+1, len(log))
		for i, le := range log[:len(log)-1] {
			equals(t, "linear", []string{log[i+1].OID}, le.Commit.Parents)
		}
		equals(t, "root", first, log[len(log)-1].OID)
		e.checkTrees(t, r, head)
	})
}

// TestCommitRandomOpsMatchModel applies random commits with names whose git
// order is tricky and checks the result against a plain map of files.
func TestCommitRandomOpsMatchModel(t *testing.T) {
	names := []string{"a", "a-b", "a.txt", "a0", "b"}
	eachDialect(t, func(t *testing.T, e *testEngine) {
		rng := rand.New(rand.NewPCG(1, 2))
		r := e.newRepo(t)
		model := map[string]string{".gitattributes": defaultGitattributes(wire.Model)}
		randPath := func() string {
			parts := make([]string, 1+rng.IntN(3))
			for i := range parts {
				parts[i] = names[rng.IntN(len(names))]
			}
			return strings.Join(parts, "/")
		}
		// apply runs one change on m and returns the engine's error kind for it.
		apply := func(m map[string]string, c Change) error {
			isFolder := func(p string) bool {
				for f := range m {
					if strings.HasPrefix(f, p+"/") {
						return true
					}
				}
				return false
			}
			switch c.Kind {
			case Add:
				parts := strings.Split(c.Path, "/")
				for i := 1; i < len(parts); i++ {
					if _, isFile := m[strings.Join(parts[:i], "/")]; isFile {
						return ErrConflict
					}
				}
				if isFolder(c.Path) {
					return ErrConflict
				}
				m[c.Path] = string(c.Content)
			case Delete:
				_, isFile := m[c.Path]
				if !isFile && !isFolder(c.Path) {
					return ErrEntryNotFound
				}
				delete(m, c.Path)
				// A deleted "file" that is a folder deletes the folder (the Hub).
				for f := range m {
					if strings.HasPrefix(f, c.Path+"/") {
						delete(m, f)
					}
				}
			case DeleteFolder:
				_, isFile := m[c.Path]
				if !isFile && !isFolder(c.Path) {
					return ErrEntryNotFound
				}
				delete(m, c.Path)
				for f := range m {
					if strings.HasPrefix(f, c.Path+"/") {
						delete(m, f)
					}
				}
			}
			return nil
		}
		commits, failures := 0, 0
		for round := range 150 {
			var changes []Change
			for range 1 + rng.IntN(4) {
				p := randPath()
				switch k := rng.IntN(10); {
				case k < 6:
					changes = append(changes, add(p, fmt.Sprint(round, p)))
				case k < 8:
					changes = append(changes, del(p))
				default:
					changes = append(changes, delFolder(p))
				}
			}
			next := maps.Clone(model)
			var want error
			for _, c := range changes {
				if want = apply(next, c); want != nil {
					break
				}
			}
			res, err := e.Commit(t.Context(), r, "main", CommitOptions{Summary: fmt.Sprint(round)}, changes)
			if want != nil {
				isErr(t, err, want)
				failures++
				continue
			}
			ok(t, err)
			commits++
			model = next
			equals(t, fmt.Sprint("round ", round), model, e.files(t, r, res.Commit))
			e.checkTrees(t, r, res.Commit)
		}
		if commits < 30 || failures < 30 {
			t.Fatalf("too one-sided: %d commits, %d failures", commits, failures)
		}
	})
}

// TestCommitManyFilesInOneFolderUnordered adds files in no particular order,
// as a folder walk gives them, and checks the trees come out in git order.
func TestCommitManyFilesInOneFolderUnordered(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		r := e.newRepo(t)
		const n = 20000
		changes := make([]Change, 0, n)
		for i := range n {
			p := fmt.Sprintf("data/f%d", i)
			if i%10 == 0 {
				p = fmt.Sprintf("data/f%d/x", i) // folders among the files
			}
			changes = append(changes, add(p, fmt.Sprint(i%100)))
		}
		rand.New(rand.NewPCG(3, 4)).Shuffle(len(changes), func(i, j int) { changes[i], changes[j] = changes[j], changes[i] })
		res := e.commit(t, r, "main", "many", changes...)
		e.checkTrees(t, r, res.Commit)
		ents, _, err := e.ListTree(t.Context(), r, res.Commit, ListOptions{Path: "data", Limit: n})
		ok(t, err)
		equals(t, "entries", n, len(ents))
	})
}
