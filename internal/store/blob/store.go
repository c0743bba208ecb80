package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// Store is a content-addressed blob store: a [Backend] plus verify-on-write.
// It is safe for concurrent use, including concurrent Puts of the same oid.
type Store struct {
	b Backend
}

// New returns a Store that keeps its objects in b.
func New(b Backend) *Store {
	return &Store{b: b}
}

// Backend returns the backend the store writes to, for optional abilities
// such as [Sweeper]. Writing to it directly bypasses verification.
func (s *Store) Backend() Backend {
	return s.b
}

// Put streams r into the store under oid, hashing (sha256) and counting the
// bytes as they pass, with flat memory whatever size is. It reads at most
// size+1 bytes from r.
//
// The object becomes visible only if r yields exactly size bytes whose sha256
// is oid, and only once they are durable. Otherwise Put returns an error
// wrapping [ErrSizeMismatch] (too few or too many bytes), [ErrDigestMismatch],
// [ErrInvalidOID], the error of r (e.g. a cut connection) or of ctx, and
// nothing is visible and no staged data remains.
//
// If the object already exists, Put still reads and verifies r, since knowing
// a hash is not proof of holding the content, and then returns nil without
// writing anything. Concurrent Puts of the same content all succeed and leave
// one stored copy.
func (s *Store) Put(ctx context.Context, oid string, size int64, r io.Reader) error {
	return s.PutFrom(ctx, oid, size, func(w io.Writer) error {
		// w is a *verifier: its ReadFrom reads through the pooled 1 MiB
		// buffer and stops one byte past size.
		_, err := w.(io.ReaderFrom).ReadFrom(r)
		return err
	})
}

// PutFrom is [Store.Put] for content that is not one reader, such as the
// parts of a multipart upload: fill writes the content, in order, to w and
// returns nil, or returns an error to abandon the Put. fill runs on the
// caller's goroutine and must not use w after it returns.
//
// w hashes and counts every byte. A Write that would take it past size fails
// with an error wrapping [ErrSizeMismatch]. w also implements
// [io.ReaderFrom], so io.Copy(w, part) streams through one pooled 1 MiB
// buffer. The checks, errors and publication rules are those of Put.
func (s *Store) PutFrom(ctx context.Context, oid string, size int64, fill func(w io.Writer) error) error {
	if err := CheckOID(oid); err != nil {
		return fmt.Errorf("put: %w", err)
	}
	if size < 0 {
		return fmt.Errorf("put %s: negative size %d: %w", oid, size, ErrSizeMismatch)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %s: %w", oid, err)
	}

	_, err := s.b.Stat(ctx, oid)
	switch {
	case err == nil:
		return s.reverify(ctx, oid, size, fill)
	case !errors.Is(err, ErrNotExist):
		return fmt.Errorf("put %s: %w", oid, err)
	}

	st, err := s.b.Create(ctx)
	if err != nil {
		return fmt.Errorf("put %s: %w", oid, err)
	}
	// Abort is a no-op after a successful Commit, and removes the staged
	// data on every other path, including a panic in fill.
	defer st.Abort()

	if err := verify(ctx, oid, size, st, fill); err != nil {
		return err
	}
	// Last check before publishing: a caller that gave up must not
	// find the object published after all.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %s: %w", oid, err)
	}
	if err := st.Commit(ctx, oid); err != nil {
		return fmt.Errorf("put %s: %w", oid, err)
	}
	return nil
}

// reverify checks the content of an object that is already stored, without
// writing it anywhere.
func (s *Store) reverify(ctx context.Context, oid string, size int64, fill func(io.Writer) error) error {
	if err := verify(ctx, oid, size, io.Discard, fill); err != nil {
		return err
	}
	// The object was there when Put started; a concurrent Delete (GC) may
	// have removed it since, and returning nil would then claim content
	// that is not stored. The caller can retry: the next Put writes it.
	_, err := s.b.Stat(ctx, oid)
	switch {
	case errors.Is(err, ErrNotExist):
		return fmt.Errorf("put %s: object was deleted while its content was being verified, retry", oid)
	case err != nil:
		return fmt.Errorf("put %s: %w", oid, err)
	}
	return nil
}

