package local_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"

	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/blob/blobtest"
	"github.com/wharfhub/wharf/internal/store/blob/local"
)

// repeatReader yields n bytes cycling through block. It is cheap (a copy)
// and, like a network body, has no WriterTo.
type repeatReader struct {
	block []byte
	off   int
	n     int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	k := 0
	for k < len(p) {
		c := copy(p[k:], r.block[r.off:])
		k += c
		r.off = (r.off + c) % len(r.block)
	}
	r.n -= int64(k)
	return k, nil
}

// BenchmarkLocalPut measures Put of a 256 MiB object into a local store:
// read, sha256, write, fsync, rename. "existing" measures the
// verify-only path for an object already stored.
func BenchmarkLocalPut(b *testing.B) {
	const size = 256 << 20
	block := blobtest.Data(1, 1<<20+7) // odd length: writes don't line up with it
	h := sha256.New()
	io.Copy(h, &repeatReader{block: block, n: size})
	oid := hex.EncodeToString(h.Sum(nil))

	s, err := local.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	st := blob.New(s)
	ctx := b.Context()

	b.Run("new", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			if err := st.Put(ctx, oid, size, &repeatReader{block: block, n: size}); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if err := st.Delete(ctx, oid); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
	b.Run("existing", func(b *testing.B) {
		if err := st.Put(ctx, oid, size, &repeatReader{block: block, n: size}); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(size)
		for b.Loop() {
			if err := st.Put(ctx, oid, size, &repeatReader{block: block, n: size}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
