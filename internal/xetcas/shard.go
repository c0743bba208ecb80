package xetcas

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/wharfhub/wharf/xet"
	"github.com/wharfhub/wharf/xet/shard"
	"github.com/wharfhub/wharf/xet/xorb"
)

// Progress receives shard validation progress: files verified of total.
type Progress func(verified, total int)

// PutShard validates an uploaded shard and registers its files for repo.
// All or nothing: every term must name a stored xorb and a valid chunk
// range, carry the range's verification hash and its exact byte count; the
// terms of each file must hash to the file's hash; and the server reads
// every file back to compute its sha256 (and compares it with the shard's
// metadata, when present). Only then, in one transaction, are the files
// registered, their content linked to repo by sha256 (so a commit can name
// them as LFS files), and their dedup chunks indexed. It returns 1 if a file
// was new, 0 if all were known, and the sha256 of every file by file hash
// (hex). Errors about the shard wrap ErrInvalid.
func (s *Service) PutShard(ctx context.Context, repo int64, data []byte, progress Progress) (int, map[string]string, error) {
	n, regs, err := s.putShard(ctx, repo, data, progress)
	if err != nil {
		return 0, nil, err
	}
	sums := make(map[string]string, len(regs))
	for _, rg := range regs {
		sums[rg.f.Hash.String()] = rg.f.SHA256
	}
	return n, sums, nil
}

// shardFile is a file of a shard being registered.
type shardFile struct {
	f     *File
	dedup map[xet.Hash]xet.Hash // chunk -> xorb
}

