package xorb

import (
	"encoding/binary"
	"fmt"

	"github.com/wharfhub/wharf/xet"
)

// Builder accumulates chunks into one serialized xorb, as a client uploads it.
// It holds the serialized xorb (at most [MaxRawBytes] plus 8 bytes per chunk when
// callers respect [Builder.Fits]) and one [ChunkInfo] per chunk. It is not safe
// for concurrent use.
type Builder struct {
	scheme uint8
	buf    []byte
	chunks []ChunkInfo
	raw    uint64
	c      codec
}

// NewBuilder returns an empty Builder that compresses chunks with scheme, as
// [AppendChunk] does ([SchemeAuto] picks per chunk).
func NewBuilder(scheme uint8) *Builder {
	return &Builder{scheme: scheme}
}

// Fits reports whether a chunk of rawLen bytes can be added without exceeding
// [MaxRawBytes] or [MaxChunks]. Clients start a new xorb when it is false.
func (b *Builder) Fits(rawLen int) bool {
	return len(b.chunks) < MaxChunks && b.raw+uint64(rawLen) <= MaxRawBytes
}

// Add appends a chunk with hash h (its [xet.ChunkHash]) and content raw, and
// returns its index. It does not check [Builder.Fits]. raw must hold 1 to
// [MaxChunkRaw] bytes, as chunks from xet/chunk do; Add panics otherwise.
func (b *Builder) Add(h xet.Hash, raw []byte) (index int) {
	if len(raw) == 0 || len(raw) > MaxChunkRaw {
		panic(fmt.Sprintf("xorb: chunk of %d bytes", len(raw)))
	}
	off := len(b.buf)
	b.buf = b.c.appendChunk(b.buf, raw, b.scheme)
	b.chunks = append(b.chunks, ChunkInfo{
		Hash:      h,
		RawLen:    uint32(len(raw)),
		RawOffset: b.raw,
		Offset:    uint64(off),
		StoredLen: uint32(len(b.buf) - off - HeaderSize),
	})
	b.raw += uint64(len(raw))
	return len(b.chunks) - 1
}

// Len returns the number of chunks.
func (b *Builder) Len() int { return len(b.chunks) }

// RawBytes returns the total decoded length of the chunks.
func (b *Builder) RawBytes() uint64 { return b.raw }

// Bytes returns the serialized xorb, without footer. It aliases the Builder's
// buffer: it is valid until the next Add or Reset.
func (b *Builder) Bytes() []byte { return b.buf }

// Chunks returns the chunks added so far. It aliases the Builder's state: it is
// valid until the next Add or Reset.
func (b *Builder) Chunks() []ChunkInfo { return b.chunks }

// Hash returns the xorb hash of the chunks added so far.
func (b *Builder) Hash() xet.Hash { return HashOf(b.chunks) }

// Reset empties the Builder, keeping its buffers for the next xorb.
func (b *Builder) Reset() {
	b.buf = b.buf[:0]
	b.chunks = b.chunks[:0]
	b.raw = 0
}

// AppendFooter appends the version 1 footer that xet-core stores after a xorb's
// chunks (and hf_xet ≤ 1.1.4 uploaded), followed by its length as a u32. chunks
// must describe the serialized chunks, in order, and h their xorb hash. Servers
// do not need it; [Reader] skips it.
func AppendFooter(dst []byte, chunks []ChunkInfo, h xet.Hash) []byte {
	le := binary.LittleEndian
	start := len(dst)
	n := uint32(len(chunks))
	dst = append(dst, footerMagic...)
	dst = append(dst, 1)
	dst = append(dst, h[:]...)
	hashes := len(dst)
	dst = append(dst, "XBLBHSH"...)
	dst = append(dst, 0)
	dst = le.AppendUint32(dst, n)
	for _, c := range chunks {
		dst = append(dst, c.Hash[:]...)
	}
	bounds := len(dst)
	dst = append(dst, "XBLBBND"...)
	dst = append(dst, 1)
	dst = le.AppendUint32(dst, n)
	for _, c := range chunks {
		dst = le.AppendUint32(dst, uint32(c.End()))
	}
	for _, c := range chunks {
		dst = le.AppendUint32(dst, uint32(c.RawOffset+uint64(c.RawLen)))
	}
	dst = le.AppendUint32(dst, n)
	// Offsets from the end count from a section's ident to the end of the
	// reserved bytes.
	end := len(dst) + 4 + 4 + 16
	dst = le.AppendUint32(dst, uint32(end-hashes))
	dst = le.AppendUint32(dst, uint32(end-bounds))
	dst = append(dst, make([]byte, 16)...)
	return le.AppendUint32(dst, uint32(len(dst)-start))
}
