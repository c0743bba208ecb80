package gc

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
)

// restore registers again content that a stored pointer names but that
// has no lfs_objects row: a commit or push that checked the link before a
// previous run unregistered the content, and wrote its pointer after. The
// blob (or Xet file) is still there, since blobs outlive their rows by at
// least the grace period.
func (c *Collector) restore(ctx context.Context, rep *Report) error {
	items, err := c.querySized(ctx, `SELECT u.oid, MAX(u.size) FROM repo_usage_oids u
		WHERE NOT EXISTS (SELECT 1 FROM lfs_objects o WHERE o.oid = u.oid) GROUP BY u.oid`)
	if err != nil {
		return err
	}
	now := c.opts.Now().UnixMilli()
	for _, it := range items {
		var xetHash sql.NullString
		if ok, err := c.blobs.Exists(ctx, it.key); err != nil {
			return err
		} else if !ok {
			err := c.db.QueryRowContext(ctx, `SELECT hash FROM xet_files WHERE sha256 = $1 LIMIT 1`, it.key).Scan(&xetHash)
			if errors.Is(err, sql.ErrNoRows) {
				// Referenced and gone: verify reports it.
				rep.MissingReferenced++
				continue
			}
			if err != nil {
				return err
			}
		}
		rep.Restored++
		if !c.opts.Apply {
			continue
		}
		err := c.db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO lfs_objects (oid, size, created_at, xet_hash) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
				it.key, it.size, now, xetHash); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO repo_lfs (repo_id, oid, created_at) SELECT repo_id, oid, $2 FROM repo_usage_oids WHERE oid = $1
				ON CONFLICT DO NOTHING`, it.key, now); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `DELETE FROM gc_orphans WHERE oid = $1`, it.key)
			return err
		})
		if err != nil {
			return err
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "gc restored content named by a pointer", slog.String("oid", it.key))
	}
	return nil
}

// unreferenced is the condition for content that may be unregistered: no
// stored pointer names it, it was registered and linked before the
// cutoff ($1, Unix ms), and no upload session, direct upload or quota
// reservation still live at $2 (Unix ms) names it.
const unreferenced = `o.created_at < $1
	AND NOT EXISTS (SELECT 1 FROM repo_usage_oids u WHERE u.oid = o.oid)
	AND NOT EXISTS (SELECT 1 FROM repo_lfs l WHERE l.oid = o.oid AND l.created_at >= $1)
	AND NOT EXISTS (SELECT 1 FROM lfs_uploads s WHERE s.oid = o.oid AND s.expires_at * 1000 > $2)
	AND NOT EXISTS (SELECT 1 FROM lfs_direct_puts d WHERE d.oid = o.oid AND d.expires_at * 1000 > $2)
	AND NOT EXISTS (SELECT 1 FROM quota_reservations q WHERE q.oid = o.oid AND q.expires_at > $2)`

// unlinkContent unregisters content nothing references: its lfs_objects
// row and its repo links go, so no new commit can name it, and its blob
// becomes an orphan that sweepBlobs deletes after the grace period.
func (c *Collector) unlinkContent(ctx context.Context, rep *Report) error {
	cutoff, now := c.cutoff(), c.opts.Now().UnixMilli()
	items, err := c.querySized(ctx, `SELECT o.oid, o.size FROM lfs_objects o WHERE o.size >= 0 AND `+unreferenced, cutoff, now)
	if err != nil {
		return err
	}
	for _, it := range items {
		if !c.opts.Apply {
			rep.Unlinked++
			rep.UnlinkedBytes += it.size
			continue
		}
		gone := false
		err := c.db.Tx(ctx, func(tx *sql.Tx) error {
			// The condition again, in the transaction: a commit or link
			// since the query keeps the content.
			res, err := tx.ExecContext(ctx, `DELETE FROM lfs_objects WHERE oid = $3 AND oid IN (SELECT o.oid FROM lfs_objects o WHERE `+unreferenced+`)`,
				cutoff, now, it.key)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			gone = n == 1
			if !gone {
				return nil
			}
			_, err = tx.ExecContext(ctx, `DELETE FROM repo_lfs WHERE oid = $1`, it.key)
			return err
		})
		if err != nil {
			return err
		}
		if gone {
			rep.Unlinked++
			rep.UnlinkedBytes += it.size
		}
	}
	return nil
}

// sweepBlobs deletes blobs that no row names (no lfs_objects row, no
// xorb) and that a run at least the grace period ago already saw so: the
// generation mark (gc_orphans). A blob published by an upload whose row
// is not written yet is seen as an orphan once, then named by its row.
func (c *Collector) sweepBlobs(ctx context.Context, rep *Report) error {
	named := map[string]bool{}
	for _, q := range []string{`SELECT oid FROM lfs_objects`, `SELECT blob_oid FROM xet_xorbs`} {
		if err := c.scanStrings(ctx, q, func(s string) { named[s] = true }); err != nil {
			return err
		}
	}
	marks := map[string]int64{}
	rows, err := c.db.QueryContext(ctx, `SELECT oid, first_seen FROM gc_orphans WHERE oid NOT LIKE '%:%'`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var oid string
		var t int64
		if err := rows.Scan(&oid, &t); err != nil {
			rows.Close()
			return err
		}
		marks[oid] = t
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	type orphan struct {
		oid  string
		size int64
	}
	var ripe, fresh []orphan
	listed := map[string]bool{}
	cutoff, now := c.cutoff(), c.opts.Now().UnixMilli()
	err = c.blobs.List(ctx, func(oid string, size int64) error {
		listed[oid] = true
		if named[oid] {
			return nil
		}
		if t, ok := marks[oid]; ok && t <= cutoff {
			ripe = append(ripe, orphan{oid, size})
		} else {
			fresh = append(fresh, orphan{oid, size})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, o := range fresh {
		rep.BlobsPending++
		rep.BlobBytesPending += o.size
		if _, marked := marks[o.oid]; c.opts.Apply && !marked {
			if _, err := c.db.ExecContext(ctx, `INSERT INTO gc_orphans (oid, size, first_seen) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, o.oid, o.size, now); err != nil {
				return err
			}
		}
	}
	if c.opts.Apply {
		// Marks of blobs that are named again or gone.
		for oid := range marks {
			if named[oid] || !listed[oid] {
				if _, err := c.db.ExecContext(ctx, `DELETE FROM gc_orphans WHERE oid = $1`, oid); err != nil {
					return err
				}
			}
		}
	}
	for _, o := range ripe {
		if !c.opts.Apply {
			rep.BlobsDeleted++
			rep.BlobBytesDeleted += o.size
			continue
		}
		deleted, err := c.deleteOrphan(ctx, o.oid, o.size, rep)
		if err != nil {
			return err
		}
		if deleted {
			rep.BlobsDeleted++
			rep.BlobBytesDeleted += o.size
		}
	}
	// In the same run, orphans that just became ripe with a zero grace.
	if c.opts.Apply && c.opts.Grace == 0 {
		for _, o := range fresh {
			deleted, err := c.deleteOrphan(ctx, o.oid, o.size, rep)
			if err != nil {
				return err
			}
			if deleted {
				rep.BlobsPending--
				rep.BlobBytesPending -= o.size
				rep.BlobsDeleted++
				rep.BlobBytesDeleted += o.size
			}
		}
	}
	return nil
}

