package xetcas

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/xet"
	"github.com/wharfhub/wharf/xet/xorb"
)

// xorbIndex is a stored xorb's chunk index. Offsets are cumulative:
// rawOff[i] is chunk i's offset in the uncompressed xorb, byteOff[i] the
// offset of its header in the stored blob; both have n+1 entries.
type xorbIndex struct {
	hash    xet.Hash
	blobOID string
	hashes  []xet.Hash
	rawOff  []uint64
	byteOff []uint64
}

func (x *xorbIndex) n() int { return len(x.hashes) }

// chunkRecord is the packed size of one chunk in xet_xorbs.chunks.
const chunkRecord = 32 + 4 + 4

func packChunks(infos []xorb.ChunkInfo) []byte {
	b := make([]byte, 0, len(infos)*chunkRecord)
	for _, c := range infos {
		b = append(b, c.Hash[:]...)
		b = binary.LittleEndian.AppendUint32(b, c.RawLen)
		b = binary.LittleEndian.AppendUint32(b, c.StoredLen)
	}
	return b
}

func unpackChunks(h xet.Hash, blobOID string, b []byte) (*xorbIndex, error) {
	if len(b)%chunkRecord != 0 {
		return nil, fmt.Errorf("xorb %s: corrupt chunk index (%d bytes)", h, len(b))
	}
	n := len(b) / chunkRecord
	x := &xorbIndex{hash: h, blobOID: blobOID, hashes: make([]xet.Hash, n), rawOff: make([]uint64, n+1), byteOff: make([]uint64, n+1)}
	for i := 0; i < n; i++ {
		r := b[i*chunkRecord:]
		copy(x.hashes[i][:], r[:32])
		x.rawOff[i+1] = x.rawOff[i] + uint64(binary.LittleEndian.Uint32(r[32:]))
		x.byteOff[i+1] = x.byteOff[i] + xorb.HeaderSize + uint64(binary.LittleEndian.Uint32(r[36:]))
	}
	return x, nil
}

// loadXorb returns the index of a stored xorb, or an error wrapping
// ErrNotFound.
func (s *Service) loadXorb(ctx context.Context, h xet.Hash) (*xorbIndex, error) {
	if x := s.cached(h); x != nil {
		return x, nil
	}
	var oid string
	var packed []byte
	err := s.db.QueryRowContext(ctx, `SELECT blob_oid, chunks FROM xet_xorbs WHERE hash = $1`, h.String()).Scan(&oid, &packed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errorf(ErrNotFound, "xorb %s is not stored", h)
	}
	if err != nil {
		return nil, err
	}
	x, err := unpackChunks(h, oid, packed)
	if err != nil {
		return nil, err
	}
	s.remember(x)
	return x, nil
}

// HasXorb reports whether xorb h is stored, and its stored size.
func (s *Service) HasXorb(ctx context.Context, h xet.Hash) (int64, bool, error) {
	var size int64
	err := s.db.QueryRowContext(ctx, `SELECT size FROM xet_xorbs WHERE hash = $1`, h.String()).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return size, err == nil, err
}

