package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/wharfhub/wharf/internal/store/blob"
)

// Store is a [blob.Backend] that keeps objects as files under a directory.
// It is safe for concurrent use, also by several processes sharing dir.
type Store struct {
	dir      string
	objects  string      // dir/objects: published objects, dir/objects/ab/cd/<oid>
	tmp      string      // dir/tmp: staged objects, removed or renamed by Commit
	noDirect atomic.Bool // the filesystem refused direct I/O
}

var (
	_ blob.Backend = (*Store)(nil)
	_ blob.Sweeper = (*Store)(nil)
)

// tmpPrefix starts the name of every staged file; Sweep removes only those.
const tmpPrefix = "put-"

// Open returns a Store keeping its objects under dir, creating dir and its
// objects and tmp subdirectories if needed. dir/tmp must stay on the same
// filesystem as dir/objects.
func Open(dir string) (*Store, error) {
	s := &Store{
		dir:     dir,
		objects: filepath.Join(dir, "objects"),
		tmp:     filepath.Join(dir, "tmp"),
	}
	for _, d := range []string{s.objects, s.tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("local blob store: %w", err)
		}
	}
	return s, nil
}

// Dir returns the directory the store was opened on.
func (s *Store) Dir() string {
	return s.dir
}

// path returns the file name of oid, which must be valid.
func (s *Store) path(oid string) string {
	return filepath.Join(s.objects, oid[0:2], oid[2:4], oid)
}

// Create starts a staged object in a fresh temp file in dir/tmp.
func (s *Store) Create(ctx context.Context) (blob.Staged, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, direct, err := s.createTemp()
	if err != nil {
		return nil, fmt.Errorf("create staged blob: %w", err)
	}
	return &staged{s: s, f: f, direct: direct}, nil
}

// openFile is os.OpenFile, writeFile (*os.File).Write for direct writes
// and readFileAt (*os.File).ReadAt for ReadRange; tests replace them to
// inject faults.
var (
	openFile   = os.OpenFile
	writeFile  = (*os.File).Write
	readFileAt = (*os.File).ReadAt
)

// openDirect opens name for direct I/O unless the filesystem refused it
// before (tmpfs does); a refusal now (EINVAL) is remembered, and the file
// opened without it. direct says which it is.
func (s *Store) openDirect(name string, flags int, perm os.FileMode) (f *os.File, direct bool, err error) {
	if oDirect == 0 || s.noDirect.Load() {
		f, err = openFile(name, flags, perm)
		return f, false, err
	}
	f, err = openFile(name, flags|oDirect, perm)
	if errors.Is(err, syscall.EINVAL) {
		s.noDirect.Store(true)
		f, err = openFile(name, flags, perm)
		return f, false, err
	}
	return f, err == nil, err
}

