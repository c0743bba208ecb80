package repo

import (
	"database/sql"
	"fmt"
	"sync"
	"testing"

	"github.com/wharfhub/wharf/wire"
)

// openPR commits changes to a new pull request against main.
func (e *testEngine) openPR(t testing.TB, r *Repo, title string, changes ...Change) *CommitResult {
	t.Helper()
	res, err := e.Commit(t.Context(), r, "main", CommitOptions{Summary: title, CreatePR: true, Author: Author{Name: "bob"}}, changes)
	ok(t, err)
	return res
}

func TestMergeClean(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		ctx := t.Context()
		r := e.newRepo(t)
		e.commit(t, r, "main", "setup", add("keep.txt", "k"), add("edit.txt", "e1"), add("rm.txt", "r"), add("dir/x.txt", "x"))
		pr := e.openPR(t, r, "PR title", add("edit.txt", "e2"), del("rm.txt"), add("dir/new.txt", "n"), add("new/deep/f.txt", "f"))
		e.commit(t, r, "refs/pr/1", "second PR commit", add("edit.txt", "e3"))
		// Meanwhile main moves on, touching other paths.
		mainRes := e.commit(t, r, "main", "main moves", add("other.txt", "o"), add("dir/y.txt", "y"))

		merged, err := e.Merge(ctx, r, pr.PRNum, Author{Name: "admin"}, "LGTM")
		ok(t, err)
		equals(t, "main head", merged, e.head(t, r, "main"))
		c, err := e.ReadCommit(ctx, r, merged)
		ok(t, err)
		equals(t, "squash parent", []string{mainRes.Commit}, c.Parents)
		equals(t, "message", "PR title\n\nLGTM\n", c.Message)
		files := e.files(t, r, merged)
		equals(t, "paths", []string{"dir/new.txt", "dir/x.txt", "dir/y.txt", "edit.txt", "keep.txt", "new/deep/f.txt", "other.txt"}, paths(files))
		equals(t, "edit.txt", "e3", files["edit.txt"])
		e.checkTrees(t, r, merged)

		d, evs, err := e.GetDiscussion(ctx, r, pr.PRNum)
		ok(t, err)
		equals(t, "status", "merged", d.Status)
		equals(t, "merge commit", merged, d.MergeCommit)
		last := evs[len(evs)-1]
		equals(t, "last event", "status-change", last.Type)
		equals[any](t, "last status", "merged", last.Data["status"])

		// A merged PR can be neither merged again, nor reopened, nor committed to.
		_, err = e.Merge(ctx, r, pr.PRNum, Author{Name: "admin"}, "")
		isErr(t, err, ErrConflict)
		_, err = e.SetStatus(ctx, r, pr.PRNum, "admin", "open", "")
		isErr(t, err, ErrConflict)
		_, err = e.Commit(ctx, r, "refs/pr/1", CommitOptions{Summary: "late"}, []Change{add("late", "l")})
		isErr(t, err, ErrConflict)
	})
}

func TestMergeConflict(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		ctx := t.Context()
		r := e.newRepo(t)
		e.commit(t, r, "main", "setup", add("a.txt", "base"), add("b.txt", "base"), add("c.txt", "c"))
		pr := e.openPR(t, r, "PR", add("a.txt", "theirs"), add("b.txt", "same"), del("c.txt"))
		main := e.commit(t, r, "main", "ours", add("a.txt", "ours"), add("b.txt", "same"), add("c.txt", "changed")).Commit
		before := e.countRows(t, "objects")
		_, err := e.Merge(ctx, r, pr.PRNum, Author{Name: "admin"}, "")
		isErr(t, err, ErrConflict)
		// Identical changes on both sides (b.txt) are not conflicts.
		equals(t, "message", "Merge conflict in: a.txt, c.txt", err.Error())
		equals(t, "main", main, e.head(t, r, "main"))
		equals(t, "objects", before, e.countRows(t, "objects"))
		d, _, err := e.GetDiscussion(ctx, r, pr.PRNum)
		ok(t, err)
		equals(t, "status", "open", d.Status)
	})
}

func TestMergeFileFolderConflict(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		r := e.newRepo(t)
		pr := e.openPR(t, r, "PR", add("x/y.txt", "y"))
		main := e.commit(t, r, "main", "x is a file", add("x", "file")).Commit
		_, err := e.Merge(t.Context(), r, pr.PRNum, Author{Name: "admin"}, "")
		isErr(t, err, ErrConflict)
		equals(t, "main", main, e.head(t, r, "main"))
	})
}

