package blob_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/blob/blobtest"
	"github.com/wharfhub/wharf/internal/store/blob/mem"
)

func TestValidOID(t *testing.T) {
	for _, tc := range []struct {
		name string
		oid  string
		want bool
	}{
		{"empty object", blobtest.EmptyOID, true},
		{"digits and a-f", strings.Repeat("0123456789abcdef", 4), true},
		{"empty", "", false},
		{"short", blobtest.EmptyOID[:63], false},
		{"long", blobtest.EmptyOID + "0", false},
		{"upper case", strings.ToUpper(blobtest.EmptyOID), false},
		{"non-hex", blobtest.EmptyOID[:63] + "g", false},
		{"slash", blobtest.EmptyOID[:62] + "/a", false},
		{"dots", strings.Repeat(".", 64), false},
		{"multibyte", blobtest.EmptyOID[:62] + "é", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := blob.ValidOID(tc.oid); got != tc.want {
				t.Fatalf("ValidOID(%q) = %v; want %v", tc.oid, got, tc.want)
			}
			if err := blob.CheckOID(tc.oid); (err == nil) != tc.want || (err != nil && !errors.Is(err, blob.ErrInvalidOID)) {
				t.Fatalf("CheckOID(%q) = %v", tc.oid, err)
			}
		})
	}
}

// faulty wraps a mem backend and injects failures.
type faulty struct {
	blob.Backend
	createErr  error
	statErr    error
	commitErr  error
	writeErrAt int64 // fail the Write that would pass this many bytes; <0: never
	creates    atomic.Int32
	aborts     atomic.Int32
}

var errInjected = errors.New("injected failure")

func newFaulty() *faulty { return &faulty{Backend: mem.New(), writeErrAt: -1} }

func (f *faulty) Create(ctx context.Context) (blob.Staged, error) {
	f.creates.Add(1)
	if f.createErr != nil {
		return nil, f.createErr
	}
	st, err := f.Backend.Create(ctx)
	return &faultyStaged{Staged: st, f: f}, err
}

func (f *faulty) Stat(ctx context.Context, oid string) (int64, error) {
	if f.statErr != nil {
		return 0, f.statErr
	}
	return f.Backend.Stat(ctx, oid)
}

type faultyStaged struct {
	blob.Staged
	f *faulty
	n int64
}

func (s *faultyStaged) Write(p []byte) (int, error) {
	if s.f.writeErrAt >= 0 && s.n+int64(len(p)) > s.f.writeErrAt {
		return 0, errInjected
	}
	s.n += int64(len(p))
	return s.Staged.Write(p)
}

func (s *faultyStaged) Commit(ctx context.Context, oid string) error {
	if s.f.commitErr != nil {
		s.Staged.Abort()
		return s.f.commitErr
	}
	return s.Staged.Commit(ctx, oid)
}

func (s *faultyStaged) Abort() error {
	s.f.aborts.Add(1)
	return s.Staged.Abort()
}

func wantNotExist(t *testing.T, s *blob.Store, oid string) {
	t.Helper()
	if ok, err := s.Exists(t.Context(), oid); ok || err != nil {
		t.Fatalf("Exists = %v, %v; want false, nil", ok, err)
	}
}

