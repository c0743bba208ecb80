package hub

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
)

// Content is the data of a file to upload. It is read more than once
// (hashing, then upload), so it must be able to start over.
type Content interface {
	// Size is the content's length in bytes.
	Size() int64
	// ReaderAt returns a reader over the content and a function that
	// releases it. Readers must check that the content still has Size bytes.
	ReaderAt() (io.ReaderAt, func() error, error)
	// Describe names the content in error messages.
	Describe() string
}

// FromPath is the content of a local file. Its size is taken now; a file
// that changes size before it is uploaded fails the upload.
func FromPath(path string) (Content, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("hub: %s is not a regular file", path)
	}
	return &fileContent{path: path, size: fi.Size()}, nil
}

type fileContent struct {
	path string
	size int64
}

func (f *fileContent) Size() int64      { return f.size }
func (f *fileContent) Describe() string { return f.path }
func (f *fileContent) ReaderAt() (io.ReaderAt, func() error, error) {
	fh, err := os.Open(f.path)
	if err != nil {
		return nil, nil, err
	}
	fi, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, nil, err
	}
	if fi.Size() != f.size {
		fh.Close()
		return nil, nil, fmt.Errorf("hub: %s changed size from %d to %d bytes while it was being uploaded", f.path, f.size, fi.Size())
	}
	return &checkedFile{f: fh, path: f.path, size: f.size}, fh.Close, nil
}

// checkSize reports an error if c no longer has the size it announced
// (for files: a stat; for other content: what opening it checks).
func checkSize(c Content) error {
	if f, ok := c.(*fileContent); ok {
		fi, err := os.Stat(f.path)
		if err != nil {
			return err
		}
		if fi.Size() != f.size {
			return fmt.Errorf("hub: %s changed size from %d to %d bytes while it was being uploaded", f.path, f.size, fi.Size())
		}
		return nil
	}
	_, done, err := c.ReaderAt()
	if err != nil {
		return err
	}
	return done()
}

// checkedFile fails reads that find the file shorter than announced.
type checkedFile struct {
	f    *os.File
	path string
	size int64
}

func (c *checkedFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.f.ReadAt(p, off)
	if err == io.EOF && off+int64(n) < c.size && off+int64(len(p)) <= c.size {
		return n, fmt.Errorf("hub: %s shrank while it was being uploaded", c.path)
	}
	return n, err
}

// FromBytes is in-memory content.
func FromBytes(b []byte) Content { return &bytesContent{b: b} }

type bytesContent struct{ b []byte }

func (c *bytesContent) Size() int64      { return int64(len(c.b)) }
func (c *bytesContent) Describe() string { return "bytes" }
func (c *bytesContent) ReaderAt() (io.ReaderAt, func() error, error) {
	return bytes.NewReader(c.b), func() error { return nil }, nil
}

// FromReader is content read from r, which must yield exactly size bytes
// (otherwise the upload fails and nothing is committed). If r is an
// io.ReaderAt it is read in place, from offset 0; otherwise it is copied
// once to a temporary file, which is removed when the CreateCommit (or
// UploadFile, UploadFolder) using it returns, or, for LFS content, when
// PreuploadLFSFiles has uploaded it. Such content can be committed once.
func FromReader(r io.Reader, size int64) Content {
	return &readerContent{r: r, size: size}
}

type readerContent struct {
	mu    sync.Mutex
	r     io.Reader
	size  int64
	spool string
}

