package repo

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/wire"
)

// Revision is a resolved revision.
type Revision struct {
	Commit string // 40-hex commit id
	Ref    string // full ref name ("refs/heads/main"), or "" when rev was a commit id
}

// IsBranch reports whether the revision names a branch.
func (r Revision) IsBranch() bool { return strings.HasPrefix(r.Ref, "refs/heads/") }

// refCandidates lists the full ref names a revision may stand for, in the
// order they are tried.
func refCandidates(rev string) []string {
	if strings.HasPrefix(rev, "refs/") {
		return []string{rev}
	}
	return []string{"refs/heads/" + rev, "refs/tags/" + rev}
}

func lookupRef(ctx context.Context, q querier, repoKey int64, name string) (string, error) {
	var target string
	err := q.QueryRowContext(ctx, `SELECT target FROM refs WHERE repo_id = $1 AND name = $2`, repoKey, name).Scan(&target)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return target, err
}

// Resolve turns a revision (branch, tag, full ref, commit id or an
// abbreviated commit id of at least 7 hex digits) into a commit. The empty
// revision means the default branch.
func (e *Engine) Resolve(ctx context.Context, r *Repo, rev string) (Revision, error) {
	return resolve(ctx, e.db, r, rev)
}

func resolve(ctx context.Context, q querier, r *Repo, rev string) (Revision, error) {
	if rev == "" {
		rev = DefaultBranch
	}
	for _, name := range refCandidates(rev) {
		target, err := lookupRef(ctx, q, r.Key, name)
		if err != nil {
			return Revision{}, err
		}
		if target != "" && strings.HasPrefix(name, "refs/tags/") {
			if target, err = peel(ctx, q, r.Key, target); err != nil {
				return Revision{}, err
			}
		}
		if target != "" {
			return Revision{Commit: target, Ref: name}, nil
		}
	}
	if wire.IsAbbrevCommitID(rev) && len(rev) >= 7 {
		rev = strings.ToLower(rev)
		if len(rev) == 40 {
			var kind int
			err := q.QueryRowContext(ctx, `SELECT kind FROM objects WHERE repo_id = $1 AND oid = $2`, r.Key, rev).Scan(&kind)
			if err == nil && Kind(kind) == KindCommit {
				return Revision{Commit: rev}, nil
			}
		} else {
			rows, err := q.QueryContext(ctx, `SELECT oid FROM objects WHERE repo_id = $1 AND kind = $2 AND oid >= $3 AND oid < $4 LIMIT 2`,
				r.Key, int(KindCommit), rev, rev+"g")
			if err != nil {
				return Revision{}, err
			}
			var found []string
			for rows.Next() {
				var oid string
				if err := rows.Scan(&oid); err != nil {
					rows.Close()
					return Revision{}, err
				}
				found = append(found, oid)
			}
			rows.Close()
			if len(found) == 1 {
				return Revision{Commit: found[0]}, nil
			}
		}
	}
	return Revision{}, errorf(ErrRevisionNotFound, "Invalid rev id: %s", rev)
}

// Ref is one reference of a repo.
type Ref struct {
	Name   string // full name: refs/heads/main
	Target string // commit id
}

// ShortName is the ref name without its refs/<kind>/ prefix.
func (r Ref) ShortName() string {
	for _, p := range []string{"refs/heads/", "refs/tags/", "refs/pr/", "refs/convert/"} {
		if strings.HasPrefix(r.Name, p) {
			return strings.TrimPrefix(r.Name, p)
		}
	}
	return r.Name
}

