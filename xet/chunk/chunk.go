package chunk

import (
	"errors"
	"io"
)

// Chunk size parameters.
const (
	MinSize    = 8192   // no boundary before a chunk has this many bytes
	TargetSize = 65536  // mean chunk size of random data, about
	MaxSize    = 131072 // forced boundary
)

// Mask selects the 16 high bits of the gear hash; a boundary needs them all zero.
const Mask = 0xffff000000000000

// skip is how many bytes at the start of a chunk need not be hashed: the hash
// after byte i depends only on bytes i-63 to i, and the first byte tested is
// byte MinSize-1, so hashing from byte MinSize-64-1 on gives the same hashes as
// hashing from the chunk start. (One byte more than needed, as the reference does.)
const skip = MinSize - 64 - 1

// Next returns the length of the first chunk of data, which must start at a chunk
// boundary. If no boundary is found and data is shorter than [MaxSize], Next
// returns 0 (more data is needed) unless atEOF is set, in which case the rest of
// data is the final chunk and Next returns len(data). Next returns 0 for empty data.
func Next(data []byte, atEOF bool) int {
	if len(data) < MinSize {
		if atEOF {
			return len(data)
		}
		return 0
	}
	end := min(len(data), MaxSize)
	if n := scan(data[:end]); n > 0 {
		return n
	}
	if end == MaxSize || atEOF {
		return end
	}
	return 0
}

// scan returns the length of the first chunk of data ending at a hash match, or 0
// if there is none. MinSize <= len(data) <= MaxSize.
func scan(data []byte) int {
	var h uint64
	for _, b := range data[skip : MinSize-1] {
		h = h<<1 + Table[b]
	}
	tail := data[MinSize-1:]
	i := 0
	// Four bytes at a time: the four hashes are computed off the dependency
	// chain of h and tested at once (a match has its 16 high bits zero, so is
	// below 1<<48). On a match, the byte loop below finds which byte it was.
	for ; i+4 <= len(tail); i += 4 {
		q := tail[i : i+4 : i+4]
		t0, t1, t2, t3 := Table[q[0]], Table[q[1]], Table[q[2]], Table[q[3]]
		s2 := t0<<1 + t1
		s3 := s2<<1 + t2
		s4 := s3<<1 + t3
		if min(h<<1+t0, h<<2+s2, h<<3+s3, h<<4+s4) < 1<<48 {
			break
		}
		h = h<<4 + s4
	}
	for ; i < len(tail); i++ {
		h = h<<1 + Table[tail[i]]
		if h&Mask == 0 {
			return MinSize + i
		}
	}
	return 0
}

// Boundaries returns the cumulative end offsets of the chunks of data; the last is
// len(data). It returns nil for empty data.
func Boundaries(data []byte) []int {
	var ends []int
	for off := 0; off < len(data); {
		off += Next(data[off:], true)
		ends = append(ends, off)
	}
	return ends
}

// bufSize is the size of a Chunker's buffer. A chunk is found as soon as MaxSize
// bytes are buffered, so any size of at least MaxSize works; more saves copying.
const bufSize = 4 * MaxSize

// Chunker splits a stream into chunks. It holds one buffer of 4 × [MaxSize]
// (512 KiB) and reads from its source in pieces as large as the buffer allows.
// A Chunker is not safe for concurrent use.
type Chunker struct {
	r          io.Reader
	buf        []byte
	start, end int   // buffered data is buf[start:end]
	err        error // sticky read error; io.EOF once the source is exhausted
}

// NewChunker returns a Chunker reading from r.
func NewChunker(r io.Reader) *Chunker {
	return &Chunker{r: r}
}

// Next returns the next chunk of the stream. The slice is valid until the next
// call. After the last chunk Next returns io.EOF; an empty stream has no chunks.
// A read error other than io.EOF is returned as it is, and again by every later
// call; chunks buffered before it are not returned.
func (c *Chunker) Next() ([]byte, error) {
	if c.end-c.start < MaxSize && c.err == nil {
		c.fill()
	}
	if c.err != nil && c.err != io.EOF {
		return nil, c.err
	}
	data := c.buf[c.start:c.end]
	if len(data) == 0 {
		return nil, io.EOF
	}
	n := Next(data, c.err != nil)
	c.start += n
	return data[:n:n], nil
}

// maxEmptyReads is how many reads in a row may return no data and no error
// before the Chunker gives up, as bufio.Reader does.
const maxEmptyReads = 100

// fill reads until MaxSize bytes are buffered or the source ends.
func (c *Chunker) fill() {
	if c.buf == nil {
		c.buf = make([]byte, bufSize)
	}
	if len(c.buf)-c.start < MaxSize {
		// Not enough room after the buffered data: move it to the front.
		c.end = copy(c.buf, c.buf[c.start:c.end])
		c.start = 0
	}
	empty := 0
	for c.end-c.start < MaxSize {
		n, err := c.r.Read(c.buf[c.end:])
		if n < 0 || n > len(c.buf)-c.end {
			c.err = errors.New("chunk: invalid count returned by Read")
			return
		}
		c.end += n
		if err != nil {
			c.err = err
			return
		}
		if n == 0 {
			if empty++; empty == maxEmptyReads {
				c.err = io.ErrNoProgress
				return
			}
		} else {
			empty = 0
		}
	}
}
