package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/wharfhub/wharf/internal/store/blob"
)

// EmptyOID is the oid of the empty object.
const EmptyOID = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Run runs the conformance suite against backends made by newBackend, which
// is called once per subtest and must return an empty backend (use
// t.TempDir and t.Cleanup for resources). Every test goes through
// [blob.Store], as production code does, except those checking the
// [blob.Backend] contract itself.
func Run(t *testing.T, newBackend func(t *testing.T) blob.Backend) {
	newStore := func(t *testing.T) *blob.Store {
		t.Helper()
		return blob.New(newBackend(t))
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s *blob.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Empty", testEmpty},
		{"LargeStreaming", testLargeStreaming},
		{"DigestMismatch", testDigestMismatch},
		{"ShortBody", testShortBody},
		{"LongBody", testLongBody},
		{"LongBodyReadsAtMostSizePlusOne", testLongBodyBoundedRead},
		{"ReaderFails", testReaderFails},
		{"ContextCancelledBeforePut", testCancelledBefore},
		{"ContextCancelledDuringPut", testCancelledDuring},
		{"ConcurrentPutsSameOID", testConcurrentSame},
		{"ConcurrentPutsDistinctOIDs", testConcurrentDistinct},
		{"PutExistingVerifiesContent", testPutExisting},
		{"PutFrom", testPutFrom},
		{"PutNamed", testPutNamed},
		{"SeekAndRead", testSeek},
		{"ServeContentRange", testServeContentRange},
		{"ReadRange", testReadRange},
		{"Missing", testMissing},
		{"DeleteIdempotent", testDelete},
		{"InvalidOID", testInvalidOID},
		{"List", testList},
		{"BackendAbort", testBackendAbort},
		{"BackendCommitExistingKeepsOriginal", testBackendCommitExisting},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

// OID returns the oid of b.
func OID(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Data returns n deterministic pseudo-random bytes derived from seed.
func Data(seed uint64, n int) []byte {
	b := make([]byte, n)
	Reader(seed, int64(n)).Read(b)
	return b
}

// Reader returns a reader of n deterministic pseudo-random bytes derived
// from seed, the same as [Data]. It has no WriterTo, like a network body.
func Reader(seed uint64, n int64) io.Reader {
	var s [32]byte
	s[0], s[1], s[2], s[3] = byte(seed), byte(seed>>8), byte(seed>>16), byte(seed>>24)
	return io.LimitReader(rand.NewChaCha8(s), n)
}

func put(t *testing.T, s *blob.Store, b []byte) string {
	t.Helper()
	oid := OID(b)
	if err := s.Put(t.Context(), oid, int64(len(b)), bytes.NewReader(b)); err != nil {
		t.Fatalf("Put(%d bytes): %v", len(b), err)
	}
	return oid
}

func get(t *testing.T, s *blob.Store, oid string) []byte {
	t.Helper()
	o, err := s.Open(t.Context(), oid)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer o.Close()
	b, err := io.ReadAll(o)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if o.Size() != int64(len(b)) {
		t.Errorf("Object.Size() = %d, read %d bytes", o.Size(), len(b))
	}
	return b
}

func wantContent(t *testing.T, s *blob.Store, oid string, want []byte) {
	t.Helper()
	if got := get(t, s, oid); !bytes.Equal(got, want) {
		t.Fatalf("content of %s: got %d bytes (sha256 %s), want %d bytes", oid[:12], len(got), OID(got)[:12], len(want))
	}
	size, err := s.Stat(t.Context(), oid)
	if err != nil || size != int64(len(want)) {
		t.Fatalf("Stat = %d, %v; want %d, nil", size, err, len(want))
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v; want %v", err, target)
	}
}

// wantNothing checks that oid is not visible by any means.
func wantNothing(t *testing.T, s *blob.Store, oid string) {
	t.Helper()
	ctx := t.Context()
	if _, err := s.Stat(ctx, oid); !errors.Is(err, blob.ErrNotExist) {
		t.Fatalf("Stat after failed Put: err = %v; want ErrNotExist", err)
	}
	if ok, err := s.Exists(ctx, oid); ok || err != nil {
		t.Fatalf("Exists after failed Put = %v, %v; want false, nil", ok, err)
	}
	if o, err := s.Open(ctx, oid); !errors.Is(err, blob.ErrNotExist) {
		if err == nil {
			o.Close()
		}
		t.Fatalf("Open after failed Put: err = %v; want ErrNotExist", err)
	}
	if n := count(t, s); n != 0 {
		t.Fatalf("List after failed Put: %d objects; want 0", n)
	}
}

func count(t *testing.T, s *blob.Store) int {
	t.Helper()
	n := 0
	if err := s.List(t.Context(), func(string, int64) error { n++; return nil }); err != nil {
		t.Fatalf("List: %v", err)
	}
	return n
}

func testRoundTrip(t *testing.T, s *blob.Store) {
	const mib = 1 << 20
	for i, n := range []int{1, 100, mib - 1, mib, mib + 1, 3*mib + 17} {
		b := Data(uint64(i), n)
		readers := map[string]io.Reader{
			"bytes":    bytes.NewReader(b),
			"half":     iotest.HalfReader(bytes.NewReader(b)),
			"dataerr":  iotest.DataErrReader(bytes.NewReader(b)),
			"generate": Reader(uint64(i), int64(n)),
		}
		for name, r := range readers {
			t.Run(fmt.Sprintf("%d/%s", n, name), func(t *testing.T) {
				oid := OID(b)
				if err := s.Put(t.Context(), oid, int64(n), r); err != nil {
					t.Fatalf("Put: %v", err)
				}
				if ok, err := s.Exists(t.Context(), oid); !ok || err != nil {
					t.Fatalf("Exists = %v, %v; want true, nil", ok, err)
				}
				wantContent(t, s, oid, b)
			})
		}
	}
}

func testEmpty(t *testing.T, s *blob.Store) {
	if oid := OID(nil); oid != EmptyOID {
		t.Fatalf("OID(nil) = %s", oid)
	}
	if err := s.Put(t.Context(), EmptyOID, 0, strings.NewReader("")); err != nil {
		t.Fatalf("Put empty: %v", err)
	}
	wantContent(t, s, EmptyOID, nil)

	// An empty object still rejects a body.
	wantErr(t, s.Put(t.Context(), EmptyOID, 0, strings.NewReader("x")), blob.ErrSizeMismatch)
	wantContent(t, s, EmptyOID, nil)
}

func testLargeStreaming(t *testing.T, s *blob.Store) {
	const n = 8 << 20
	h := sha256.New()
	io.Copy(h, Reader(42, n))
	oid := hex.EncodeToString(h.Sum(nil))
	if err := s.Put(t.Context(), oid, n, Reader(42, n)); err != nil {
		t.Fatalf("Put 8 MiB: %v", err)
	}
	o, err := s.Open(t.Context(), oid)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer o.Close()
	if o.Size() != n {
		t.Fatalf("Size = %d; want %d", o.Size(), n)
	}
	h.Reset()
	if m, err := io.Copy(h, o); err != nil || m != n {
		t.Fatalf("read back %d, %v; want %d", m, err, n)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != oid {
		t.Fatalf("read back sha256 %s; want %s", got, oid)
	}
}

func testDigestMismatch(t *testing.T, s *blob.Store) {
	b := Data(1, 5000)
	oid := OID(Data(2, 5000))
	wantErr(t, s.Put(t.Context(), oid, int64(len(b)), bytes.NewReader(b)), blob.ErrDigestMismatch)
	wantNothing(t, s, oid)
	// Nor under the oid of the bytes actually sent.
	wantNothing(t, s, OID(b))
}

func testShortBody(t *testing.T, s *blob.Store) {
	b := Data(3, 5000)
	oid := OID(b)
	wantErr(t, s.Put(t.Context(), oid, int64(len(b)), bytes.NewReader(b[:len(b)-1])), blob.ErrSizeMismatch)
	wantNothing(t, s, oid)
	wantErr(t, s.Put(t.Context(), oid, int64(len(b)), strings.NewReader("")), blob.ErrSizeMismatch)
	wantNothing(t, s, oid)
}

func testLongBody(t *testing.T, s *blob.Store) {
	b := Data(4, 5000)
	oid := OID(b[:len(b)-1])
	wantErr(t, s.Put(t.Context(), oid, int64(len(b)-1), bytes.NewReader(b)), blob.ErrSizeMismatch)
	wantNothing(t, s, oid)
	// A negative size can never match.
	wantErr(t, s.Put(t.Context(), oid, -1, bytes.NewReader(b)), blob.ErrSizeMismatch)
	wantNothing(t, s, oid)
}

// endless yields zero bytes forever and counts them.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	clear(p)
	e.n += int64(len(p))
	return len(p), nil
}

func testLongBodyBoundedRead(t *testing.T, s *blob.Store) {
	for _, size := range []int64{0, 10, 1<<20 - 1, 1 << 20, 3<<20 + 5} {
		r := &endless{}
		oid := OID(make([]byte, size))
		wantErr(t, s.Put(t.Context(), oid, size, r), blob.ErrSizeMismatch)
		if r.n > size+1 {
			t.Fatalf("size %d: Put read %d bytes; want at most size+1", size, r.n)
		}
		wantNothing(t, s, oid)
	}
}

// failing yields the first n bytes of r and then fails with err.
type failing struct {
	r   io.Reader
	n   int
	err error
}

func (f *failing) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

var errCut = errors.New("blobtest: connection cut")

func testReaderFails(t *testing.T, s *blob.Store) {
	b := Data(5, 3<<20)
	oid := OID(b)
	for _, cut := range []error{errCut, io.ErrUnexpectedEOF} {
		for _, at := range []int{0, 1000, 1 << 20, len(b) / 2, len(b) - 1, len(b)} {
			r := &failing{r: bytes.NewReader(b), n: at, err: cut}
			if at == len(b) && cut == io.ErrUnexpectedEOF {
				// All bytes, then an error instead of EOF: still an error.
				r.err = errCut
			}
			err := s.Put(t.Context(), oid, int64(len(b)), r)
			wantErr(t, err, r.err)
			wantNothing(t, s, oid)
		}
	}
}

func testCancelledBefore(t *testing.T, s *blob.Store) {
	b := Data(6, 1000)
	oid := OID(b)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	wantErr(t, s.Put(ctx, oid, int64(len(b)), bytes.NewReader(b)), context.Canceled)
	wantNothing(t, s, oid)
}

// cancelling cancels a context when it is first read past its first n bytes.
type cancelling struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelling) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
	}
	n, err := c.r.Read(p)
	c.n -= n
	return n, err
}