// ListRefs returns every ref of the repo, sorted by name (PR refs by number).
func (e *Engine) ListRefs(ctx context.Context, r *Repo) ([]Ref, error) {
	out, err := listRefs(ctx, e.db, r.Key)
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		a, aok := wire.ParsePRRef(out[i].Name)
		b, bok := wire.ParsePRRef(out[j].Name)
		if aok && bok {
			return a < b
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// CreateBranch creates refs/heads/name at the commit startingPoint resolves
// to (the default branch when empty). With overwrite an existing branch is
// moved; otherwise it is ErrRefExists.
func (e *Engine) CreateBranch(ctx context.Context, r *Repo, name, startingPoint string, overwrite bool) error {
	if err := wire.ValidateBranchName(name); err != nil {
		return err
	}
	return e.db.Tx(ctx, func(tx *sql.Tx) error {
		from, err := resolve(ctx, tx, r, startingPoint)
		if err != nil {
			return err
		}
		return createRef(ctx, tx, r, "refs/heads/"+name, from.Commit, overwrite, "branch")
	})
}

// CreateEmptyBranch creates a branch whose first commit has an empty tree.
func (e *Engine) CreateEmptyBranch(ctx context.Context, r *Repo, name string, author Author, overwrite bool) error {
	if err := wire.ValidateBranchName(name); err != nil {
		return err
	}
	return e.db.Tx(ctx, func(tx *sql.Tx) error {
		tree, err := writeObject(ctx, tx, r.Key, KindTree, nil, nil)
		if err != nil {
			return err
		}
		sig := author.signature(e.now())
		c := &Commit{Tree: tree, Author: sig, Committer: sig, Message: "empty branch\n"}
		oid, err := writeObject(ctx, tx, r.Key, KindCommit, c.Encode(), nil)
		if err != nil {
			return err
		}
		return createRef(ctx, tx, r, "refs/heads/"+name, oid, overwrite, "branch")
	})
}

func createRef(ctx context.Context, tx *sql.Tx, r *Repo, name, target string, overwrite bool, what string) error {
	cur, err := lookupRef(ctx, tx, r.Key, name)
	if err != nil {
		return err
	}
	if cur != "" {
		if !overwrite {
			return errRefExists(name)
		}
		_, err = tx.ExecContext(ctx, `UPDATE refs SET target = $1 WHERE repo_id = $2 AND name = $3`, target, r.Key, name)
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO refs (repo_id, name, target) VALUES ($1, $2, $3)`, r.Key, name, target)
	return err
}

// DeleteBranch removes a branch. The default branch cannot be deleted.
func (e *Engine) DeleteBranch(ctx context.Context, r *Repo, name string) error {
	if name == DefaultBranch {
		return errDeleteDefault("refs/heads/" + name)
	}
	return e.deleteRef(ctx, r, "refs/heads/"+name, "branch")
}

// CreateTag creates the lightweight tag refs/tags/name at revision.
func (e *Engine) CreateTag(ctx context.Context, r *Repo, name, revision string) error {
	return e.db.Tx(ctx, func(tx *sql.Tx) error {
		// As on the Hub, a missing revision is reported before the name
		// is judged.
		from, err := resolve(ctx, tx, r, revision)
		if err != nil {
			return err
		}
		if err := wire.ValidateTagName(name); err != nil {
			return err
		}
		return createRef(ctx, tx, r, "refs/tags/"+name, from.Commit, false, "tag")
	})
}

// DeleteTag removes a tag.
func (e *Engine) DeleteTag(ctx context.Context, r *Repo, name string) error {
	return e.deleteRef(ctx, r, "refs/tags/"+name, "tag")
}

func (e *Engine) deleteRef(ctx context.Context, r *Repo, name, what string) error {
	res, err := e.db.ExecContext(ctx, `DELETE FROM refs WHERE repo_id = $1 AND name = $2`, r.Key, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errorf(ErrRevisionNotFound, "Invalid rev id: %s %s not found", what, strings.TrimPrefix(strings.TrimPrefix(name, "refs/heads/"), "refs/tags/"))
	}
	return nil
}

// lockRef reads a ref inside a transaction that is about to move it. On
// PostgreSQL the row stays locked until the transaction ends, so writers of
// one branch queue up instead of losing compare-and-swap races and redoing
// their work; SQLite transactions hold the database write lock already.
func (e *Engine) lockRef(ctx context.Context, tx *sql.Tx, repoKey int64, name string) (string, error) {
	if e.db.Dialect != sqlstore.Postgres {
		return lookupRef(ctx, tx, repoKey, name)
	}
	var target string
	err := tx.QueryRowContext(ctx, `SELECT target FROM refs WHERE repo_id = $1 AND name = $2 FOR UPDATE`, repoKey, name).Scan(&target)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return target, err
}

// casRef moves ref name from old to new inside tx. It reports false when
// the ref no longer points at old (someone else moved it first).
func casRef(ctx context.Context, tx *sql.Tx, repoKey int64, name, old, new string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE refs SET target = $1 WHERE repo_id = $2 AND name = $3 AND target = $4`, new, repoKey, name, old)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func prRef(num int64) string { return "refs/pr/" + strconv.FormatInt(num, 10) }

// RefExists reports whether name is a branch or tag (or, starting with
// refs/, a full ref name) of the repo.
func (e *Engine) RefExists(ctx context.Context, r *Repo, name string) (bool, error) {
	for _, full := range refCandidates(name) {
		target, err := lookupRef(ctx, e.db, r.Key, full)
		if err != nil || target != "" {
			return target != "", err
		}
	}
	return false, nil
}
