package shard

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/wharfhub/wharf/xet"
)

// Sizes and flags.
const (
	HeaderSize = 48  // shard header
	RecordSize = 48  // every record of the file and CAS sections
	FooterSize = 200 // shard footer

	// FlagVerification marks a file block with one verification record per term.
	FlagVerification = 0x80000000
	// FlagMetadataExt marks a file block with a metadata record (the SHA-256).
	FlagMetadataExt = 0x40000000
	// ChunkFlagGlobalDedup marks a CAS chunk entry as registered for global
	// dedup (servers set it on the first chunk of each file).
	ChunkFlagGlobalDedup = 0x80000000

	// MaxUploadSize is the largest shard upload clients send.
	MaxUploadSize = 64 << 20

	// Version is the shard format version; FooterVersion the footer's.
	Version       = 2
	FooterVersion = 1
)

// Tag is the first 32 bytes of every shard: "HFRepoMetaData", a zero byte and 17
// fixed bytes.
var Tag = [32]byte{
	0x48, 0x46, 0x52, 0x65, 0x70, 0x6f, 0x4d, 0x65, 0x74, 0x61, 0x44, 0x61, 0x74, 0x61, 0x00, 0x55,
	0x69, 0x67, 0x45, 0x6a, 0x7b, 0x81, 0x57, 0x83, 0xa5, 0xbd, 0xd9, 0x5c, 0xcd, 0xd1, 0x4a, 0xa9,
}

// ErrInvalid is matched by every error about a malformed shard.
var ErrInvalid = errors.New("invalid shard")

// Term is one entry of a file's reconstruction: chunks [Start, End) of a xorb.
type Term struct {
	Xorb          xet.Hash
	XorbFlags     uint32
	UnpackedBytes uint32 // decoded length of the chunks
	Start, End    uint32
	RangeHash     xet.Hash // verification hash (xet.RangeHash); zero if the file has none
}

// File is a file block: the file's hash and its terms in file order.
type File struct {
	Hash      xet.Hash
	Flags     uint32 // as read; AppendUpload derives FlagVerification and FlagMetadataExt
	Terms     []Term
	Verified  bool // the block has verification records
	HasSHA256 bool
	SHA256    [32]byte // in standard byte order: hex.EncodeToString gives the usual hex
}

// XorbChunk is a chunk entry of a CAS block.
type XorbChunk struct {
	Hash   xet.Hash // keyed with the footer's key in dedup answers whose key is non-zero
	Offset uint32   // offset of the chunk in the decoded xorb
	Size   uint32   // decoded length
	Flags  uint32
}

// Xorb is a CAS block: a xorb and its chunks.
type Xorb struct {
	Hash        xet.Hash
	Flags       uint32
	RawBytes    uint32 // decoded length of the xorb
	StoredBytes uint32 // serialized length; 0 in what hf_xet and HF send
	Chunks      []XorbChunk
}

// Footer is the 200-byte shard footer.
type Footer struct {
	Version            uint64
	FileInfoOffset     uint64
	CASInfoOffset      uint64
	FileLookupOffset   uint64
	FileLookupEntries  uint64
	XorbLookupOffset   uint64
	XorbLookupEntries  uint64
	ChunkLookupOffset  uint64
	ChunkLookupEntries uint64
	HMACKey            xet.Hash // key of the chunk hashes of the CAS section; zero for none
	CreatedAt          uint64   // unix seconds
	KeyExpiry          uint64   // unix seconds
	StoredBytesOnDisk  uint64
	MaterializedBytes  uint64
	StoredBytes        uint64
	FooterOffset       uint64
}

// Shard is a parsed shard.
type Shard struct {
	Files  []File
	Xorbs  []Xorb
	Footer *Footer // nil if the shard has none
}

// Limits bounds what [ParseWithLimits] accepts. A zero field means no limit other
// than the length of the data.
type Limits struct {
	MaxFiles  int // file blocks
	MaxTerms  int // terms over all files
	MaxXorbs  int // CAS blocks
	MaxChunks int // chunk entries over all CAS blocks
}

// Parse parses a shard. See [ParseWithLimits].
func Parse(data []byte) (*Shard, error) {
	return ParseWithLimits(data, Limits{})
}

