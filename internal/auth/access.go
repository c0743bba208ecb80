package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Access request states of gated repos.
const (
	RequestPending  = "pending"
	RequestAccepted = "accepted"
	RequestRejected = "rejected"
)

// Errors of access requests.
var (
	ErrRequestNotFound = errors.New("access request not found")
	ErrRequestState    = errors.New("access request already in that state")
)

// AccessRequest is a user's request for the files of a gated repo.
type AccessRequest struct {
	ID        int64
	User      *Account
	Status    string
	Reason    string // why it was rejected
	Fields    string // the requester's form, JSON; may be empty
	Granted   bool   // given by a maintainer without a request
	CreatedAt time.Time
	UpdatedAt time.Time
}

// IsMember reports whether id is the owner of namespace ns, a member of
// the organization ns, or a server admin: those always see gated files.
func IsMember(id *Identity, ns string) bool {
	if id == nil {
		return false
	}
	if id.User.IsAdmin || strings.EqualFold(id.User.Name, ns) {
		return true
	}
	for _, m := range id.Orgs {
		if strings.EqualFold(m.Org.Name, ns) {
			return true
		}
	}
	return false
}

// RequestStatus returns the state of user's access request to repo (the
// repo's database key), or "" when there is none.
func (s *Store) RequestStatus(ctx context.Context, repo int64, user *Account) (string, error) {
	var st string
	err := s.db.QueryRowContext(ctx, `SELECT status FROM access_requests WHERE repo_id = $1 AND user_id = $2`, repo, user.ID).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return st, err
}

// AskAccess records user's request for repo, accepted at once when auto.
// Asking again after a rejection is refused; asking again otherwise
// returns the request as it is.
func (s *Store) AskAccess(ctx context.Context, repo int64, user *Account, fields string, auto bool) (*AccessRequest, error) {
	status := RequestPending
	if auto {
		status = RequestAccepted
	}
	now := time.Now().UTC().UnixMilli()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT status FROM access_requests WHERE repo_id = $1 AND user_id = $2`, repo, user.ID).Scan(&cur)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, `INSERT INTO access_requests (repo_id, user_id, status, fields, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, repo, user.ID, status, fields, now, now)
			return err
		case err != nil:
			return err
		case cur == RequestRejected:
			return fmt.Errorf("your request to access this repo has been rejected by the repo's authors: %w", ErrRequestState)
		case cur == RequestPending && auto:
			_, err = tx.ExecContext(ctx, `UPDATE access_requests SET status = $1, updated_at = $2 WHERE repo_id = $3 AND user_id = $4`,
				RequestAccepted, now, repo, user.ID)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.accessRequest(ctx, repo, user.ID)
}

func (s *Store) accessRequest(ctx context.Context, repo, user int64) (*AccessRequest, error) {
	rows, err := s.listRequests(ctx, `r.repo_id = $1 AND r.user_id = $2`, repo, user)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrRequestNotFound
	}
	return rows[0], nil
}

// AccessRequests lists the requests of repo in status, oldest first.
func (s *Store) AccessRequests(ctx context.Context, repo int64, status string) ([]*AccessRequest, error) {
	return s.listRequests(ctx, `r.repo_id = $1 AND r.status = $2`, repo, status)
}

func (s *Store) listRequests(ctx context.Context, where string, args ...any) ([]*AccessRequest, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.id, r.status, r.reason, r.fields, r.granted, r.created_at, r.updated_at,
		a.id, a.name, a.fullname, a.email, a.is_org, a.is_admin, a.created_at
		FROM access_requests r JOIN accounts a ON a.id = r.user_id WHERE `+where+` ORDER BY r.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*AccessRequest
	for rows.Next() {
		var q AccessRequest
		var a Account
		var created, updated, acreated int64
		if err := rows.Scan(&q.ID, &q.Status, &q.Reason, &q.Fields, &q.Granted, &created, &updated,
			&a.ID, &a.Name, &a.Fullname, &a.Email, &a.IsOrg, &a.IsAdmin, &acreated); err != nil {
			return nil, err
		}
		q.CreatedAt = time.UnixMilli(created).UTC()
		q.UpdatedAt = time.UnixMilli(updated).UTC()
		a.CreatedAt = time.UnixMilli(acreated).UTC()
		q.User = &a
		out = append(out, &q)
	}
	return out, rows.Err()
}

// HandleRequest moves user's request for repo to status (with a reason
// when rejected). It returns ErrRequestNotFound when the user has none and
// ErrRequestState when it is in that status already.
func (s *Store) HandleRequest(ctx context.Context, repo int64, user *Account, status, reason string) error {
	switch status {
	case RequestPending, RequestAccepted, RequestRejected:
	default:
		return fmt.Errorf("status must be pending, accepted or rejected, not %q: %w", status, ErrRequestState)
	}
	if status != RequestRejected {
		reason = ""
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT status FROM access_requests WHERE repo_id = $1 AND user_id = $2`, repo, user.ID).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%s has no access request for this repo: %w", user.Name, ErrRequestNotFound)
		}
		if err != nil {
			return err
		}
		if cur == status {
			return fmt.Errorf("the access request of %s is already %s: %w", user.Name, status, ErrRequestState)
		}
		_, err = tx.ExecContext(ctx, `UPDATE access_requests SET status = $1, reason = $2, updated_at = $3 WHERE repo_id = $4 AND user_id = $5`,
			status, reason, time.Now().UTC().UnixMilli(), repo, user.ID)
		return err
	})
}

// GrantAccess accepts user for repo without a request of theirs. It
// returns ErrRequestState when user has access already.
func (s *Store) GrantAccess(ctx context.Context, repo int64, user *Account) error {
	now := time.Now().UTC().UnixMilli()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT status FROM access_requests WHERE repo_id = $1 AND user_id = $2`, repo, user.ID).Scan(&cur)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, `INSERT INTO access_requests (repo_id, user_id, status, granted, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, repo, user.ID, RequestAccepted, true, now, now)
			return err
		case err != nil:
			return err
		case cur == RequestAccepted:
			return fmt.Errorf("%s already has access to this repo: %w", user.Name, ErrRequestState)
		}
		_, err = tx.ExecContext(ctx, `UPDATE access_requests SET status = $1, reason = '', granted = $2, updated_at = $3 WHERE repo_id = $4 AND user_id = $5`,
			RequestAccepted, true, now, repo, user.ID)
		return err
	})
}

// AccessRequestByID finds a request of repo by its id.
func (s *Store) AccessRequestByID(ctx context.Context, repo, id int64) (*AccessRequest, error) {
	rows, err := s.listRequests(ctx, `r.repo_id = $1 AND r.id = $2`, repo, id)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no access request %d for this repo: %w", id, ErrRequestNotFound)
	}
	return rows[0], nil
}
