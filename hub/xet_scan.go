package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sync"

	"github.com/wharfhub/wharf/xet"
	"github.com/wharfhub/wharf/xet/chunk"
)

// xetChunk is one chunk of a file: its hash and length.
type xetChunk struct {
	hash xet.Hash
	size uint32
}

// xetScan is what one read of a file tells Xet: its chunks, in order.
type xetScan struct {
	size   int64
	chunks []xetChunk
}

// scanSegment is how much of a file is read at once by scanXet; scanBufs
// segments (plus a chunk carried over) are in memory per file, so that
// reading, cutting, sha256 and chunk hashes overlap.
const (
	scanSegment = 4 << 20
	scanBufs    = 3
)

var scanBuffers = sync.Pool{New: func() any { b := make([]byte, scanSegment+chunk.MaxSize); return &b }}

// scanXet reads content once and returns its sha256 (hex) and its chunks.
// The sha256 runs on its own goroutine and the chunk hashes on up to
// Workers goroutines, while the next segment is read and cut into chunks.
// It fails if content does not have exactly content.Size() bytes.
func (c *Client) scanXet(ctx context.Context, content Content) (string, *xetScan, error) {
	ra, done, err := content.ReaderAt()
	if err != nil {
		return "", nil, err
	}
	defer done()
	size := content.Size()
	sr := ctxReader{ctx, io.NewSectionReader(ra, 0, size+1)}
	sum := sha256.New()

	if size < 1<<20 {
		// Small files: everything on this goroutine (files are scanned
		// in parallel anyway).
		bp := hashBuffers.Get().(*[]byte)
		defer hashBuffers.Put(bp)
		buf := (*bp)[:size+1]
		n, err := io.ReadFull(sr, buf)
		if err := scanCheck(ctx, content, int64(n), err); err != nil {
			return "", nil, err
		}
		data := buf[:n]
		sum.Write(data)
		return hex.EncodeToString(sum.Sum(nil)), scanBytes(data), nil
	}

	type shaJob struct {
		data []byte
		wg   *sync.WaitGroup
	}
	shaJobs := make(chan shaJob, scanBufs)
	shaDone := make(chan struct{})
	go func() {
		defer close(shaDone)
		for j := range shaJobs {
			sum.Write(j.data)
			j.wg.Done()
		}
	}()
	var bufs [scanBufs]*[]byte
	var wgs [scanBufs]sync.WaitGroup
	for i := range bufs {
		bufs[i] = scanBuffers.Get().(*[]byte)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		for i := range wgs {
			wgs[i].Wait()
		}
		close(shaJobs)
		<-shaDone
		for _, b := range bufs {
			scanBuffers.Put(b)
		}
	}
	defer stop()
	var segs [][]xetChunk
	var total int64
	cur, carry := 0, 0
	for {
		b := *bufs[cur]
		n, err := io.ReadFull(sr, b[carry:carry+scanSegment])
		total += int64(n)
		eof := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !eof {
			return "", nil, scanCheck(ctx, content, total, err)
		}
		if total > size {
			return "", nil, scanCheck(ctx, content, total, nil)
		}
		data := b[:carry+n]
		wgs[cur].Add(1)
		shaJobs <- shaJob{b[carry : carry+n], &wgs[cur]}
		var seg []xetChunk
		var starts []int
		off := 0
		for off < len(data) {
			k := chunk.Next(data[off:], eof)
			if k == 0 {
				break
			}
			seg = append(seg, xetChunk{size: uint32(k)})
			starts = append(starts, off)
			off += k
		}
		c.hashChunks(data, seg, starts, &wgs[cur])
		segs = append(segs, seg)
		if eof {
			break
		}
		next := (cur + 1) % scanBufs
		wgs[next].Wait()
		carry = copy(*bufs[next], data[off:])
		cur = next
	}
	if err := scanCheck(ctx, content, total, nil); err != nil {
		return "", nil, err
	}
	stop()
	s := &xetScan{size: size}
	n := 0
	for _, seg := range segs {
		n += len(seg)
	}
	s.chunks = make([]xetChunk, 0, n)
	for _, seg := range segs {
		s.chunks = append(s.chunks, seg...)
	}
	return hex.EncodeToString(sum.Sum(nil)), s, nil
}

// scanBytes cuts data, a whole file, into chunks and hashes them.
func scanBytes(data []byte) *xetScan {
	s := &xetScan{size: int64(len(data))}
	for off := 0; off < len(data); {
		k := chunk.Next(data[off:], true)
		s.chunks = append(s.chunks, xetChunk{hash: xet.ChunkHash(data[off : off+k]), size: uint32(k)})
		off += k
	}
	return s
}

// hashChunks hashes the chunks seg of data (starting at starts) on up to
// Workers goroutines, counted in wg.
func (c *Client) hashChunks(data []byte, seg []xetChunk, starts []int, wg *sync.WaitGroup) {
	parts := min(c.opts.Workers, (len(seg)+7)/8)
	for p := range parts {
		lo, hi := p*len(seg)/parts, (p+1)*len(seg)/parts
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				seg[i].hash = xet.ChunkHash(data[starts[i] : starts[i]+int(seg[i].size)])
			}
		}()
	}
}

// scanCheck turns the outcome of reading content (n bytes, then err) into
// the errors of hashes.
func scanCheck(ctx context.Context, content Content, n int64, err error) error {
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("hub: hash %s: %w", content.Describe(), err)
	}
	if n != content.Size() {
		what := fmt.Sprintf("%d bytes, want %d", n, content.Size())
		if n > content.Size() {
			what = fmt.Sprintf("more than %d bytes", content.Size())
		}
		return fmt.Errorf("hub: %s has %s: its size is wrong or it changed while being uploaded", content.Describe(), what)
	}
	return nil
}
