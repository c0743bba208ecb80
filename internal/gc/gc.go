package gc

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/internal/usage"
)

// ErrBusy means another gc run holds the lease.
var ErrBusy = errors.New("another gc run is in progress")

// Options configure a [Collector]. The zero value is a dry run with the
// default grace period.
type Options struct {
	// Apply removes what the run finds; without it nothing is modified
	// (a dry run reports what an applying run would remove now).
	Apply bool
	// Grace is how long new content is protected: LFS content linked
	// less than Grace ago is kept even if nothing names it yet (an upload
	// whose commit has not come), and a blob is deleted only after a run
	// saw it unreferenced at least Grace earlier. Default 1 h. Pick it
	// above the longest time between an upload and its commit. A
	// negative value means 0, which is safe only on an idle hub.
	Grace time.Duration
	// XorbRetention is how long a xorb is kept after its last upload
	// even when no file names it: clients dedup against the shards they
	// cached (the SDK's XetCacheDir, hf_xet's cache) without asking, and
	// a shard naming a collected xorb is refused. Default 7 days; a
	// negative value means only Grace applies.
	XorbRetention time.Duration
	// Now returns the time. Default time.Now.
	Now func() time.Time
	// Logger reports what the run removes. Default: discard.
	Logger *slog.Logger
}

// Report says what a run found and removed (or, in a dry run, would
// remove).
type Report struct {
	Applied bool          `json:"applied"`
	Repos   int           `json:"repos"`
	Elapsed time.Duration `json:"elapsedNs"`

	// Git objects that no ref reaches (after a squash, a branch delete).
	Objects     int64 `json:"unreachableObjects"`
	ObjectBytes int64 `json:"unreachableObjectBytes"`
	// ReposRemarked had refs move during the run: the sweep marked again
	// from the new targets, under the lock, before removing anything.
	ReposRemarked int `json:"reposRemarked"`

	// Content (LFS or Xet, by sha256) that no pointer names any more and
	// that was unregistered (its blob becomes an orphan).
	Unlinked      int64 `json:"unlinkedContent"`
	UnlinkedBytes int64 `json:"unlinkedContentBytes"`
	// Restored is content a pointer names again whose registration a
	// previous run had removed (a commit that raced it).
	Restored int64 `json:"restoredContent"`

	// Blobs deleted from the blob store (orphans for the whole grace
	// period), and orphans still waiting out the grace period.
	BlobsDeleted     int64 `json:"blobsDeleted"`
	BlobBytesDeleted int64 `json:"blobBytesDeleted"`
	BlobsPending     int64 `json:"blobsPending"`
	BlobBytesPending int64 `json:"blobBytesPending"`
	BlobsLostInRace  int64 `json:"blobsReregistered"`

	// Xet files no content names any more, and xorbs no Xet file names
	// (their blobs are then orphans, deleted by the blob rule), removed
	// or waiting out the grace period.
	XetFilesRemoved   int64 `json:"xetFilesRemoved"`
	XetFilesPending   int64 `json:"xetFilesPending"`
	XorbsRemoved      int64 `json:"xorbsRemoved"`
	XorbBytesRemoved  int64 `json:"xorbBytesRemoved"`
	XorbsPending      int64 `json:"xorbsPending"`
	MissingReferenced int64 `json:"missingReferencedContent"`
}

// Collector runs garbage collections. It is safe for concurrent use; runs
// that modify anything are serialized across processes by a lease in the
// database.
type Collector struct {
	db     *sqlstore.DB
	engine *repo.Engine
	blobs  *blob.Store
	opts   Options
	log    *slog.Logger
}

