package local

import (
	"bytes"
	"os"
	"strings"
	"syscall"
	"testing"
)

// aligned returns n bytes of pattern starting at a directAlign boundary.
func aligned(n int, seed byte) []byte {
	b := alignedFrom(make([]byte, n+directAlign))[:n]
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

// newDirect opens a store in a temp dir and stages an object in it,
// opened for direct I/O; it skips the test where the filesystem refuses
// direct I/O.
func newDirect(t *testing.T) (*Store, *staged) {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Create(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	st := b.(*staged)
	if !st.direct {
		st.Abort()
		t.Skip("the filesystem of the test's temp dir refuses direct I/O")
	}
	return s, st
}

// commitAndCheck commits st as the object oid of s and checks that the
// object holds want.
func commitAndCheck(t *testing.T, s *Store, st *staged, oid string, want []byte) {
	t.Helper()
	if err := st.Commit(t.Context(), oid); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(s.path(oid))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("object: %d bytes (want %d), equal %v, %v", len(got), len(want), bytes.Equal(got, want), err)
	}
}

// TestStagedDirectWrites: aligned writes go past the page cache, the first
// unaligned one (a tail, or a buffer at an odd address) turns direct I/O
// off, and the object holds every byte in order either way.
func TestStagedDirectWrites(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writes func() [][]byte
		direct []bool // st.direct after each write
	}{
		{"aligned then tail", func() [][]byte {
			return [][]byte{aligned(1<<20, 1), aligned(1<<20, 2), aligned(5000, 3)}
		}, []bool{true, true, false}},
		{"odd address first", func() [][]byte {
			return [][]byte{aligned(1<<20+1, 4)[1:], aligned(1<<20, 5)}
		}, []bool{false, false}},
		{"aligned address, odd length", func() [][]byte {
			return [][]byte{aligned(3*directAlign+17, 6), aligned(1<<20, 7)}
		}, []bool{false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, st := newDirect(t)
			var want []byte
			for i, p := range tc.writes() {
				if n, err := st.Write(p); n != len(p) || err != nil {
					t.Fatalf("write %d: %d, %v", i, n, err)
				}
				want = append(want, p...)
				if st.direct != tc.direct[i] {
					t.Fatalf("after write %d: direct %v, want %v", i, st.direct, tc.direct[i])
				}
			}
			commitAndCheck(t, s, st, "0f"+strings.Repeat("0", 62), want)
		})
	}
}

// TestNoDirectFilesystem: on a filesystem that refuses direct I/O (as
// tmpfs did before Linux 6.6; injected here), staged files are written
// through the page cache, and the store stops asking.
func TestNoDirectFilesystem(t *testing.T) {
	var directOpens int
	openFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		if flag&oDirect != 0 {
			directOpens++
			return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EINVAL}
		}
		return os.OpenFile(name, flag, perm)
	}
	t.Cleanup(func() { openFile = os.OpenFile })
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		b, err := s.Create(t.Context())
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		st := b.(*staged)
		if st.direct || !s.noDirect.Load() {
			t.Fatalf("create %d: direct %v, store's noDirect %v", i, st.direct, s.noDirect.Load())
		}
		p := aligned(1<<20, byte(i))
		if _, err := st.Write(p); err != nil {
			t.Fatal(err)
		}
		oid := "1f" + string(bytes.Repeat([]byte{'0' + byte(i)}, 62))
		if err := st.Commit(t.Context(), oid); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(s.path(oid)); err != nil || !bytes.Equal(got, p) {
			t.Fatalf("object %d: %d bytes, %v", i, len(got), err)
		}
	}
	if directOpens != 1 {
		t.Fatalf("%d opens asked for direct I/O, want 1 (then the store stops asking)", directOpens)
	}
}

// TestDirectWriteRefused: a filesystem that takes the open flag but
// refuses direct writes (EINVAL, injected) gets the data through the page
// cache, and the store stops asking for direct I/O.
func TestDirectWriteRefused(t *testing.T) {
	var refused int
	writeFile = func(f *os.File, p []byte) (int, error) {
		refused++
		return 0, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.EINVAL}
	}
	t.Cleanup(func() { writeFile = (*os.File).Write })
	s, st := newDirect(t)
	p, q := aligned(1<<20, 8), aligned(1<<20, 9)
	for i, w := range [][]byte{p, q} {
		if n, err := st.Write(w); n != len(w) || err != nil {
			t.Fatalf("write %d: %d, %v", i, n, err)
		}
	}
	if refused != 1 || st.direct {
		t.Fatalf("%d direct writes tried, direct %v after: want 1, false", refused, st.direct)
	}
	commitAndCheck(t, s, st, "2f"+strings.Repeat("0", 62), bytes.Join([][]byte{p, q}, nil))
	b, err := s.Create(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Abort()
	if b.(*staged).direct {
		t.Fatal("the next staged file asks for direct I/O again")
	}
}

// TestReadRangeDirect: ReadRange reads past the page cache where the
// filesystem allows it, and where it refuses (at open, or at the read:
// injected) reads through the cache and stops asking, the bytes right
// every time.
func TestReadRangeDirect(t *testing.T) {
	for _, refuse := range []string{"", "open", "read"} {
		name := "refused at " + refuse
		if refuse == "" {
			name = "allowed"
		}
		t.Run(name, func(t *testing.T) {
			var directOpens, directReads int
			openFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
				if flag&oDirect != 0 && flag&os.O_CREATE == 0 {
					directOpens++
					if refuse == "open" {
						return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EINVAL}
					}
				}
				return os.OpenFile(name, flag, perm)
			}
			readFileAt = func(f *os.File, p []byte, off int64) (int, error) {
				if refuse == "read" && directOpens > directReads {
					directReads++
					return 0, &os.PathError{Op: "read", Path: f.Name(), Err: syscall.EINVAL}
				}
				return f.ReadAt(p, off)
			}
			t.Cleanup(func() { openFile, readFileAt = os.OpenFile, (*os.File).ReadAt })
			s, st := newDirect(t)
			p := aligned(1<<20+300, 3)
			if _, err := st.Write(p); err != nil {
				t.Fatal(err)
			}
			oid := "3f" + strings.Repeat("0", 62)
			commitAndCheck(t, s, st, oid, p)
			var buf []byte
			for i, r := range [][2]int{{100, 1 << 20}, {1 << 20, 300}, {0, 1}} {
				data, used, err := s.ReadRange(t.Context(), oid, int64(r[0]), r[1], buf)
				if err != nil || !bytes.Equal(data, p[r[0]:r[0]+r[1]]) {
					t.Fatalf("read %d: %d bytes (want %d), equal %v, %v", i, len(data), r[1], bytes.Equal(data, p[r[0]:r[0]+r[1]]), err)
				}
				buf = used
			}
			want := map[string]int{"": 3, "open": 1, "read": 1}[refuse]
			if directOpens != want || s.noDirect.Load() != (refuse != "") {
				t.Fatalf("%d direct opens (want %d), store's noDirect %v", directOpens, want, s.noDirect.Load())
			}
		})
	}
}
