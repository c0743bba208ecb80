package xorb

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/pierrec/lz4/v4"

	"github.com/wharfhub/wharf/xet"
)

// Sizes and limits.
const (
	HeaderSize     = 8        // chunk header
	MaxRawBytes    = 64 << 20 // uncompressed bytes of one xorb
	MaxChunks      = 8192     // chunks of one xorb
	MaxChunkRaw    = 131072   // uncompressed bytes of one chunk
	MaxChunkStored = 262144   // stored (payload) bytes of one chunk
	// MaxSerialized caps a serialized xorb: MaxRawBytes plus a header per chunk
	// when nothing compresses, with room for the footer old clients append.
	MaxSerialized = 68 << 20
)

// Compression schemes of a chunk.
const (
	SchemeNone   uint8 = 0
	SchemeLZ4    uint8 = 1 // one LZ4 frame
	SchemeBG4LZ4 uint8 = 2 // bytes grouped by position mod 4, then one LZ4 frame
	SchemeAuto   uint8 = 255
	footerMagic        = "XETBLOB"
)

// ErrInvalid is matched by every error about malformed xorb data.
var ErrInvalid = errors.New("invalid xorb")

// Header is a chunk header.
type Header struct {
	Version   uint8  // always 0
	StoredLen uint32 // length of the payload that follows, < 1<<24
	Scheme    uint8
	RawLen    uint32 // length of the decoded chunk, < 1<<24
}

// Encode returns the 8-byte wire form of h. StoredLen and RawLen are truncated to
// 24 bits.
func (h Header) Encode() [HeaderSize]byte {
	return [HeaderSize]byte{
		h.Version, byte(h.StoredLen), byte(h.StoredLen >> 8), byte(h.StoredLen >> 16),
		h.Scheme, byte(h.RawLen), byte(h.RawLen >> 8), byte(h.RawLen >> 16),
	}
}

// ParseHeader parses and checks a chunk header: version 0, a known scheme,
// 0 < RawLen <= MaxChunkRaw, 0 < StoredLen <= MaxChunkStored, and StoredLen ==
// RawLen for uncompressed chunks. Errors match [ErrInvalid].
func ParseHeader(b []byte) (Header, error) {
	h, err := parseHeader(b)
	if err != nil {
		return h, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return h, nil
}

// parseHeader implements ParseHeader with errors that do not match ErrInvalid.
func parseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, fmt.Errorf("truncated chunk header (%d of %d bytes)", len(b), HeaderSize)
	}
	h := Header{
		Version:   b[0],
		StoredLen: uint32(b[1]) | uint32(b[2])<<8 | uint32(b[3])<<16,
		Scheme:    b[4],
		RawLen:    uint32(b[5]) | uint32(b[6])<<8 | uint32(b[7])<<16,
	}
	switch {
	case IsFooter(b):
		return h, errors.New("footer where a chunk header was expected")
	case h.Version != 0:
		return h, fmt.Errorf("chunk header version %d, want 0", h.Version)
	case h.Scheme > SchemeBG4LZ4:
		return h, fmt.Errorf("unknown compression scheme %d", h.Scheme)
	case h.RawLen == 0:
		return h, errors.New("empty chunk")
	case h.RawLen > MaxChunkRaw:
		return h, fmt.Errorf("chunk of %d bytes exceeds %d", h.RawLen, MaxChunkRaw)
	case h.StoredLen == 0:
		return h, errors.New("empty chunk payload")
	case h.StoredLen > MaxChunkStored:
		return h, fmt.Errorf("chunk payload of %d bytes exceeds %d", h.StoredLen, MaxChunkStored)
	case h.Scheme == SchemeNone && h.StoredLen != h.RawLen:
		return h, fmt.Errorf("uncompressed chunk stores %d bytes, header says %d", h.StoredLen, h.RawLen)
	}
	return h, nil
}

// IsFooter reports whether b starts with the "XETBLOB" marker of a xorb footer,
// which may follow the last chunk.
func IsFooter(b []byte) bool {
	return len(b) >= len(footerMagic) && string(b[:len(footerMagic)]) == footerMagic
}

// codec holds the state for compressing and decoding chunks. It is not safe for
// concurrent use.
type codec struct {
	lz      lz4.Compressor
	scratch []byte // BG4 streams
	alt     []byte // the BG4 candidate of SchemeAuto
}

var codecPool = sync.Pool{New: func() any { return new(codec) }}

func (c *codec) grow(n int) []byte {
	if cap(c.scratch) < n {
		c.scratch = make([]byte, n, max(n, MaxChunkRaw))
	}
	return c.scratch[:n]
}

// appendPayload appends the payload of raw in scheme, which must be known.
func (c *codec) appendPayload(dst, raw []byte, scheme uint8) []byte {
	switch scheme {
	case SchemeLZ4:
		return appendLZ4(dst, raw, &c.lz)
	case SchemeBG4LZ4:
		s := c.grow(len(raw))
		bg4Split(s, raw)
		return appendLZ4(dst, s, &c.lz)
	}
	return append(dst, raw...)
}

