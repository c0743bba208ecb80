package repo

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/wire"
)

// nestedChanges builds a tree of about 300 entries whose git order differs
// from plain path order at several levels ("a.txt" < dir "a" < "a0").
func nestedChanges() []Change {
	var cs []Change
	for _, p := range []string{"a.txt", "a-b", "a0", "b.txt", "a/x.txt", "a/x/y.txt", "a/x.y", "a/x0", "a0b/z"} {
		cs = append(cs, add(p, p))
	}
	for d := range 4 {
		for s := range 5 {
			for f := range 12 {
				p := fmt.Sprintf("d%d/s%d/f%02d.txt", d, s, f)
				cs = append(cs, add(p, p))
			}
			cs = append(cs, add(fmt.Sprintf("d%d/s%d.txt", d, s), "file next to its folder"))
		}
		cs = append(cs, add(fmt.Sprintf("d%d/deep/er/and/deeper.txt", d), "deep"))
	}
	return cs
}

// entryKey is the order ListTree promises: git order, folders before their
// contents.
func listKey(en Entry) string {
	if en.Dir {
		return en.Path + "/"
	}
	return en.Path
}

// listAll pages through a listing and checks the resume keys on the way.
func (e *testEngine) listAll(t *testing.T, r *Repo, commit string, opts ListOptions) []Entry {
	t.Helper()
	var all []Entry
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("listing does not end")
		}
		page, next, err := e.ListTree(t.Context(), r, commit, opts)
		ok(t, err)
		if opts.Limit > 0 && len(page) > opts.Limit {
			t.Fatalf("page of %d entries, limit %d", len(page), opts.Limit)
		}
		// The same key gives the same page.
		again, next2, err := e.ListTree(t.Context(), r, commit, opts)
		ok(t, err)
		equals(t, "same page", page, again)
		equals(t, "same next", next, next2)
		all = append(all, page...)
		if next == "" {
			return all
		}
		equals(t, "next is the last key of the page", listKey(page[len(page)-1]), next)
		opts.After = next
	}
}

func TestListTreePaging(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		ctx := t.Context()
		r := e.newRepo(t)
		ptr := e.storeLFS(t, r, "lfs in a listing")
		res := e.commit(t, r, "main", "nested", append(nestedChanges(), addLFS("d1/s2/model.bin", ptr))...)
		files := e.files(t, r, res.Commit)

		// Every file and folder, in order, each folder before its contents.
		full, next, err := e.ListTree(ctx, r, res.Commit, ListOptions{Recursive: true, Limit: 100000})
		ok(t, err)
		equals(t, "next", "", next)
		want := map[string]bool{}
		for p := range files {
			want[p] = false
			for d := p; strings.Contains(d, "/"); {
				d = d[:strings.LastIndexByte(d, '/')]
				want[d] = true
			}
		}
		if len(full) < 290 {
			t.Fatalf("only %d entries", len(full))
		}
		equals(t, "entries", len(want), len(full))
		for i, en := range full {
			isDir, found := want[en.Path]
			if !found || isDir != en.Dir {
				t.Fatalf("unexpected entry %+v", en)
			}
			if i > 0 && listKey(full[i-1]) >= listKey(en) {
				t.Fatalf("%q listed after %q", en.Path, full[i-1].Path)
			}
			if !en.Dir && en.Size != int64(len(files[en.Path])) && en.LFS == nil {
				t.Errorf("%s: size %d, want %d", en.Path, en.Size, len(files[en.Path]))
			}
		}
		var head []string
		for _, en := range full[:8] {
			head = append(head, en.Path)
		}
		equals(t, "git order", []string{".gitattributes", "a-b", "a.txt", "a", "a/x.txt", "a/x.y", "a/x", "a/x/y.txt"}, head)
		for _, en := range full {
			if en.Path == "d1/s2/model.bin" {
				equals(t, "lfs", &ptr, en.LFS)
				equals(t, "lfs size", ptr.Size, en.Size)
			}
		}

		for _, opts := range []ListOptions{
			{Recursive: true},
			{},
			{Path: "d2", Recursive: true},
			{Path: "d2"},
			{Path: "a", Recursive: true},
			{Path: "d3/deep", Recursive: true},
		} {
			t.Run(fmt.Sprintf("%+v", opts), func(t *testing.T) {
				unpaged := opts
				unpaged.Limit = 100000
				whole, next, err := e.ListTree(ctx, r, res.Commit, unpaged)
				ok(t, err)
				equals(t, "next", "", next)
				for _, limit := range []int{1, 7, 100} {
					paged := opts
					paged.Limit = limit
					equals(t, fmt.Sprint("pages of ", limit), whole, e.listAll(t, r, res.Commit, paged))
				}
				// Without a limit pages hold 1000 entries.
				equals(t, "default limit", whole, e.listAll(t, r, res.Commit, opts))
			})
		}

		// A file path lists that file; a missing path is not found.
		one, next, err := e.ListTree(ctx, r, res.Commit, ListOptions{Path: "d0/s1/f03.txt"})
		ok(t, err)
		equals(t, "next", "", next)
		equals(t, "file", 1, len(one))
		equals(t, "file path", "d0/s1/f03.txt", one[0].Path)
		_, _, err = e.ListTree(ctx, r, res.Commit, ListOptions{Path: "nope"})
		isErr(t, err, ErrEntryNotFound)

		// A resume key is a position, not an entry: it still works on a
		// later commit where that entry is gone.
		page, next, err := e.ListTree(ctx, r, res.Commit, ListOptions{Recursive: true, Limit: 50})
		ok(t, err)
		last := page[len(page)-1].Path
		res2 := e.commit(t, r, "main", "remove the resume point", del(last))
		rest := e.listAll(t, r, res2.Commit, ListOptions{Recursive: true, Limit: 7, After: next})
		all := e.listAll(t, r, res2.Commit, ListOptions{Recursive: true, Limit: 7})
		var after []Entry
		for _, en := range all {
			if listKey(en) > next {
				after = append(after, en)
			}
		}
		equals(t, "resumed on a new commit", after, rest)
	})
}