type parser struct {
	data []byte
	off  int // offset of the next record
	last int // offset of the last record read (or not found), for errors
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: at offset %d: %s", ErrInvalid, p.last, fmt.Sprintf(format, args...))
}

// record returns the next record, or nil if fewer than RecordSize bytes remain.
func (p *parser) record() []byte {
	p.last = p.off
	if len(p.data)-p.off < RecordSize {
		return nil
	}
	r := p.data[p.off : p.off+RecordSize]
	p.off += RecordSize
	return r
}

// records reports whether n more records fit in the data.
func (p *parser) records(n uint64) bool {
	return n <= uint64(len(p.data)-p.off)/RecordSize
}

var bookendHash = bytes.Repeat([]byte{0xff}, 32)

func isBookend(rec []byte) bool {
	return bytes.Equal(rec[:32], bookendHash)
}

// ParseWithLimits parses a shard linearly, trusting no offsets: the header (tag and
// version 2), file blocks until a bookend (each with its terms, verification
// records if FlagVerification is set and a metadata record if FlagMetadataExt is
// set; other flag bits are rejected), CAS blocks until a bookend, and then what
// follows, which may be nothing, a footer, or lookup tables and a footer. The
// footer, the last 200 bytes, is parsed when the header announces one and it
// fits; lookup tables are ignored. Some files having verification records and
// others not is an error (files without terms do not count). Every count is
// checked against the remaining data before anything is allocated. Errors match
// [ErrInvalid].
func ParseWithLimits(data []byte, lim Limits) (*Shard, error) {
	le := binary.LittleEndian
	p := &parser{data: data}
	if len(data) < HeaderSize {
		return nil, p.errorf("truncated header (%d bytes)", len(data))
	}
	if !bytes.Equal(data[:32], Tag[:]) {
		return nil, p.errorf("not a shard (bad tag)")
	}
	if v := le.Uint64(data[32:]); v != Version {
		return nil, p.errorf("shard version %d, want %d", v, Version)
	}
	footerSize := le.Uint64(data[40:])
	p.off = HeaderSize

	s := &Shard{}
	terms := 0
	verified := -1 // unknown, 0 or 1
	for {
		rec := p.record()
		if rec == nil {
			return nil, p.errorf("file section has no bookend")
		}
		if isBookend(rec) {
			break
		}
		if lim.MaxFiles > 0 && len(s.Files) >= lim.MaxFiles {
			return nil, p.errorf("more than %d files", lim.MaxFiles)
		}
		f := File{Hash: xet.Hash(rec[:32]), Flags: le.Uint32(rec[32:])}
		n := le.Uint32(rec[36:])
		if f.Flags&^(FlagVerification|FlagMetadataExt) != 0 {
			return nil, p.errorf("file %s has unknown flags %#x", f.Hash, f.Flags)
		}
		f.Verified = f.Flags&FlagVerification != 0
		f.HasSHA256 = f.Flags&FlagMetadataExt != 0
		need := uint64(n)
		if f.Verified {
			need *= 2
		}
		if f.HasSHA256 {
			need++
		}
		if !p.records(need) {
			return nil, p.errorf("file %s claims %d terms, more than the data holds", f.Hash, n)
		}
		if terms += int(n); lim.MaxTerms > 0 && terms > lim.MaxTerms {
			return nil, p.errorf("more than %d terms", lim.MaxTerms)
		}
		if n > 0 {
			v := 0
			if f.Verified {
				v = 1
			}
			if verified >= 0 && v != verified {
				return nil, p.errorf("file %s: some files have verification entries and others not", f.Hash)
			}
			verified = v
			f.Terms = make([]Term, n)
		}
		for i := range f.Terms {
			r := p.record()
			t := Term{
				Xorb:          xet.Hash(r[:32]),
				XorbFlags:     le.Uint32(r[32:]),
				UnpackedBytes: le.Uint32(r[36:]),
				Start:         le.Uint32(r[40:]),
				End:           le.Uint32(r[44:]),
			}
			if t.Start >= t.End {
				return nil, p.errorf("file %s term %d has empty chunk range [%d, %d)", f.Hash, i, t.Start, t.End)
			}
			f.Terms[i] = t
		}
		if f.Verified {
			for i := range f.Terms {
				f.Terms[i].RangeHash = xet.Hash(p.record()[:32])
			}
		}
		if f.HasSHA256 {
			f.SHA256 = xet.Hash(p.record()[:32]).SHA256()
		}
		s.Files = append(s.Files, f)
	}

	chunks := 0
	for {
		rec := p.record()
		if rec == nil {
			return nil, p.errorf("CAS section has no bookend")
		}
		if isBookend(rec) {
			break
		}
		if lim.MaxXorbs > 0 && len(s.Xorbs) >= lim.MaxXorbs {
			return nil, p.errorf("more than %d xorbs", lim.MaxXorbs)
		}
		x := Xorb{
			Hash:        xet.Hash(rec[:32]),
			Flags:       le.Uint32(rec[32:]),
			RawBytes:    le.Uint32(rec[40:]),
			StoredBytes: le.Uint32(rec[44:]),
		}
		n := le.Uint32(rec[36:])
		if !p.records(uint64(n)) {
			return nil, p.errorf("xorb %s claims %d chunks, more than the data holds", x.Hash, n)
		}
		if chunks += int(n); lim.MaxChunks > 0 && chunks > lim.MaxChunks {
			return nil, p.errorf("more than %d chunks", lim.MaxChunks)
		}
		if n > 0 {
			x.Chunks = make([]XorbChunk, n)
		}
		for i := range x.Chunks {
			r := p.record()
			x.Chunks[i] = XorbChunk{
				Hash:   xet.Hash(r[:32]),
				Offset: le.Uint32(r[32:]),
				Size:   le.Uint32(r[36:]),
				Flags:  le.Uint32(r[40:]),
			}
		}
		s.Xorbs = append(s.Xorbs, x)
	}

	// Uploads have no footer, huggingface.js sends one, old hf_xet sent lookup
	// tables and a footer; only the footer is of use.
	if footerSize != 0 && len(data)-p.off >= FooterSize {
		s.Footer = parseFooter(data[len(data)-FooterSize:])
	}
	return s, nil
}

