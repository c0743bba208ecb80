// Package auth keeps accounts (users and organizations), organization
// membership and access tokens, and decides who may read or write a repo.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/wire"
)

var (
	ErrNotFound     = errors.New("account not found")
	ErrExists       = errors.New("account already exists")
	ErrInvalidToken = errors.New("invalid token")
)

// Roles of tokens and organization members.
const (
	RoleRead  = "read"
	RoleWrite = "write"
	RoleAdmin = "admin"
)

// Account is a user or an organization.
type Account struct {
	ID        int64
	Name      string
	Fullname  string
	Email     string
	IsOrg     bool
	IsAdmin   bool
	CreatedAt time.Time
}

// Membership is a user's role in an organization.
type Membership struct {
	Org  *Account
	Role string
}

// Identity is an authenticated request's user and token.
type Identity struct {
	User      *Account
	TokenRole string // read or write
	TokenName string
	TokenAt   time.Time
	Orgs      []Membership
}

// CanWrite reports whether the token allows writes at all.
func (id *Identity) CanWrite() bool { return id != nil && id.TokenRole == RoleWrite }

// Store keeps accounts and tokens in SQL. It is safe for concurrent use.
type Store struct {
	db *sqlstore.DB
}

// New returns a Store over db.
func New(db *sqlstore.DB) *Store { return &Store{db: db} }

// HashToken is how tokens are kept at rest.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

const tokenAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// NewToken returns a fresh random token in the Hub's format: hf_ and 34 letters.
func NewToken() string {
	b := make([]byte, 34)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(tokenAlphabet))))
		if err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		b[i] = tokenAlphabet[n.Int64()]
	}
	return "hf_" + string(b)
}

// ValidateToken checks a token value chosen by an administrator.
func ValidateToken(t string) error {
	if !strings.HasPrefix(t, "hf_") || len(t) < 3+16 || len(t) > 3+200 {
		return fmt.Errorf("token must start with hf_ and have 16 to 200 more characters: %w", wire.ErrInvalid)
	}
	for _, c := range t[3:] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("token may contain only letters, digits, _ and -: %w", wire.ErrInvalid)
		}
	}
	return nil
}

const accountColumns = `id, name, fullname, email, is_org, is_admin, created_at`

func scanAccount(row interface{ Scan(...any) error }) (*Account, error) {
	var a Account
	var created int64
	if err := row.Scan(&a.ID, &a.Name, &a.Fullname, &a.Email, &a.IsOrg, &a.IsAdmin, &created); err != nil {
		return nil, err
	}
	a.CreatedAt = time.UnixMilli(created).UTC()
	return &a, nil
}

// CreateAccount adds a user or organization.
func (s *Store) CreateAccount(ctx context.Context, a *Account) error {
	if err := wire.ValidateName(a.Name); err != nil {
		return err
	}
	if _, err := wire.ParseRepoID(a.Name + "/x"); err != nil {
		return fmt.Errorf("%q cannot be a namespace: %w", a.Name, wire.ErrInvalid)
	}
	a.CreatedAt = time.Now().UTC()
	err := s.db.QueryRowContext(ctx, `INSERT INTO accounts (name, name_lower, fullname, email, is_org, is_admin, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		a.Name, strings.ToLower(a.Name), a.Fullname, a.Email, a.IsOrg, a.IsAdmin, a.CreatedAt.UnixMilli()).Scan(&a.ID)
	if sqlstore.IsUniqueViolation(err) {
		return fmt.Errorf("%q is taken: %w", a.Name, ErrExists)
	}
	return err
}

// Account looks an account up by name, case-insensitively.
func (s *Store) Account(ctx context.Context, name string) (*Account, error) {
	a, err := scanAccount(s.db.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE name_lower = $1`, strings.ToLower(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%q: %w", name, ErrNotFound)
	}
	return a, err
}

// CountAdmins returns how many server administrators exist.
func (s *Store) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts WHERE is_admin = $1`, true).Scan(&n)
	return n, err
}

// AddMember puts user in org with role (read, write or admin).
func (s *Store) AddMember(ctx context.Context, org, user *Account, role string) error {
	if !org.IsOrg {
		return fmt.Errorf("%s is a user, not an organization: %w", org.Name, wire.ErrInvalid)
	}
	if user.IsOrg {
		return fmt.Errorf("%s is an organization, not a user: %w", user.Name, wire.ErrInvalid)
	}
	switch role {
	case RoleRead, RoleWrite, RoleAdmin:
	default:
		return fmt.Errorf("role must be read, write or admin, not %q: %w", role, wire.ErrInvalid)
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM org_members WHERE org_id = $1 AND user_id = $2`, org.ID, user.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, $3)`, org.ID, user.ID, role)
		return err
	})
}

// Memberships lists the organizations of a user.
func (s *Store) Memberships(ctx context.Context, user *Account) ([]Membership, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT a.id, a.name, a.fullname, a.email, a.is_org, a.is_admin, a.created_at, m.role
		FROM org_members m JOIN accounts a ON a.id = m.org_id WHERE m.user_id = $1 ORDER BY a.name`, user.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Membership
	for rows.Next() {
		var a Account
		var created int64
		var role string
		if err := rows.Scan(&a.ID, &a.Name, &a.Fullname, &a.Email, &a.IsOrg, &a.IsAdmin, &created, &role); err != nil {
			return nil, err
		}
		a.CreatedAt = time.UnixMilli(created).UTC()
		out = append(out, Membership{Org: &a, Role: role})
	}
	return out, rows.Err()
}

