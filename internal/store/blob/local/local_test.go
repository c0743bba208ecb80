package local_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/blob/blobtest"
	"github.com/wharfhub/wharf/internal/store/blob/local"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Backend {
		return open(t, t.TempDir())
	})
}

func open(t *testing.T, dir string) *local.Store {
	t.Helper()
	s, err := local.Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func tmpFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestOpenCreatesLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	s := open(t, dir)
	if s.Dir() != dir {
		t.Fatalf("Dir() = %q; want %q", s.Dir(), dir)
	}
	for _, d := range []string{"objects", "tmp"} {
		if fi, err := os.Stat(filepath.Join(dir, d)); err != nil || !fi.IsDir() {
			t.Fatalf("%s: %v", d, err)
		}
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	if _, err := local.Open(file); err == nil {
		t.Fatalf("Open on a regular file succeeded")
	}
}

func TestPutLayoutAndReopen(t *testing.T) {
	dir := t.TempDir()
	st := blob.New(open(t, dir))
	b := blobtest.Data(1, 1000)
	oid := blobtest.OID(b)
	if err := st.Put(t.Context(), oid, int64(len(b)), bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "objects", oid[:2], oid[2:4], oid))
	if err != nil || !bytes.Equal(got, b) {
		t.Fatalf("object file: %d bytes, %v", len(got), err)
	}
	if names := tmpFiles(t, dir); len(names) != 0 {
		t.Fatalf("tmp after Put: %v", names)
	}

	// Files that are not objects in their place are not listed.
	other := blobtest.OID([]byte("x"))
	os.WriteFile(filepath.Join(dir, "objects", oid[:2], oid[2:4], "junk"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "objects", oid[:2], oid[2:4], other), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "objects", "stray"), nil, 0o644)

	st2 := blob.New(open(t, dir))
	var listed []string
	if err := st2.List(t.Context(), func(oid string, size int64) error {
		listed = append(listed, oid)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 || listed[0] != oid {
		t.Fatalf("List after reopen = %v; want [%s]", listed, oid)
	}
	if size, err := st2.Stat(t.Context(), oid); err != nil || size != int64(len(b)) {
		t.Fatalf("Stat after reopen = %d, %v", size, err)
	}
}

func TestFailedPutsLeaveNoTempFiles(t *testing.T) {
	dir := t.TempDir()
	st := blob.New(open(t, dir))
	ctx := t.Context()
	b := blobtest.Data(2, 3<<20)
	oid := blobtest.OID(b)
	size := int64(len(b))
	errCut := errors.New("cut")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()

	fails := map[string]func() error{
		"digest": func() error {
			return st.Put(ctx, blobtest.OID(nil), size, bytes.NewReader(b))
		},
		"short": func() error { return st.Put(ctx, oid, size, bytes.NewReader(b[1:])) },
		"long": func() error {
			return st.Put(ctx, oid, size, io.MultiReader(bytes.NewReader(b), strings.NewReader("x")))
		},
		"reader": func() error {
			return st.Put(ctx, oid, size, io.MultiReader(io.LimitReader(bytes.NewReader(b), 1<<20), iotestErr{errCut}))
		},
		"cancelled": func() error { return st.Put(cancelled, oid, size, bytes.NewReader(b)) },
		"fill": func() error {
			return st.PutFrom(ctx, oid, size, func(w io.Writer) error {
				w.Write(b[:100])
				return errCut
			})
		},
		"panic": func() (err error) {
			defer func() {
				if recover() != nil {
					err = errCut
				}
			}()
			return st.PutFrom(ctx, oid, size, func(w io.Writer) error {
				w.Write(b[:100])
				panic("fill panicked")
			})
		},
	}
	for name, fn := range fails {
		if err := fn(); err == nil {
			t.Fatalf("%s: Put succeeded", name)
		}
		if names := tmpFiles(t, dir); len(names) != 0 {
			t.Fatalf("%s: temp files left: %v", name, names)
		}
	}
	if _, err := st.Stat(ctx, oid); !errors.Is(err, blob.ErrNotExist) {
		t.Fatalf("Stat: %v", err)
	}

	// Success and dedup leave no temp files either.
	for range 2 {
		if err := st.Put(ctx, oid, size, bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	}
	if names := tmpFiles(t, dir); len(names) != 0 {
		t.Fatalf("temp files left after Put: %v", names)
	}
}

type iotestErr struct{ err error }

func (r iotestErr) Read([]byte) (int, error) { return 0, r.err }

func TestSweep(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	ctx := t.Context()
	tmp := filepath.Join(dir, "tmp")

	old := filepath.Join(tmp, "put-crashed")
	fresh := filepath.Join(tmp, "put-recent")
	foreign := filepath.Join(tmp, "not-ours")
	for _, p := range []string{old, fresh, foreign} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-2 * time.Hour)
	os.Chtimes(old, long, long)
	os.Chtimes(foreign, long, long)

	n, err := s.Sweep(ctx, time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want 1, nil", n, err)
	}
	for p, want := range map[string]bool{old: false, fresh: true, foreign: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Fatalf("%s: exists=%v; want %v", filepath.Base(p), err == nil, want)
		}
	}
	if n, err := s.Sweep(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("second Sweep = %d, %v; want 0, nil", n, err)
	}
}

func TestSweptUploadFailsAtCommit(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	st := blob.New(s)
	ctx := t.Context()
	b := blobtest.Data(3, 1000)
	oid := blobtest.OID(b)
	err := st.PutFrom(ctx, oid, int64(len(b)), func(w io.Writer) error {
		w.Write(b)
		// The upload stalls long enough for the sweeper to take its file.
		n, err := s.Sweep(ctx, -time.Hour)
		if err != nil || n != 1 {
			t.Errorf("Sweep = %d, %v; want 1, nil", n, err)
		}
		return nil
	})
	if err == nil {
		t.Fatalf("Put of a swept upload succeeded")
	}
	if _, err := st.Stat(ctx, oid); !errors.Is(err, blob.ErrNotExist) {
		t.Fatalf("Stat: %v; want ErrNotExist", err)
	}
}