func testCancelledDuring(t *testing.T, s *blob.Store) {
	b := Data(7, 3<<20)
	oid := OID(b)
	for _, at := range []int{1 << 20, len(b)} {
		ctx, cancel := context.WithCancel(t.Context())
		r := &cancelling{r: iotest.HalfReader(bytes.NewReader(b)), n: at, cancel: cancel}
		wantErr(t, s.Put(ctx, oid, int64(len(b)), r), context.Canceled)
		wantNothing(t, s, oid)
	}
}

func testConcurrentSame(t *testing.T, s *blob.Store) {
	b := Data(8, 2<<20+3)
	oid := OID(b)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.Put(t.Context(), oid, int64(len(b)), iotest.HalfReader(bytes.NewReader(b)))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Put %d: %v", i, err)
		}
	}
	wantContent(t, s, oid, b)
	var oids []string
	s.List(t.Context(), func(oid string, size int64) error {
		oids = append(oids, oid)
		return nil
	})
	if len(oids) != 1 || oids[0] != oid {
		t.Fatalf("List = %v; want one copy of %s", oids, oid)
	}
}

func testConcurrentDistinct(t *testing.T, s *blob.Store) {
	const n = 8
	data := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		data[i] = Data(100+uint64(i), 100_000*(i+1))
		wg.Go(func() {
			errs[i] = s.Put(t.Context(), OID(data[i]), int64(len(data[i])), bytes.NewReader(data[i]))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
		wantContent(t, s, OID(data[i]), data[i])
	}
	if c := count(t, s); c != n {
		t.Fatalf("List: %d objects; want %d", c, n)
	}
}

func testPutExisting(t *testing.T, s *blob.Store) {
	b := Data(9, 100_000)
	oid := put(t, s, b)
	ctx := t.Context()
	size := int64(len(b))

	wrong := bytes.Clone(b)
	wrong[len(wrong)/2] ^= 1
	wantErr(t, s.Put(ctx, oid, size, bytes.NewReader(wrong)), blob.ErrDigestMismatch)
	wantContent(t, s, oid, b)

	wantErr(t, s.Put(ctx, oid, size, bytes.NewReader(b[:len(b)-1])), blob.ErrSizeMismatch)
	wantErr(t, s.Put(ctx, oid, size, io.MultiReader(bytes.NewReader(b), strings.NewReader("x"))), blob.ErrSizeMismatch)
	wantErr(t, s.Put(ctx, oid, size+1, bytes.NewReader(b)), blob.ErrSizeMismatch)
	wantErr(t, s.Put(ctx, oid, size, &failing{r: bytes.NewReader(b), n: len(b) / 2, err: errCut}), errCut)
	wantContent(t, s, oid, b)

	// The right bytes again: success, still one copy.
	if err := s.Put(ctx, oid, size, iotest.OneByteReader(bytes.NewReader(b[:1000]))); !errors.Is(err, blob.ErrSizeMismatch) {
		t.Fatalf("Put of a prefix: %v", err)
	}
	if err := s.Put(ctx, oid, size, bytes.NewReader(b)); err != nil {
		t.Fatalf("Put existing with right bytes: %v", err)
	}
	wantContent(t, s, oid, b)
	if c := count(t, s); c != 1 {
		t.Fatalf("List: %d objects; want 1", c)
	}
}

func testPutFrom(t *testing.T, s *blob.Store) {
	ctx := t.Context()
	b := Data(10, 3<<20+11)
	oid := OID(b)
	size := int64(len(b))
	parts := [][]byte{b[:1<<20], b[1<<20 : 2<<20], b[2<<20:]}

	// Parts written through an io.Copy from a reader without WriterTo, a
	// bytes.Reader (which has it) and plain Writes.
	wantErr(t, s.PutFrom(ctx, oid, size, func(w io.Writer) error {
		io.Copy(w, bytes.NewReader(parts[0]))
		return errCut
	}), errCut)
	wantNothing(t, s, oid)

	wantErr(t, s.PutFrom(ctx, oid, size, func(w io.Writer) error {
		if _, err := w.Write(b); err != nil {
			return err
		}
		_, err := w.Write([]byte{0})
		return err
	}), blob.ErrSizeMismatch)
	wantNothing(t, s, oid)

	wantErr(t, s.PutFrom(ctx, oid, size, func(w io.Writer) error {
		_, err := w.Write(parts[0])
		return err
	}), blob.ErrSizeMismatch)
	wantNothing(t, s, oid)

	err := s.PutFrom(ctx, oid, size, func(w io.Writer) error {
		if _, err := io.Copy(w, iotest.HalfReader(bytes.NewReader(parts[0]))); err != nil {
			return err
		}
		if _, err := io.Copy(w, bytes.NewReader(parts[1])); err != nil {
			return err
		}
		_, err := w.Write(parts[2])
		return err
	})
	if err != nil {
		t.Fatalf("PutFrom: %v", err)
	}
	wantContent(t, s, oid, b)
}

// testPutNamed: content published under a name its writer vouches for
// (Xet xorbs, named by their Xet hash) is stored once, byte for byte; a
// failed fill leaves nothing; an invalid name is refused.
func testPutNamed(t *testing.T, s *blob.Store) {
	ctx := t.Context()
	b := Data(12, 10<<20+5) // past the small and the large buffer of the store
	name := OID(append([]byte("a name that is not the sha256 "), b...))
	_, _, err := s.PutNamed(ctx, func(w io.Writer) (string, error) {
		w.Write(b[:1<<20])
		return "", errCut
	})
	wantErr(t, err, errCut)
	if _, _, err := s.PutNamed(ctx, func(w io.Writer) (string, error) {
		w.Write(b)
		return "../escape", nil
	}); !errors.Is(err, blob.ErrInvalidOID) {
		t.Fatalf("PutNamed with an invalid oid: %v", err)
	}
	if n := count(t, s); n != 0 {
		t.Fatalf("%d objects after failed PutNamed calls", n)
	}
	for i := 0; i < 2; i++ {
		oid, size, err := s.PutNamed(ctx, func(w io.Writer) (string, error) {
			piece := len(b) // in one write first (larger than the store's buffers), then in pieces
			if i > 0 {
				piece = 70_000
			}
			for off := 0; off < len(b); off += piece {
				if _, err := w.Write(b[off:min(off+piece, len(b))]); err != nil {
					return "", err
				}
			}
			return name, nil
		})
		if err != nil || oid != name || size != int64(len(b)) {
			t.Fatalf("PutNamed: %s %d %v, want %s %d", oid, size, err, name, len(b))
		}
	}
	wantContent(t, s, name, b)
	if n := count(t, s); n != 1 {
		t.Fatalf("%d objects after two PutNamed of the same content", n)
	}
}

func testSeek(t *testing.T, s *blob.Store) {
	b := Data(11, 10_000)
	oid := put(t, s, b)
	o, err := s.Open(t.Context(), oid)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer o.Close()
	read := func(whence int, off int64, n int, want []byte) {
		t.Helper()
		if _, err := o.Seek(off, whence); err != nil {
			t.Fatalf("Seek(%d, %d): %v", off, whence, err)
		}
		got := make([]byte, n)
		if _, err := io.ReadFull(o, got); err != nil {
			t.Fatalf("read after Seek(%d, %d): %v", off, whence, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("read after Seek(%d, %d): wrong bytes", off, whence)
		}
	}
	read(io.SeekStart, 1234, 100, b[1234:1334])
	read(io.SeekCurrent, 66, 100, b[1400:1500])
	read(io.SeekEnd, -10, 10, b[len(b)-10:])
	read(io.SeekStart, 0, 10, b[:10])
	if end, err := o.Seek(0, io.SeekEnd); err != nil || end != int64(len(b)) {
		t.Fatalf("Seek(0, SeekEnd) = %d, %v; want %d", end, err, len(b))
	}
	if n, err := o.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("Read at end = %d, %v; want 0, EOF", n, err)
	}
}

func testServeContentRange(t *testing.T, s *blob.Store) {
	b := Data(12, 100_000)
	oid := put(t, s, b)
	for _, tc := range []struct {
		rng        string
		start, end int // inclusive
	}{
		{"bytes=1000-1999", 1000, 1999},
		{"bytes=99990-", 99990, 99999},
		{"bytes=-5", 99995, 99999},
		{"bytes=0-0", 0, 0},
	} {
		o, err := s.Open(t.Context(), oid)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		req := httptest.NewRequest(http.MethodGet, "/"+oid, nil)
		req.Header.Set("Range", tc.rng)
		rec := httptest.NewRecorder()
		http.ServeContent(rec, req, "", time.Time{}, o)
		o.Close()
		if rec.Code != http.StatusPartialContent {
			t.Fatalf("Range %s: status %d; want 206", tc.rng, rec.Code)
		}
		if got, want := rec.Header().Get("Content-Range"), fmt.Sprintf("bytes %d-%d/%d", tc.start, tc.end, len(b)); got != want {
			t.Fatalf("Range %s: Content-Range %q; want %q", tc.rng, got, want)
		}
		if !bytes.Equal(rec.Body.Bytes(), b[tc.start:tc.end+1]) {
			t.Fatalf("Range %s: wrong body (%d bytes)", tc.rng, rec.Body.Len())
		}
	}
}

// testReadRange reads ranges of an object whose size is not a multiple of
// a disk block, reusing the buffer as callers do, and ranges past its end.
func testReadRange(t *testing.T, s *blob.Store) {
	ctx := t.Context()
	b := Data(14, 3<<20+4097)
	oid := put(t, s, b)
	var buf []byte
	for _, r := range [][2]int{
		{0, len(b)}, {1, 100}, {4095, 2}, {4096, 4096}, {5000, 1 << 20},
		{len(b) - 10, 10}, {len(b) - 1, 1}, {len(b), 0}, {7, 0}, {0, 1},
	} {
		data, used, err := s.ReadRange(ctx, oid, int64(r[0]), r[1], buf)
		if err != nil {
			t.Fatalf("ReadRange(%d, %d): %v", r[0], r[1], err)
		}
		if !bytes.Equal(data, b[r[0]:r[0]+r[1]]) {
			t.Fatalf("ReadRange(%d, %d): %d bytes, not those stored there", r[0], r[1], len(data))
		}
		buf = used
	}
	for _, r := range [][2]int{{len(b) - 5, 10}, {len(b), 1}, {len(b) + 5000, 1}} {
		if _, _, err := s.ReadRange(ctx, oid, int64(r[0]), r[1], buf); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("ReadRange(%d, %d) past the end of %d bytes: %v, want io.ErrUnexpectedEOF", r[0], r[1], len(b), err)
		}
	}
	_, _, err := s.ReadRange(ctx, OID([]byte("never stored")), 0, 1, nil)
	wantErr(t, err, blob.ErrNotExist)
	_, _, err = s.ReadRange(ctx, "../"+oid[3:], 0, 1, nil)
	wantErr(t, err, blob.ErrInvalidOID)
}