// PutXorb verifies and stores the serialized xorb in body, of size bytes
// (-1 if unknown), under its hash h. The body is read whole into a pooled
// buffer and checked there if one of xorbBodies is free, else every chunk
// is checked as it streams to the blob store (memory then stays at a few
// chunks, whatever the xorb's size): every chunk header checked, every
// chunk decoded and hashed; the xorb is published only if the merkle root
// of its chunks is h. A footer (older clients) is accepted and not stored.
// It reports whether this call inserted the xorb: an existing xorb is not
// read again. Errors about the body wrap ErrInvalid. prev, if not "", is
// the xorb that precedes this one in a chain (chain.go): this one is then
// hashed as it is checked if prev is hashed already, else in the
// background once stored (from its body if it was read whole).
func (s *Service) PutXorb(ctx context.Context, h xet.Hash, body io.Reader, size int64, prev string) (bool, error) {
	var l *chainLink
	var whole *xorbBody // the body read whole, kept for l's hashing if need be
	if prev != "" {
		if l = s.claimLink(h, prev); l != nil {
			defer func() { s.chainDone(l, h, whole) }()
		}
	}
	if _, ok, err := s.HasXorb(ctx, h); err != nil || ok {
		if ok {
			// Uploaded again: a shard is about to name it, so garbage
			// collection leaves it alone for another grace period.
			if _, err := s.db.ExecContext(ctx, `UPDATE xet_xorbs SET created_at = $1 WHERE hash = $2`, s.now().UnixMilli(), h.String()); err != nil {
				return false, err
			}
		}
		return false, err
	}
	// Read whole if a buffer is free: then checked in place and stored
	// in one write, with no copy.
	if whole = s.bodies.take(size); whole != nil {
		if err := whole.readFrom(body); err != nil {
			s.bodies.release(whole)
			whole = nil
			return false, err
		}
	}
	// Stored under a name derived from its Xet hash and chunk layout
	// (XorbKey), which checkXorb verifies: no other hash of the bytes is
	// needed.
	var infos []xorb.ChunkInfo
	var rawSize uint64
	d := s.chainStart(l)
	oid, size, err := s.blobs.PutNamed(ctx, func(w io.Writer) (string, error) {
		var err error
		if whole != nil {
			rd := xorb.NewBytesReader(whole.data)
			if infos, rawSize, err = checkXorb(h, rd, nil, d); err != nil {
				return "", err
			}
			if _, err := w.Write(whole.data[:rd.Offset()]); err != nil { // no footer
				return "", err
			}
		} else if infos, rawSize, err = checkXorb(h, xorb.NewReader(body), w, d); err != nil {
			return "", err
		}
		if d != nil {
			// Verified: the next xorb of the chain need not wait for
			// this one to be durable.
			s.chainHashed(l, h, d, int64(rawSize))
		}
		return XorbKey(h, infos), nil
	})
	if l == nil || d != nil || err != nil {
		// Not kept to be hashed later.
		s.bodies.release(whole)
		whole = nil
	}
	if err != nil {
		return false, err
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO xet_xorbs (hash, blob_oid, size, raw_size, nchunks, chunks, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		h.String(), oid, size, int64(rawSize), len(infos), packChunks(infos), s.now().UnixMilli())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// xorbBodies is how many xorb bodies (up to xorb.MaxSerialized bytes
// each) the server holds in memory at once: uploads beyond are checked as
// they stream in, and chained xorbs waiting for their predecessor to be
// hashed (a client sends a few xorbs of a chain at once) keep theirs.
const xorbBodies = 8

// xorbBody is an uploaded xorb read whole into a pooled buffer.
type xorbBody struct {
	buf  *[]byte
	max  int // bytes the body may have: its length, or xorb.MaxSerialized
	data []byte
}

var xorbBodyBufs sync.Pool

// bodySlots bounds the xorb bodies held (xorbBodies).
type bodySlots struct {
	sem chan struct{}
}

func newBodySlots() bodySlots { return bodySlots{sem: make(chan struct{}, xorbBodies)} }

// take returns an empty body for a xorb of size bytes (-1 if unknown),
// or nil if xorbBodies are held.
func (b *bodySlots) take(size int64) *xorbBody {
	select {
	case b.sem <- struct{}{}:
	default:
		return nil
	}
	body := &xorbBody{max: xorb.MaxSerialized}
	if size >= 0 && size < xorb.MaxSerialized {
		body.max = int(size)
	}
	// One byte more tells a longer body apart. Buffers go in 4 MiB steps
	// (xorbs of one upload differ in size by a few bytes: their buffers
	// must fit each other), up to the largest xorb.
	const step = 4 << 20
	n := min((body.max+step)/step*step, xorb.MaxSerialized+1)
	bp, _ := xorbBodyBufs.Get().(*[]byte)
	if bp == nil || len(*bp) < n {
		if bp != nil {
			xorbBodyBufs.Put(bp)
		}
		buf := make([]byte, n)
		bp = &buf
	}
	body.buf = bp
	return body
}

// release gives body back (nil is ignored).
func (b *bodySlots) release(body *xorbBody) {
	if body == nil {
		return
	}
	xorbBodyBufs.Put(body.buf)
	body.buf, body.data = nil, nil
	<-b.sem
}

// readFrom reads r to its end into the body. A body longer than the size
// given to take, or than xorb.MaxSerialized, is an error wrapping
// ErrInvalid; r's errors are returned as they are.
func (x *xorbBody) readFrom(r io.Reader) error {
	b := (*x.buf)[:x.max+1]
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err == io.EOF {
			x.data = b[:n]
			return nil
		}
		if err != nil {
			return err
		}
	}
	return errorf(ErrInvalid, "xorb body longer than %d bytes", x.max)
}

// XorbKey is the blob name of a xorb: a sha256 of its Xet hash and the
// layout of its chunks (hashes, decoded and stored lengths). Two
// serializations of a xorb (say, compressed differently by two clients)
// get different names unless their chunks lie at the same offsets, so a
// blob never changes under the offsets recorded for it.
func XorbKey(h xet.Hash, infos []xorb.ChunkInfo) string {
	d := sha256.New()
	d.Write([]byte("wharf xorb blob v1\x00"))
	d.Write(h[:])
	d.Write(packChunks(infos))
	return hex.EncodeToString(d.Sum(nil))
}

// CopyStoredXorb copies the stored blob oid of xorb h from r to w, checking
// the xorb (see CopyXorb) and that oid is its name: XorbKey, or the sha256
// of the bytes (the name of xorbs stored by earlier versions).
func CopyStoredXorb(h xet.Hash, oid string, r io.Reader, w io.Writer) error {
	d := sha256.New()
	infos, _, err := CopyXorb(h, io.TeeReader(r, d), w)
	if err != nil {
		return err
	}
	if oid != XorbKey(h, infos) && oid != hex.EncodeToString(d.Sum(nil)) {
		return errorf(ErrInvalid, "xorb %s: blob %s holds another serialization of it", h, oid)
	}
	return nil
}

// CopyXorb copies the serialized xorb r to w, checking it as it goes:
// every chunk decoded and hashed, and the chunks' merkle root equal to h.
// It returns the chunks and their decoded size. Errors about the content
// wrap ErrInvalid; w has then received part of it.
func CopyXorb(h xet.Hash, r io.Reader, w io.Writer) ([]xorb.ChunkInfo, uint64, error) {
	return checkXorb(h, xorb.NewReader(r), w, nil)
}

// checkXorb reads xorb h from rd, checking every chunk and the merkle
// root, writes the frames to w and the decoded chunks to raw (either may
// be nil), and returns the chunks and their decoded size.
func checkXorb(h xet.Hash, rd *xorb.Reader, w, raw io.Writer) ([]xorb.ChunkInfo, uint64, error) {
	var infos []xorb.ChunkInfo
	var rawSize uint64
	leaves := make([]xet.Leaf, 0, 1024)
	for {
		info, data, frame, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, xorb.ErrInvalid) {
				return nil, 0, errorf(ErrInvalid, "xorb %s: %v", h, err)
			}
			return nil, 0, err
		}
		if w != nil {
			if _, err := w.Write(frame); err != nil {
				return nil, 0, err
			}
		}
		if raw != nil {
			raw.Write(data)
		}
		infos = append(infos, info)
		leaves = append(leaves, xet.Leaf{Hash: info.Hash, Size: uint64(info.RawLen)})
		rawSize += uint64(info.RawLen)
	}
	if len(infos) == 0 {
		return nil, 0, errorf(ErrInvalid, "xorb %s has no chunks", h)
	}
	if got := xet.XorbHash(leaves); got != h {
		return nil, 0, errorf(ErrInvalid, "xorb hash mismatch: the body's chunks hash to %s, not %s", got, h)
	}
	return infos, rawSize, nil
}

// openXorb opens the blob of a stored xorb.
func (s *Service) openXorb(ctx context.Context, x *xorbIndex) (blob.Object, error) {
	obj, err := s.blobs.Open(ctx, x.blobOID)
	if err != nil {
		return nil, fmt.Errorf("xorb %s: %w", x.hash, err)
	}
	return obj, nil
}
