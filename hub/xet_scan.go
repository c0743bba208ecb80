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

// scanXet reads content once and returns its sha256 (hex) and its chunks
// (see readChunks). It fails if content does not have exactly
// content.Size() bytes.
func (c *Client) scanXet(ctx context.Context, content Content) (string, *xetScan, error) {
	size := content.Size()
	if size < 1<<20 {
		// Small files: everything on this goroutine (files are scanned
		// in parallel anyway).
		ra, done, err := content.ReaderAt()
		if err != nil {
			return "", nil, err
		}
		defer done()
		bp := hashBuffers.Get().(*[]byte)
		defer hashBuffers.Put(bp)
		buf := (*bp)[:size+1]
		n, err := io.ReadFull(ctxReader{ctx, io.NewSectionReader(ra, 0, size+1)}, buf)
		if err := scanCheck(ctx, content, int64(n), err); err != nil {
			return "", nil, err
		}
		data := buf[:n]
		sum := sha256.Sum256(data)
		return hex.EncodeToString(sum[:]), scanBytes(data), nil
	}
	s := &xetScan{size: size, chunks: make([]xetChunk, 0, size/chunk.TargetSize+1)}
	sum, err := c.readChunks(ctx, content, true, func(sg *segment) error {
		s.chunks = append(s.chunks, sg.chunks...)
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return sum, s, nil
}

// segment is a piece of a file read by readChunks: its bytes (from a chunk
// boundary on) and the chunks they hold.
type segment struct {
	buf    int // index of the read buffer holding data
	data   []byte
	chunks []xetChunk
	starts []int // offset of each chunk in data
}

// readChunks reads content once, scanSegment bytes at a time. Each segment
// is cut into chunks whose hashes are computed on up to Workers goroutines
// while the next segment is read and cut, and the sha256 runs on its own
// goroutine (unless withSHA256 is false: it then returns ""). use gets
// every segment, in order, once its chunks are hashed; the segment's data
// is valid until use returns. It returns the hex sha256, and fails if
// content does not have exactly content.Size() bytes.
func (c *Client) readChunks(ctx context.Context, content Content, withSHA256 bool, use func(*segment) error) (string, error) {
	ra, done, err := content.ReaderAt()
	if err != nil {
		return "", err
	}
	defer done()
	size := content.Size()
	sr := ctxReader{ctx, io.NewSectionReader(ra, 0, size+1)}
	sum := sha256.New()
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
	var shaWG, hashWG [scanBufs]sync.WaitGroup
	for i := range bufs {
		bufs[i] = scanBuffers.Get().(*[]byte)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		for i := range bufs {
			shaWG[i].Wait()
			hashWG[i].Wait()
		}
		close(shaJobs)
		<-shaDone
		for _, b := range bufs {
			scanBuffers.Put(b)
		}
	}
	defer stop()

	// A segment is used once the next one is cut and being hashed.
	var pending *segment
	flush := func() error {
		if pending == nil {
			return nil
		}
		hashWG[pending.buf].Wait()
		err := use(pending)
		pending = nil
		return err
	}
	var total int64
	cur, carry := 0, 0
	for {
		b := *bufs[cur]
		n, err := io.ReadFull(sr, b[carry:carry+scanSegment])
		total += int64(n)
		eof := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !eof {
			return "", scanCheck(ctx, content, total, err)
		}
		if total > size {
			return "", scanCheck(ctx, content, total, nil)
		}
		data := b[:carry+n]
		if withSHA256 {
			shaWG[cur].Add(1)
			shaJobs <- shaJob{b[carry : carry+n], &shaWG[cur]}
		}
		sg := &segment{buf: cur, data: data}
		off := 0
		for off < len(data) {
			k := chunk.Next(data[off:], eof)
			if k == 0 {
				break
			}
			sg.chunks = append(sg.chunks, xetChunk{size: uint32(k)})
			sg.starts = append(sg.starts, off)
			off += k
		}
		c.hashChunks(data, sg.chunks, sg.starts, &hashWG[cur])
		if err := flush(); err != nil {
			return "", err
		}
		pending = sg
		if eof {
			break
		}
		next := (cur + 1) % scanBufs
		shaWG[next].Wait()
		hashWG[next].Wait()
		carry = copy(*bufs[next], data[off:])
		cur = next
	}
	if err := scanCheck(ctx, content, total, nil); err != nil {
		return "", err
	}
	if err := flush(); err != nil {
		return "", err
	}
	stop()
	if !withSHA256 {
		return "", nil
	}
	return hex.EncodeToString(sum.Sum(nil)), nil
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