func testMissing(t *testing.T, s *blob.Store) {
	oid := OID([]byte("never stored"))
	wantNothing(t, s, oid)
}

func testDelete(t *testing.T, s *blob.Store) {
	ctx := t.Context()
	b := Data(13, 1000)
	oid := OID(b)
	if err := s.Delete(ctx, oid); err != nil {
		t.Fatalf("Delete missing: %v", err)
	}
	put(t, s, b)
	other := put(t, s, Data(14, 1000))
	for i := range 2 {
		if err := s.Delete(ctx, oid); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
		if _, err := s.Stat(ctx, oid); !errors.Is(err, blob.ErrNotExist) {
			t.Fatalf("Stat after Delete: %v; want ErrNotExist", err)
		}
	}
	wantContent(t, s, other, Data(14, 1000))
	put(t, s, b) // stored again after a delete
	wantContent(t, s, oid, b)
}

func testInvalidOID(t *testing.T, s *blob.Store) {
	ctx := t.Context()
	valid := OID(nil)
	for _, oid := range []string{
		"",
		"abc",
		strings.ToUpper(valid),
		valid[:63],
		valid + "0",
		valid[:63] + "g",
		"../../../../../../../../../../../../../../../../../../../etc/passwd",
		strings.Repeat("../", 21) + "a",
		valid[:62] + "/0",
		" " + valid[1:],
	} {
		wantErr(t, s.Put(ctx, oid, 0, strings.NewReader("")), blob.ErrInvalidOID)
		wantErr(t, s.PutFrom(ctx, oid, 0, func(io.Writer) error { return nil }), blob.ErrInvalidOID)
		_, err := s.Open(ctx, oid)
		wantErr(t, err, blob.ErrInvalidOID)
		_, err = s.Stat(ctx, oid)
		wantErr(t, err, blob.ErrInvalidOID)
		_, err = s.Exists(ctx, oid)
		wantErr(t, err, blob.ErrInvalidOID)
		wantErr(t, s.Delete(ctx, oid), blob.ErrInvalidOID)
		// The backend refuses it too, for callers that reach it directly.
		_, err = s.Backend().Stat(ctx, oid)
		wantErr(t, err, blob.ErrInvalidOID)
		_, err = s.Backend().Open(ctx, oid)
		wantErr(t, err, blob.ErrInvalidOID)
		wantErr(t, s.Backend().Delete(ctx, oid), blob.ErrInvalidOID)
	}
	if c := count(t, s); c != 0 {
		t.Fatalf("List: %d objects; want 0", c)
	}
}