func (s *Service) putShard(ctx context.Context, repo int64, data []byte, progress Progress) (int, []shardFile, error) {
	if len(data) > shard.MaxUploadSize {
		return 0, nil, errorf(ErrInvalid, "shard too large: %d bytes, the limit is %d", len(data), shard.MaxUploadSize)
	}
	sh, err := shard.Parse(data)
	if err != nil {
		return 0, nil, errorf(ErrInvalid, "%v", err)
	}
	// CAS blocks list the xorbs the client created: they must all be here.
	for _, xb := range sh.Xorbs {
		x, err := s.loadXorb(ctx, xb.Hash)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return 0, nil, errorf(ErrInvalid, "shard lists xorb %s, which was not uploaded", xb.Hash)
			}
			return 0, nil, err
		}
		if len(xb.Chunks) != 0 && len(xb.Chunks) != x.n() {
			return 0, nil, errorf(ErrInvalid, "shard lists xorb %s with %d chunks; it has %d", xb.Hash, len(xb.Chunks), x.n())
		}
	}
	regs := make([]shardFile, 0, len(sh.Files))
	for fi := range sh.Files {
		sf := &sh.Files[fi]
		if !sf.Verified && len(sf.Terms) > 0 {
			return 0, nil, errorf(ErrInvalid, "file %s has no verification entries: shard uploads must carry them", sf.Hash)
		}
		f := &File{Hash: sf.Hash, Terms: make([]FileTerm, 0, len(sf.Terms))}
		var leaves []xet.Leaf
		dedup := make(map[xet.Hash]xet.Hash)
		for ti, t := range sf.Terms {
			x, err := s.loadXorb(ctx, t.Xorb)
			if err != nil {
				if errors.Is(err, ErrNotFound) {
					return 0, nil, errorf(ErrInvalid, "file %s term %d: xorb %s was not uploaded", sf.Hash, ti, t.Xorb)
				}
				return 0, nil, err
			}
			if t.Start >= t.End || int(t.End) > x.n() {
				return 0, nil, errorf(ErrInvalid, "file %s term %d: chunk range [%d, %d) is invalid for xorb %s of %d chunks", sf.Hash, ti, t.Start, t.End, t.Xorb, x.n())
			}
			unpacked := x.rawOff[t.End] - x.rawOff[t.Start]
			if uint64(t.UnpackedBytes) != unpacked {
				return 0, nil, errorf(ErrInvalid, "file %s term %d: %d unpacked bytes declared, the chunks hold %d", sf.Hash, ti, t.UnpackedBytes, unpacked)
			}
			hashes := x.hashes[t.Start:t.End]
			if got := xet.RangeHash(hashes); got != t.RangeHash {
				return 0, nil, errorf(ErrInvalid, "file %s term %d: verification hash does not match the chunks of xorb %s [%d, %d)", sf.Hash, ti, t.Xorb, t.Start, t.End)
			}
			for i, h := range hashes {
				leaves = append(leaves, xet.Leaf{Hash: h, Size: x.rawOff[int(t.Start)+i+1] - x.rawOff[int(t.Start)+i]})
				if (ti == 0 && i == 0) || xet.DedupEligible(h) {
					dedup[h] = t.Xorb
				}
			}
			f.Terms = append(f.Terms, FileTerm{Xorb: t.Xorb, Start: t.Start, End: t.End, Unpacked: uint32(unpacked)})
			f.Size += int64(unpacked)
		}
		if got := xet.FileHash(leaves); got != sf.Hash {
			return 0, nil, errorf(ErrInvalid, "file reconstruction does not produce this hash: terms hash to %s, the shard says %s", got, sf.Hash)
		}
		regs = append(regs, shardFile{f: f, dedup: dedup})
	}
	// Read every new file back: its sha256 is what commits will name it by.
	hashes := make([]xet.Hash, len(regs))
	for i := range regs {
		hashes[i] = regs[i].f.Hash
	}
	known, err := s.knownSHA256(ctx, hashes)
	if err != nil {
		return 0, nil, err
	}
	// Files of a folder of small files share xorbs: such a xorb is read
	// once, whole, instead of once per file.
	users := map[xet.Hash]int{}
	for i := range regs {
		if _, ok := known[regs[i].f.Hash]; !ok && len(regs[i].f.Terms) == 1 {
			users[regs[i].f.Terms[0].Xorb]++
		}
	}
	var whole *wholeXorb
	for i := range regs {
		f := regs[i].f
		sum, ok := known[f.Hash] // same file hash: same chunks, same bytes
		switch {
		case ok:
		case len(f.Terms) == 1 && users[f.Terms[0].Xorb] >= 2:
			t := f.Terms[0]
			if whole == nil || whole.x.hash != t.Xorb {
				whole.release()
				if whole, err = s.readWholeXorb(ctx, t.Xorb); err != nil {
					return 0, nil, err
				}
			}
			if sum, err = whole.sha256(f, t); err != nil {
				return 0, nil, err
			}
			s.shaReadBack.Add(1)
		default:
			if sum, ok = s.chainSHA256(ctx, f); ok {
				s.shaChain.Add(1)
				break
			}
			s.shaReadBack.Add(1)
			if sum, err = s.fileSHA256(ctx, f); err != nil {
				return 0, nil, err
			}
		}
		sf := &sh.Files[i]
		if sf.HasSHA256 && hex.EncodeToString(sf.SHA256[:]) != sum {
			return 0, nil, errorf(ErrInvalid, "file %s: the shard says sha256 %x, its content has sha256 %s", sf.Hash, sf.SHA256, sum)
		}
		f.SHA256 = sum
		if progress != nil {
			progress(i+1, len(regs))
		}
	}
	whole.release()
	whole = nil
	// The rows, many per statement: a shard of a folder of small files
	// registers thousands of files.
	var files, objects, links, chunks [][]any
	now := s.now().UnixMilli()
	seenFile, seenOID := map[xet.Hash]bool{}, map[string]bool{}
	for _, rg := range regs {
		f := rg.f
		if !seenFile[f.Hash] {
			seenFile[f.Hash] = true
			files = append(files, []any{f.Hash.String(), f.Size, f.SHA256, packTerms(f.Terms), now})
			for c, x := range rg.dedup {
				chunks = append(chunks, []any{c.String(), x.String(), f.Hash.String(), now})
			}
		}
		if !seenOID[f.SHA256] {
			seenOID[f.SHA256] = true
			objects = append(objects, []any{f.SHA256, f.Size, now, f.Hash.String()})
			links = append(links, []any{repo, f.SHA256, now})
		}
	}
	result := 0
	d := s.db.Dialect
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		result = 0
		n, err := d.InsertRows(ctx, tx, `INSERT INTO xet_files (hash, size, sha256, terms, created_at)`, `ON CONFLICT DO NOTHING`, files)
		if err != nil {
			return err
		}
		if n > 0 {
			result = 1
		}
		if _, err := d.InsertRows(ctx, tx, `INSERT INTO lfs_objects (oid, size, created_at, xet_hash)`,
			`ON CONFLICT (oid) DO UPDATE SET xet_hash = COALESCE(lfs_objects.xet_hash, excluded.xet_hash)`, objects); err != nil {
			return err
		}
		if _, err := d.InsertRows(ctx, tx, `INSERT INTO repo_lfs (repo_id, oid, created_at)`, `ON CONFLICT DO NOTHING`, links); err != nil {
			return err
		}
		_, err = d.InsertRows(ctx, tx, `INSERT INTO xet_dedup (chunk_hash, xorb_hash, file_hash, created_at)`, `ON CONFLICT DO NOTHING`, chunks)
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	return result, regs, nil
}