func TestMergeEmpty(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		ctx := t.Context()
		r := e.newRepo(t)
		num, err := e.CreateDiscussion(ctx, r, "draft PR", "description", "bob", true)
		ok(t, err)
		d, evs, err := e.GetDiscussion(ctx, r, num)
		ok(t, err)
		equals(t, "status", "draft", d.Status)
		equals(t, "pr ref", e.head(t, r, "main"), e.head(t, r, fmt.Sprintf("refs/pr/%d", num)))
		equals(t, "events", 1, len(evs))
		_, err = e.Merge(ctx, r, num, Author{Name: "admin"}, "")
		isErr(t, err, ErrNoChanges)

		plain, err := e.CreateDiscussion(ctx, r, "question", "", "bob", false)
		ok(t, err)
		_, err = e.Merge(ctx, r, plain, Author{Name: "admin"}, "")
		isErr(t, err, wire.ErrInvalid)
		_, err = e.Merge(ctx, r, 99, Author{Name: "admin"}, "")
		isErr(t, err, ErrDiscussionNotFound)

		// A closed PR cannot be merged.
		pr := e.openPR(t, r, "closed one", add("z", "z"))
		_, err = e.SetStatus(ctx, r, pr.PRNum, "bob", "closed", "nope")
		ok(t, err)
		_, err = e.Merge(ctx, r, pr.PRNum, Author{Name: "admin"}, "")
		isErr(t, err, ErrConflict)
	})
}

func TestMergeKeepsModeChanges(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		ctx := t.Context()
		r := e.newRepo(t)
		// run.sh is executable on main; the PR makes it a plain file (as a
		// git push of "chmod -x" would).
		setMode := func(ref, mode string) {
			t.Helper()
			ok(t, e.db.Tx(ctx, func(tx *sql.Tx) error {
				head, err := lookupRef(ctx, tx, r.Key, ref)
				if err != nil {
					return err
				}
				c, err := readCommit(ctx, tx, r.Key, head)
				if err != nil {
					return err
				}
				blob, err := writeObject(ctx, tx, r.Key, KindBlob, []byte("#!/bin/sh\n"), nil)
				if err != nil {
					return err
				}
				ents, err := readTree(ctx, tx, r.Key, c.Tree)
				if err != nil {
					return err
				}
				var out []TreeEntry
				for _, en := range ents {
					if en.Name != "run.sh" {
						out = append(out, en)
					}
				}
				tree, err := writeObject(ctx, tx, r.Key, KindTree, EncodeTree(append(out, TreeEntry{Mode: mode, Name: "run.sh", OID: blob})), nil)
				if err != nil {
					return err
				}
				nc := &Commit{Tree: tree, Parents: []string{head}, Message: "mode\n"}
				oid, err := writeObject(ctx, tx, r.Key, KindCommit, nc.Encode(), nil)
				if err != nil {
					return err
				}
				_, err = casRef(ctx, tx, r.Key, ref, head, oid)
				return err
			}))
		}
		setMode("refs/heads/main", ModeExec)
		pr := e.openPR(t, r, "PR", add("other.txt", "o"))
		setMode(pr.Ref, ModeFile)
		merged, err := e.Merge(ctx, r, pr.PRNum, Author{Name: "admin"}, "")
		ok(t, err)
		en, err := e.Stat(ctx, r, merged, "run.sh")
		ok(t, err)
		equals(t, "mode", ModeFile, en.Mode)
	})
}

func TestSuperSquash(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		ctx := t.Context()
		r := e.newRepo(t)
		for i := range 5 {
			e.commit(t, r, "main", fmt.Sprint("c", i), add(fmt.Sprintf("f%d", i), "x"))
		}
		head := e.head(t, r, "main")
		tree, err := e.CommitTree(ctx, r, head)
		ok(t, err)
		oid, err := e.SuperSquash(ctx, r, "main", "Squashed", Author{Name: "admin"})
		ok(t, err)
		equals(t, "head", oid, e.head(t, r, "main"))
		log, more, err := e.Log(ctx, r, oid, 0, 100)
		ok(t, err)
		equals(t, "more", false, more)
		equals(t, "history", 1, len(log))
		equals(t, "parents", 0, len(log[0].Commit.Parents))
		equals(t, "tree", tree, log[0].Commit.Tree)
		equals(t, "message", "Squashed\n", log[0].Commit.Message)
		_, err = e.SuperSquash(ctx, r, "nope", "x", Author{})
		isErr(t, err, ErrRevisionNotFound)
	})
}