// createTemp creates a fresh temp file in dir/tmp, opened for direct I/O
// where the filesystem allows it.
func (s *Store) createTemp() (f *os.File, direct bool, err error) {
	for range 100 {
		name := filepath.Join(s.tmp, tmpPrefix+strconv.FormatUint(rand.Uint64(), 36))
		f, direct, err = s.openDirect(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if !errors.Is(err, fs.ErrExist) {
			return f, direct, err
		}
	}
	return nil, false, errors.New("no unused temp file name")
}

// alignedFrom returns b from its first byte at a directAlign boundary
// (b must have one).
func alignedFrom(b []byte) []byte {
	return b[(directAlign-uintptr(unsafe.Pointer(&b[0]))%directAlign)%directAlign:]
}

// Open opens the file of oid. The returned [blob.Object] is an *os.File
// with a Size method.
func (s *Store) Open(ctx context.Context, oid string) (blob.Object, error) {
	if err := blob.CheckOID(oid); err != nil {
		return nil, err
	}
	f, err := os.Open(s.path(oid))
	if err != nil {
		return nil, notExist(oid, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = errors.New("not a regular file")
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open blob %s: %w", oid, err)
	}
	return &object{File: f, size: fi.Size()}, nil
}

var _ blob.RangeReader = (*Store)(nil)

// ReadRange reads bytes [off, off+n) of oid's object past the page cache
// (direct I/O, whole aligned blocks around the range), unless the
// filesystem refuses direct I/O. Its callers read data once, just after it
// was written (past the page cache too: see staged.Write): filling the
// cache with it would cost more CPU than the read itself.
func (s *Store) ReadRange(ctx context.Context, oid string, off int64, n int, buf []byte) (data, used []byte, err error) {
	if err := blob.CheckOID(oid); err != nil {
		return nil, buf, err
	}
	if err := ctx.Err(); err != nil {
		return nil, buf, err
	}
	f, direct, err := s.openDirect(s.path(oid), os.O_RDONLY, 0)
	if err != nil {
		return nil, buf, notExist(oid, err)
	}
	defer f.Close()
	if n == 0 {
		return buf[:0], buf, nil
	}
	lo, hi, pad := off, off+int64(n), 0
	if direct {
		lo, hi, pad = off&^(directAlign-1), (hi+directAlign-1)&^(directAlign-1), directAlign
	}
	if cap(buf) < int(hi-lo)+pad {
		buf = make([]byte, int(hi-lo)+pad)
	}
	region := buf[:cap(buf)]
	if direct {
		region = alignedFrom(region)
	}
	region = region[:hi-lo]
	m, err := readFileAt(f, region, lo)
	if int64(m) >= off-lo+int64(n) {
		// Past the end of the object, a direct read may fail rather than
		// stop (the last block of an object is partial): what was asked
		// for is there.
		return region[off-lo : off-lo+int64(n)], buf, nil
	}
	if direct && m == 0 && errors.Is(err, syscall.EINVAL) {
		// The filesystem took the open flag but refuses direct reads.
		s.noDirect.Store(true)
		return s.ReadRange(ctx, oid, off, n, buf)
	}
	if err == nil || err == io.EOF || direct && errors.Is(err, syscall.EINVAL) {
		err = io.ErrUnexpectedEOF
	}
	return nil, buf, fmt.Errorf("read blob %s: %d bytes at %d: %w", oid, n, off, err)
}

// object is an open object file. Embedding *os.File keeps its WriteTo and
// ReadAt available to io.Copy and friends.
type object struct {
	*os.File
	size int64
}

// OSFile returns the open file, so that servers can send it with
// sendfile(2). Closing it closes the object.
func (o *object) OSFile() *os.File { return o.File }

// Size returns the size of the object in bytes.
func (o *object) Size() int64 { return o.size }

// Stat returns the size of the file of oid.
func (s *Store) Stat(ctx context.Context, oid string) (int64, error) {
	if err := blob.CheckOID(oid); err != nil {
		return 0, err
	}
	fi, err := os.Stat(s.path(oid))
	if err != nil {
		return 0, notExist(oid, err)
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("stat blob %s: not a regular file", oid)
	}
	return fi.Size(), nil
}

// Delete removes the file of oid; a missing file is not an error. Empty
// fan-out directories stay: removing them would race with a Commit
// renaming into them.
func (s *Store) Delete(ctx context.Context, oid string) error {
	if err := blob.CheckOID(oid); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Remove(s.path(oid)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete blob %s: %w", oid, err)
	}
	return nil
}

// List walks dir/objects and calls fn for every object file. Files that are
// not named by a valid oid in their right fan-out directory are skipped.
func (s *Store) List(ctx context.Context, fn func(oid string, size int64) error) error {
	err := filepath.WalkDir(s.objects, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // deleted while we walked
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		oid := d.Name()
		if !d.Type().IsRegular() || !blob.ValidOID(oid) || p != s.path(oid) {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		return fn(oid, fi.Size())
	})
	if err != nil {
		return fmt.Errorf("list blobs: %w", err)
	}
	return nil
}

// Sweep removes staged temp files in dir/tmp not modified for olderThan:
// leftovers of crashes, since every live Put removes or renames its own.
// A live upload writes to its file continually, so only one stalled for
// longer than olderThan loses it, and then fails at Commit.
func (s *Store) Sweep(ctx context.Context, olderThan time.Duration) (removed int, err error) {
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return 0, fmt.Errorf("sweep blobs: %w", err)
	}
	cutoff := time.Now().Add(-olderThan)
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), tmpPrefix) {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // committed or aborted meanwhile
		}
		if err != nil {
			return removed, fmt.Errorf("sweep blobs: %w", err)
		}
		if !fi.ModTime().Before(cutoff) {
			continue
		}
		err = os.Remove(filepath.Join(s.tmp, e.Name()))
		switch {
		case err == nil:
			removed++
		case !errors.Is(err, fs.ErrNotExist):
			return removed, fmt.Errorf("sweep blobs: %w", err)
		}
	}
	return removed, nil
}

// staged is a temp file in dir/tmp.
type staged struct {
	s      *Store
	f      *os.File
	direct bool // f is open for direct I/O
	done   bool // committed or aborted: the temp file is gone
}

// directAlign is the alignment direct I/O needs of buffers, lengths and
// file offsets (the largest logical block size in use).
const directAlign = 4096