// appendChunk implements [AppendChunk].
func (c *codec) appendChunk(dst, raw []byte, scheme uint8) []byte {
	off := len(dst)
	dst = append(dst, make([]byte, HeaderSize)...)
	start := len(dst)
	switch scheme {
	case SchemeNone, SchemeLZ4, SchemeBG4LZ4:
		dst = c.appendPayload(dst, raw, scheme)
	default:
		scheme = SchemeLZ4
		dst = c.appendPayload(dst, raw, SchemeLZ4)
		c.alt = c.appendPayload(c.alt[:0], raw, SchemeBG4LZ4)
		if len(c.alt) < len(dst)-start {
			scheme = SchemeBG4LZ4
			dst = append(dst[:start], c.alt...)
		}
		if len(dst)-start >= len(raw) {
			scheme = SchemeNone
			dst = append(dst[:start], raw...)
		}
	}
	h := Header{StoredLen: uint32(len(dst) - start), Scheme: scheme, RawLen: uint32(len(raw))}.Encode()
	copy(dst[off:], h[:])
	return dst
}

// Compress returns the stored payload of raw in scheme, which must be
// [SchemeNone], [SchemeLZ4] or [SchemeBG4LZ4]; for any other scheme it returns nil.
// LZ4 payloads are one LZ4 frame of independent 64 KiB blocks without checksums.
func Compress(scheme uint8, raw []byte) []byte {
	switch scheme {
	case SchemeNone:
		return append([]byte(nil), raw...)
	case SchemeLZ4, SchemeBG4LZ4:
		c := codecPool.Get().(*codec)
		defer codecPool.Put(c)
		return c.appendPayload(nil, raw, scheme)
	}
	return nil
}

// AppendChunk appends to dst the chunk header and payload of raw, compressed in
// scheme. With [SchemeAuto] (or any unknown scheme) it tries LZ4 and BG4+LZ4, keeps
// the smaller, and stores raw uncompressed unless that is strictly smaller than
// raw. raw must hold 1 to [MaxChunkRaw] bytes for the result to be a valid chunk.
func AppendChunk(dst []byte, raw []byte, scheme uint8) []byte {
	c := codecPool.Get().(*codec)
	defer codecPool.Put(c)
	return c.appendChunk(dst, raw, scheme)
}

// Decompress decodes a payload stored in scheme, which must decode to rawLen
// bytes, and appends it to dst[:0]. LZ4 payloads must be exactly one valid LZ4
// frame; any block size, block dependence and checksums are accepted (checksums
// are verified), dictionaries are not. Errors match [ErrInvalid].
func Decompress(scheme uint8, stored []byte, rawLen int, dst []byte) ([]byte, error) {
	var scratch []byte
	if scheme == SchemeBG4LZ4 && rawLen >= 0 {
		c := codecPool.Get().(*codec)
		defer codecPool.Put(c)
		scratch = c.grow(rawLen)
	}
	return decompress(scheme, stored, rawLen, dst, scratch)
}

// decompress implements Decompress; scratch is used for BG4.
func decompress(scheme uint8, stored []byte, rawLen int, dst, scratch []byte) ([]byte, error) {
	out, err := decode(scheme, stored, rawLen, dst, scratch)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return out, nil
}

// decode implements decompress with errors that do not match ErrInvalid.
func decode(scheme uint8, stored []byte, rawLen int, dst, scratch []byte) ([]byte, error) {
	if rawLen < 0 {
		return nil, errors.New("negative length")
	}
	switch scheme {
	case SchemeNone:
		if len(stored) != rawLen {
			return nil, fmt.Errorf("uncompressed payload of %d bytes, want %d", len(stored), rawLen)
		}
		return append(dst[:0], stored...), nil
	case SchemeLZ4:
		return decodeLZ4(dst, stored, rawLen)
	case SchemeBG4LZ4:
		s, err := decodeLZ4(scratch, stored, rawLen)
		if err != nil {
			return nil, err
		}
		out := slices.Grow(dst[:0], rawLen)[:rawLen]
		bg4Join(out, s)
		return out, nil
	}
	return nil, fmt.Errorf("unknown compression scheme %d", scheme)
}

// ChunkInfo describes a chunk of a serialized xorb.
type ChunkInfo struct {
	Hash      xet.Hash
	RawLen    uint32 // decoded length
	RawOffset uint64 // offset of the chunk in the decoded xorb (the concatenated chunks)
	Offset    uint64 // offset of the chunk header in the serialized xorb
	StoredLen uint32 // payload length, without the header
}

// End returns the offset just after the chunk's payload in the serialized xorb.
func (c ChunkInfo) End() uint64 {
	return c.Offset + HeaderSize + uint64(c.StoredLen)
}

// Leaves returns the merkle leaves (hash, decoded length) of chunks.
func Leaves(chunks []ChunkInfo) []xet.Leaf {
	leaves := make([]xet.Leaf, len(chunks))
	for i, c := range chunks {
		leaves[i] = xet.Leaf{Hash: c.Hash, Size: uint64(c.RawLen)}
	}
	return leaves
}

// HashOf returns the xorb hash of chunks.
func HashOf(chunks []ChunkInfo) xet.Hash {
	return xet.XorbHash(Leaves(chunks))
}
