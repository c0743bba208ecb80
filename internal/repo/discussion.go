package repo

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wharfhub/wharf/wire"
)

// Discussion is a discussion or pull request of a repo.
type Discussion struct {
	Num         int64
	Title       string
	Author      string
	IsPR        bool
	Status      string // open, closed, merged, draft
	BaseRef     string // PRs: the branch the PR targets, e.g. refs/heads/main
	BaseCommit  string // PRs: base head when the PR was opened (merge base)
	MergeCommit string
	CreatedAt   time.Time
}

// Event is one entry of a discussion's timeline.
type Event struct {
	ID        int64
	Type      string // comment, status-change, commit, title-change
	Author    string
	Data      map[string]any
	CreatedAt time.Time
}

func (e *Engine) openDiscussion(ctx context.Context, tx *sql.Tx, r *Repo, title, author string, isPR bool, status, baseRef, baseCommit string) (int64, error) {
	var num int64
	if err := tx.QueryRowContext(ctx, `UPDATE repos SET next_discussion = next_discussion + 1 WHERE id = $1 RETURNING next_discussion - 1`, r.Key).Scan(&num); err != nil {
		return 0, err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO discussions (repo_id, num, title, author, is_pr, status, base_ref, base_commit, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, r.Key, num, title, author, isPR, status, baseRef, baseCommit, e.now().UnixMilli())
	return num, err
}

func (e *Engine) addEvent(ctx context.Context, q querier, r *Repo, num int64, typ, author string, data map[string]any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `INSERT INTO discussion_events (repo_id, num, type, author, data, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		r.Key, num, typ, author, string(b), e.now().UnixMilli())
	return err
}

func checkPROpen(ctx context.Context, q querier, r *Repo, num int64) error {
	d, err := getDiscussion(ctx, q, r, num)
	if err != nil {
		return err
	}
	if d.Status == "merged" || d.Status == "closed" {
		return errorf(ErrConflict, "Pull request #%d is %s: it cannot receive commits", num, d.Status)
	}
	return nil
}

const discussionColumns = `num, title, author, is_pr, status, base_ref, base_commit, merge_commit, created_at`

func scanDiscussion(row interface{ Scan(...any) error }) (*Discussion, error) {
	var d Discussion
	var created int64
	if err := row.Scan(&d.Num, &d.Title, &d.Author, &d.IsPR, &d.Status, &d.BaseRef, &d.BaseCommit, &d.MergeCommit, &created); err != nil {
		return nil, err
	}
	d.CreatedAt = time.UnixMilli(created).UTC()
	return &d, nil
}

func getDiscussion(ctx context.Context, q querier, r *Repo, num int64) (*Discussion, error) {
	d, err := scanDiscussion(q.QueryRowContext(ctx, `SELECT `+discussionColumns+` FROM discussions WHERE repo_id = $1 AND num = $2`, r.Key, num))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errorf(ErrDiscussionNotFound, "Discussion #%d not found", num)
	}
	return d, err
}

// GetDiscussion returns discussion num with its events.
func (e *Engine) GetDiscussion(ctx context.Context, r *Repo, num int64) (*Discussion, []Event, error) {
	d, err := getDiscussion(ctx, e.db, r, num)
	if err != nil {
		return nil, nil, err
	}
	rows, err := e.db.QueryContext(ctx, `SELECT id, type, author, data, created_at FROM discussion_events WHERE repo_id = $1 AND num = $2 ORDER BY id`, r.Key, num)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var evs []Event
	for rows.Next() {
		var ev Event
		var data string
		var created int64
		if err := rows.Scan(&ev.ID, &ev.Type, &ev.Author, &data, &created); err != nil {
			return nil, nil, err
		}
		if err := json.Unmarshal([]byte(data), &ev.Data); err != nil {
			return nil, nil, err
		}
		ev.CreatedAt = time.UnixMilli(created).UTC()
		evs = append(evs, ev)
	}
	return d, evs, rows.Err()
}

// ListDiscussions lists discussions, newest first.
func (e *Engine) ListDiscussions(ctx context.Context, r *Repo) ([]*Discussion, error) {
	rows, err := e.db.QueryContext(ctx, `SELECT `+discussionColumns+` FROM discussions WHERE repo_id = $1 ORDER BY num DESC`, r.Key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Discussion
	for rows.Next() {
		d, err := scanDiscussion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// CreateDiscussion opens a discussion, or a pull request against the
// default branch when isPR is set (a draft, with refs/pr/N at the branch
// head). The description becomes the first comment.
func (e *Engine) CreateDiscussion(ctx context.Context, r *Repo, title, description, author string, isPR bool) (int64, error) {
	if strings.TrimSpace(title) == "" {
		return 0, errorf(wire.ErrInvalid, "a discussion needs a title")
	}
	var num int64
	err := e.db.Tx(ctx, func(tx *sql.Tx) error {
		status, baseRef, baseCommit := "open", "", ""
		if isPR {
			base, err := resolve(ctx, tx, r, DefaultBranch)
			if err != nil {
				return err
			}
			status, baseRef, baseCommit = "draft", base.Ref, base.Commit
		}
		var err error
		num, err = e.openDiscussion(ctx, tx, r, title, author, isPR, status, baseRef, baseCommit)
		if err != nil {
			return err
		}
		if isPR {
			if _, err := tx.ExecContext(ctx, `INSERT INTO refs (repo_id, name, target) VALUES ($1, $2, $3)`, r.Key, prRef(num), baseCommit); err != nil {
				return err
			}
		}
		if description != "" {
			return e.addEvent(ctx, tx, r, num, "comment", author, map[string]any{"raw": description})
		}
		return nil
	})
	return num, err
}

// Comment adds a comment and returns the new event.
func (e *Engine) Comment(ctx context.Context, r *Repo, num int64, author, text string) (*Event, error) {
	if _, err := getDiscussion(ctx, e.db, r, num); err != nil {
		return nil, err
	}
	if err := e.addEvent(ctx, e.db, r, num, "comment", author, map[string]any{"raw": text}); err != nil {
		return nil, err
	}
	return e.lastEvent(ctx, r, num)
}

// EditComment replaces the text of comment eventID of discussion num,
// marking it edited, and returns the updated event.
func (e *Engine) EditComment(ctx context.Context, r *Repo, num, eventID int64, text string) (*Event, error) {
	if strings.TrimSpace(text) == "" {
		return nil, errorf(wire.ErrInvalid, "a comment must not be empty")
	}
	var typ, data string
	err := e.db.QueryRowContext(ctx, `SELECT type, data FROM discussion_events WHERE repo_id = $1 AND num = $2 AND id = $3`, r.Key, num, eventID).Scan(&typ, &data)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && typ != "comment") {
		return nil, errorf(ErrDiscussionNotFound, "Comment not found in discussion #%d", num)
	}
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		return nil, err
	}
	edits, _ := m["numEdits"].(float64)
	m["raw"], m["edited"], m["numEdits"] = text, true, edits+1
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if _, err := e.db.ExecContext(ctx, `UPDATE discussion_events SET data = $1 WHERE repo_id = $2 AND num = $3 AND id = $4`, string(b), r.Key, num, eventID); err != nil {
		return nil, err
	}
	_, evs, err := e.GetDiscussion(ctx, r, num)
	if err != nil {
		return nil, err
	}
	for i := range evs {
		if evs[i].ID == eventID {
			return &evs[i], nil
		}
	}
	return nil, errorf(ErrDiscussionNotFound, "Comment not found in discussion #%d", num)
}

func (e *Engine) lastEvent(ctx context.Context, r *Repo, num int64) (*Event, error) {
	_, evs, err := e.GetDiscussion(ctx, r, num)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, errors.New("no event")
	}
	return &evs[len(evs)-1], nil
}

// SetTitle renames a discussion.
func (e *Engine) SetTitle(ctx context.Context, r *Repo, num int64, author, title string) (*Event, error) {
	d, err := getDiscussion(ctx, e.db, r, num)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(title) == "" {
		return nil, errorf(wire.ErrInvalid, "a discussion needs a title")
	}
	err = e.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE discussions SET title = $1 WHERE repo_id = $2 AND num = $3`, title, r.Key, num); err != nil {
			return err
		}
		return e.addEvent(ctx, tx, r, num, "title-change", author, map[string]any{"from": d.Title, "to": title})
	})
	if err != nil {
		return nil, err
	}
	return e.lastEvent(ctx, r, num)
}

