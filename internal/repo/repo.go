package repo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/wire"
)

// Sentinel errors. Errors returned by the engine wrap one of these (or
// wire.ErrInvalid) and carry a message meant for the client.
var (
	ErrRepoNotFound       = errors.New("repository not found")
	ErrRepoExists         = errors.New("repository already exists")
	ErrRevisionNotFound   = errors.New("revision not found")
	ErrEntryNotFound      = errors.New("entry not found")
	ErrParentMismatch     = errors.New("parent commit mismatch")
	ErrRefExists          = errors.New("reference already exists")
	ErrConflict           = errors.New("conflict")
	ErrLFSObjectMissing   = errors.New("lfs object missing")
	ErrDiscussionNotFound = errors.New("discussion not found")
	ErrNoChanges          = errors.New("no changes")
)

// Error is an engine error: a sentinel kind plus the message a client sees.
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Kind }

func errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Repo is a repository's metadata row.
type Repo struct {
	Key                   int64 // database id; stable across renames
	Type                  wire.RepoType
	ID                    wire.RepoID
	Private               bool
	Gated                 string
	LFSMultipartThreshold int64 // 0: server default
	CreatedAt             time.Time
	UpdatedAt             time.Time
}

// Author is who a commit or discussion is attributed to.
type Author struct {
	Name  string
	Email string
}

func (a Author) signature(t time.Time) Signature {
	email := a.Email
	if email == "" {
		email = a.Name + "@users.noreply.wharf"
	}
	return Signature{Name: a.Name, Email: email, When: t}
}

// Options configures an Engine.
type Options struct {
	// TempDir holds spooled commit payloads. Default: os.TempDir().
	TempDir string
	// MaxLine bounds one NDJSON commit line. Default: 64 MiB.
	MaxLine int
	// MaxCommitBytes bounds a whole NDJSON commit body. Default: 2 GiB.
	MaxCommitBytes int64
	// Logger receives background errors. Default: discard.
	Logger *slog.Logger
	// Now returns the current time. Default: time.Now.
	Now func() time.Time
}

// Engine is the repository engine: repos, git objects, refs and
// discussions, all stored in SQL. It is safe for concurrent use.
type Engine struct {
	db   *sqlstore.DB
	opts Options
}

