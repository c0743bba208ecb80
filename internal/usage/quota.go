package usage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/wharfhub/wharf/internal/store/sqlstore"
)

// ErrQuotaExceeded is wrapped by [*QuotaError].
var ErrQuotaExceeded = errors.New("storage quota exceeded")

// QuotaError reports an upload refused because its namespace would go over
// its quota. Used includes the bytes promised to uploads in progress.
type QuotaError struct {
	Namespace   string
	Used        int64
	Limit       int64
	Need        int64
	PrivateOnly bool
}

func (e *QuotaError) Error() string {
	what := "storage"
	if e.PrivateOnly {
		what = "private storage"
	}
	return fmt.Sprintf("Storage quota exceeded for %s: %s uses %s of its %s %s quota (including uploads in progress), and this upload needs %s more",
		e.Namespace, e.Namespace, FormatBytes(e.Used), FormatBytes(e.Limit), what, FormatBytes(e.Need))
}

func (e *QuotaError) Unwrap() error { return ErrQuotaExceeded }

// Quota is a namespace's storage limit.
type Quota struct {
	Namespace   string `json:"namespace"`
	Limit       int64  `json:"limitBytes"`
	PrivateOnly bool   `json:"privateOnly"`
	// Used is the namespace's usage (of private repos only when
	// PrivateOnly), Reserved the bytes promised to uploads not yet
	// committed.
	Used     int64 `json:"usedBytes"`
	Reserved int64 `json:"reservedBytes"`
}

