package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/wharfhub/wharf/wire"
)

// OrgSettings are an organization's settings.
type OrgSettings struct {
	// PrivateByDefault makes repos created without an explicit visibility
	// private.
	PrivateByDefault bool
}

// OrgSettings returns the settings of an account (the defaults for users
// and for organizations that never changed them).
func (s *Store) OrgSettings(ctx context.Context, a *Account) (OrgSettings, error) {
	var o OrgSettings
	err := s.db.QueryRowContext(ctx, `SELECT private_default FROM org_settings WHERE org_id = $1`, a.ID).Scan(&o.PrivateByDefault)
	if errors.Is(err, sql.ErrNoRows) {
		return OrgSettings{}, nil
	}
	return o, err
}

// SetOrgSettings stores the settings of organization org.
func (s *Store) SetOrgSettings(ctx context.Context, org *Account, o OrgSettings) error {
	if !org.IsOrg {
		return fmt.Errorf("%s is a user, not an organization: %w", org.Name, wire.ErrInvalid)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO org_settings (org_id, private_default) VALUES ($1, $2)
		ON CONFLICT (org_id) DO UPDATE SET private_default = excluded.private_default`, org.ID, o.PrivateByDefault)
	return err
}

// IsOrgAdmin reports whether id may change the settings of organization
// ns: its admins and server admins.
func IsOrgAdmin(id *Identity, ns string) bool {
	if id == nil || !id.CanWrite() {
		return false
	}
	if id.User.IsAdmin {
		return true
	}
	for _, m := range id.Orgs {
		if m.Role == RoleAdmin && strings.EqualFold(m.Org.Name, ns) {
			return true
		}
	}
	return false
}