func testList(t *testing.T, s *blob.Store) {
	want := map[string]int64{}
	for i := range 5 {
		b := Data(200+uint64(i), 10*i)
		want[put(t, s, b)] = int64(len(b))
	}
	got := map[string]int64{}
	err := s.List(t.Context(), func(oid string, size int64) error {
		if _, dup := got[oid]; dup {
			t.Errorf("List reported %s twice", oid)
		}
		got[oid] = size
		return nil
	})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("List = %v; want %v", got, want)
	}

	// fn's error stops List and is returned.
	calls := 0
	err = s.List(t.Context(), func(string, int64) error { calls++; return errCut })
	if !errors.Is(err, errCut) || calls != 1 {
		t.Fatalf("List with failing fn: %d calls, %v; want 1, %v", calls, err, errCut)
	}

	// fn may delete (a sweeper does).
	err = s.List(t.Context(), func(oid string, _ int64) error { return s.Delete(t.Context(), oid) })
	if err != nil {
		t.Fatalf("List deleting: %v", err)
	}
	if c := count(t, s); c != 0 {
		t.Fatalf("after deleting all: %d objects", c)
	}
}

func testBackendAbort(t *testing.T, s *blob.Store) {
	ctx := t.Context()
	b := Data(15, 3000)
	oid := OID(b)
	st, err := s.Backend().Create(ctx)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := st.Write(b); err != nil {
		t.Fatalf("Write: %v", err)
	}
	// Staged data is not visible.
	wantNothing(t, s, oid)
	for i := range 2 {
		if err := st.Abort(); err != nil {
			t.Fatalf("Abort #%d: %v", i+1, err)
		}
	}
	wantNothing(t, s, oid)

	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	if st, err := s.Backend().Create(ctx2); err == nil {
		st.Abort()
		t.Fatalf("Create with cancelled context succeeded")
	}

	// Abort after Commit is a no-op.
	st, err = s.Backend().Create(ctx)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	st.Write(b)
	if err := st.Commit(ctx, oid); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if err := st.Abort(); err != nil {
		t.Fatalf("Abort after Commit: %v", err)
	}
	wantContent(t, s, oid, b)
}

func testBackendCommitExisting(t *testing.T, s *blob.Store) {
	ctx := t.Context()
	b := Data(16, 3000)
	oid := put(t, s, b)
	// Commit trusts its caller; this test writes unverified bytes on
	// purpose, to see that an existing object is never replaced.
	st, err := s.Backend().Create(ctx)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	defer st.Abort()
	st.Write([]byte("not the content"))
	if err := st.Commit(ctx, oid); err != nil {
		t.Fatalf("Commit over existing object: %v", err)
	}
	wantContent(t, s, oid, b)
	if c := count(t, s); c != 1 {
		t.Fatalf("List: %d objects; want 1", c)
	}
}