// AddToken stores a token for user. An empty value generates one. The value
// is returned once and kept only as a hash.
func (s *Store) AddToken(ctx context.Context, user *Account, role, displayName, value string) (string, error) {
	if user.IsOrg {
		return "", fmt.Errorf("tokens belong to users, and %s is an organization: %w", user.Name, wire.ErrInvalid)
	}
	if role != RoleRead && role != RoleWrite {
		return "", fmt.Errorf("token role must be read or write, not %q: %w", role, wire.ErrInvalid)
	}
	if value == "" {
		value = NewToken()
	} else if err := ValidateToken(value); err != nil {
		return "", err
	}
	if displayName == "" {
		displayName = "token"
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO tokens (account_id, hash, role, display_name, created_at) VALUES ($1, $2, $3, $4, $5)`,
		user.ID, HashToken(value), role, displayName, time.Now().UnixMilli())
	if sqlstore.IsUniqueViolation(err) {
		return "", fmt.Errorf("this token value is already in use: %w", ErrExists)
	}
	return value, err
}

// Authenticate returns the identity a token stands for, or ErrInvalidToken.
func (s *Store) Authenticate(ctx context.Context, token string) (*Identity, error) {
	if !strings.HasPrefix(token, "hf_") {
		return nil, ErrInvalidToken
	}
	return s.AuthenticateHash(ctx, HashToken(token))
}

// AuthenticateHash is [Store.Authenticate] for a token known only by its
// hash (see [HashToken]), as web sessions keep it. A token deleted since
// is ErrInvalidToken.
func (s *Store) AuthenticateHash(ctx context.Context, hash string) (*Identity, error) {
	var id Identity
	var accountID, created int64
	err := s.db.QueryRowContext(ctx, `SELECT t.account_id, t.role, t.display_name, t.created_at FROM tokens t
		JOIN accounts a ON a.id = t.account_id WHERE t.hash = $1 AND NOT a.disabled`, hash).
		Scan(&accountID, &id.TokenRole, &id.TokenName, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrInvalidToken
	}
	if err != nil {
		return nil, err
	}
	id.TokenAt = time.UnixMilli(created).UTC()
	id.User, err = scanAccount(s.db.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, accountID))
	if err != nil {
		return nil, fmt.Errorf("token owner: %w", err)
	}
	id.Orgs, err = s.Memberships(ctx, id.User)
	if err != nil {
		return nil, err
	}
	return &id, nil
}

// Access is what an identity may do with a repository.
type Access int

const (
	AccessNone Access = iota
	AccessRead
	AccessWrite
)

// RepoAccess returns what id may do in a repo of namespace ns. Anyone may
// read public repos; private repos are readable by their owner and the
// members of their organization; writes need a write token and ownership,
// or an organization role of write or admin. Server admins may do anything.
func RepoAccess(id *Identity, ns string, private bool) Access {
	level := AccessNone
	if !private {
		level = AccessRead
	}
	if id == nil {
		return level
	}
	member := AccessNone
	switch {
	case id.User.IsAdmin, strings.EqualFold(id.User.Name, ns):
		member = AccessWrite
	default:
		for _, m := range id.Orgs {
			if strings.EqualFold(m.Org.Name, ns) {
				member = AccessRead
				if m.Role == RoleWrite || m.Role == RoleAdmin {
					member = AccessWrite
				}
			}
		}
	}
	if member == AccessWrite && !id.CanWrite() {
		member = AccessRead
	}
	return max(level, member)
}

// CanCreateIn reports whether id may create repos in namespace ns.
func CanCreateIn(id *Identity, ns string) bool {
	if id == nil || !id.CanWrite() {
		return false
	}
	if id.User.IsAdmin || strings.EqualFold(id.User.Name, ns) {
		return true
	}
	for _, m := range id.Orgs {
		if strings.EqualFold(m.Org.Name, ns) && (m.Role == RoleWrite || m.Role == RoleAdmin) {
			return true
		}
	}
	return false
}
