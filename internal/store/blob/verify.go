package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"sync"
)

// bufSize is the copy buffer size: large writes keep syscalls and
// object-store requests few.
const bufSize = 1 << 20

var bufPool = sync.Pool{New: func() any {
	b := make([]byte, bufSize)
	return &b
}}

// largeBufSize is the buffer of a bufferedWriter once its content passed
// bufSize: a large object (a 64 MiB xorb) goes out in few writes, which
// matters most for direct I/O, where every write waits for the disk.
const largeBufSize = 8 << 20

var largeBufPool = sync.Pool{New: func() any {
	b := make([]byte, largeBufSize)
	return &b
}}

// verify runs fill with a verifier in front of dst, then checks count and
// digest. Every error it returns is wrapped with the oid.
func verify(ctx context.Context, oid string, size int64, dst io.Writer, fill func(io.Writer) error) error {
	v := &verifier{ctx: ctx, dst: dst, h: sha256.New(), size: size}
	if err := fill(v); err != nil {
		return fmt.Errorf("put %s: %w", oid, err)
	}
	if v.n != size {
		return fmt.Errorf("put %s: got %d bytes, want %d: %w", oid, v.n, size, ErrSizeMismatch)
	}
	if got := hex.EncodeToString(v.h.Sum(nil)); got != oid {
		return fmt.Errorf("put %s: got sha256 %s: %w", oid, got, ErrDigestMismatch)
	}
	return nil
}

// verifier hashes and counts every byte on its way to dst, and refuses bytes
// past size. It is the only path from a caller's bytes to a backend.
type verifier struct {
	ctx  context.Context
	dst  io.Writer
	h    hash.Hash
	size int64
	n    int64 // bytes hashed and written so far
}

// Write hashes p and writes it to dst, unless p would take the content past
// size or the context is done.
func (v *verifier) Write(p []byte) (int, error) {
	if err := v.ctx.Err(); err != nil {
		return 0, err
	}
	if int64(len(p)) > v.size-v.n {
		return 0, fmt.Errorf("more than %d bytes: %w", v.size, ErrSizeMismatch)
	}
	n, err := v.dst.Write(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	return n, err
}

// ReadFrom copies r to v through pooled buffers that it fills completely
// before hashing and writing them, so a network body arriving in small reads
// still turns into 1 MiB hashes and writes. It reads at most one byte past
// size: enough to detect an over-long body without draining it.
//
// Having ReadFrom on v also keeps io.Copy(v, r) on this path instead of
// allocating its own 32 KiB buffer; a source with WriterTo still ends up in
// v.Write, so no byte can bypass the hash.
func (v *verifier) ReadFrom(r io.Reader) (int64, error) {
	if v.size-v.n < 2*bufSize || v.dst == io.Discard {
		return v.readFromSerial(r)
	}
	return v.readFromPipelined(r)
}

// next reads the next chunk from r into buf: as much as fits, but at most
// one byte past size.
func (v *verifier) next(r io.Reader, buf []byte) ([]byte, error) {
	if limit := v.size - v.n + 1; int64(len(buf)) > limit {
		buf = buf[:limit]
	}
	n, err := readBuf(r, buf)
	return buf[:n], err
}

// readFromSerial reads, hashes and writes one buffer at a time.
func (v *verifier) readFromSerial(r io.Reader) (int64, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	var total int64
	for {
		b, rerr := v.next(r, *bp)
		if len(b) > 0 {
			m, werr := v.Write(b)
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// readFromPipelined is readFromSerial with the write of one buffer running
// on a second goroutine while the next buffer is read and hashed: on a
// local disk hashing and writing (copying into the page cache) cost about
// the same, so a large Put takes nearly half as long. Each byte is still
// read, hashed and written exactly once; a buffer goes to the writer only
// after it was hashed and comes back only after it was written.
func (v *verifier) readFromPipelined(r io.Reader) (total int64, err error) {
	bufs := [2]*[]byte{bufPool.Get().(*[]byte), bufPool.Get().(*[]byte)}
	free := make(chan []byte, len(bufs))
	for _, bp := range bufs {
		free <- *bp
	}
	full := make(chan []byte, len(bufs))
	failed := make(chan struct{}) // closed when a write fails
	done := make(chan struct{})   // closed when the writer has returned
	var werr error                // read only after done
	go func() {
		defer close(done)
		for b := range full {
			if werr == nil {
				if _, werr = v.dst.Write(b); werr != nil {
					close(failed)
				}
			}
			free <- b[:cap(b)]
		}
	}()
	defer func() {
		close(full)
		<-done
		for _, bp := range bufs {
			bufPool.Put(bp)
		}
		if werr != nil {
			// The bytes counted were hashed but not all written.
			total, err = 0, werr
		}
	}()

	for {
		if err := v.ctx.Err(); err != nil {
			return total, err
		}
		var buf []byte
		select {
		case <-failed:
			return total, nil // the deferred function reports werr
		case buf = <-free:
		}
		b, rerr := v.next(r, buf)
		if len(b) > 0 {
			if int64(len(b)) > v.size-v.n {
				return total, fmt.Errorf("more than %d bytes: %w", v.size, ErrSizeMismatch)
			}
			v.h.Write(b)
			v.n += int64(len(b))
			total += int64(len(b))
			full <- b
		} else {
			free <- buf
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// readBuf reads from r until b is full or r returns an error, which it passes
// through unchanged (unlike io.ReadFull, which would turn a reader's own
// io.ErrUnexpectedEOF, as net/http returns for a truncated body, into a
// look-alike of a clean short read).
func readBuf(r io.Reader, b []byte) (int, error) {
	n, empty := 0, 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
		if m == 0 {
			// Guard against readers that return 0, nil forever.
			if empty++; empty >= 100 {
				return n, io.ErrNoProgress
			}
		}
	}
	return n, nil
}

// bufferedWriter counts what it writes through a pooled buffer to dst;
// close it to flush.
type bufferedWriter struct {
	dst  io.Writer
	buf  *[]byte
	fill int
	n    int64
	err  error
}

func newBufferedWriter(dst io.Writer) *bufferedWriter {
	return &bufferedWriter{dst: dst, buf: bufPool.Get().(*[]byte)}
}

func (w *bufferedWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.fill == 0 && len(p) >= largeBufSize {
		// As large as a buffer: no need to copy it.
		n, err := w.dst.Write(p)
		w.n += int64(n)
		w.err = err
		return n, err
	}
	w.n += int64(len(p))
	total := len(p)
	for len(p) > 0 {
		c := copy((*w.buf)[w.fill:], p)
		w.fill += c
		p = p[c:]
		if w.fill == len(*w.buf) {
			if err := w.flush(); err != nil {
				return total - len(p), err
			}
			if len(*w.buf) == bufSize {
				// More than bufSize: a large object.
				bufPool.Put(w.buf)
				w.buf = largeBufPool.Get().(*[]byte)
			}
		}
	}
	return total, nil
}

func (w *bufferedWriter) flush() error {
	if w.err == nil && w.fill > 0 {
		_, w.err = w.dst.Write((*w.buf)[:w.fill])
		w.fill = 0
	}
	return w.err
}

// close flushes what is buffered and gives the buffer back to its pool.
func (w *bufferedWriter) close() error {
	err := w.flush()
	if len(*w.buf) == largeBufSize {
		largeBufPool.Put(w.buf)
	} else {
		bufPool.Put(w.buf)
	}
	w.buf = nil
	return err
}
