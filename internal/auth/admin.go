package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wharfhub/wharf/wire"
)

// ErrHasRepos is returned when deleting an account that still owns repos.
var ErrHasRepos = errors.New("account owns repositories")

// AccountInfo is an account with what an administrator lists about it.
type AccountInfo struct {
	Name      string    `json:"name"`
	Fullname  string    `json:"fullname"`
	Email     string    `json:"email,omitempty"`
	IsOrg     bool      `json:"isOrg"`
	IsAdmin   bool      `json:"isAdmin"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"createdAt"`
	Tokens    int       `json:"tokens"`  // users
	Members   int       `json:"members"` // organizations
	Repos     int       `json:"repos"`
}

// ListAccounts lists the users (or, with orgs, the organizations) by name.
func (s *Store) ListAccounts(ctx context.Context, orgs bool) ([]AccountInfo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT a.name, a.fullname, a.email, a.is_org, a.is_admin, a.disabled, a.created_at,
		(SELECT COUNT(*) FROM tokens t WHERE t.account_id = a.id),
		(SELECT COUNT(*) FROM org_members m WHERE m.org_id = a.id),
		(SELECT COUNT(*) FROM repos r WHERE LOWER(r.namespace) = a.name_lower)
		FROM accounts a WHERE a.is_org = $1 ORDER BY a.name_lower`, orgs)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []AccountInfo{}
	for rows.Next() {
		var a AccountInfo
		var created int64
		if err := rows.Scan(&a.Name, &a.Fullname, &a.Email, &a.IsOrg, &a.IsAdmin, &a.Disabled, &created, &a.Tokens, &a.Members, &a.Repos); err != nil {
			return nil, err
		}
		a.CreatedAt = time.UnixMilli(created).UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// AccountDetails returns the listing entry of one account.
func (s *Store) AccountDetails(ctx context.Context, name string) (*AccountInfo, error) {
	a, err := s.Account(ctx, name)
	if err != nil {
		return nil, err
	}
	all, err := s.ListAccounts(ctx, a.IsOrg)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if strings.EqualFold(all[i].Name, a.Name) {
			return &all[i], nil
		}
	}
	return nil, fmt.Errorf("%q: %w", name, ErrNotFound)
}

// SetDisabled disables (or enables) a user: a disabled user's tokens are
// refused from the next request on, and its web sessions with them.
func (s *Store) SetDisabled(ctx context.Context, user *Account, disabled bool) error {
	if user.IsOrg {
		return fmt.Errorf("%s is an organization: only users can be disabled: %w", user.Name, wire.ErrInvalid)
	}
	_, err := s.db.ExecContext(ctx, `UPDATE accounts SET disabled = $1 WHERE id = $2`, disabled, user.ID)
	return err
}

// DeleteAccount deletes a user or organization with its tokens, web
// sessions and memberships. It refuses, with an error wrapping
// [ErrHasRepos], while the account's namespace has repos.
func (s *Store) DeleteAccount(ctx context.Context, a *Account) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM repos WHERE LOWER(namespace) = $1`, strings.ToLower(a.Name)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%s owns %d repositories: delete or move them first: %w", a.Name, n, ErrHasRepos)
		}
		for _, q := range []string{
			`DELETE FROM web_sessions WHERE token_hash IN (SELECT hash FROM tokens WHERE account_id = $1)`,
			`DELETE FROM tokens WHERE account_id = $1`,
			`DELETE FROM org_members WHERE org_id = $1 OR user_id = $1`,
			`DELETE FROM accounts WHERE id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, a.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// TokenInfo describes a token; its value is never kept.
type TokenInfo struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"createdAt"`
}

// Tokens lists a user's tokens, oldest first.
func (s *Store) Tokens(ctx context.Context, user *Account) ([]TokenInfo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, display_name, role, created_at FROM tokens WHERE account_id = $1 ORDER BY id`, user.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []TokenInfo{}
	for rows.Next() {
		var t TokenInfo
		var created int64
		if err := rows.Scan(&t.ID, &t.Name, &t.Role, &created); err != nil {
			return nil, err
		}
		t.CreatedAt = time.UnixMilli(created).UTC()
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken deletes the user's token with the given id (from [Store.Tokens])
// and the web sessions signed in with it. It returns an error wrapping
// [ErrInvalidToken] if the user has no such token.
func (s *Store) RevokeToken(ctx context.Context, user *Account, id int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE token_hash IN (SELECT hash FROM tokens WHERE id = $1 AND account_id = $2)`, id, user.ID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE id = $1 AND account_id = $2`, id, user.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("%s has no token %d: %w", user.Name, id, ErrInvalidToken)
		}
		return nil
	})
}

// Member is a user's role in an organization.
type Member struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// Members lists an organization's members by name.
func (s *Store) Members(ctx context.Context, org *Account) ([]Member, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT a.name, m.role FROM org_members m JOIN accounts a ON a.id = m.user_id WHERE m.org_id = $1 ORDER BY a.name_lower`, org.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Member{}
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.Name, &m.Role); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// RemoveMember takes user out of org. It returns an error wrapping
// [ErrNotFound] if user is not a member.
func (s *Store) RemoveMember(ctx context.Context, org, user *Account) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM org_members WHERE org_id = $1 AND user_id = $2`, org.ID, user.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("%s is not a member of %s: %w", user.Name, org.Name, ErrNotFound)
	}
	return nil
}