func TestStatAndPathsInfo(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		ctx := t.Context()
		r := e.newRepo(t)
		ptr := e.storeLFS(t, r, "0123456789")
		res := e.commit(t, r, "main", "files", add("a/b.txt", "hello"), addLFS("a/w.bin", ptr), add("empty", ""))
		en, err := e.Stat(ctx, r, res.Commit, "a/b.txt")
		ok(t, err)
		equals(t, "stat", Entry{Path: "a/b.txt", Mode: ModeFile, OID: oidOf("hello"), Size: 5}, en)
		en, err = e.Stat(ctx, r, res.Commit, "empty")
		ok(t, err)
		equals(t, "empty file", Entry{Path: "empty", Mode: ModeFile, OID: oidOf(""), Size: 0}, en)
		en, err = e.Stat(ctx, r, res.Commit, "a")
		ok(t, err)
		equals(t, "dir", true, en.Dir)
		equals(t, "dir path", "a", en.Path)
		root, err := e.Stat(ctx, r, res.Commit, "")
		ok(t, err)
		equals(t, "root", true, root.Dir)
		for _, p := range []string{"nope", "a/nope", "a/b.txt/c", "empty/x"} {
			_, err = e.Stat(ctx, r, res.Commit, p)
			isErr(t, err, ErrEntryNotFound)
		}
		infos, err := e.PathsInfo(ctx, r, res.Commit, []string{"a/w.bin", "nope", "a/", "a/b.txt", "/"})
		ok(t, err)
		var got []string
		for _, in := range infos {
			got = append(got, fmt.Sprintf("%s dir=%v size=%d lfs=%v", in.Path, in.Dir, in.Size, in.LFS != nil))
		}
		equals(t, "paths info", []string{"a/w.bin dir=false size=10 lfs=true", "a dir=true size=0 lfs=false", "a/b.txt dir=false size=5 lfs=false"}, got)
	})
}

func TestLog(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		ctx := t.Context()
		r := e.newRepo(t)
		for i := range 6 {
			e.commit(t, r, "main", fmt.Sprint("commit ", i), add("f", fmt.Sprint(i)))
		}
		head := e.head(t, r, "main")
		all, more, err := e.Log(ctx, r, head, 0, 100)
		ok(t, err)
		equals(t, "more", false, more)
		equals(t, "length", 7, len(all))
		var titles []string
		for _, le := range all {
			titles = append(titles, le.Commit.Title())
		}
		equals(t, "newest first", []string{"commit 5", "commit 4", "commit 3", "commit 2", "commit 1", "commit 0", "initial commit"}, titles)
		equals(t, "head first", head, all[0].OID)
		for _, c := range []struct {
			skip, limit int
			more        bool
		}{{0, 3, true}, {3, 3, true}, {6, 3, false}, {4, 3, false}, {7, 3, false}, {100, 3, false}, {0, 7, false}, {0, 6, true}} {
			page, more, err := e.Log(ctx, r, head, c.skip, c.limit)
			ok(t, err)
			wantPage := all[min(c.skip, len(all)):min(c.skip+c.limit, len(all))]
			if len(wantPage) == 0 {
				wantPage = nil
			}
			equals(t, fmt.Sprintf("skip %d limit %d", c.skip, c.limit), wantPage, page)
			equals(t, fmt.Sprintf("skip %d limit %d: more", c.skip, c.limit), c.more, more)
		}
		// Log of an older commit starts there.
		older, _, err := e.Log(ctx, r, all[2].OID, 0, 100)
		ok(t, err)
		equals(t, "older", all[2:], older)
	})
}

