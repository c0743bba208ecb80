package xetcas

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/wharfhub/wharf/xet/xorb"
)

// TestXorbBodies: a body holds exactly what its length allows (more is an
// invalid body, whatever the length), a reader's own error comes back as
// it is, and at most xorbBodies are held at once.
func TestXorbBodies(t *testing.T) {
	slots := newBodySlots()
	read := func(size int64, r io.Reader) (*xorbBody, error) {
		t.Helper()
		b := slots.take(size)
		if b == nil {
			t.Fatal("no body free")
		}
		err := b.readFrom(r)
		return b, err
	}
	data := bytes.Repeat([]byte("xorb"), 1000)
	b, err := read(int64(len(data)), bytes.NewReader(data))
	if err != nil || !bytes.Equal(b.data, data) {
		t.Fatalf("body of its length: %d bytes, %v", len(b.data), err)
	}
	slots.release(b)
	if b, err = read(int64(len(data)-1), bytes.NewReader(data)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("body longer than its length: %v", err)
	}
	slots.release(b)
	if b, err = read(-1, io.LimitReader(zeros{}, xorb.MaxSerialized+1)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("body of unknown length past the limit: %v", err)
	}
	slots.release(b)
	boom := errors.New("connection reset")
	if b, err = read(-1, io.MultiReader(bytes.NewReader(data), failing{boom})); err != boom {
		t.Fatalf("reader error: %v, want %v", err, boom)
	}
	slots.release(b)

	var held []*xorbBody
	for range xorbBodies {
		if b := slots.take(10); b != nil {
			held = append(held, b)
		}
	}
	if len(held) != xorbBodies || slots.take(10) != nil {
		t.Fatalf("%d bodies taken, and one more was free; want %d, then none", len(held), xorbBodies)
	}
	slots.release(held[0])
	if b := slots.take(10); b == nil {
		t.Fatal("no body free after one was released")
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type failing struct{ err error }

func (f failing) Read([]byte) (int, error) { return 0, f.err }
