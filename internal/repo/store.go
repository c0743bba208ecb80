package repo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/wire"
)

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// writeObject stores a git object in the repo and returns its id. Writing an
// object that exists is a no-op.
func writeObject(ctx context.Context, q querier, repoKey int64, k Kind, data []byte, ptr *wire.Pointer) (string, error) {
	oid := HashObject(k, data)
	if data == nil {
		data = []byte{} // a nil slice would be NULL: the empty tree and empty files are valid objects
	}
	var lfsOID any
	var lfsSize any
	if ptr != nil {
		lfsOID, lfsSize = string(ptr.OID), ptr.Size
	}
	_, err := q.ExecContext(ctx, `INSERT INTO objects (repo_id, oid, kind, size, lfs_oid, lfs_size, data) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT DO NOTHING`, repoKey, oid, int(k), int64(len(data)), lfsOID, lfsSize, data)
	if err != nil {
		return "", fmt.Errorf("write %s %s: %w", k, oid, err)
	}
	return oid, nil
}

// objectBatch buffers the object writes of one transaction and inserts
// them many rows per statement: a commit of 10,000 files would otherwise
// make 10,000 round trips (PostgreSQL) or statement compilations (SQLite).
// A buffered object is not readable until flush.
type objectBatch struct {
	ctx     context.Context
	q       querier
	repoKey int64
	d       sqlstore.Dialect
	pending []pendingObject
	size    int
	seen    map[string]bool
}

type pendingObject struct {
	oid  string
	kind Kind
	data []byte
	ptr  *wire.Pointer
}

// Rows and bytes a batch holds before it is written. 7 parameters a row
// stay far below SQLite's 32766 and PostgreSQL's 65535.
const (
	batchRows  = 500
	batchBytes = 8 << 20
)

func newObjectBatch(ctx context.Context, q querier, d sqlstore.Dialect, repoKey int64) *objectBatch {
	return &objectBatch{ctx: ctx, q: q, repoKey: repoKey, d: d, seen: map[string]bool{}}
}

// write queues an object and returns its id.
func (w *objectBatch) write(k Kind, data []byte, ptr *wire.Pointer) (string, error) {
	oid := HashObject(k, data)
	if w.seen[oid] {
		return oid, nil
	}
	w.seen[oid] = true
	w.pending = append(w.pending, pendingObject{oid: oid, kind: k, data: data, ptr: ptr})
	w.size += len(data)
	if len(w.pending) >= batchRows || w.size >= batchBytes {
		return oid, w.flush()
	}
	return oid, nil
}

// flush writes every queued object.
func (w *objectBatch) flush() error {
	if len(w.pending) == 0 {
		return nil
	}
	rows := make([][]any, len(w.pending))
	var ptrs []*wire.Pointer
	for i, o := range w.pending {
		var lfsOID, lfsSize any
		if o.ptr != nil {
			lfsOID, lfsSize = string(o.ptr.OID), o.ptr.Size
			ptrs = append(ptrs, o.ptr)
		}
		data := o.data
		if data == nil {
			data = []byte{}
		}
		rows[i] = []any{w.repoKey, o.oid, int(o.kind), int64(len(o.data)), lfsOID, lfsSize, data}
	}
	n := len(w.pending)
	clear(w.pending)
	w.pending, w.size = w.pending[:0], 0
	if _, err := w.d.InsertRows(w.ctx, w.q, `INSERT INTO objects (repo_id, oid, kind, size, lfs_oid, lfs_size, data)`, `ON CONFLICT DO NOTHING`, rows); err != nil {
		return fmt.Errorf("write %d objects: %w", n, err)
	}
	return countLFS(w.ctx, w.q, w.d, w.repoKey, ptrs)
}

var errObjectMissing = errors.New("object missing")

// readObject loads a git object of the expected kind.
func readObject(ctx context.Context, q querier, repoKey int64, oid string, want Kind) ([]byte, error) {
	var kind int
	var data []byte
	err := q.QueryRowContext(ctx, `SELECT kind, data FROM objects WHERE repo_id = $1 AND oid = $2`, repoKey, oid).Scan(&kind, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s %s: %w", want, oid, errObjectMissing)
	}
	if err != nil {
		return nil, err
	}
	if Kind(kind) != want {
		return nil, fmt.Errorf("object %s is a %s, not a %s: %w", oid, Kind(kind), want, errCorrupt)
	}
	return data, nil
}

func readCommit(ctx context.Context, q querier, repoKey int64, oid string) (*Commit, error) {
	data, err := readObject(ctx, q, repoKey, oid, KindCommit)
	if err != nil {
		return nil, err
	}
	return DecodeCommit(data)
}

func readTree(ctx context.Context, q querier, repoKey int64, oid string) ([]TreeEntry, error) {
	data, err := readObject(ctx, q, repoKey, oid, KindTree)
	if err != nil {
		return nil, err
	}
	return DecodeTree(data)
}

// blobMeta is what listings need of a blob without its data.
type blobMeta struct {
	Size int64
	LFS  *wire.Pointer
}

// readBlobMeta fetches sizes and LFS pointers of many blobs at once.
func readBlobMeta(ctx context.Context, q querier, d sqlstore.Dialect, repoKey int64, oids []string) (map[string]blobMeta, error) {
	out := make(map[string]blobMeta, len(oids))
	const batch = 500
	for len(oids) > 0 {
		n := min(batch, len(oids))
		chunk := oids[:n]
		oids = oids[n:]
		args := make([]any, 0, n+1)
		args = append(args, repoKey)
		var ph strings.Builder
		for i, oid := range chunk {
			if i > 0 {
				ph.WriteByte(',')
			}
			if d == sqlstore.SQLite {
				ph.WriteByte('?') // see newObjectBatch
			} else {
				fmt.Fprintf(&ph, "$%d", i+2)
			}
			args = append(args, oid)
		}
		first := "$1"
		if d == sqlstore.SQLite {
			first = "?"
		}
		rows, err := q.QueryContext(ctx, `SELECT oid, size, lfs_oid, lfs_size FROM objects WHERE repo_id = `+first+` AND oid IN (`+ph.String()+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var oid string
			var size int64
			var lfsOID sql.NullString
			var lfsSize sql.NullInt64
			if err := rows.Scan(&oid, &size, &lfsOID, &lfsSize); err != nil {
				rows.Close()
				return nil, err
			}
			m := blobMeta{Size: size}
			if lfsOID.Valid {
				m.LFS = &wire.Pointer{OID: wire.OID(lfsOID.String), Size: lfsSize.Int64}
			}
			out[oid] = m
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ReadBlob returns the raw content of a blob of the repo.
func (e *Engine) ReadBlob(ctx context.Context, r *Repo, oid string) ([]byte, error) {
	return readObject(ctx, e.db, r.Key, oid, KindBlob)
}

// ReadObject returns the kind and raw content of any object of the repo.
func (e *Engine) ReadObject(ctx context.Context, r *Repo, oid string) (Kind, []byte, error) {
	var kind int
	var data []byte
	err := e.db.QueryRowContext(ctx, `SELECT kind, data FROM objects WHERE repo_id = $1 AND oid = $2`, r.Key, oid).Scan(&kind, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, fmt.Errorf("%s: %w", oid, errObjectMissing)
	}
	return Kind(kind), data, err
}
