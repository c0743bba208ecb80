package gc

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/xet"
)

// Keys of Xet rows in gc_orphans, the generation mark they share with
// blobs.
const (
	markXetFile = "xetfile:"
	markXorb    = "xorb:"
)

// loadMarks returns the marks whose key starts with prefix, by the rest
// of the key.
func (c *Collector) loadMarks(ctx context.Context, prefix string) (map[string]int64, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT oid, first_seen FROM gc_orphans WHERE oid LIKE $1`, prefix+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]int64{}
	for rows.Next() {
		var k string
		var t int64
		if err := rows.Scan(&k, &t); err != nil {
			return nil, err
		}
		m[strings.TrimPrefix(k, prefix)] = t
	}
	return m, rows.Err()
}

type sized struct {
	key  string
	size int64
}

// querySized runs q, whose rows are (key, size), and returns them all.
// The rows are closed before it returns, so the caller may open a
// transaction next.
func (c *Collector) querySized(ctx context.Context, q string, args ...any) ([]sized, error) {
	rows, err := c.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []sized
	for rows.Next() {
		var s sized
		if err := rows.Scan(&s.key, &s.size); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ripen applies the generation rule to candidates: it marks the new ones,
// drops the marks of rows that are no longer candidates, and returns the
// candidates marked at least the grace period ago (all of them with a
// zero grace).
func (c *Collector) ripen(ctx context.Context, prefix string, cands []sized) (ripe []sized, pending int64, err error) {
	marks, err := c.loadMarks(ctx, prefix)
	if err != nil {
		return nil, 0, err
	}
	cutoff, now := c.cutoff(), c.opts.Now().UnixMilli()
	isCand := map[string]bool{}
	for _, cd := range cands {
		isCand[cd.key] = true
		t, marked := marks[cd.key]
		switch {
		case marked && t <= cutoff, c.opts.Grace == 0:
			ripe = append(ripe, cd)
			continue
		case !marked && c.opts.Apply:
			if _, err := c.db.ExecContext(ctx, `INSERT INTO gc_orphans (oid, size, first_seen) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
				prefix+cd.key, cd.size, now); err != nil {
				return nil, 0, err
			}
		}
		pending++
	}
	if c.opts.Apply {
		for k := range marks {
			if !isCand[k] {
				if _, err := c.db.ExecContext(ctx, `DELETE FROM gc_orphans WHERE oid = $1`, prefix+k); err != nil {
					return nil, 0, err
				}
			}
		}
	}
	return ripe, pending, nil
}

// lockXet excludes shard registrations from a PostgreSQL transaction:
// they write xet_files and lfs_objects, so the lock waits for those in
// flight and holds back new ones. SQLite transactions already exclude
// each other.
func (c *Collector) lockXet(ctx context.Context, tx *sql.Tx) error {
	if c.db.Dialect != sqlstore.Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `LOCK TABLE xet_files, lfs_objects IN SHARE ROW EXCLUSIVE MODE`)
	return err
}

// collectXetFiles removes Xet files that no content registration names
// (unlinkContent removed them) and that are older than the grace period,
// with their dedup entries, once marked for a grace period.
func (c *Collector) collectXetFiles(ctx context.Context, rep *Report) error {
	cutoff := c.cutoff()
	const cond = `f.created_at < $1 AND NOT EXISTS (SELECT 1 FROM lfs_objects o WHERE o.xet_hash = f.hash)`
	cands, err := c.querySized(ctx, `SELECT f.hash, f.size FROM xet_files f WHERE `+cond, cutoff)
	if err != nil {
		return err
	}
	ripe, pending, err := c.ripen(ctx, markXetFile, cands)
	if err != nil {
		return err
	}
	rep.XetFilesPending += pending
	for _, f := range ripe {
		if !c.opts.Apply {
			rep.XetFilesRemoved++
			continue
		}
		gone := false
		err := c.db.Tx(ctx, func(tx *sql.Tx) error {
			if err := c.lockXet(ctx, tx); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM xet_files WHERE hash = $2 AND hash IN (SELECT f.hash FROM xet_files f WHERE `+cond+`)`, cutoff, f.key)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			if gone = n == 1; gone {
				if _, err := tx.ExecContext(ctx, `DELETE FROM xet_dedup WHERE file_hash = $1`, f.key); err != nil {
					return err
				}
			}
			_, err = tx.ExecContext(ctx, `DELETE FROM gc_orphans WHERE oid = $1`, markXetFile+f.key)
			return err
		})
		if err != nil {
			return fmt.Errorf("gc xet file %s: %w", f.key, err)
		}
		if gone {
			rep.XetFilesRemoved++
		}
	}
	return nil
}

// xorbsNamed adds to set the xorbs named by the terms of the Xet files
// created at or after since (Unix ms; 0 for all).
func xorbsNamed(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, since int64, set map[string]bool) error {
	rows, err := q.QueryContext(ctx, `SELECT terms FROM xet_files WHERE created_at >= $1`, since)
	if err != nil {
		return err
	}
	defer rows.Close()
	const record = 32 + 4 + 4 + 4 // see xetcas.packTerms
	for rows.Next() {
		var terms []byte
		if err := rows.Scan(&terms); err != nil {
			return err
		}
		for i := 0; i+record <= len(terms); i += record {
			var h xet.Hash
			copy(h[:], terms[i:i+32])
			set[h.String()] = true
		}
	}
	return rows.Err()
}

// collectXorbs removes the rows of xorbs that no Xet file names and that
// were not uploaded (or uploaded again) for the grace period, once marked
// for a grace period. Their blobs become orphans, which sweepBlobs
// deletes by its own generation rule.
func (c *Collector) collectXorbs(ctx context.Context, rep *Report) error {
	scanStart := c.opts.Now().UnixMilli()
	named := map[string]bool{}
	if err := xorbsNamed(ctx, c.db, 0, named); err != nil {
		return err
	}
	cutoff := min(c.cutoff(), c.opts.Now().Add(-c.opts.XorbRetention).UnixMilli())
	xorbs, err := c.querySized(ctx, `SELECT hash, size FROM xet_xorbs WHERE created_at < $1`, cutoff)
	if err != nil {
		return err
	}
	var cands []sized
	for _, s := range xorbs {
		if !named[s.key] {
			cands = append(cands, s)
		}
	}
	ripe, pending, err := c.ripen(ctx, markXorb, cands)
	if err != nil {
		return err
	}
	rep.XorbsPending += pending
	for _, x := range ripe {
		if !c.opts.Apply {
			rep.XorbsRemoved++
			rep.XorbBytesRemoved += x.size
			continue
		}
		gone := false
		err := c.db.Tx(ctx, func(tx *sql.Tx) error {
			if err := c.lockXet(ctx, tx); err != nil {
				return err
			}
			// Files registered since the scan (1 s of clock slack).
			recent := map[string]bool{}
			if err := xorbsNamed(ctx, tx, scanStart-1000, recent); err != nil {
				return err
			}
			if !recent[x.key] {
				res, err := tx.ExecContext(ctx, `DELETE FROM xet_xorbs WHERE hash = $1 AND created_at < $2`, x.key, cutoff)
				if err != nil {
					return err
				}
				n, _ := res.RowsAffected()
				gone = n == 1
			}
			_, err := tx.ExecContext(ctx, `DELETE FROM gc_orphans WHERE oid = $1`, markXorb+x.key)
			return err
		})
		if err != nil {
			return fmt.Errorf("gc xorb %s: %w", x.key, err)
		}
		if gone {
			rep.XorbsRemoved++
			rep.XorbBytesRemoved += x.size
		}
	}
	return nil
}