// deleteOrphan deletes an orphan blob under a claim: a placeholder
// lfs_objects row (size -1) that a concurrent registration of the same
// content cannot overwrite. If the content was registered first, the claim
// fails and the blob stays. If the registration comes during the claim, it
// finds the row and links the content without making it usable: Linked
// needs a real row, so the client is asked to upload it again.
func (c *Collector) deleteOrphan(ctx context.Context, oid string, size int64, rep *Report) (bool, error) {
	now := c.opts.Now().UnixMilli()
	res, err := c.db.ExecContext(ctx, `INSERT INTO lfs_objects (oid, size, created_at) VALUES ($1, -1, $2) ON CONFLICT DO NOTHING`, oid, now)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		_, err := c.db.ExecContext(ctx, `DELETE FROM gc_orphans WHERE oid = $1`, oid)
		return false, err
	}
	release := func() error {
		if _, err := c.db.ExecContext(ctx, `DELETE FROM lfs_objects WHERE oid = $1 AND size = -1 AND xet_hash IS NULL`, oid); err != nil {
			return err
		}
		// A Xet registration of the same content landed on the claim.
		_, err := c.db.ExecContext(ctx, `UPDATE lfs_objects SET size = $2 WHERE oid = $1 AND size = -1`, oid, size)
		return err
	}
	var xorbs int
	if err := c.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM xet_xorbs WHERE blob_oid = $1`, oid).Scan(&xorbs); err != nil {
		return false, errors.Join(err, release())
	}
	if xorbs > 0 {
		_, err := c.db.ExecContext(ctx, `DELETE FROM gc_orphans WHERE oid = $1`, oid)
		return false, errors.Join(err, release())
	}
	if err := c.blobs.Delete(ctx, oid); err != nil {
		return false, errors.Join(err, release())
	}
	c.log.LogAttrs(ctx, slog.LevelInfo, "gc blob", slog.String("oid", oid), slog.Int64("size", size))
	if err := c.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM xet_xorbs WHERE blob_oid = $1`, oid).Scan(&xorbs); err == nil && xorbs > 0 {
		// A xorb upload published the same bytes while we deleted them:
		// drop its row so the client uploads it again.
		rep.BlobsLostInRace++
		c.db.ExecContext(ctx, `DELETE FROM xet_xorbs WHERE blob_oid = $1`, oid)
	}
	if _, err := c.db.ExecContext(ctx, `DELETE FROM gc_orphans WHERE oid = $1`, oid); err != nil {
		return true, errors.Join(err, release())
	}
	return true, release()
}

// clearClaims removes the placeholder rows of a run that was interrupted
// while deleting a blob (see deleteOrphan). Only a run holding the lease
// makes claims, so under the lease every claim is stale.
func (c *Collector) clearClaims(ctx context.Context) error {
	if _, err := c.db.ExecContext(ctx, `DELETE FROM lfs_objects WHERE size = -1 AND xet_hash IS NULL`); err != nil {
		return err
	}
	_, err := c.db.ExecContext(ctx, `UPDATE lfs_objects SET size = COALESCE((SELECT f.size FROM xet_files f WHERE f.hash = lfs_objects.xet_hash), 0)
		WHERE size = -1`)
	return err
}

func (c *Collector) scanStrings(ctx context.Context, q string, fn func(string)) error {
	rows, err := c.db.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		fn(s)
	}
	return rows.Err()
}