// Write appends p to the temp file. staged deliberately has no ReadFrom:
// only blob.Store writes to it, through its hashing writer.
//
// While the file is open for direct I/O, whole aligned blocks of p go to
// the disk without passing through the page cache: on a busy or virtual
// machine, filling the page cache with gigabytes of uploads costs more CPU
// than hashing them, and evicts what readers use. blob.Store writes from
// large pooled buffers, so every write but the last of an object is
// aligned; the first write that is not (the tail) turns direct I/O off for
// the rest of the file. The data is durable only after Commit's fsync
// either way.
func (t *staged) Write(p []byte) (int, error) {
	n := 0
	if t.direct {
		if len(p) > 0 && uintptr(unsafe.Pointer(&p[0]))%directAlign == 0 {
			if m := len(p) &^ (directAlign - 1); m > 0 {
				var err error
				n, err = writeFile(t.f, p[:m])
				if n == 0 && errors.Is(err, syscall.EINVAL) {
					// The filesystem took the open flag but refuses
					// the writes: as if it had refused the flag.
					t.s.noDirect.Store(true)
				} else if err != nil {
					return n, err
				}
			}
		}
		if n == len(p) {
			return n, nil
		}
		// Unaligned (or refused) data: the rest of the file is buffered.
		if err := clearDirect(t.f); err != nil {
			return n, fmt.Errorf("write staged blob: %w", err)
		}
		t.direct = false
	}
	m, err := t.f.Write(p[n:])
	return n + m, err
}

// Commit fsyncs the temp file, renames it to the object's path and fsyncs
// the directory that gained the entry. If the object exists already, the
// temp file is removed instead.
func (t *staged) Commit(ctx context.Context, oid string) error {
	if t.done {
		return errors.New("commit blob: already committed or aborted")
	}
	if err := blob.CheckOID(oid); err != nil {
		t.Abort()
		return err
	}
	if err := ctx.Err(); err != nil {
		t.Abort()
		return err
	}
	t.done = true
	tmp := t.f.Name()
	if err := t.publish(oid); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("commit blob %s: %w", oid, err)
	}
	return nil
}

func (t *staged) publish(oid string) error {
	// Sync, close, then rename: the data must be on disk before the name
	// is, or a crash could leave a published object full of zeros.
	if err := t.f.Sync(); err != nil {
		t.f.Close()
		return err
	}
	if err := t.f.Close(); err != nil {
		return err
	}
	return t.s.rename(t.f.Name(), oid)
}

// rename publishes the durable file tmp under oid.
func (s *Store) rename(tmp, oid string) error {
	dst := s.path(oid)
	if _, err := os.Stat(dst); err == nil {
		// Already stored (verified content, so equal): leave it untouched.
		return os.Remove(tmp)
	}
	parent := filepath.Dir(dst)
	err := os.Rename(tmp, dst)
	if errors.Is(err, fs.ErrNotExist) {
		// Most likely the fan-out directories do not exist yet (or the
		// sweeper took the temp file, and the retry fails again).
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return err
		}
		// New directories are durable only once their parents are synced.
		for _, d := range []string{filepath.Dir(parent), s.objects} {
			if err := syncDir(d); err != nil {
				return err
			}
		}
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		return err
	}
	return syncDir(parent)
}

// Adopt publishes a verified file under oid by renaming it into the store
// (see [blob.Adopter]). A file on another filesystem is not adoptable.
func (s *Store) Adopt(ctx context.Context, oid, path string) error {
	if err := blob.CheckOID(oid); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	// The data must be on disk before the name is.
	err = f.Sync()
	f.Close()
	if err != nil {
		return err
	}
	// Rename within one filesystem only: first into this store's temp
	// folder, which tells a cross-device move apart from other failures
	// without touching the published namespace.
	tmp := filepath.Join(s.tmp, tmpPrefix+"adopt-"+filepath.Base(path))
	if err := os.Rename(path, tmp); err != nil {
		if errors.Is(err, syscall.EXDEV) {
			return fmt.Errorf("%s: %w", path, blob.ErrNotAdoptable)
		}
		return err
	}
	if err := s.rename(tmp, oid); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("adopt blob %s: %w", oid, err)
	}
	return nil
}

var _ blob.Adopter = (*Store)(nil)

// Abort closes and removes the temp file, unless Commit already did.
func (t *staged) Abort() error {
	if t.done {
		return nil
	}
	t.done = true
	t.f.Close()
	if err := os.Remove(t.f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("abort staged blob: %w", err)
	}
	return nil
}

// syncDir fsyncs directory dir, so that entries created or renamed in it
// survive a crash. Filesystems and systems that cannot sync a directory
// report EINVAL or "unsupported"; there is nothing more to do then.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	cerr := d.Close()
	if err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return cerr
}

// notExist translates a missing file into blob.ErrNotExist.
func notExist(oid string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob %s: %w", oid, blob.ErrNotExist)
	}
	return fmt.Errorf("blob %s: %w", oid, err)
}