// SetQuota sets (or replaces) the quota of a namespace.
func (s *Service) SetQuota(ctx context.Context, namespace string, limit int64, privateOnly bool) error {
	if limit < 0 {
		return fmt.Errorf("quota of %s: negative limit", namespace)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO quotas (namespace_lower, limit_bytes, private_only, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (namespace_lower) DO UPDATE SET limit_bytes = excluded.limit_bytes, private_only = excluded.private_only, updated_at = excluded.updated_at`,
		strings.ToLower(namespace), limit, privateOnly, s.now().UnixMilli())
	if err != nil {
		return fmt.Errorf("set quota of %s: %w", namespace, err)
	}
	return nil
}

// RemoveQuota removes the quota of a namespace; it reports whether there
// was one.
func (s *Service) RemoveQuota(ctx context.Context, namespace string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM quotas WHERE namespace_lower = $1`, strings.ToLower(namespace))
	if err != nil {
		return false, fmt.Errorf("remove quota of %s: %w", namespace, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// Quotas returns every quota (only namespace's when it is not empty) with
// its current usage.
func (s *Service) Quotas(ctx context.Context, namespace string) ([]Quota, error) {
	q := `SELECT namespace_lower, limit_bytes, private_only FROM quotas`
	var args []any
	if namespace != "" {
		q += ` WHERE namespace_lower = $1`
		args = append(args, strings.ToLower(namespace))
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("quotas: %w", err)
	}
	var out []Quota
	for rows.Next() {
		var qt Quota
		if err := rows.Scan(&qt.Namespace, &qt.Limit, &qt.PrivateOnly); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, qt)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Used, err = namespaceBytes(ctx, s.db, out[i].Namespace, out[i].PrivateOnly); err != nil {
			return nil, err
		}
		if out[i].Reserved, err = s.reserved(ctx, s.db, out[i].Namespace); err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace < out[j].Namespace })
	return out, nil
}

// reserved returns the bytes promised to uploads into namespace that are
// neither committed (counted) nor expired.
func (s *Service) reserved(ctx context.Context, q querier, namespace string) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(q.size), 0) FROM quota_reservations q
		WHERE q.namespace_lower = $1 AND q.expires_at > $2
		AND NOT EXISTS (SELECT 1 FROM repo_usage_oids u WHERE u.repo_id = q.repo_id AND u.oid = q.oid)`,
		strings.ToLower(namespace), s.now().UnixMilli()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("reserved bytes of %s: %w", namespace, err)
	}
	return n, nil
}

// Item is content an upload brings: its sha256 and size.
type Item struct {
	OID  string
	Size int64
}

// Reserve checks that uploading items into the repo (database key repoKey,
// in namespace, private or not) keeps the namespace within its quota, and
// promises their bytes to the upload until they are committed or the
// reservation expires. Content the repo already counts, or that is already
// reserved for it, needs nothing more. Over the quota, it returns a
// [*QuotaError] and reserves nothing. Without a quota it does nothing.
//
// Reservations of one namespace are serialized (the quota row is locked on
// PostgreSQL; SQLite transactions hold the write lock), so uploads racing
// to the limit cannot jointly pass it.
func (s *Service) Reserve(ctx context.Context, namespace string, repoKey int64, private bool, items []Item) error {
	if len(items) == 0 {
		return nil
	}
	ns := strings.ToLower(namespace)
	// Cheap check without a lock: most namespaces have no quota.
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM quotas WHERE namespace_lower = $1`, ns).Scan(&n); err != nil {
		return fmt.Errorf("quota of %s: %w", namespace, err)
	}
	if n == 0 {
		return nil
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		lock := ""
		if s.db.Dialect == sqlstore.Postgres {
			lock = " FOR UPDATE"
		}
		var limit int64
		var privateOnly bool
		err := tx.QueryRowContext(ctx, `SELECT limit_bytes, private_only FROM quotas WHERE namespace_lower = $1`+lock, ns).Scan(&limit, &privateOnly)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("quota of %s: %w", namespace, err)
		}
		if privateOnly && !private {
			return nil
		}
		now := s.now().UnixMilli()
		seen := map[string]bool{}
		var need int64
		var todo []Item
		for _, it := range items {
			if seen[it.OID] {
				continue
			}
			seen[it.OID] = true
			var counted, held int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM repo_usage_oids WHERE repo_id = $1 AND oid = $2`, repoKey, it.OID).Scan(&counted); err != nil {
				return err
			}
			if counted > 0 {
				continue
			}
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM quota_reservations WHERE namespace_lower = $1 AND repo_id = $2 AND oid = $3 AND expires_at > $4`,
				ns, repoKey, it.OID, now).Scan(&held); err != nil {
				return err
			}
			todo = append(todo, it)
			if held == 0 {
				need += it.Size
			}
		}
		if need > 0 {
			used, err := namespaceBytes(ctx, tx, namespace, privateOnly)
			if err != nil {
				return err
			}
			res, err := s.reserved(ctx, tx, namespace)
			if err != nil {
				return err
			}
			if used+res+need > limit {
				return &QuotaError{Namespace: namespace, Used: used + res, Limit: limit, Need: need, PrivateOnly: privateOnly}
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM quota_reservations WHERE namespace_lower = $1 AND expires_at <= $2`, ns, now); err != nil {
			return err
		}
		exp := s.now().Add(s.ttl).UnixMilli()
		for _, it := range todo {
			if _, err := tx.ExecContext(ctx, `INSERT INTO quota_reservations (namespace_lower, repo_id, oid, size, expires_at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (namespace_lower, repo_id, oid) DO UPDATE SET size = excluded.size, expires_at = excluded.expires_at`,
				ns, repoKey, it.OID, it.Size, exp); err != nil {
				return fmt.Errorf("reserve %s: %w", it.OID, err)
			}
		}
		return nil
	})
}

// ParseBytes parses a size such as 500GB, 1.5TB, 200MiB or 1024 (bytes).
// Units are decimal (kB, MB, GB, TB, as the Hub shows sizes) or binary
// (KiB, MiB, GiB, TiB), case-insensitive.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("invalid size %q: want a number and a unit, like 500GB", s)
	}
	mult := map[string]float64{
		"": 1, "b": 1,
		"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12, "p": 1e15, "pb": 1e15,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50,
	}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("invalid size %q: unknown unit %q", s, unit)
	}
	b := v * mult
	if b > math.MaxInt64/2 {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return int64(math.Round(b)), nil
}

// FormatBytes formats n in decimal units with three significant digits,
// as the Hub shows sizes ("1.23 GB").
func FormatBytes(n int64) string {
	if n < 1000 {
		return fmt.Sprintf("%d B", n)
	}
	v := float64(n)
	for _, u := range []string{"kB", "MB", "GB", "TB", "PB"} {
		v /= 1000
		if v < 1000 || u == "PB" {
			switch {
			case v < 10:
				return fmt.Sprintf("%.2f %s", v, u)
			case v < 100:
				return fmt.Sprintf("%.1f %s", v, u)
			}
			return fmt.Sprintf("%.0f %s", v, u)
		}
	}
	return fmt.Sprintf("%d B", n)
}

// repoNamespace returns the namespace of a repo and whether it is private.
func (s *Service) repoNamespace(ctx context.Context, repoKey int64) (string, bool, error) {
	var ns string
	var private bool
	err := s.db.QueryRowContext(ctx, `SELECT namespace, private FROM repos WHERE id = $1`, repoKey).Scan(&ns, &private)
	if err != nil {
		return "", false, fmt.Errorf("repo %d: %w", repoKey, err)
	}
	return ns, private, nil
}

// ReserveForRepo is [Service.Reserve] for the repo with database key
// repoKey.
func (s *Service) ReserveForRepo(ctx context.Context, repoKey int64, items []Item) error {
	ns, private, err := s.repoNamespace(ctx, repoKey)
	if err != nil {
		return err
	}
	return s.Reserve(ctx, ns, repoKey, private, items)
}

// Check reports, as a [*QuotaError], whether need more bytes would take
// the namespace of the repo over its quota, reserving nothing. It guards
// bytes that are not content yet (Xet xorbs): their files are reserved when
// a shard registers them.
func (s *Service) Check(ctx context.Context, repoKey int64, need int64) error {
	ns, private, err := s.repoNamespace(ctx, repoKey)
	if err != nil {
		return err
	}
	qs, err := s.Quotas(ctx, ns)
	if err != nil || len(qs) == 0 {
		return err
	}
	q := qs[0]
	if q.PrivateOnly && !private {
		return nil
	}
	if q.Used+q.Reserved+need > q.Limit {
		return &QuotaError{Namespace: ns, Used: q.Used + q.Reserved, Limit: q.Limit, Need: need, PrivateOnly: q.PrivateOnly}
	}
	return nil
}