// New returns a Collector over the engine's database and the blob store.
func New(engine *repo.Engine, blobs *blob.Store, opts Options) *Collector {
	if opts.Grace == 0 {
		opts.Grace = time.Hour
	}
	if opts.Grace < 0 {
		opts.Grace = 0
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.XorbRetention == 0 {
		opts.XorbRetention = 7 * 24 * time.Hour
	}
	if opts.XorbRetention < 0 {
		opts.XorbRetention = 0
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Collector{db: engine.DB(), engine: engine, blobs: blobs, opts: opts, log: opts.Logger}
}

// leaseTTL bounds how long a crashed run blocks the next one.
const leaseTTL = 6 * time.Hour

// Run runs one collection. An applying run returns an error wrapping
// [ErrBusy] if another applying run holds the lease.
func (c *Collector) Run(ctx context.Context) (*Report, error) {
	start := time.Now()
	rep := &Report{Applied: c.opts.Apply}
	if c.opts.Apply {
		release, err := c.lease(ctx)
		if err != nil {
			return nil, err
		}
		defer release()
		if err := c.clearClaims(ctx); err != nil {
			return nil, err
		}
	}
	if err := c.collectObjects(ctx, rep); err != nil {
		return nil, err
	}
	if err := c.restore(ctx, rep); err != nil {
		return nil, err
	}
	if err := c.unlinkContent(ctx, rep); err != nil {
		return nil, err
	}
	if err := c.collectXetFiles(ctx, rep); err != nil {
		return nil, err
	}
	if err := c.collectXorbs(ctx, rep); err != nil {
		return nil, err
	}
	if err := c.sweepBlobs(ctx, rep); err != nil {
		return nil, err
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

func (c *Collector) lease(ctx context.Context) (release func(), err error) {
	return Lease(ctx, c.db, c.opts.Now())
}

// Lease takes the gc lease, which keeps every other applying gc run (in
// this process or another replica) from starting until release is
// called: backups hold it so that no blob they copy is deleted under
// them. It returns an error wrapping [ErrBusy] if the lease is held.
func Lease(ctx context.Context, db *sqlstore.DB, now time.Time) (release func(), err error) {
	var b [8]byte
	rand.Read(b[:])
	holder := hex.EncodeToString(b[:])
	ms := now.UnixMilli()
	res, err := db.ExecContext(ctx, `UPDATE gc_lease SET holder = $1, expires_at = $2 WHERE name = 'gc' AND expires_at < $3`,
		holder, ms+leaseTTL.Milliseconds(), ms)
	if err != nil {
		return nil, fmt.Errorf("gc lease: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, fmt.Errorf("gc: %w", ErrBusy)
	}
	return func() {
		db.ExecContext(context.WithoutCancel(ctx), `UPDATE gc_lease SET expires_at = 0 WHERE name = 'gc' AND holder = $1`, holder)
	}, nil
}

// cutoff is the creation time (Unix ms) before which unreferenced rows may go.
func (c *Collector) cutoff() int64 {
	return c.opts.Now().Add(-c.opts.Grace).UnixMilli()
}

// collectObjects removes, repo by repo, the git objects no ref reaches.
func (c *Collector) collectObjects(ctx context.Context, rep *Report) error {
	keys, err := c.repoKeys(ctx)
	if err != nil {
		return err
	}
	for _, key := range keys {
		rep.Repos++
		if err := c.collectRepo(ctx, key, rep); err != nil {
			return fmt.Errorf("gc repo %d: %w", key, err)
		}
	}
	return nil
}

func (c *Collector) repoKeys(ctx context.Context) ([]int64, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT id FROM repos ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []int64
	for rows.Next() {
		var k int64
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func readRefs(ctx context.Context, q querier, key int64) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, target FROM refs WHERE repo_id = $1`, key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	refs := map[string]string{}
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			return nil, err
		}
		refs[n] = t
	}
	return refs, rows.Err()
}

// collectRepo marks the objects the repo's refs reach without locking,
// then removes the others in one transaction that excludes writers and
// first checks that no ref moved since the mark. Writers that reuse an
// unreachable object (a commit re-adding a file deleted earlier) insert it
// in their transaction: on SQLite they hold the write lock, on PostgreSQL
// the table lock below waits for them, and their ref move then makes this
// repo skip the sweep.
func (c *Collector) collectRepo(ctx context.Context, key int64, rep *Report) error {
	refs, err := readRefs(ctx, c.db, key)
	if err != nil {
		return err
	}
	reach := map[string]bool{}
	if err := c.mark(ctx, key, slices.Collect(maps.Values(refs)), reach); err != nil {
		return err
	}
	type cand struct {
		oid  string
		lfs  bool
		size int64
	}
	var cands []cand
	var nbytes int64
	rows, err := c.db.QueryContext(ctx, `SELECT oid, size, lfs_oid IS NOT NULL FROM objects WHERE repo_id = $1`, key)
	if err != nil {
		return err
	}
	for rows.Next() {
		var oid string
		var size int64
		var isLFS bool
		if err := rows.Scan(&oid, &size, &isLFS); err != nil {
			rows.Close()
			return err
		}
		if !reach[oid] {
			cands = append(cands, cand{oid, isLFS, size})
			nbytes += size
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(cands) == 0 {
		return nil
	}
	if !c.opts.Apply {
		rep.Objects += int64(len(cands))
		rep.ObjectBytes += nbytes
		return nil
	}
	var removed []cand
	remarked := false
	err = c.db.Tx(ctx, func(tx *sql.Tx) error {
		removed, remarked = nil, false
		if c.db.Dialect == sqlstore.Postgres {
			if _, err := tx.ExecContext(ctx, `LOCK TABLE refs, objects IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return err
			}
		}
		now, err := readRefs(ctx, tx, key)
		if err != nil {
			return err
		}
		// Refs that moved since the mark: mark from their new targets too.
		// The walk stops at marked objects, so it costs the new commits.
		var moved []string
		for name, t := range now {
			if refs[name] != t {
				moved = append(moved, t)
			}
		}
		live := cands
		if len(moved) > 0 {
			remarked = true
			more := maps.Clone(reach)
			if err := c.mark(ctx, key, moved, more); err != nil {
				return err
			}
			live = nil
			for _, cd := range cands {
				if !more[cd.oid] {
					live = append(live, cd)
				}
			}
		}
		removed = live
		recount := false
		for i := 0; i < len(live); i += 500 {
			batch := live[i:min(i+500, len(live))]
			var q strings.Builder
			args := []any{key}
			q.WriteString(`DELETE FROM objects WHERE repo_id = $1 AND oid IN (`)
			for j, cd := range batch {
				if j > 0 {
					q.WriteByte(',')
				}
				fmt.Fprintf(&q, "$%d", j+2)
				args = append(args, cd.oid)
				recount = recount || cd.lfs
			}
			q.WriteByte(')')
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				return err
			}
		}
		if recount {
			return usage.Recount(ctx, tx, key)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if remarked {
		rep.ReposRemarked++
	}
	nbytes = 0
	for _, cd := range removed {
		nbytes += cd.size
	}
	rep.Objects += int64(len(removed))
	rep.ObjectBytes += nbytes
	c.log.LogAttrs(ctx, slog.LevelInfo, "gc objects", slog.Int64("repo", key), slog.Int("objects", len(removed)), slog.Int64("size", nbytes))
	return nil
}

// mark adds to seen every object reachable from starts that is not in
// seen yet. Blobs are marked from their tree entries and never read.
func (c *Collector) mark(ctx context.Context, key int64, starts []string, seen map[string]bool) error {
	var queue []string
	add := func(oid string) {
		if oid != "" && !seen[oid] {
			seen[oid] = true
			queue = append(queue, oid)
		}
	}
	for _, t := range starts {
		add(t)
	}
	r := &repo.Repo{Key: key}
	for len(queue) > 0 {
		batch := queue[:min(1000, len(queue))]
		queue = queue[len(batch):]
		err := c.engine.ReadObjects(ctx, r, batch, func(oid string, k repo.Kind, data []byte) error {
			switch k {
			case repo.KindCommit:
				cm, err := repo.DecodeCommit(data)
				if err != nil {
					return fmt.Errorf("commit %s: %w", oid, err)
				}
				add(cm.Tree)
				for _, p := range cm.Parents {
					add(p)
				}
			case repo.KindTree:
				ents, err := repo.DecodeTree(data)
				if err != nil {
					return fmt.Errorf("tree %s: %w", oid, err)
				}
				for _, e := range ents {
					switch {
					case e.Mode == repo.ModeGitlink:
					case e.IsDir():
						add(e.OID)
					default:
						seen[e.OID] = true
					}
				}
			case repo.KindTag:
				if rest, ok := bytes.CutPrefix(data, []byte("object ")); ok && len(rest) >= 40 {
					add(string(rest[:40]))
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
