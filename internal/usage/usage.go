package usage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/wharfhub/wharf/internal/store/sqlstore"
)

// Service reads storage usage and manages quotas. It is safe for
// concurrent use.
type Service struct {
	db  *sqlstore.DB
	now func() time.Time
	ttl time.Duration
}

// Options configure a Service.
type Options struct {
	// Now returns the time. Default time.Now.
	Now func() time.Time
	// ReservationTTL is how long bytes promised to an upload count against
	// the quota before the content is committed. Default 24 h (the
	// lifetime of a multipart upload session).
	ReservationTTL time.Duration
}

// New returns a Service over db.
func New(db *sqlstore.DB, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ReservationTTL <= 0 {
		opts.ReservationTTL = 24 * time.Hour
	}
	return &Service{db: db, now: opts.Now, ttl: opts.ReservationTTL}
}

// Repo is the usage of one repository.
type Repo struct {
	Key       int64  `json:"-"`
	Type      string `json:"type"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Private   bool   `json:"private"`
	Bytes     int64  `json:"usedStorage"`
	Files     int64  `json:"lfsFiles"`
}

// RepoBytes returns the usage of the repo with database key repoKey.
func (s *Service) RepoBytes(ctx context.Context, repoKey int64) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM repo_usage_oids WHERE repo_id = $1`, repoKey).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("usage of repo %d: %w", repoKey, err)
	}
	return n, nil
}

// Repos returns the usage of every repo of namespace (every repo when
// namespace is empty), largest first.
func (s *Service) Repos(ctx context.Context, namespace string) ([]Repo, error) {
	q := `SELECT r.id, r.type, r.namespace, r.name, r.private, COALESCE(SUM(u.size), 0), COUNT(u.oid)
		FROM repos r LEFT JOIN repo_usage_oids u ON u.repo_id = r.id`
	var args []any
	if namespace != "" {
		q += ` WHERE LOWER(r.namespace) = $1`
		args = append(args, strings.ToLower(namespace))
	}
	q += ` GROUP BY r.id, r.type, r.namespace, r.name, r.private ORDER BY 6 DESC, r.key_lower`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("usage of repos: %w", err)
	}
	defer rows.Close()
	var out []Repo
	for rows.Next() {
		var r Repo
		if err := rows.Scan(&r.Key, &r.Type, &r.Namespace, &r.Name, &r.Private, &r.Bytes, &r.Files); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Namespace is the usage of a user or organization.
type Namespace struct {
	Namespace string `json:"namespace"`
	Repos     int    `json:"repos"`
	// Bytes is the sum of its repos' usage: content shared by two of its
	// repos counts twice, as on the Hub.
	Bytes        int64 `json:"usedStorage"`
	PrivateBytes int64 `json:"usedStoragePrivate"`
}

// Namespaces returns the usage of every namespace that has repos (only
// namespace when it is not empty), largest first.
func (s *Service) Namespaces(ctx context.Context, namespace string) ([]Namespace, error) {
	repos, err := s.Repos(ctx, namespace)
	if err != nil {
		return nil, err
	}
	idx := map[string]int{}
	var out []Namespace
	for _, r := range repos {
		k := strings.ToLower(r.Namespace)
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, Namespace{Namespace: r.Namespace})
		}
		out[i].Repos++
		out[i].Bytes += r.Bytes
		if r.Private {
			out[i].PrivateBytes += r.Bytes
		}
	}
	sortNamespaces(out)
	return out, nil
}

func sortNamespaces(ns []Namespace) {
	for i := 1; i < len(ns); i++ {
		for j := i; j > 0 && (ns[j].Bytes > ns[j-1].Bytes || ns[j].Bytes == ns[j-1].Bytes && ns[j].Namespace < ns[j-1].Namespace); j-- {
			ns[j], ns[j-1] = ns[j-1], ns[j]
		}
	}
}

// namespaceBytes returns the usage of a namespace (only its private repos
// when privateOnly) in one query.
func namespaceBytes(ctx context.Context, q querier, namespace string, privateOnly bool) (int64, error) {
	query := `SELECT COALESCE(SUM(u.size), 0) FROM repo_usage_oids u JOIN repos r ON r.id = u.repo_id WHERE LOWER(r.namespace) = $1`
	if privateOnly {
		query += ` AND r.private`
	}
	var n int64
	if err := q.QueryRowContext(ctx, query, strings.ToLower(namespace)).Scan(&n); err != nil {
		return 0, fmt.Errorf("usage of %s: %w", namespace, err)
	}
	return n, nil
}

// Totals are server-wide figures.
type Totals struct {
	// Referenced is the size of the distinct contents that some repo
	// references: shared content counts once.
	Referenced int64 `json:"referencedBytes"`
	// RepoSum is the sum of all repos' usage (shared content counts in
	// each repo).
	RepoSum int64 `json:"sumOfRepos"`
	// Stored is the size of the distinct contents recorded as stored
	// (lfs_objects), referenced or not: what gc could free is about
	// Stored - Referenced.
	Stored int64 `json:"storedBytes"`
}

// Total returns the server-wide figures.
func (s *Service) Total(ctx context.Context) (Totals, error) {
	var t Totals
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM (SELECT oid, MAX(size) AS size FROM repo_usage_oids GROUP BY oid) t`).Scan(&t.Referenced)
	if err == nil {
		err = s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM repo_usage_oids`).Scan(&t.RepoSum)
	}
	if err == nil {
		err = s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM lfs_objects`).Scan(&t.Stored)
	}
	if err != nil {
		return t, fmt.Errorf("usage totals: %w", err)
	}
	return t, nil
}

// Recount recomputes the usage of a repo from the pointer blobs it stores,
// after objects were removed (gc of unreachable history).
func Recount(ctx context.Context, tx *sql.Tx, repoKey int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM repo_usage_oids WHERE repo_id = $1`, repoKey); err != nil {
		return fmt.Errorf("recount repo %d: %w", repoKey, err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO repo_usage_oids (repo_id, oid, size)
		SELECT repo_id, lfs_oid, MAX(lfs_size) FROM objects WHERE repo_id = $1 AND lfs_oid IS NOT NULL GROUP BY repo_id, lfs_oid`, repoKey)
	if err != nil {
		return fmt.Errorf("recount repo %d: %w", repoKey, err)
	}
	return nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