func parseFooter(b []byte) *Footer {
	le := binary.LittleEndian
	u := func(i int) uint64 { return le.Uint64(b[8*i:]) }
	return &Footer{
		Version:            u(0),
		FileInfoOffset:     u(1),
		CASInfoOffset:      u(2),
		FileLookupOffset:   u(3),
		FileLookupEntries:  u(4),
		XorbLookupOffset:   u(5),
		XorbLookupEntries:  u(6),
		ChunkLookupOffset:  u(7),
		ChunkLookupEntries: u(8),
		HMACKey:            xet.Hash(b[72:104]),
		CreatedAt:          u(13),
		KeyExpiry:          u(14),
		StoredBytesOnDisk:  u(21),
		MaterializedBytes:  u(22),
		StoredBytes:        u(23),
		FooterOffset:       u(24),
	}
}

// Append appends the 200-byte form of f.
func (f *Footer) Append(dst []byte) []byte {
	le := binary.LittleEndian
	for _, v := range []uint64{f.Version, f.FileInfoOffset, f.CASInfoOffset, f.FileLookupOffset, f.FileLookupEntries,
		f.XorbLookupOffset, f.XorbLookupEntries, f.ChunkLookupOffset, f.ChunkLookupEntries} {
		dst = le.AppendUint64(dst, v)
	}
	dst = append(dst, f.HMACKey[:]...)
	dst = le.AppendUint64(dst, f.CreatedAt)
	dst = le.AppendUint64(dst, f.KeyExpiry)
	dst = append(dst, make([]byte, 6*8)...)
	for _, v := range []uint64{f.StoredBytesOnDisk, f.MaterializedBytes, f.StoredBytes, f.FooterOffset} {
		dst = le.AppendUint64(dst, v)
	}
	return dst
}

func appendHeader(dst []byte, footerSize uint64) []byte {
	dst = append(dst, Tag[:]...)
	dst = binary.LittleEndian.AppendUint64(dst, Version)
	return binary.LittleEndian.AppendUint64(dst, footerSize)
}

