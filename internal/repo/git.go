package repo

import (
	"context"
	"database/sql"
	"errors"

	"github.com/wharfhub/wharf/wire"
)

// This file holds what git over HTTP (internal/gitproto) needs of the
// engine: raw objects read in batches, LFS link checks, and a push applied
// as one transaction of objects plus compare-and-swap ref moves.

// ObjectInfo is the kind and size of a stored git object.
type ObjectInfo struct {
	Kind Kind
	Size int64
}

// ObjectInfos returns the kind and size of those of oids that the repo
// holds; missing objects are left out of the map.
func (e *Engine) ObjectInfos(ctx context.Context, r *Repo, oids []string) (map[string]ObjectInfo, error) {
	out := make(map[string]ObjectInfo, len(oids))
	err := e.db.Dialect.QueryIn(ctx, e.db, `SELECT oid, kind, size FROM objects WHERE repo_id = $1 AND oid IN (%s)`, []any{r.Key}, oids, func(rows *sql.Rows) error {
		var oid string
		var kind int
		var size int64
		if err := rows.Scan(&oid, &kind, &size); err != nil {
			return err
		}
		out[oid] = ObjectInfo{Kind: Kind(kind), Size: size}
		return nil
	})
	return out, err
}

// ReadObjects calls fn with the raw content of each of oids that the repo
// holds, in no particular order; missing objects are skipped. The data
// slice belongs to fn. Callers bound memory by the number of ids they ask
// for at once.
func (e *Engine) ReadObjects(ctx context.Context, r *Repo, oids []string, fn func(oid string, k Kind, data []byte) error) error {
	return e.db.Dialect.QueryIn(ctx, e.db, `SELECT oid, kind, data FROM objects WHERE repo_id = $1 AND oid IN (%s)`, []any{r.Key}, oids, func(rows *sql.Rows) error {
		var oid string
		var kind int
		var data []byte
		if err := rows.Scan(&oid, &kind, &data); err != nil {
			return err
		}
		return fn(oid, Kind(kind), data)
	})
}

// ReadSmallObjects is ReadObjects for packing: fn gets the kind and size
// of each of oids that the repo holds, and its content when the size is
// at most maxInline (nil otherwise: read it with ReadObjects). One query
// serves both the sizes and the small contents.
func (e *Engine) ReadSmallObjects(ctx context.Context, r *Repo, oids []string, maxInline int64, fn func(oid string, k Kind, size int64, data []byte) error) error {
	return e.db.Dialect.QueryIn(ctx, e.db, `SELECT oid, kind, size, CASE WHEN size <= $2 THEN data END FROM objects WHERE repo_id = $1 AND oid IN (%s)`, []any{r.Key, maxInline}, oids, func(rows *sql.Rows) error {
		var oid string
		var kind int
		var size int64
		var data []byte
		if err := rows.Scan(&oid, &kind, &size, &data); err != nil {
			return err
		}
		if data == nil && size <= maxInline {
			data = []byte{}
		}
		return fn(oid, Kind(kind), size, data)
	})
}

// LinkedLFS returns the sizes of those LFS objects of oids that are stored
// and linked to the repo (a repo links an object by uploading it).
func (e *Engine) LinkedLFS(ctx context.Context, r *Repo, oids []string) (map[string]int64, error) {
	out := make(map[string]int64, len(oids))
	err := e.db.Dialect.QueryIn(ctx, e.db, `SELECT l.oid, o.size FROM repo_lfs l JOIN lfs_objects o ON o.oid = l.oid WHERE l.repo_id = $1 AND l.oid IN (%s)`, []any{r.Key}, oids, func(rows *sql.Rows) error {
		var oid string
		var size int64
		if err := rows.Scan(&oid, &size); err != nil {
			return err
		}
		out[oid] = size
		return nil
	})
	return out, err
}

// PushObject is a git object received by a push.
type PushObject struct {
	Kind Kind
	Data []byte
	// Pointer is set for a blob that is an LFS pointer: listings show the
	// LFS object instead of the pointer.
	Pointer *wire.Pointer
}

// RefUpdate moves one ref of a push. Old "" creates the ref, New ""
// deletes it; otherwise the ref moves from Old to New.
type RefUpdate struct {
	Name string // full name: refs/heads/main
	Old  string
	New  string
	// Subject is the title of the New commit, recorded in the timeline of a
	// pull request when the ref is refs/pr/N.
	Subject string
}