// Open opens the object stored under oid for reading. It returns an error
// wrapping [ErrNotExist] if there is none, or [ErrInvalidOID].
func (s *Store) Open(ctx context.Context, oid string) (Object, error) {
	if err := CheckOID(oid); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	return s.b.Open(ctx, oid)
}

// ReadRange reads bytes [off, off+n) of the object stored under oid into
// memory, with the backend's [RangeReader] if it has one. The bytes are a
// slice of buf if its capacity is enough, of a new buffer otherwise; used
// is the buffer to pass as buf next time. Errors wrap [ErrNotExist] (no
// object), io.ErrUnexpectedEOF (the object ends before off+n) or
// [ErrInvalidOID].
func (s *Store) ReadRange(ctx context.Context, oid string, off int64, n int, buf []byte) (data, used []byte, err error) {
	if err := CheckOID(oid); err != nil {
		return nil, buf, fmt.Errorf("read: %w", err)
	}
	if off < 0 || n < 0 {
		return nil, buf, fmt.Errorf("read %s: invalid range of %d bytes at %d", oid, n, off)
	}
	if rr, ok := s.b.(RangeReader); ok {
		return rr.ReadRange(ctx, oid, off, n, buf)
	}
	o, err := s.b.Open(ctx, oid)
	if err != nil {
		return nil, buf, err
	}
	defer o.Close()
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	data = buf[:n]
	if _, err := o.Seek(off, io.SeekStart); err != nil {
		return nil, buf, fmt.Errorf("read %s at %d: %w", oid, off, err)
	}
	if _, err := io.ReadFull(o, data); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, buf, fmt.Errorf("read %s at %d: %w", oid, off, err)
	}
	return data, buf, nil
}

// Stat returns the size of the object stored under oid. It returns an error
// wrapping [ErrNotExist] if there is none, or [ErrInvalidOID].
func (s *Store) Stat(ctx context.Context, oid string) (size int64, err error) {
	if err := CheckOID(oid); err != nil {
		return 0, fmt.Errorf("stat: %w", err)
	}
	return s.b.Stat(ctx, oid)
}

// Exists reports whether an object is stored under oid. A missing object is
// not an error; an invalid oid is ([ErrInvalidOID]).
func (s *Store) Exists(ctx context.Context, oid string) (bool, error) {
	_, err := s.Stat(ctx, oid)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotExist):
		return false, nil
	}
	return false, err
}

// Delete removes the object stored under oid. It is idempotent: deleting a
// missing object returns nil. It fails without deleting if ctx is done.
func (s *Store) Delete(ctx context.Context, oid string) error {
	if err := CheckOID(oid); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete %s: %w", oid, err)
	}
	return s.b.Delete(ctx, oid)
}

// List calls fn for every stored object, as [Backend.List] does.
func (s *Store) List(ctx context.Context, fn func(oid string, size int64) error) error {
	return s.b.List(ctx, fn)
}

// PutFile stores the content of the file at path under oid. The caller owns
// the file and guarantees that nobody writes to it any more. The file is
// hashed in place and then, when the backend is an [Adopter] on the same
// filesystem, renamed into the store, so its bytes are written once;
// otherwise it is copied as by [Store.Put]. The checks and errors are those
// of Put. On success the file may be gone (adopted) or still there (copied
// or already stored): the caller removes it if it still exists.
func (s *Store) PutFile(ctx context.Context, oid string, size int64, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("put %s: %w", oid, err)
	}
	defer f.Close()
	ad, ok := s.b.(Adopter)
	if !ok {
		return s.Put(ctx, oid, size, f)
	}
	if err := CheckOID(oid); err != nil {
		return fmt.Errorf("put: %w", err)
	}
	if err := verify(ctx, oid, size, io.Discard, func(w io.Writer) error {
		_, err := w.(io.ReaderFrom).ReadFrom(f)
		return err
	}); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %s: %w", oid, err)
	}
	err = ad.Adopt(ctx, oid, path)
	if errors.Is(err, ErrNotAdoptable) {
		if _, serr := f.Seek(0, io.SeekStart); serr != nil {
			return fmt.Errorf("put %s: %w", oid, serr)
		}
		return s.Put(ctx, oid, size, f)
	}
	if err != nil {
		return fmt.Errorf("put %s: %w", oid, err)
	}
	return nil
}

