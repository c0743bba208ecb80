package xorb

import (
	"errors"
	"fmt"
	"io"

	"github.com/wharfhub/wharf/xet"
)

// Reader parses a serialized xorb from a stream: chunk after chunk until the end
// of the stream or a footer (a header position whose first 7 bytes are
// "XETBLOB"), whose bytes it reads and discards. It decodes and hashes every chunk
// and enforces [MaxChunks], [MaxRawBytes] and [MaxSerialized] (footer included).
//
// A Reader holds 512 KiB of buffers, whatever the size of the xorb (one made
// by [NewBytesReader] only what compressed chunks need). It is not safe for
// concurrent use.
type Reader struct {
	r       io.Reader // nil for a Reader of bytes (NewBytesReader)
	src     []byte    // the whole xorb, for a Reader of bytes
	n       uint64    // bytes of chunks consumed: the offset of the next header
	rawOff  uint64
	count   int
	frame   []byte // header + payload of the current chunk (streams)
	raw     []byte // decoded current chunk
	scratch []byte // BG4 streams
	footer  bool
	err     error // sticky
}

// NewReader returns a Reader reading a xorb from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: r}
}

// NewBytesReader returns a Reader of the serialized xorb b, which it parses
// in place: frames, and chunks stored uncompressed, are slices of b.
func NewBytesReader(b []byte) *Reader {
	return &Reader{src: b}
}

// Next returns the next chunk: its description, its decoded bytes and its
// serialized form (header and payload, exactly as read). Both slices are valid
// until the next call (a Reader of bytes returns slices of them, valid as
// long as they are). After the last chunk, or at a footer, Next returns io.EOF.
// Errors about the data match [ErrInvalid] and name the chunk; errors of the
// underlying reader are returned wrapped. Errors are sticky.
func (r *Reader) Next() (info ChunkInfo, raw []byte, frame []byte, err error) {
	if r.err != nil {
		return ChunkInfo{}, nil, nil, r.err
	}
	info, raw, frame, err = r.next()
	if err != nil {
		r.err = err
	}
	return info, raw, frame, err
}

// Offset returns the number of bytes of chunks read so far. After Next has
// returned io.EOF, it is the length of the xorb without its footer, if any.
func (r *Reader) Offset() uint64 { return r.n }

// Footer reports whether the xorb ended with a footer (which was discarded).
func (r *Reader) Footer() bool { return r.footer }

func (r *Reader) fail(err error) error {
	return fmt.Errorf("%w: chunk %d at offset %d: %w", ErrInvalid, r.count, r.n, err)
}

func (r *Reader) failf(format string, args ...any) error {
	return r.fail(fmt.Errorf(format, args...))
}

// inPlace reports whether r reads a xorb in memory (NewBytesReader).
func (r *Reader) inPlace() bool { return r.r == nil }

// read returns bytes [at, at+n) of the current frame, reading them from the
// stream if need be, as io.ReadFull would (k bytes, then io.EOF or
// io.ErrUnexpectedEOF if the xorb ends first).
func (r *Reader) read(at, n int) (b []byte, k int, err error) {
	if !r.inPlace() {
		b = r.frame[at : at+n]
		k, err = io.ReadFull(r.r, b)
		return b, k, err
	}
	off := int(r.n) + at
	k = min(n, len(r.src)-off)
	switch {
	case k == 0 && n > 0:
		err = io.EOF
	case k < n:
		err = io.ErrUnexpectedEOF
	}
	return r.src[off : off+k], k, err
}