func TestRefs(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		ctx := t.Context()
		r := e.newRepo(t)
		main := e.commit(t, r, "main", "one", add("a", "a")).Commit
		ok(t, e.CreateBranch(ctx, r, "dev", "", false))
		isErr(t, e.CreateBranch(ctx, r, "dev", "", false), ErrRefExists)
		dev := e.commit(t, r, "dev", "on dev", add("b", "b")).Commit
		equals(t, "main untouched", main, e.head(t, r, "main"))
		equals(t, "dev files", []string{"a", "b"}, paths(e.files(t, r, dev)))
		ok(t, e.CreateTag(ctx, r, "v1", "dev"))
		isErr(t, e.CreateTag(ctx, r, "v1", "main"), ErrRefExists)
		for rev, want := range map[string]string{"v1": dev, "refs/tags/v1": dev, "dev": dev, "": main, main[:7]: main, strings.ToUpper(main): main} {
			got, err := e.Resolve(ctx, r, rev)
			ok(t, err)
			equals(t, "resolve "+rev, want, got.Commit)
		}
		_, err := e.Resolve(ctx, r, main[:6])
		isErr(t, err, ErrRevisionNotFound)
		_, err = e.Resolve(ctx, r, "nope")
		isErr(t, err, ErrRevisionNotFound)

		ok(t, e.CreateEmptyBranch(ctx, r, "empty", Author{Name: "alice"}, false))
		empty := e.head(t, r, "empty")
		equals(t, "empty branch", 0, len(e.files(t, r, empty)))
		res := e.commit(t, r, "empty", "first", add("x", "x"))
		equals(t, "first on empty", []string{"x"}, paths(e.files(t, r, res.Commit)))

		ok(t, e.CreateBranch(ctx, r, "dev", "main", true))
		equals(t, "overwritten", main, e.head(t, r, "dev"))

		refs, err := e.ListRefs(ctx, r)
		ok(t, err)
		var names []string
		for _, ref := range refs {
			names = append(names, ref.Name)
		}
		equals(t, "refs", []string{"refs/heads/dev", "refs/heads/empty", "refs/heads/main", "refs/tags/v1"}, names)

		isErr(t, e.DeleteBranch(ctx, r, "main"), wire.ErrInvalid)
		ok(t, e.DeleteBranch(ctx, r, "dev"))
		isErr(t, e.DeleteBranch(ctx, r, "dev"), ErrRevisionNotFound)
		ok(t, e.DeleteTag(ctx, r, "v1"))
		isErr(t, e.DeleteTag(ctx, r, "v1"), ErrRevisionNotFound)
	})
}

func TestCompareKeysMatchGitOrder(t *testing.T) {
	key := func(te TreeEntry) string {
		if te.IsDir() {
			return te.Name + "/"
		}
		return te.Name
	}
	names := []string{"a", "a-b", "a.txt", "a0", "a/", "a/b", "ab", "b", "", "é", "a/x", "a//"}
	var ents []TreeEntry
	for _, n := range names {
		if n != "" && !strings.Contains(n, "/") {
			ents = append(ents, TreeEntry{Mode: ModeFile, Name: n}, TreeEntry{Mode: ModeDir, Name: n})
		}
	}
	for _, a := range ents {
		for _, b := range ents {
			equals(t, fmt.Sprintf("compareEntries(%q %s, %q %s)", a.Name, a.Mode, b.Name, b.Mode), strings.Compare(key(a), key(b)), compareEntries(a, b))
		}
		for _, s := range names {
			equals(t, fmt.Sprintf("compareKey(%q %s, %q)", a.Name, a.Mode, s), strings.Compare(key(a), s), compareKey(a, s))
		}
	}
}
