package repo

import (
	"context"
	"database/sql"
	"errors"

	"github.com/wharfhub/wharf/wire"
)

// Moved looks up a repository by an id it had before a move (or a chain of
// moves) and returns it under its current id. It returns ErrRepoNotFound
// when no repo ever moved away from id.
func (e *Engine) Moved(ctx context.Context, t wire.RepoType, id wire.RepoID) (*Repo, error) {
	r, err := scanRepo(e.db.QueryRowContext(ctx, `SELECT `+prefixed("r.", repoColumns)+` FROM repo_redirects d JOIN repos r ON r.id = d.repo_id
		WHERE d.key_lower = $1`, repoKey(t, id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errorf(ErrRepoNotFound, "Repository %s not found", id)
	}
	return r, err
}

// prefixed qualifies each column of a comma-separated list.
func prefixed(p, cols string) string {
	out := []byte{}
	start := true
	for i := 0; i < len(cols); i++ {
		c := cols[i]
		if start && c != ' ' {
			out = append(out, p...)
			start = false
		}
		out = append(out, c)
		if c == ',' {
			start = true
		}
	}
	return string(out)
}

// recordMove keeps from as an old id of repo key (the move's transaction).
// The new id stops being a redirect, if it was one.
func recordMove(ctx context.Context, tx *sql.Tx, t wire.RepoType, key int64, from, to wire.RepoID, now int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM repo_redirects WHERE key_lower = $1 OR key_lower = $2`, repoKey(t, from), repoKey(t, to)); err != nil {
		return err
	}
	if repoKey(t, from) == repoKey(t, to) {
		return nil // a change of case only
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO repo_redirects (key_lower, repo_id, created_at) VALUES ($1, $2, $3)`, repoKey(t, from), key, now)
	return err
}