// SetStatus opens or closes a discussion, with an optional comment.
func (e *Engine) SetStatus(ctx context.Context, r *Repo, num int64, author, status, comment string) (*Event, error) {
	if status != "open" && status != "closed" {
		return nil, errorf(wire.ErrInvalid, "status must be open or closed, not %q", status)
	}
	d, err := getDiscussion(ctx, e.db, r, num)
	if err != nil {
		return nil, err
	}
	if d.Status == "merged" {
		return nil, errorf(ErrConflict, "Pull request #%d is already merged", num)
	}
	err = e.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE discussions SET status = $1 WHERE repo_id = $2 AND num = $3`, status, r.Key, num); err != nil {
			return err
		}
		if comment != "" {
			if err := e.addEvent(ctx, tx, r, num, "comment", author, map[string]any{"raw": comment}); err != nil {
				return err
			}
		}
		return e.addEvent(ctx, tx, r, num, "status-change", author, map[string]any{"status": status})
	})
	if err != nil {
		return nil, err
	}
	return e.lastEvent(ctx, r, num)
}

// Merge squashes the changes of pull request num (relative to the commit it
// was opened on) into one commit on its base branch. Paths changed on both
// sides in different ways are a conflict; nothing is merged then.
func (e *Engine) Merge(ctx context.Context, r *Repo, num int64, author Author, comment string) (string, error) {
	for attempt := 0; ; attempt++ {
		merged, err := e.merge(ctx, r, num, author, comment)
		if errors.Is(err, errRaced) && attempt < maxCommitAttempts {
			continue // the base branch moved: merge onto its new head
		}
		if errors.Is(err, errRaced) {
			return "", fmt.Errorf("merge pull request #%d: too much contention", num)
		}
		return merged, err
	}
}

func (e *Engine) merge(ctx context.Context, r *Repo, num int64, author Author, comment string) (string, error) {
	var merged string
	err := e.db.Tx(ctx, func(tx *sql.Tx) error {
		d, err := getDiscussion(ctx, tx, r, num)
		if err != nil {
			return err
		}
		if !d.IsPR {
			return errorf(wire.ErrInvalid, "Discussion #%d is not a pull request", num)
		}
		if d.Status == "merged" || d.Status == "closed" {
			return errorf(ErrConflict, "Pull request #%d is %s", num, d.Status)
		}
		prHead, err := lookupRef(ctx, tx, r.Key, prRef(num))
		if err != nil {
			return err
		}
		if prHead == "" || prHead == d.BaseCommit {
			return errorf(ErrNoChanges, "This pull request has no associated changes")
		}
		baseHead, err := e.lockRef(ctx, tx, r.Key, d.BaseRef)
		if err != nil {
			return err
		}
		if baseHead == "" {
			return errorf(ErrRevisionNotFound, "Invalid rev id: the base branch %s no longer exists", d.BaseRef)
		}
		mergeBase, err := readCommit(ctx, tx, r.Key, d.BaseCommit)
		if err != nil {
			return err
		}
		prCommit, err := readCommit(ctx, tx, r.Key, prHead)
		if err != nil {
			return err
		}
		baseCommit, err := readCommit(ctx, tx, r.Key, baseHead)
		if err != nil {
			return err
		}
		theirs, err := diffTrees(ctx, tx, r.Key, mergeBase.Tree, prCommit.Tree, "")
		if err != nil {
			return err
		}
		ours, err := diffTrees(ctx, tx, r.Key, mergeBase.Tree, baseCommit.Tree, "")
		if err != nil {
			return err
		}
		var conflicts []string
		for p, t := range theirs {
			if o, ok := ours[p]; ok && o != t {
				conflicts = append(conflicts, p)
			}
		}
		if len(conflicts) > 0 {
			sort.Strings(conflicts)
			return errorf(ErrConflict, "Merge conflict in: %s", strings.Join(conflicts, ", "))
		}
		b := newTreeBuilder(ctx, tx, e.db.Dialect, r.Key, baseCommit.Tree)
		paths := make([]string, 0, len(theirs))
		for p := range theirs {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			t := theirs[p]
			if t.OID == "" {
				if err := b.remove(p, false); err != nil && !errors.Is(err, ErrEntryNotFound) {
					return err
				}
				continue
			}
			if err := b.setFile(p, t.Mode, t.OID, false); err != nil {
				return err
			}
		}
		tree, err := b.flush()
		if err != nil {
			return err
		}
		sig := author.signature(e.now())
		c := &Commit{Tree: tree, Parents: []string{baseHead}, Author: sig, Committer: sig, Message: commitMessage(d.Title, comment)}
		oid, err := writeObject(ctx, tx, r.Key, KindCommit, c.Encode(), nil)
		if err != nil {
			return err
		}
		ok, err := casRef(ctx, tx, r.Key, d.BaseRef, baseHead, oid)
		if err != nil {
			return err
		}
		if !ok {
			return errRaced
		}
		if _, err := tx.ExecContext(ctx, `UPDATE discussions SET status = 'merged', merge_commit = $1 WHERE repo_id = $2 AND num = $3`, oid, r.Key, num); err != nil {
			return err
		}
		if comment != "" {
			if err := e.addEvent(ctx, tx, r, num, "comment", author.Name, map[string]any{"raw": comment}); err != nil {
				return err
			}
		}
		merged = oid
		return e.addEvent(ctx, tx, r, num, "status-change", author.Name, map[string]any{"status": "merged"})
	})
	return merged, err
}

// fileState is a file's mode and blob id in a diff; OID "" means deleted.
type fileState struct {
	Mode string
	OID  string
}

// diffTrees lists the files that differ between two trees, skipping
// identical subtrees.
func diffTrees(ctx context.Context, q querier, repoKey int64, a, b, prefix string) (map[string]fileState, error) {
	out := map[string]fileState{}
	if err := diffInto(ctx, q, repoKey, a, b, prefix, out); err != nil {
		return nil, err
	}
	return out, nil
}

func diffInto(ctx context.Context, q querier, repoKey int64, a, b, prefix string, out map[string]fileState) error {
	if a == b {
		return nil
	}
	load := func(oid string) (map[string]TreeEntry, error) {
		m := map[string]TreeEntry{}
		if oid == "" {
			return m, nil
		}
		ents, err := readTree(ctx, q, repoKey, oid)
		for _, e := range ents {
			m[e.Name] = e
		}
		return m, err
	}
	am, err := load(a)
	if err != nil {
		return err
	}
	bm, err := load(b)
	if err != nil {
		return err
	}
	names := map[string]bool{}
	for n := range am {
		names[n] = true
	}
	for n := range bm {
		names[n] = true
	}
	for n := range names {
		ea, ina := am[n]
		eb, inb := bm[n]
		p := prefix + n
		if ina && inb && ea.OID == eb.OID && ea.Mode == eb.Mode {
			continue
		}
		subA, subB := "", ""
		if ina && ea.IsDir() {
			subA = ea.OID
		} else if ina {
			out[p] = fileState{} // deleted unless b sets it below
		}
		if inb && eb.IsDir() {
			subB = eb.OID
		} else if inb {
			out[p] = fileState{Mode: eb.Mode, OID: eb.OID}
		}
		if subA != "" || subB != "" {
			if err := diffInto(ctx, q, repoKey, subA, subB, p+"/", out); err != nil {
				return err
			}
		}
	}
	return nil
}

// SuperSquash replaces the history of branch with one commit holding its
// current tree.
func (e *Engine) SuperSquash(ctx context.Context, r *Repo, branch, message string, author Author) (string, error) {
	for attempt := 0; ; attempt++ {
		oid, err := e.superSquash(ctx, r, branch, message, author)
		if errors.Is(err, errRaced) && attempt < maxCommitAttempts {
			continue
		}
		if errors.Is(err, errRaced) {
			return "", fmt.Errorf("super-squash %s: too much contention", branch)
		}
		return oid, err
	}
}

func (e *Engine) superSquash(ctx context.Context, r *Repo, branch, message string, author Author) (string, error) {
	var oid string
	err := e.db.Tx(ctx, func(tx *sql.Tx) error {
		name := "refs/heads/" + strings.TrimPrefix(branch, "refs/heads/")
		if _, ok := wire.ParsePRRef(branch); ok {
			name = branch // a pull request's ref, squashed like a branch
		}
		head, err := e.lockRef(ctx, tx, r.Key, name)
		if err != nil {
			return err
		}
		if head == "" {
			return errorf(ErrRevisionNotFound, "Invalid rev id: %s", branch)
		}
		c, err := readCommit(ctx, tx, r.Key, head)
		if err != nil {
			return err
		}
		sig := author.signature(e.now())
		nc := &Commit{Tree: c.Tree, Author: sig, Committer: sig, Message: commitMessage(message, "")}
		oid, err = writeObject(ctx, tx, r.Key, KindCommit, nc.Encode(), nil)
		if err != nil {
			return err
		}
		moved, err := casRef(ctx, tx, r.Key, name, head, oid)
		if err == nil && !moved {
			return errRaced
		}
		return err
	})
	return oid, err
}
