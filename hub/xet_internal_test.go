package hub

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/wharfhub/wharf/xet"
	"github.com/wharfhub/wharf/xet/chunk"
)

// TestScanXet checks the pipelined scan against the plain chunker, at
// sizes around its buffer and segment edges.
func TestScanXet(t *testing.T) {
	c, err := New(&Options{Endpoint: "http://127.0.0.1:1", NoToken: true, XetCacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	rnd := make([]byte, 13<<20)
	rand.NewChaCha8([32]byte{1}).Read(rnd)
	constant := bytes.Repeat([]byte{59}, 9<<20)
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"1", rnd[:1]},
		{"8191", rnd[:8191]},
		{"1MiB-1", rnd[:1<<20-1]},
		{"1MiB", rnd[:1<<20]},
		{"4MiB", rnd[:4<<20]},
		{"4MiB+1", rnd[:4<<20+1]},
		{"8MiB", rnd[:8<<20]},
		{"13MiB", rnd},
		{"constant-9MiB", constant},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sha, scan, err := c.scanXet(context.Background(), FromBytes(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(tc.data)
			if sha != hex.EncodeToString(sum[:]) {
				t.Fatalf("sha256 %s, want %x", sha, sum)
			}
			ends := chunk.Boundaries(tc.data)
			if len(scan.chunks) != len(ends) {
				t.Fatalf("%d chunks, want %d", len(scan.chunks), len(ends))
			}
			start := 0
			for i, end := range ends {
				want := xetChunk{hash: xet.ChunkHash(tc.data[start:end]), size: uint32(end - start)}
				if scan.chunks[i] != want {
					t.Fatalf("chunk %d: %+v, want %+v", i, scan.chunks[i], want)
				}
				start = end
			}
		})
	}
	// Content shorter or longer than announced.
	for _, n := range []int{100, 5 << 20} {
		_, _, err := c.scanXet(context.Background(), FromReader(bytes.NewReader(rnd[:n]), int64(n+1)))
		if err == nil {
			t.Fatalf("%d bytes announced as %d: no error", n, n+1)
		}
		_, _, err = c.scanXet(context.Background(), FromReader(bytes.NewReader(rnd[:n+1]), int64(n)))
		if err == nil {
			t.Fatalf("%d bytes announced as %d: no error", n+1, n)
		}
	}
}

func TestLinkRel(t *testing.T) {
	for _, tc := range []struct {
		values []string
		rel    string
		want   string
	}{
		{[]string{`<https://h/api/models/a/b/xet-read-token/c>; rel="xet-auth", <https://cas/v1/reconstructions/x>; rel="xet-reconstruction-info"`}, "xet-auth", "https://h/api/models/a/b/xet-read-token/c"},
		{[]string{`<https://h/a>; rel="xet-auth", <https://cas/v1/reconstructions/x>; rel="xet-reconstruction-info"`}, "xet-reconstruction-info", "https://cas/v1/reconstructions/x"},
		{[]string{`<https://h/next?cursor=1>; rel="next"`, `<https://h/t>; rel=xet-auth`}, "xet-auth", "https://h/t"},
		{[]string{`<https://h/t>; rel="other xet-auth"`}, "xet-auth", "https://h/t"},
		{[]string{`<https://h/t>; rel="next"`}, "xet-auth", ""},
		{nil, "xet-auth", ""},
	} {
		if got := linkRel(tc.values, tc.rel); got != tc.want {
			t.Errorf("linkRel(%q, %q) = %q, want %q", tc.values, tc.rel, got, tc.want)
		}
	}
}

func TestCacheName(t *testing.T) {
	a := cacheName("http://127.0.0.1:8080/api/cas")
	b := cacheName("http://127.0.0.1_8080/api/cas")
	if a == b || a[:len("http___127.0.0.1_8080_api_cas-")] != "http___127.0.0.1_8080_api_cas-" {
		t.Fatalf("cache names %q and %q", a, b)
	}
}

func TestChunkLRU(t *testing.T) {
	l := newChunkLRU(16 << 10)
	x := xet.Hash{1}
	for i := range uint32(20) {
		l.put(chunkKey{x, i}, bytes.Repeat([]byte{byte(i)}, 1000))
	}
	if l.size > 16<<10 {
		t.Fatalf("size %d above the limit", l.size)
	}
	if _, ok := l.getRange(x, xet.ChunkRange{Start: 0, End: 1}); ok {
		t.Fatal("oldest chunk still cached")
	}
	parts, ok := l.getRange(x, xet.ChunkRange{Start: 17, End: 20})
	if !ok || len(parts) != 3 || parts[2][0] != 19 {
		t.Fatalf("recent chunks: %v %v", ok, len(parts))
	}
	if got := fmt.Sprint(len(l.m)); got != fmt.Sprint(l.ll.Len()) {
		t.Fatal("map and list disagree")
	}
}

// BenchmarkScanXet measures the read that hashes a file for Xet (sha256,
// chunk boundaries, chunk hashes), the client's first pass.
func BenchmarkScanXet(b *testing.B) {
	c, err := New(&Options{Endpoint: "http://127.0.0.1:1", NoToken: true, XetCacheDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 256<<20)
	rand.NewChaCha8([32]byte{2}).Read(data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := c.scanXet(context.Background(), FromBytes(data)); err != nil {
			b.Fatal(err)
		}
	}
}
