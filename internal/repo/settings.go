package repo

import (
	"context"
	"database/sql"
	"errors"
)

// XetEnabled reports whether a repo has Xet storage enabled (the default),
// as update_repo_settings(xet_enabled=…) left it.
func (e *Engine) XetEnabled(ctx context.Context, r *Repo) (bool, error) {
	var on bool
	err := e.db.QueryRowContext(ctx, `SELECT xet_enabled FROM repo_settings WHERE repo_id = $1`, r.Key).Scan(&on)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	return on, err
}

// SetXetEnabled stores a repo's Xet setting.
func (e *Engine) SetXetEnabled(ctx context.Context, r *Repo, on bool) error {
	_, err := e.db.ExecContext(ctx, `INSERT INTO repo_settings (repo_id, xet_enabled) VALUES ($1, $2)
		ON CONFLICT (repo_id) DO UPDATE SET xet_enabled = excluded.xet_enabled`, r.Key, on)
	return err
}