func (r *Reader) next() (ChunkInfo, []byte, []byte, error) {
	if r.frame == nil && !r.inPlace() {
		r.frame = make([]byte, HeaderSize+MaxChunkStored)
	}
	hdr, k, err := r.read(0, HeaderSize)
	switch {
	case err == io.EOF:
		return ChunkInfo{}, nil, nil, io.EOF
	case IsFooter(hdr[:k]):
		return ChunkInfo{}, nil, nil, r.skipFooter(uint64(k))
	case err == io.ErrUnexpectedEOF:
		return ChunkInfo{}, nil, nil, r.failf("truncated chunk header (%d of %d bytes)", k, HeaderSize)
	case err != nil:
		return ChunkInfo{}, nil, nil, fmt.Errorf("xorb chunk %d: %w", r.count, err)
	}
	h, err := parseHeader(hdr)
	if err != nil {
		return ChunkInfo{}, nil, nil, r.fail(err)
	}
	switch {
	case r.count >= MaxChunks:
		return ChunkInfo{}, nil, nil, r.failf("more than %d chunks", MaxChunks)
	case r.rawOff+uint64(h.RawLen) > MaxRawBytes:
		return ChunkInfo{}, nil, nil, r.failf("more than %d decoded bytes", MaxRawBytes)
	case r.n+HeaderSize+uint64(h.StoredLen) > MaxSerialized:
		return ChunkInfo{}, nil, nil, r.failf("xorb larger than %d bytes", MaxSerialized)
	}
	payload, k, err := r.read(HeaderSize, int(h.StoredLen))
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return ChunkInfo{}, nil, nil, r.failf("truncated payload (%d of %d bytes)", k, h.StoredLen)
		}
		return ChunkInfo{}, nil, nil, fmt.Errorf("xorb chunk %d: %w", r.count, err)
	}
	var frame []byte
	if r.inPlace() {
		frame = r.src[r.n : r.n+HeaderSize+uint64(h.StoredLen)]
	} else {
		frame = r.frame[:HeaderSize+int(h.StoredLen)]
	}
	var raw []byte
	if h.Scheme == SchemeNone && int(h.StoredLen) == int(h.RawLen) {
		raw = payload // stored as is: no copy
	} else {
		if r.raw == nil {
			r.raw = make([]byte, 0, MaxChunkRaw)
			r.scratch = make([]byte, 0, MaxChunkRaw)
		}
		if raw, err = decode(h.Scheme, payload, int(h.RawLen), r.raw, r.scratch[:h.RawLen]); err != nil {
			return ChunkInfo{}, nil, nil, r.fail(err)
		}
	}
	info := ChunkInfo{
		Hash:      xet.ChunkHash(raw),
		RawLen:    h.RawLen,
		RawOffset: r.rawOff,
		Offset:    r.n,
		StoredLen: h.StoredLen,
	}
	r.count++
	r.n += uint64(len(frame))
	r.rawOff += uint64(h.RawLen)
	return info, raw, frame, nil
}

// skipFooter discards the footer, of which k bytes were read.
func (r *Reader) skipFooter(k uint64) error {
	r.footer = true
	limit := MaxSerialized - r.n - k // r.n <= MaxSerialized - HeaderSize
	var m int64
	if r.inPlace() {
		m = int64(uint64(len(r.src)) - r.n - k)
	} else {
		var err error
		if m, err = io.Copy(io.Discard, io.LimitReader(r.r, int64(limit)+1)); err != nil {
			return fmt.Errorf("xorb footer: %w", err)
		}
	}
	if uint64(m) > limit {
		return fmt.Errorf("%w: xorb with its footer is larger than %d bytes", ErrInvalid, MaxSerialized)
	}
	return io.EOF
}

// Parse parses a whole serialized xorb, footer optional, and returns its chunks.
// A xorb without chunks is an error. Errors match [ErrInvalid].
func Parse(body []byte) ([]ChunkInfo, error) {
	if len(body) > MaxSerialized {
		return nil, fmt.Errorf("%w: %d bytes exceed %d", ErrInvalid, len(body), MaxSerialized)
	}
	r := NewBytesReader(body)
	var chunks []ChunkInfo
	for {
		info, _, _, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		chunks = append(chunks, info)
	}
	if len(chunks) == 0 {
		return nil, fmt.Errorf("%w: no chunks", ErrInvalid)
	}
	return chunks, nil
}