func appendBookend(dst []byte) []byte {
	dst = append(dst, bookendHash...)
	return append(dst, make([]byte, 16)...)
}

// appendRecord appends a record: a hash and four u32.
func appendRecord(dst []byte, h *xet.Hash, a, b, c, d uint32) []byte {
	le := binary.LittleEndian
	dst = append(dst, h[:]...)
	dst = le.AppendUint32(dst, a)
	dst = le.AppendUint32(dst, b)
	dst = le.AppendUint32(dst, c)
	return le.AppendUint32(dst, d)
}

// appendXorbs appends CAS blocks, with chunk hashes keyed with key if it is
// non-zero, and the bookend.
func appendXorbs(dst []byte, xorbs []Xorb, key xet.Hash) []byte {
	for i := range xorbs {
		x := &xorbs[i]
		dst = appendRecord(dst, &x.Hash, x.Flags, uint32(len(x.Chunks)), x.RawBytes, x.StoredBytes)
		for _, c := range x.Chunks {
			h := c.Hash
			if !key.IsZero() {
				h = xet.KeyedChunkHash(key, h)
			}
			dst = appendRecord(dst, &h, c.Offset, c.Size, c.Flags, 0)
		}
	}
	return appendBookend(dst)
}

// AppendUpload appends s in the form of a shard upload (POST /v1/shards): the
// header with footer size 0, the file section, the CAS section, and no footer.
// Each file's FlagVerification and FlagMetadataExt are set from Verified and
// HasSHA256; verification records hold the terms' RangeHash.
func (s *Shard) AppendUpload(dst []byte) []byte {
	dst = appendHeader(dst, 0)
	for i := range s.Files {
		f := &s.Files[i]
		flags := f.Flags &^ (FlagVerification | FlagMetadataExt)
		if f.Verified {
			flags |= FlagVerification
		}
		if f.HasSHA256 {
			flags |= FlagMetadataExt
		}
		dst = appendRecord(dst, &f.Hash, flags, uint32(len(f.Terms)), 0, 0)
		for j := range f.Terms {
			t := &f.Terms[j]
			dst = appendRecord(dst, &t.Xorb, t.XorbFlags, t.UnpackedBytes, t.Start, t.End)
		}
		if f.Verified {
			for j := range f.Terms {
				dst = appendRecord(dst, &f.Terms[j].RangeHash, 0, 0, 0, 0)
			}
		}
		if f.HasSHA256 {
			h := xet.HashFromSHA256(f.SHA256)
			dst = appendRecord(dst, &h, 0, 0, 0, 0)
		}
	}
	dst = appendBookend(dst)
	return appendXorbs(dst, s.Xorbs, xet.Hash{})
}

// AppendDedup appends a global-dedup answer (GET /v1/chunks/default/{hash}): the
// header with footer size 200, an empty file section, the CAS blocks of xorbs
// with their chunk hashes keyed with key (xet.KeyedChunkHash) unless key is zero,
// and a footer without lookup tables that carries key, created and expiry (a
// zero expiry is written as 0: the key is for the current session only).
func AppendDedup(dst []byte, xorbs []Xorb, key xet.Hash, created, expiry time.Time) []byte {
	start := len(dst)
	dst = appendHeader(dst, FooterSize)
	dst = appendBookend(dst)
	casOffset := uint64(len(dst) - start)
	dst = appendXorbs(dst, xorbs, key)
	end := uint64(len(dst) - start)
	f := Footer{
		Version:           FooterVersion,
		FileInfoOffset:    HeaderSize,
		CASInfoOffset:     casOffset,
		FileLookupOffset:  end, // not 0: hf_xet reads the end of the CAS section here
		XorbLookupOffset:  end,
		ChunkLookupOffset: end,
		HMACKey:           key,
		CreatedAt:         unix(created),
		KeyExpiry:         unix(expiry),
		FooterOffset:      end,
	}
	for i := range xorbs {
		f.StoredBytesOnDisk += uint64(xorbs[i].StoredBytes)
		f.StoredBytes += uint64(xorbs[i].RawBytes)
	}
	return f.Append(dst)
}

func unix(t time.Time) uint64 {
	if t.IsZero() || t.Unix() < 0 {
		return 0
	}
	return uint64(t.Unix())
}