// New returns an Engine over db.
func New(db *sqlstore.DB, opts Options) *Engine {
	if opts.TempDir == "" {
		opts.TempDir = os.TempDir()
	}
	if opts.MaxLine <= 0 {
		opts.MaxLine = 64 << 20
	}
	if opts.MaxCommitBytes <= 0 {
		opts.MaxCommitBytes = 2 << 30
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Engine{db: db, opts: opts}
}

// DB returns the engine's database.
func (e *Engine) DB() *sqlstore.DB { return e.db }

func (e *Engine) now() time.Time { return e.opts.Now().UTC() }

func repoKey(t wire.RepoType, id wire.RepoID) string {
	return strings.ToLower(string(t) + "/" + id.Namespace + "/" + id.Name)
}

// DefaultBranch is the branch every repo starts with.
const DefaultBranch = "main"

// CreateOptions configures CreateRepo.
type CreateOptions struct {
	Private               bool
	LFSMultipartThreshold int64
	Author                Author
}

// CreateRepo creates a repository whose main branch holds one commit with
// the Hub's default .gitattributes. It returns ErrRepoExists (with the
// existing repo) when the id is taken, case-insensitively.
func (e *Engine) CreateRepo(ctx context.Context, t wire.RepoType, id wire.RepoID, opts CreateOptions) (*Repo, error) {
	now := e.now()
	r := &Repo{Type: t, ID: id, Private: opts.Private, LFSMultipartThreshold: opts.LFSMultipartThreshold, CreatedAt: now, UpdatedAt: now}
	err := e.db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO repos (type, namespace, name, key_lower, private, lfs_multipart_thresh, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			string(t), id.Namespace, id.Name, repoKey(t, id), opts.Private, opts.LFSMultipartThreshold, now.UnixMilli(), now.UnixMilli()).Scan(&r.Key)
		if sqlstore.IsUniqueViolation(err) {
			return errorf(ErrRepoExists, "You already created this %s repo", t)
		}
		if err != nil {
			return err
		}
		// A repo created at the old id of a moved one ends that redirect.
		if _, err := tx.ExecContext(ctx, `DELETE FROM repo_redirects WHERE key_lower = $1`, repoKey(t, id)); err != nil {
			return err
		}
		attrs := []byte(defaultGitattributes(t))
		blobOID, err := writeObject(ctx, tx, r.Key, KindBlob, attrs, nil)
		if err != nil {
			return err
		}
		treeOID, err := writeObject(ctx, tx, r.Key, KindTree, EncodeTree([]TreeEntry{{Mode: ModeFile, Name: ".gitattributes", OID: blobOID}}), nil)
		if err != nil {
			return err
		}
		sig := opts.Author.signature(now)
		c := &Commit{Tree: treeOID, Author: sig, Committer: sig, Message: "initial commit\n"}
		commitOID, err := writeObject(ctx, tx, r.Key, KindCommit, c.Encode(), nil)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO refs (repo_id, name, target) VALUES ($1, $2, $3)`, r.Key, "refs/heads/"+DefaultBranch, commitOID)
		return err
	})
	if errors.Is(err, ErrRepoExists) {
		existing, gerr := e.GetRepo(ctx, t, id)
		if gerr == nil {
			return existing, err
		}
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

const repoColumns = `id, type, namespace, name, private, gated, lfs_multipart_thresh, created_at, updated_at`

func scanRepo(row interface{ Scan(...any) error }) (*Repo, error) {
	var r Repo
	var typ string
	var created, updated int64
	if err := row.Scan(&r.Key, &typ, &r.ID.Namespace, &r.ID.Name, &r.Private, &r.Gated, &r.LFSMultipartThreshold, &created, &updated); err != nil {
		return nil, err
	}
	r.Type = wire.RepoType(typ)
	r.CreatedAt = time.UnixMilli(created).UTC()
	r.UpdatedAt = time.UnixMilli(updated).UTC()
	return &r, nil
}

// GetRepo looks a repository up by type and id, case-insensitively.
func (e *Engine) GetRepo(ctx context.Context, t wire.RepoType, id wire.RepoID) (*Repo, error) {
	r, err := scanRepo(e.db.QueryRowContext(ctx, `SELECT `+repoColumns+` FROM repos WHERE key_lower = $1`, repoKey(t, id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errorf(ErrRepoNotFound, "Repository %s not found", id)
	}
	return r, err
}

// ListRepos lists repositories of type t, optionally only those in namespace.
func (e *Engine) ListRepos(ctx context.Context, t wire.RepoType, namespace string) ([]*Repo, error) {
	q := `SELECT ` + repoColumns + ` FROM repos WHERE type = $1`
	args := []any{string(t)}
	if namespace != "" {
		q += ` AND LOWER(namespace) = $2`
		args = append(args, strings.ToLower(namespace))
	}
	rows, err := e.db.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Repo
	for rows.Next() {
		r, err := scanRepo(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeleteRepo removes a repository with all its objects, refs, links and
// discussions. LFS content stays in the blob store for the sweeper.
func (e *Engine) DeleteRepo(ctx context.Context, r *Repo) error {
	return e.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM objects WHERE repo_id = $1`,
			`DELETE FROM refs WHERE repo_id = $1`,
			`DELETE FROM repo_lfs WHERE repo_id = $1`,
			`DELETE FROM repo_usage_oids WHERE repo_id = $1`,
			`DELETE FROM quota_reservations WHERE repo_id = $1`,
			`DELETE FROM discussion_events WHERE repo_id = $1`,
			`DELETE FROM discussions WHERE repo_id = $1`,
			`DELETE FROM repo_redirects WHERE repo_id = $1`,
			`DELETE FROM access_requests WHERE repo_id = $1`,
			`DELETE FROM repo_settings WHERE repo_id = $1`,
			`DELETE FROM repos WHERE id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, r.Key); err != nil {
				return err
			}
		}
		return nil
	})
}

// MoveRepo renames a repository (possibly into another namespace). Its
// old id keeps naming it (see [Engine.Moved]) until a repo is created there.
func (e *Engine) MoveRepo(ctx context.Context, r *Repo, to wire.RepoID) error {
	now := e.now().UnixMilli()
	return e.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE repos SET namespace = $1, name = $2, key_lower = $3, updated_at = $4 WHERE id = $5`,
			to.Namespace, to.Name, repoKey(r.Type, to), now, r.Key)
		if sqlstore.IsUniqueViolation(err) {
			return errMoveExists(r.Type, to)
		}
		if err != nil {
			return err
		}
		return recordMove(ctx, tx, r.Type, r.Key, r.ID, to, now)
	})
}

// SetPrivate changes a repository's visibility.
func (e *Engine) SetPrivate(ctx context.Context, r *Repo, private bool) error {
	_, err := e.db.ExecContext(ctx, `UPDATE repos SET private = $1 WHERE id = $2`, private, r.Key)
	return err
}

// SetGated changes a repository's gating setting ("", "auto" or "manual").
func (e *Engine) SetGated(ctx context.Context, r *Repo, gated string) error {
	_, err := e.db.ExecContext(ctx, `UPDATE repos SET gated = $1 WHERE id = $2`, gated, r.Key)
	return err
}
