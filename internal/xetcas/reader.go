package xetcas

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/xet/xorb"
)

// FileReader reads a Xet file's bytes back from its xorbs: the bridge for
// clients without Xet. It is an io.ReadSeeker, so http.ServeContent serves
// ranges from it; a seek only repositions, and the next Read starts decoding
// at the chunk that holds the position. Memory: one read buffer and two
// chunks. Not safe for concurrent use.
type FileReader struct {
	s         *Service
	ctx       context.Context
	f         *File
	termStart []int64 // file offset of each term, plus the size at the end
	pos       int64

	// the decoding stream, valid when st != nil and stPos == pos
	st      *stream
	stPos   int64
	buf     []byte // decoded bytes of the current chunk
	bufOff  int
	scratch []byte
}

type stream struct {
	x     *xorbIndex
	obj   blob.Object
	br    *bufio.Reader
	term  int // index of the term being read
	chunk int // index in the xorb of the next chunk to decode
}

// OpenFile returns a reader of f's bytes. Close it.
func (s *Service) OpenFile(ctx context.Context, f *File) *FileReader {
	ts := make([]int64, len(f.Terms)+1)
	for i, t := range f.Terms {
		ts[i+1] = ts[i] + int64(t.Unpacked)
	}
	return &FileReader{s: s, ctx: ctx, f: f, termStart: ts}
}

// Size returns the file size.
func (r *FileReader) Size() int64 { return r.f.Size }

// Seek sets the offset of the next Read.
func (r *FileReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.f.Size
	default:
		return 0, errors.New("xet file: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("xet file: negative position")
	}
	r.pos = offset
	return offset, nil
}

// Close releases the open xorb.
func (r *FileReader) Close() error {
	r.closeStream()
	return nil
}

func (r *FileReader) closeStream() {
	if r.st != nil {
		r.st.obj.Close()
		r.st = nil
	}
}

// Read reads decoded file bytes at the current position.
func (r *FileReader) Read(p []byte) (int, error) {
	if r.pos >= r.f.Size {
		return 0, io.EOF
	}
	if r.st == nil || r.stPos != r.pos {
		if err := r.openAt(r.pos); err != nil {
			return 0, err
		}
	}
	n := 0
	for n < len(p) && r.pos < r.f.Size {
		if r.bufOff == len(r.buf) {
			if err := r.next(); err != nil {
				if n > 0 {
					break
				}
				return 0, err
			}
		}
		c := copy(p[n:], r.buf[r.bufOff:])
		r.bufOff += c
		n += c
		r.pos += int64(c)
	}
	r.stPos = r.pos
	return n, nil
}

// openAt starts decoding at the chunk holding file offset pos.
func (r *FileReader) openAt(pos int64) error {
	r.closeStream()
	ti := sort.Search(len(r.f.Terms), func(i int) bool { return r.termStart[i+1] > pos })
	if ti == len(r.f.Terms) {
		return io.EOF
	}
	t := r.f.Terms[ti]
	x, err := r.s.loadXorb(r.ctx, t.Xorb)
	if err != nil {
		return err
	}
	within := uint64(pos-r.termStart[ti]) + x.rawOff[t.Start]
	ci := sort.Search(int(t.End), func(i int) bool { return x.rawOff[i+1] > within })
	if ci < int(t.Start) || ci >= int(t.End) {
		return fmt.Errorf("xet file %s: term %d does not cover offset %d", r.f.Hash, ti, pos)
	}
	if err := r.startStream(x, ti, ci); err != nil {
		return err
	}
	if err := r.decode(); err != nil {
		return err
	}
	r.bufOff = int(within - x.rawOff[ci])
	r.stPos = pos
	return nil
}

func (r *FileReader) startStream(x *xorbIndex, term, chunk int) error {
	obj, err := r.s.openXorb(r.ctx, x)
	if err != nil {
		return err
	}
	if _, err := obj.Seek(int64(x.byteOff[chunk]), io.SeekStart); err != nil {
		obj.Close()
		return err
	}
	// A buffer for what this term reads, up to 1 MiB: small files are many.
	size := int(min(x.byteOff[r.f.Terms[term].End]-x.byteOff[chunk], 1<<20))
	r.st = &stream{x: x, obj: obj, br: bufio.NewReaderSize(obj, max(size, 4096)), term: term, chunk: chunk}
	return nil
}

// next moves to the chunk after the current one, across terms and xorbs.
func (r *FileReader) next() error {
	st := r.st
	t := r.f.Terms[st.term]
	if st.chunk >= int(t.End) {
		if st.term+1 >= len(r.f.Terms) {
			return io.EOF
		}
		nt := r.f.Terms[st.term+1]
		if nt.Xorb == st.x.hash && int(nt.Start) == st.chunk {
			st.term++ // contiguous: keep reading the same stream
		} else {
			x, err := r.s.loadXorb(r.ctx, nt.Xorb)
			if err != nil {
				return err
			}
			r.closeStream()
			if err := r.startStream(x, st.term+1, int(nt.Start)); err != nil {
				return err
			}
		}
	}
	return r.decode()
}

// decode reads and decodes the stream's next chunk into buf.
func (r *FileReader) decode() error {
	st := r.st
	if err := r.ctx.Err(); err != nil {
		return err
	}
	var hb [xorb.HeaderSize]byte
	if _, err := io.ReadFull(st.br, hb[:]); err != nil {
		return fmt.Errorf("xorb %s chunk %d: %w", st.x.hash, st.chunk, noEOF(err))
	}
	h, err := xorb.ParseHeader(hb[:])
	if err != nil {
		return fmt.Errorf("xorb %s chunk %d: %w", st.x.hash, st.chunk, err)
	}
	if cap(r.scratch) < int(h.StoredLen) {
		r.scratch = make([]byte, h.StoredLen)
	}
	payload := r.scratch[:h.StoredLen]
	if _, err := io.ReadFull(st.br, payload); err != nil {
		return fmt.Errorf("xorb %s chunk %d: %w", st.x.hash, st.chunk, noEOF(err))
	}
	if h.Scheme == xorb.SchemeNone {
		// Stored as is: swap buffers instead of copying.
		r.buf, r.scratch = payload, r.buf
	} else if r.buf, err = xorb.Decompress(h.Scheme, payload, int(h.RawLen), r.buf); err != nil {
		return fmt.Errorf("xorb %s chunk %d: %w", st.x.hash, st.chunk, err)
	}
	if uint64(len(r.buf)) != st.x.rawOff[st.chunk+1]-st.x.rawOff[st.chunk] {
		return fmt.Errorf("xorb %s chunk %d: stored chunk has %d bytes, index says %d", st.x.hash, st.chunk, len(r.buf), st.x.rawOff[st.chunk+1]-st.x.rawOff[st.chunk])
	}
	r.bufOff = 0
	st.chunk++
	return nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