func (c *readerContent) Size() int64      { return c.size }
func (c *readerContent) Describe() string { return "reader" }
func (c *readerContent) ReaderAt() (io.ReaderAt, func() error, error) {
	if ra, ok := c.r.(io.ReaderAt); ok {
		return ra, func() error { return nil }, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.spool == "" {
		f, err := os.CreateTemp("", "hub-upload-*")
		if err != nil {
			return nil, nil, err
		}
		n, err := io.Copy(f, io.LimitReader(c.r, c.size+1))
		if err == nil && n < c.size {
			err = fmt.Errorf("hub: reader gave %d bytes, want %d", n, c.size)
		} else if err == nil && n > c.size {
			err = fmt.Errorf("hub: reader gave more than the %d bytes announced", c.size)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(f.Name())
			return nil, nil, err
		}
		c.spool = f.Name()
	}
	f, err := os.Open(c.spool)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

// release removes a spool file, if any.
func release(c Content) {
	if rc, ok := c.(*readerContent); ok {
		rc.mu.Lock()
		if rc.spool != "" {
			os.Remove(rc.spool)
			rc.spool = ""
		}
		rc.mu.Unlock()
	}
}

// sample returns the first 512 bytes of c.
func sample(c Content) ([]byte, error) {
	ra, done, err := c.ReaderAt()
	if err != nil {
		return nil, err
	}
	defer done()
	n := min(c.Size(), 512)
	buf := make([]byte, n)
	if _, err := ra.ReadAt(buf, 0); err != nil && !(err == io.EOF && n == 0) {
		if err == io.EOF {
			return nil, fmt.Errorf("hub: %s is shorter than %d bytes", c.Describe(), n)
		}
		return nil, err
	}
	return buf, nil
}

// inline reads the small file of a whole, through a pooled buffer, and
// fills its sample. It keeps the content in a.data if kept stays within
// keptMax with it (hashKept hashes it later), else fills the sha256, git
// blob id and, with chunkXet, the Xet chunks at once.
func (c *Client) inline(a *AddOp, chunkXet bool, kept *atomic.Int64) error {
	ra, done, err := a.Content.ReaderAt()
	if err != nil {
		return err
	}
	defer done()
	bp := hashBuffers.Get().(*[]byte)
	defer hashBuffers.Put(bp)
	n, err := io.ReadFull(io.NewSectionReader(ra, 0, a.size+1), (*bp)[:a.size+1])
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("hub: read %s: %w", a.Content.Describe(), err)
	}
	if int64(n) != a.size {
		what := fmt.Sprintf("%d bytes, want %d", n, a.size)
		if int64(n) > a.size {
			what = fmt.Sprintf("more than %d bytes", a.size)
		}
		return fmt.Errorf("hub: %s has %s: its size is wrong or it changed while being uploaded", a.Content.Describe(), what)
	}
	data := (*bp)[:n]
	a.sample = append([]byte(nil), data[:min(n, 512)]...)
	if kept.Add(int64(n)) <= keptMax {
		a.data = append(make([]byte, 0, n), data...)
		return nil
	}
	a.fillHashes(data, true, true, chunkXet) // the mode is not known yet
	return nil
}

// hashKept fills what the mode of a, whose content is in a.data, needs
// (see fillHashes).
func (a *AddOp) hashKept(chunkXet bool) {
	a.fillHashes(a.data, a.mode == "lfs", a.mode != "lfs", chunkXet)
}

// fillHashes fills, from data (the whole content of a), what a is
// missing of: its sha256; its Xet chunks if lfs (and chunkXet); its git
// blob id if regular.
func (a *AddOp) fillHashes(data []byte, lfs, regular, chunkXet bool) {
	if a.sha256 == "" {
		sum := sha256.Sum256(data)
		a.sha256 = hex.EncodeToString(sum[:])
	}
	if lfs && chunkXet && a.xet == nil {
		a.xet = scanBytes(data)
	}
	if regular && a.gitBlob == "" {
		g := sha1.New()
		io.WriteString(g, "blob "+strconv.Itoa(len(data))+"\x00")
		g.Write(data)
		a.gitBlob = hex.EncodeToString(g.Sum(nil))
	}
}

// hashBuffers keeps the read buffers of hashes: a fresh 1 MiB buffer per
// file made hashing 10,000 small files mostly a matter of zeroing memory.
var hashBuffers = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// hashes reads c once and returns its sha256 and, if gitBlob is set, its
// git blob id. It fails if c does not have exactly c.Size() bytes.
func hashes(ctx context.Context, c Content, gitBlob bool) (sha string, blob string, err error) {
	ra, done, err := c.ReaderAt()
	if err != nil {
		return "", "", err
	}
	defer done()
	h := sha256.New()
	w := io.Writer(h)
	var g = sha1.New()
	if gitBlob {
		io.WriteString(g, "blob "+strconv.FormatInt(c.Size(), 10)+"\x00")
		w = io.MultiWriter(h, g)
	}
	buf := hashBuffers.Get().(*[]byte)
	defer hashBuffers.Put(buf)
	n, err := io.CopyBuffer(w, ctxReader{ctx, io.NewSectionReader(ra, 0, c.Size()+1)}, *buf)
	if err != nil {
		if ctx.Err() != nil {
			return "", "", ctx.Err()
		}
		return "", "", fmt.Errorf("hub: hash %s: %w", c.Describe(), err)
	}
	if n != c.Size() {
		what := fmt.Sprintf("%d bytes, want %d", n, c.Size())
		if n > c.Size() {
			what = fmt.Sprintf("more than %d bytes", c.Size())
		}
		return "", "", fmt.Errorf("hub: %s has %s: its size is wrong or it changed while being uploaded", c.Describe(), what)
	}
	sha = hex.EncodeToString(h.Sum(nil))
	if gitBlob {
		blob = hex.EncodeToString(g.Sum(nil))
	}
	return sha, blob, nil
}

// ctxReader stops reading once ctx is done, so that hashing a large file
// does not outlive a cancelled upload.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
