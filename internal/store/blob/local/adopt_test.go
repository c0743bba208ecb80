package local_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/blob/blobtest"
	"github.com/wharfhub/wharf/internal/store/blob/local"
)

func TestPutFileAdoptsVerifiedFile(t *testing.T) {
	dir := t.TempDir()
	ls, err := local.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	s := blob.New(ls)
	data := blobtest.Data(7, 3<<20+5)
	oid := blobtest.OID(data)
	src := filepath.Join(dir, "staged")
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.PutFile(t.Context(), oid, int64(len(data)), src); err != nil {
		t.Fatalf("PutFile: %v", err)
	}
	if _, err := os.Stat(src); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the adopted file is still at its old path (err %v): it was copied, not moved", err)
	}
	obj, err := s.Open(t.Context(), oid)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(obj)
	obj.Close()
	if !bytes.Equal(got, data) {
		t.Fatal("stored bytes differ from the file's")
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "blobs", "tmp")); len(ents) != 0 {
		t.Errorf("temp files left: %v", ents)
	}
}

func TestPutFileRejectsWrongContent(t *testing.T) {
	dir := t.TempDir()
	ls, err := local.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	s := blob.New(ls)
	data := blobtest.Data(8, 1<<20)
	src := filepath.Join(dir, "staged")
	os.WriteFile(src, data, 0o600)
	wrong := blobtest.OID([]byte("something else"))
	if err := s.PutFile(t.Context(), wrong, int64(len(data)), src); !errors.Is(err, blob.ErrDigestMismatch) {
		t.Fatalf("PutFile with a wrong oid = %v, want ErrDigestMismatch", err)
	}
	if err := s.PutFile(t.Context(), blobtest.OID(data), int64(len(data))+1, src); !errors.Is(err, blob.ErrSizeMismatch) {
		t.Fatalf("PutFile with a wrong size = %v, want ErrSizeMismatch", err)
	}
	if _, err := os.Stat(src); err != nil {
		t.Errorf("a rejected file must stay where it was: %v", err)
	}
	for _, oid := range []string{wrong, blobtest.OID(data)} {
		if _, err := s.Stat(t.Context(), oid); !errors.Is(err, blob.ErrNotExist) {
			t.Errorf("Stat(%s) after a rejected PutFile = %v, want ErrNotExist", oid, err)
		}
	}
}