// knownSHA256 returns the sha256 of the files among hashes that are
// registered already.
func (s *Service) knownSHA256(ctx context.Context, hashes []xet.Hash) (map[xet.Hash]string, error) {
	out := make(map[xet.Hash]string)
	ids := make([]string, len(hashes))
	for i, h := range hashes {
		ids[i] = h.String()
	}
	err := s.db.Dialect.QueryIn(ctx, s.db, `SELECT hash, sha256 FROM xet_files WHERE hash IN (%s)`, nil, ids,
		func(rows *sql.Rows) error {
			var hs, sum string
			if err := rows.Scan(&hs, &sum); err != nil {
				return err
			}
			if h, err := xet.ParseHash(hs); err == nil {
				out[h] = sum
			}
			return nil
		})
	return out, err
}

// fileSHA256 reads f back from its xorbs (readBack) and returns its hex
// sha256.
func (s *Service) fileSHA256(ctx context.Context, f *File) (string, error) {
	h := sha256.New()
	n, err := s.readBack(ctx, f.Terms, h)
	if err != nil {
		return "", err
	}
	if n != f.Size {
		return "", errorf(ErrInvalid, "file %s: read back %d bytes, want %d", f.Hash, n, f.Size)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Read-back pipelines: readBackPiece is the most stored bytes one reads at
// once, readBackPipelines how many run at once server-wide (each holds up
// to three pieces: 48 MiB).
const (
	readBackPiece     = 16 << 20
	readBackPipelines = 4
)

// readBack writes the content of terms to w and returns its length. The
// stored chunks are read with the blob store's ReadRange (past the page
// cache on a local disk: the xorbs were just written, and are read once)
// in pieces of whole chunks, the next piece while the last one is decoded
// and written.
func (s *Service) readBack(ctx context.Context, terms []FileTerm, w io.Writer) (int64, error) {
	select {
	case s.readBacks <- struct{}{}:
		defer func() { <-s.readBacks }()
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type piece struct {
		w          *wholeXorb
		start, end int
		err        error
	}
	pieces := make(chan piece, 1)
	free := make(chan []byte, 3) // buffers: one read, one waiting, one written
	for range cap(free) {
		free <- nil
	}
	go func() {
		defer close(pieces)
		send := func(p piece) bool {
			select {
			case pieces <- p:
				return p.err == nil
			case <-ctx.Done():
				return false
			}
		}
		for _, t := range terms {
			x, err := s.loadXorb(ctx, t.Xorb)
			if err != nil {
				send(piece{err: err})
				return
			}
			if int(t.End) > x.n() || t.Start > t.End {
				send(piece{err: fmt.Errorf("xorb %s has %d chunks, not [%d, %d)", x.hash, x.n(), t.Start, t.End)})
				return
			}
			for c, end := int(t.Start), int(t.End); c < end; {
				e := c + 1
				for e < end && x.byteOff[e+1]-x.byteOff[c] <= readBackPiece {
					e++
				}
				var buf []byte
				select {
				case buf = <-free:
				case <-ctx.Done():
					return
				}
				base := x.byteOff[c]
				data, used, err := s.blobs.ReadRange(ctx, x.blobOID, int64(base), int(x.byteOff[e]-base), buf)
				if err != nil {
					err = fmt.Errorf("xorb %s: %w", x.hash, err)
				}
				if !send(piece{w: &wholeXorb{x: x, data: data, base: base, buf: &used}, start: c, end: e, err: err}) {
					return
				}
				c = e
			}
		}
	}()
	var n int64
	var scratch []byte
	for p := range pieces {
		if p.err != nil {
			return n, p.err
		}
		p.w.scratch = scratch
		m, err := p.w.write(w, p.start, p.end)
		n += m
		scratch = p.w.scratch
		free <- *p.w.buf
		if err != nil {
			return n, err
		}
	}
	return n, ctx.Err()
}

// wholeXorb is a stored xorb read whole (or a range of its chunks), to
// read back many files of it.
type wholeXorb struct {
	x       *xorbIndex
	data    []byte
	base    uint64  // offset in the stored xorb of data[0]
	buf     *[]byte // pooled buffer holding data, if any
	scratch []byte
}

// wholeBuffers keeps the buffers of wholeXorb (up to a xorb each).
var wholeBuffers sync.Pool

// readWholeXorb reads the stored blob of xorb h into a pooled buffer;
// release gives it back.
func (s *Service) readWholeXorb(ctx context.Context, h xet.Hash) (*wholeXorb, error) {
	x, err := s.loadXorb(ctx, h)
	if err != nil {
		return nil, err
	}
	want := int(x.byteOff[x.n()])
	bp, _ := wholeBuffers.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	data, used, err := s.blobs.ReadRange(ctx, x.blobOID, 0, want, *bp)
	*bp = used
	if err != nil {
		wholeBuffers.Put(bp)
		return nil, fmt.Errorf("xorb %s: %w", h, err)
	}
	return &wholeXorb{x: x, data: data, buf: bp}, nil
}

// release gives w's buffer back; w is not usable after.
func (w *wholeXorb) release() {
	if w != nil && w.buf != nil {
		wholeBuffers.Put(w.buf)
		w.buf, w.data = nil, nil
	}
}

// sha256 returns the hex sha256 of f, whose only term t is in w.
func (w *wholeXorb) sha256(f *File, t FileTerm) (string, error) {
	h := sha256.New()
	n, err := w.write(h, int(t.Start), int(t.End))
	if err != nil {
		return "", err
	}
	if n != f.Size {
		return "", errorf(ErrInvalid, "file %s: read back %d bytes, want %d", f.Hash, n, f.Size)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// write writes the decoded chunks [start, end) of w to dst.
func (w *wholeXorb) write(dst io.Writer, start, end int) (int64, error) {
	var n int64
	for c := start; c < end; c++ {
		off := w.x.byteOff[c] - w.base
		hdr, err := xorb.ParseHeader(w.data[off : off+xorb.HeaderSize])
		if err != nil {
			return n, fmt.Errorf("xorb %s chunk %d: %w", w.x.hash, c, err)
		}
		payload := w.data[off+xorb.HeaderSize : w.x.byteOff[c+1]-w.base]
		if len(payload) != int(hdr.StoredLen) {
			return n, fmt.Errorf("xorb %s chunk %d: stored chunk has %d bytes, index says %d", w.x.hash, c, hdr.StoredLen, len(payload))
		}
		raw := payload
		if hdr.Scheme != xorb.SchemeNone {
			if raw, err = xorb.Decompress(hdr.Scheme, payload, int(hdr.RawLen), w.scratch); err != nil {
				return n, fmt.Errorf("xorb %s chunk %d: %w", w.x.hash, c, err)
			}
			w.scratch = raw
		}
		if uint64(len(raw)) != w.x.rawOff[c+1]-w.x.rawOff[c] {
			return n, fmt.Errorf("xorb %s chunk %d: stored chunk has %d bytes, index says %d", w.x.hash, c, len(raw), w.x.rawOff[c+1]-w.x.rawOff[c])
		}
		dst.Write(raw)
		n += int64(len(raw))
	}
	return n, nil
}