// PutNamed stores content whose writer names it: fill writes the content
// to w, checks it and returns the oid it deserves (a Xet xorb is named by
// its own hash and chunk layout, which the CAS verifies chunk by chunk as
// the xorb streams in), and once fill returns, the content is published
// under that oid, once durable. It returns the oid and the size. If fill
// fails, or ctx ends, nothing is published and no staged data remains.
// Unlike Put, the store does not hash the content: fill's check is what
// binds it to the oid.
func (s *Store) PutNamed(ctx context.Context, fill func(w io.Writer) (string, error)) (oid string, size int64, err error) {
	if err := ctx.Err(); err != nil {
		return "", 0, fmt.Errorf("put: %w", err)
	}
	st, err := s.b.Create(ctx)
	if err != nil {
		return "", 0, fmt.Errorf("put: %w", err)
	}
	defer st.Abort()
	bw := newBufferedWriter(st)
	oid, err = fill(bw)
	if ferr := bw.close(); err == nil && ferr != nil {
		err = fmt.Errorf("put: %w", ferr)
	}
	if err != nil {
		return "", 0, err
	}
	if err := CheckOID(oid); err != nil {
		return "", 0, fmt.Errorf("put: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return "", 0, fmt.Errorf("put %s: %w", oid, err)
	}
	if err := st.Commit(ctx, oid); err != nil {
		return "", 0, fmt.Errorf("put %s: %w", oid, err)
	}
	return oid, bw.n, nil
}

// Direct returns the backend's direct-transfer ability, or nil.
func (s *Store) Direct() Direct {
	d, _ := s.b.(Direct)
	return d
}

// PublishStaged verifies content staged by a direct upload (hashing it as
// it is read back: it must be size bytes with sha256 oid) and publishes it
// under oid. Content that does not match is deleted and the error wraps
// ErrDigestMismatch or ErrSizeMismatch.
func (s *Store) PublishStaged(ctx context.Context, staging, oid string, size int64) error {
	d := s.Direct()
	if d == nil {
		return errors.New("publish staged: the backend has no direct uploads")
	}
	if err := CheckOID(oid); err != nil {
		return err
	}
	obj, err := d.OpenStaged(ctx, staging)
	if err != nil {
		return err
	}
	err = verify(ctx, oid, size, io.Discard, func(w io.Writer) error {
		_, err := io.CopyBuffer(w, obj, make([]byte, 1<<20))
		return err
	})
	obj.Close()
	if errors.Is(err, ErrDigestMismatch) || errors.Is(err, ErrSizeMismatch) {
		d.DeleteStaged(context.WithoutCancel(ctx), staging)
		return err
	}
	if err != nil {
		return err
	}
	return d.PublishStaging(ctx, staging, oid)
}

// PublishChecked publishes content staged by a checksum-bound PUT (see
// [Direct.PresignPutStaged]): the backend verified the sha256, so only the
// size is checked here.
func (s *Store) PublishChecked(ctx context.Context, staging, oid string, size int64) error {
	d := s.Direct()
	if d == nil {
		return errors.New("publish checked: the backend has no direct uploads")
	}
	if err := CheckOID(oid); err != nil {
		return err
	}
	got, err := d.StatStaged(ctx, staging)
	if err != nil {
		return err
	}
	if got != size {
		d.DeleteStaged(context.WithoutCancel(ctx), staging)
		return fmt.Errorf("put %s: got %d bytes, want %d: %w", oid, got, size, ErrSizeMismatch)
	}
	return d.PublishStaging(ctx, staging, oid)
}
