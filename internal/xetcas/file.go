package xetcas

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/wharfhub/wharf/xet"
)

// File is a registered Xet file: its size, the sha256 of its bytes
// (computed by the server) and its terms in file order.
type File struct {
	Hash   xet.Hash
	Size   int64
	SHA256 string
	Terms  []FileTerm
}

// FileTerm is chunks [Start, End) of a xorb, Unpacked bytes long.
type FileTerm struct {
	Xorb       xet.Hash
	Start, End uint32
	Unpacked   uint32
}

const termRecord = 32 + 4 + 4 + 4

func packTerms(ts []FileTerm) []byte {
	b := make([]byte, 0, len(ts)*termRecord)
	for _, t := range ts {
		b = append(b, t.Xorb[:]...)
		b = binary.LittleEndian.AppendUint32(b, t.Start)
		b = binary.LittleEndian.AppendUint32(b, t.End)
		b = binary.LittleEndian.AppendUint32(b, t.Unpacked)
	}
	return b
}

func unpackTerms(b []byte) ([]FileTerm, error) {
	if len(b)%termRecord != 0 {
		return nil, fmt.Errorf("corrupt term list (%d bytes)", len(b))
	}
	ts := make([]FileTerm, len(b)/termRecord)
	for i := range ts {
		r := b[i*termRecord:]
		copy(ts[i].Xorb[:], r[:32])
		ts[i].Start = binary.LittleEndian.Uint32(r[32:])
		ts[i].End = binary.LittleEndian.Uint32(r[36:])
		ts[i].Unpacked = binary.LittleEndian.Uint32(r[40:])
	}
	return ts, nil
}

// LoadFile returns a registered file, or an error wrapping ErrNotFound.
func (s *Service) LoadFile(ctx context.Context, h xet.Hash) (*File, error) {
	f := &File{Hash: h}
	var packed []byte
	err := s.db.QueryRowContext(ctx, `SELECT size, sha256, terms FROM xet_files WHERE hash = $1`, h.String()).Scan(&f.Size, &f.SHA256, &packed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errorf(ErrNotFound, "file %s is not stored", h)
	}
	if err != nil {
		return nil, err
	}
	if f.Terms, err = unpackTerms(packed); err != nil {
		return nil, fmt.Errorf("file %s: %w", h, err)
	}
	return f, nil
}

// FileForRepo returns file h if repo may read it: some content linked to
// the repo is stored as that file. Otherwise the error wraps ErrNotFound,
// whether or not the file exists elsewhere.
func (s *Service) FileForRepo(ctx context.Context, repo int64, h xet.Hash) (*File, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM lfs_objects o JOIN repo_lfs l ON l.oid = o.oid
		WHERE o.xet_hash = $1 AND l.repo_id = $2 LIMIT 1`, h.String(), repo).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errorf(ErrNotFound, "file %s is not stored in this repository", h)
	}
	if err != nil {
		return nil, err
	}
	return s.LoadFile(ctx, h)
}

// XetHashes returns the Xet file hash of each of the given sha256 oids
// that is stored as a Xet file; oids without one are absent.
func (s *Service) XetHashes(ctx context.Context, oids []string) (map[string]string, error) {
	out := make(map[string]string)
	err := s.db.Dialect.QueryIn(ctx, s.db, `SELECT oid, xet_hash FROM lfs_objects WHERE xet_hash IS NOT NULL AND oid IN (%s)`, nil, oids,
		func(rows *sql.Rows) error {
			var oid, h string
			if err := rows.Scan(&oid, &h); err != nil {
				return err
			}
			out[oid] = h
			return nil
		})
	return out, err
}

// XetHash returns the Xet file hash of the content with sha256 oid, or "".
func (s *Service) XetHash(ctx context.Context, oid string) (string, error) {
	m, err := s.XetHashes(ctx, []string{oid})
	return m[oid], err
}