// TestMergeAndSquashWhileBranchMoves merges pull requests and super-squashes
// the branch while other writers commit to it: nothing may be lost, and on
// PostgreSQL the merge and the squash must retry on the new head.
func TestMergeAndSquashWhileBranchMoves(t *testing.T) {
	const writers, perWriter, prs = 4, 6, 4
	eachDialect(t, func(t *testing.T, e *testEngine) {
		ctx := t.Context()
		r := e.newRepo(t)
		var nums []int64
		for i := range prs {
			nums = append(nums, e.openPR(t, r, fmt.Sprint("pr ", i), add(fmt.Sprintf("pr/%d.txt", i), "p")).PRNum)
		}
		var wg sync.WaitGroup
		errs := make(chan error, writers*perWriter+prs+1)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWriter {
					p := fmt.Sprintf("w%d/%d.txt", w, i)
					_, err := e.Commit(ctx, r, "main", CommitOptions{Summary: p}, []Change{add(p, p)})
					errs <- err
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, num := range nums {
				_, err := e.Merge(ctx, r, num, Author{Name: "admin"}, "")
				errs <- err
				if i == prs/2 {
					_, err := e.SuperSquash(ctx, r, "main", "squash", Author{Name: "admin"})
					errs <- err
				}
			}
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			ok(t, err)
		}
		files := e.files(t, r, e.head(t, r, "main"))
		equals(t, "files", writers*perWriter+prs, len(paths(files)))
		for i := range prs {
			if _, found := files[fmt.Sprintf("pr/%d.txt", i)]; !found {
				t.Errorf("merge of pr %d lost", i)
			}
		}
	})
}

func TestDiscussionEvents(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		ctx := t.Context()
		r := e.newRepo(t)
		num, err := e.CreateDiscussion(ctx, r, "Question", "first post", "bob", false)
		ok(t, err)
		_, err = e.CreateDiscussion(ctx, r, " ", "", "bob", false)
		isErr(t, err, wire.ErrInvalid)
		ev, err := e.Comment(ctx, r, num, "alice", "an answer")
		ok(t, err)
		equals(t, "comment", "comment", ev.Type)
		equals[any](t, "comment text", "an answer", ev.Data["raw"])
		ev, err = e.SetTitle(ctx, r, num, "bob", "Better question")
		ok(t, err)
		equals[any](t, "title change", map[string]any{"from": "Question", "to": "Better question"}, ev.Data)
		ev, err = e.SetStatus(ctx, r, num, "bob", "closed", "solved")
		ok(t, err)
		equals(t, "status event", "status-change", ev.Type)
		_, err = e.SetStatus(ctx, r, num, "bob", "merged", "")
		isErr(t, err, wire.ErrInvalid)
		d, evs, err := e.GetDiscussion(ctx, r, num)
		ok(t, err)
		equals(t, "title", "Better question", d.Title)
		equals(t, "status", "closed", d.Status)
		var types []string
		for _, ev := range evs {
			types = append(types, ev.Type)
		}
		equals(t, "timeline", []string{"comment", "comment", "title-change", "comment", "status-change"}, types)
		_, err = e.Comment(ctx, r, 42, "alice", "x")
		isErr(t, err, ErrDiscussionNotFound)
	})
}

func TestDeleteAndMoveRepo(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEngine) {
		ctx := t.Context()
		r := e.newRepo(t)
		other := e.newRepo(t)
		e.storeLFS(t, r, "x")
		e.openPR(t, r, "pr", add("a", "a"))
		otherObjects := e.countRows(t, "objects") // includes r's
		ok(t, e.MoveRepo(ctx, r, wire.RepoID{Namespace: "bob", Name: "moved"}))
		moved, err := e.GetRepo(ctx, r.Type, wire.RepoID{Namespace: "BOB", Name: "Moved"})
		ok(t, err)
		equals(t, "same key", r.Key, moved.Key)
		isErr(t, e.MoveRepo(ctx, moved, other.ID), ErrRepoExists)
		_, err = e.GetRepo(ctx, r.Type, r.ID)
		isErr(t, err, ErrRepoNotFound)

		ok(t, e.DeleteRepo(ctx, moved))
		for _, table := range []string{"objects", "refs", "repo_lfs", "discussions", "discussion_events"} {
			var n int
			ok(t, e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE repo_id = $1`, r.Key).Scan(&n))
			equals(t, table, 0, n)
		}
		if e.countRows(t, "objects") >= otherObjects {
			t.Fatal("no objects deleted")
		}
		// The other repo is untouched.
		equals(t, "other", []string{".gitattributes"}, sortedKeys(e.files(t, other, e.head(t, other, "main"))))
	})
}