// ApplyPush writes the objects of a push and moves its refs, all in one
// transaction: either every ref moves and every object is stored, or
// nothing changes. Each ref moves by compare-and-swap from its Old value,
// so a push that raced another writer (an API commit, another push) fails
// with an error wrapping ErrConflict that names the ref, and loses nothing
// of the other write. Updates of refs/pr/N need the pull request to be
// open. Callers validate objects and policy before calling.
func (e *Engine) ApplyPush(ctx context.Context, r *Repo, objects []PushObject, updates []RefUpdate, pusher Author) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return e.db.Tx(ctx, func(tx *sql.Tx) error {
		var ptrs []*wire.Pointer
		for _, o := range objects {
			if _, err := writeObject(ctx, tx, r.Key, o.Kind, o.Data, o.Pointer); err != nil {
				return err
			}
			if o.Pointer != nil {
				ptrs = append(ptrs, o.Pointer)
			}
		}
		if err := countLFS(ctx, tx, e.db.Dialect, r.Key, ptrs); err != nil {
			return err
		}
		for _, u := range updates {
			if err := applyRefUpdate(ctx, tx, r, u); err != nil {
				return err
			}
			if num, ok := wire.ParsePRRef(u.Name); ok && u.New != "" {
				if err := checkPROpen(ctx, tx, r, int64(num)); err != nil {
					return err
				}
				if err := e.addEvent(ctx, tx, r, int64(num), "commit", pusher.Name, map[string]any{"subject": u.Subject, "oid": u.New}); err != nil {
					return err
				}
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE repos SET updated_at = $1 WHERE id = $2`, e.now().UnixMilli(), r.Key)
		return err
	})
}

func applyRefUpdate(ctx context.Context, tx *sql.Tx, r *Repo, u RefUpdate) error {
	var res sql.Result
	var err error
	switch {
	case u.Old == "" && u.New == "":
		return errorf(wire.ErrInvalid, "ref update of %s has neither an old nor a new value", u.Name)
	case u.Old == "":
		// The primary key (repo_id, name) makes a concurrent create fail.
		res, err = tx.ExecContext(ctx, `INSERT INTO refs (repo_id, name, target) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, r.Key, u.Name, u.New)
	case u.New == "":
		res, err = tx.ExecContext(ctx, `DELETE FROM refs WHERE repo_id = $1 AND name = $2 AND target = $3`, r.Key, u.Name, u.Old)
	default:
		res, err = tx.ExecContext(ctx, `UPDATE refs SET target = $1 WHERE repo_id = $2 AND name = $3 AND target = $4`, u.New, r.Key, u.Name, u.Old)
	}
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 1 {
		return nil
	}
	cur, err := lookupRef(ctx, tx, r.Key, u.Name)
	if err != nil {
		return err
	}
	switch {
	case cur == "":
		return errorf(ErrConflict, "%s was deleted by someone else during the push", u.Name)
	case u.Old == "":
		return errorf(ErrConflict, "%s was created by someone else during the push (now at %s): fetch and push again", u.Name, short(cur))
	default:
		return errorf(ErrConflict, "%s was updated by someone else during the push (now at %s): fetch, merge or rebase, and push again", u.Name, short(cur))
	}
}

func short(oid string) string {
	if len(oid) > 10 {
		return oid[:10]
	}
	return oid
}

// IsAncestor reports whether commit anc is reachable from commit desc by
// following parents (a commit is its own ancestor). extra supplies commits
// not stored yet (a push in progress) and may be nil. The walk stops after
// limit commits and then reports false.
func (e *Engine) IsAncestor(ctx context.Context, r *Repo, anc, desc string, extra func(oid string) (*Commit, bool), limit int) (bool, error) {
	return e.ReachesAny(ctx, r, desc, map[string]bool{anc: true}, extra, limit)
}

// ReachesAny reports whether any commit of targets is reachable from
// commit from (itself included), walking at most limit commits.
func (e *Engine) ReachesAny(ctx context.Context, r *Repo, from string, targets map[string]bool, extra func(oid string) (*Commit, bool), limit int) (bool, error) {
	seen := map[string]bool{from: true}
	queue := []string{from}
	for len(queue) > 0 {
		if len(seen) > limit {
			return false, nil
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
		oid := queue[0]
		queue = queue[1:]
		if targets[oid] {
			return true, nil
		}
		var c *Commit
		if extra != nil {
			c, _ = extra(oid)
		}
		if c == nil {
			var err error
			c, err = readCommit(ctx, e.db, r.Key, oid)
			if errors.Is(err, errObjectMissing) || errors.Is(err, errCorrupt) {
				continue
			}
			if err != nil {
				return false, err
			}
		}
		for _, p := range c.Parents {
			if !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
		}
	}
	return false, nil
}