func TestPutBackendFailures(t *testing.T) {
	for _, size := range []int{1000, 8<<20 + 3} { // serial and pipelined copy
		b := blobtest.Data(1, size)
		oid := blobtest.OID(b)
		for _, tc := range []struct {
			name   string
			inject func(f *faulty)
		}{
			{"create", func(f *faulty) { f.createErr = errInjected }},
			{"commit", func(f *faulty) { f.commitErr = errInjected }},
			{"stat", func(f *faulty) { f.statErr = fmt.Errorf("disk on fire: %w", errInjected) }},
			{"first write", func(f *faulty) { f.writeErrAt = 0 }},
			{"middle write", func(f *faulty) { f.writeErrAt = int64(size / 2) }},
			{"last write", func(f *faulty) { f.writeErrAt = int64(size - 1) }},
		} {
			t.Run(fmt.Sprintf("%d/%s", size, tc.name), func(t *testing.T) {
				f := newFaulty()
				tc.inject(f)
				s := blob.New(f)
				err := s.Put(t.Context(), oid, int64(size), bytes.NewReader(b))
				if !errors.Is(err, errInjected) {
					t.Fatalf("Put: %v; want injected failure", err)
				}
				f.statErr = nil
				wantNotExist(t, s, oid)
				if c, a := f.creates.Load(), f.aborts.Load(); c > 0 && tc.name != "create" && a == 0 {
					t.Fatalf("staged object not aborted")
				}
			})
		}
	}
}

func TestPutExistingWritesNothing(t *testing.T) {
	f := newFaulty()
	s := blob.New(f)
	b := blobtest.Data(2, 3<<20)
	oid := blobtest.OID(b)
	for i := range 3 {
		if err := s.Put(t.Context(), oid, int64(len(b)), bytes.NewReader(b)); err != nil {
			t.Fatalf("Put #%d: %v", i+1, err)
		}
	}
	if c := f.creates.Load(); c != 1 {
		t.Fatalf("Create called %d times for 3 Puts of one object; want 1", c)
	}
}

func TestPutExistingDeletedDuringVerify(t *testing.T) {
	s := blob.New(mem.New())
	ctx := t.Context()
	b := blobtest.Data(3, 1000)
	oid := blobtest.OID(b)
	if err := s.Put(ctx, oid, int64(len(b)), bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	err := s.PutFrom(ctx, oid, int64(len(b)), func(w io.Writer) error {
		if err := s.Delete(ctx, oid); err != nil {
			return err
		}
		_, err := w.Write(b)
		return err
	})
	if err == nil {
		t.Fatalf("Put claimed an object deleted during verification")
	}
	wantNotExist(t, s, oid)
	// A retry stores it.
	if err := s.Put(ctx, oid, int64(len(b)), bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
}

func TestErrorText(t *testing.T) {
	s := blob.New(mem.New())
	b := []byte("hello")
	err := s.Put(t.Context(), blobtest.EmptyOID, 5, bytes.NewReader(b))
	want := "put " + blobtest.EmptyOID + ": got sha256 " + blobtest.OID(b) + ": content hash does not match oid"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v; want %s", err, want)
	}
	err = s.Put(t.Context(), blobtest.EmptyOID, 0, bytes.NewReader(b))
	if want := "put " + blobtest.EmptyOID + ": more than 0 bytes: content size does not match"; err == nil || err.Error() != want {
		t.Fatalf("err = %v; want %s", err, want)
	}
	_, err = s.Stat(t.Context(), "nope")
	if want := `stat: invalid oid "nope"`; err == nil || err.Error() != want {
		t.Fatalf("err = %v; want %s", err, want)
	}
}

func ExampleStore_Put() {
	s := blob.New(mem.New())
	ctx := context.Background()
	content := "hello, wharf\n"
	oid := "b52ac6c4a8ffb1a4cc3a6c9d2d3e27d9f4b46bd1a39dfbfcbd28e7c0fa26ac8c" // not its sha256

	err := s.Put(ctx, oid, int64(len(content)), strings.NewReader(content))
	fmt.Println(errors.Is(err, blob.ErrDigestMismatch))

	oid = blobtest.OID([]byte(content))
	err = s.Put(ctx, oid, int64(len(content)), strings.NewReader(content))
	fmt.Println(err)

	o, _ := s.Open(ctx, oid)
	defer o.Close()
	o.Seek(7, io.SeekStart)
	rest, _ := io.ReadAll(o)
	fmt.Printf("%d bytes, from offset 7: %q\n", o.Size(), rest)
	// Output:
	// true
	// <nil>
	// 13 bytes, from offset 7: "wharf\n"
}
