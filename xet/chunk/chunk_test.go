package chunk

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"testing"

	"github.com/wharfhub/wharf/xet"
	"github.com/wharfhub/wharf/xet/internal/vectors"
)

// chunkingVectors is the part of chunking.json these tests use.
type chunkingVectors struct {
	Parameters struct {
		TargetChunkSize int    `json:"target_chunk_size"`
		MinChunkSize    int    `json:"min_chunk_size"`
		MaxChunkSize    int    `json:"max_chunk_size"`
		BoundaryMaskHex string `json:"boundary_mask_hex"`
	} `json:"parameters"`
	GearTable struct {
		Entries []string `json:"entries_u64_hex"`
		Check   struct {
			Entry0   string `json:"entry_0"`
			Entry1   string `json:"entry_1"`
			Entry255 string `json:"entry_255"`
			SHA256   string `json:"sha256_of_entries_as_u64_little_endian"`
		} `json:"check"`
	} `json:"gear_table"`
	Cases []struct {
		ID          string        `json:"id"`
		Input       vectors.Input `json:"input"`
		InputChecks struct {
			ByteAt map[string]byte `json:"byte_at"`
			SHA256 string          `json:"sha256"`
		} `json:"input_checks"`
		FeedBlockSizes []int `json:"feed_block_sizes"`
		Boundaries     []int `json:"boundaries"`
	} `json:"cases"`
	Family struct {
		Generator  string `json:"generator"`
		PatternHex string `json:"pattern_hex"`
		Length     int    `json:"length"`
		Cases      []struct {
			ZeroPadding int   `json:"zero_padding"`
			ByteAt11111 byte  `json:"byte_at_11111"`
			Boundaries  []int `json:"boundaries"`
		} `json:"cases"`
	} `json:"triggering_pattern_family"`
}

func loadChunking(t *testing.T) *chunkingVectors {
	t.Helper()
	var v chunkingVectors
	vectors.Load(t, "chunking.json", &v)
	return &v
}

func TestParameters(t *testing.T) {
	p := loadChunking(t).Parameters
	if p.TargetChunkSize != TargetSize || p.MinChunkSize != MinSize || p.MaxChunkSize != MaxSize ||
		p.BoundaryMaskHex != strconv.FormatUint(Mask, 16) {
		t.Fatalf("parameters %+v differ from the constants", p)
	}
}

func TestGearTable(t *testing.T) {
	g := loadChunking(t).GearTable
	hex16 := func(v uint64) string { return fmt.Sprintf("%016x", v) }
	if hex16(Table[0]) != g.Check.Entry0 || hex16(Table[1]) != g.Check.Entry1 || hex16(Table[255]) != g.Check.Entry255 {
		t.Errorf("entries 0, 1, 255 = %x %x %x", Table[0], Table[1], Table[255])
	}
	// The values XET.md §1.2 quotes, independently of the JSON.
	if Table[0] != 0xb088d3a9e840f559 || Table[1] != 0x5652c7f739ed20d6 || Table[255] != 0x63c7a906c1dd187b {
		t.Error("entries 0, 1, 255 differ from XET.md")
	}
	var le []byte
	for _, v := range Table {
		le = binary.LittleEndian.AppendUint64(le, v)
	}
	sum := sha256.Sum256(le)
	for _, want := range []string{g.Check.SHA256, "e1d3936666d7ae7a977c958e9afcc75f90aaca758ce5fbe4ece61dffefe1912c"} {
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("sha256 of table = %s, want %s", got, want)
		}
	}
	if len(g.Entries) != 256 {
		t.Fatalf("%d entries in the vectors", len(g.Entries))
	}
	for i, e := range g.Entries {
		if hex16(Table[i]) != e {
			t.Errorf("entry %d = %016x, want %s", i, Table[i], e)
		}
	}
}

// blockReader returns at most n bytes per Read.
type blockReader struct {
	data []byte
	n    int
}

func (r *blockReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n, len(r.data))
	copy(p, r.data[:k])
	r.data = r.data[k:]
	return k, nil
}

// streamBoundaries chunks r with a Chunker and checks the chunks' bytes against data.
func streamBoundaries(t testing.TB, r io.Reader, data []byte) []int {
	t.Helper()
	c := NewChunker(r)
	var ends []int
	off := 0
	for {
		b, err := c.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 || !bytes.Equal(b, data[off:off+len(b)]) {
			t.Fatalf("chunk at %d (len %d) does not match the input", off, len(b))
		}
		off += len(b)
		ends = append(ends, off)
	}
	if off != len(data) {
		t.Fatalf("chunks cover %d of %d bytes", off, len(data))
	}
	if _, err := c.Next(); err != io.EOF {
		t.Fatalf("Next after EOF: %v", err)
	}
	return ends
}

func TestVectorCases(t *testing.T) {
	v := loadChunking(t)
	if len(v.Cases) != 3 {
		t.Fatalf("%d cases, want 3", len(v.Cases))
	}
	for _, c := range v.Cases {
		t.Run(c.ID, func(t *testing.T) {
			data, err := c.Input.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if len(data) != c.Input.Length {
				t.Fatalf("generated %d bytes, want %d", len(data), c.Input.Length)
			}
			for k, want := range c.InputChecks.ByteAt {
				i, err := strconv.Atoi(k)
				if err != nil {
					t.Fatal(err)
				}
				if data[i] != want {
					t.Fatalf("byte %d = %d, want %d", i, data[i], want)
				}
			}
			if c.InputChecks.SHA256 != "" {
				sum := sha256.Sum256(data)
				if got := hex.EncodeToString(sum[:]); got != c.InputChecks.SHA256 {
					t.Fatalf("input sha256 = %s, want %s", got, c.InputChecks.SHA256)
				}
			}
			if got := Boundaries(data); !slices.Equal(got, c.Boundaries) {
				t.Errorf("Boundaries = %v, want %v", got, c.Boundaries)
			}
			if got := plainBoundaries(data); !slices.Equal(got, c.Boundaries) {
				t.Errorf("plain rule = %v, want %v", got, c.Boundaries)
			}
			if got := streamBoundaries(t, bytes.NewReader(data), data); !slices.Equal(got, c.Boundaries) {
				t.Errorf("Chunker = %v, want %v", got, c.Boundaries)
			}
			for _, n := range c.FeedBlockSizes {
				if got := streamBoundaries(t, &blockReader{data, n}, data); !slices.Equal(got, c.Boundaries) {
					t.Errorf("Chunker fed %d-byte blocks = %v, want %v", n, got, c.Boundaries)
				}
			}
		})
	}
}

func TestTriggeringPatternFamily(t *testing.T) {
	f := loadChunking(t).Family
	if f.Generator != "pattern_repeat" || len(f.Cases) != 128 {
		t.Fatalf("generator %q with %d cases", f.Generator, len(f.Cases))
	}
	pattern, err := hex.DecodeString(f.PatternHex)
	if err != nil || len(pattern) != 128 {
		t.Fatalf("pattern: %v (%d bytes)", err, len(pattern))
	}
	for _, c := range f.Cases {
		t.Run(strconv.Itoa(c.ZeroPadding), func(t *testing.T) {
			data := vectors.PatternRepeat(pattern, c.ZeroPadding, f.Length)
			if data[11111] != c.ByteAt11111 {
				t.Fatalf("byte 11111 = %d, want %d", data[11111], c.ByteAt11111)
			}
			if got := Boundaries(data); !slices.Equal(got, c.Boundaries) {
				t.Errorf("Boundaries = %v, want %v", got, c.Boundaries)
			}
			if got := streamBoundaries(t, &blockReader{data, 1000}, data); !slices.Equal(got, c.Boundaries) {
				t.Errorf("Chunker = %v, want %v", got, c.Boundaries)
			}
		})
	}
}

// TestFileHashVectors chunks the affine inputs of hashing.json and checks chunk,
// xorb and file hashes (the xet package cannot import chunk, so it lives here).
func TestFileHashVectors(t *testing.T) {
	var v struct {
		Cases []struct {
			ID          string        `json:"id"`
			Input       vectors.Input `json:"input"`
			XorbHash    string        `json:"xorb_hash"`
			FileHash    string        `json:"file_hash"`
			ChunkCount  int           `json:"chunk_count"`
			Boundaries  []int         `json:"boundaries"`
			ChunkHashes []string      `json:"chunk_hashes"`
		} `json:"data_to_xorb_and_file_hash"`
		ChunkHashCases []struct {
			ID          string        `json:"id"`
			Input       vectors.Input `json:"input"`
			ChunkHashes []string      `json:"chunk_hashes"`
		} `json:"chunk_hash_cases"`
	}
	vectors.Load(t, "hashing.json", &v)
	if len(v.Cases) == 0 || len(v.ChunkHashCases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range v.Cases {
		t.Run(c.ID, func(t *testing.T) {
			data, err := c.Input.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			leaves := leavesOf(t, data)
			if len(leaves) != c.ChunkCount {
				t.Fatalf("%d chunks, want %d", len(leaves), c.ChunkCount)
			}
			if got := Boundaries(data); !slices.Equal(got, c.Boundaries) {
				t.Errorf("Boundaries = %v, want %v", got, c.Boundaries)
			}
			for i, l := range leaves {
				if l.Hash.String() != c.ChunkHashes[i] {
					t.Errorf("chunk %d hash = %s, want %s", i, l.Hash, c.ChunkHashes[i])
				}
			}
			if got := xet.XorbHash(leaves).String(); got != c.XorbHash {
				t.Errorf("xorb hash = %s, want %s", got, c.XorbHash)
			}
			if got := xet.FileHash(leaves).String(); got != c.FileHash {
				t.Errorf("file hash = %s, want %s", got, c.FileHash)
			}
		})
	}
	for _, c := range v.ChunkHashCases {
		t.Run(c.ID, func(t *testing.T) {
			data, err := c.Input.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			leaves := leavesOf(t, data)
			if len(leaves) != len(c.ChunkHashes) {
				t.Fatalf("%d chunks, want %d", len(leaves), len(c.ChunkHashes))
			}
			for i, l := range leaves {
				if l.Hash.String() != c.ChunkHashes[i] {
					t.Errorf("chunk %d hash = %s, want %s", i, l.Hash, c.ChunkHashes[i])
				}
			}
		})
	}
}

func leavesOf(t *testing.T, data []byte) []xet.Leaf {
	t.Helper()
	var leaves []xet.Leaf
	c := NewChunker(bytes.NewReader(data))
	for {
		b, err := c.Next()
		if err == io.EOF {
			return leaves
		}
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, xet.Leaf{Hash: xet.ChunkHash(b), Size: uint64(len(b))})
	}
}

func TestEdges(t *testing.T) {
	if Boundaries(nil) != nil || Next(nil, true) != 0 || Next(nil, false) != 0 {
		t.Error("empty input")
	}
	if _, err := NewChunker(bytes.NewReader(nil)).Next(); err != io.EOF {
		t.Errorf("empty stream: %v", err)
	}
	small := vectors.SplitMix64(3, MinSize-1)
	if Next(small, false) != 0 || Next(small, true) != len(small) {
		t.Error("short data")
	}
	if got := Boundaries(small); !slices.Equal(got, []int{len(small)}) {
		t.Errorf("short data boundaries %v", got)
	}
	constant := vectors.Constant(59, MaxSize+5)
	if Next(constant, false) != MaxSize || Next(constant[:MaxSize], false) != MaxSize || Next(constant[:MaxSize-1], false) != 0 {
		t.Error("forced cut")
	}
	if Next(constant[:MaxSize-1], true) != MaxSize-1 {
		t.Error("final chunk")
	}
}

func TestChunkerReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader(vectors.SplitMix64(4, 3*MaxSize)), &errReader{boom})
	c := NewChunker(r)
	var err error
	for range 100 {
		if _, err = c.Next(); err != nil {
			break
		}
	}
	if err != boom {
		t.Fatalf("error %v, want boom", err)
	}
	if _, err := c.Next(); err != boom {
		t.Fatalf("error not sticky: %v", err)
	}
	if _, err := NewChunker(&errReader{nil}).Next(); err != io.ErrNoProgress {
		t.Fatalf("empty reads: %v", err)
	}
}

type errReader struct{ err error }

func (r *errReader) Read([]byte) (int, error) { return 0, r.err }

// plainBoundaries applies the chunking rule byte by byte, as XET.md §1.3 states it.
func plainBoundaries(data []byte) []int {
	var ends []int
	var h uint64
	n := 0
	for i, b := range data {
		h = h<<1 + Table[b]
		n++
		if n >= MaxSize || n >= MinSize && h&Mask == 0 {
			ends = append(ends, i+1)
			h, n = 0, 0
		}
	}
	if n > 0 {
		ends = append(ends, len(data))
	}
	return ends
}

// fuzzData expands a fuzz input into test data with many boundaries: the seed
// bytes (or a pattern made from them) repeated, mixed with zero runs, to length n.
func fuzzData(seed []byte, n int, mode byte) []byte {
	if len(seed) == 0 {
		seed = []byte{0}
	}
	data := make([]byte, n)
	switch mode % 3 {
	case 0: // the seed cycled
		for i := range data {
			data[i] = seed[i%len(seed)]
		}
	case 1: // pseudo-random from the seed, with a zero run every so often
		r := vectors.SplitMix64(binary.LittleEndian.Uint64(append(slices.Clone(seed), make([]byte, 8)...)), n)
		copy(data, r)
		for i := int(seed[0]) * 97; i < n; i += 20000 + int(seed[0])*13 {
			clear(data[i:min(n, i+int(seed[len(seed)-1])*4)])
		}
	case 2: // mostly zeros with the seed spliced in
		for i := 0; i < n; i += 5000 + len(seed)*7 {
			copy(data[i:], seed)
		}
	}
	return data
}

func FuzzChunker(f *testing.F) {
	f.Add([]byte("abc"), uint32(300000), uint16(1), byte(0))
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, uint32(500000), uint16(4096), byte(1))
	f.Add([]byte{0xff}, uint32(140000), uint16(37), byte(2))
	f.Add([]byte("the quick brown fox"), uint32(9000), uint16(255), byte(1))
	f.Fuzz(func(t *testing.T, seed []byte, n uint32, block uint16, mode byte) {
		data := fuzzData(seed, int(n%(600<<10)), mode)
		want := plainBoundaries(data)
		if got := Boundaries(data); !slices.Equal(got, want) {
			t.Fatalf("Boundaries = %v, want %v", got, want)
		}
		bs := int(block)
		if bs == 0 {
			bs = 1 << 20
		}
		if bs < 64 && len(data) > 200000 {
			bs = 64 // keep tiny blocks from making the test slow
		}
		if got := streamBoundaries(t, &blockReader{data, bs}, data); !slices.Equal(got, want) {
			t.Fatalf("Chunker (blocks of %d) = %v, want %v", bs, got, want)
		}
		// Next without atEOF only reports a boundary it is sure of.
		for off := 0; off < len(data); {
			k := Next(data[off:], false)
			if k == 0 {
				if len(data)-off >= MaxSize {
					t.Fatal("Next asked for more data with MaxSize bytes available")
				}
				break
			}
			off += k
			if !slices.Contains(want, off) {
				t.Fatalf("Next without EOF cut at %d, not a boundary", off)
			}
		}
	})
}

func BenchmarkNext(b *testing.B) {
	data := vectors.SplitMix64(42, 64<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		for off := 0; off < len(data); {
			off += Next(data[off:], true)
		}
	}
}

func BenchmarkChunker(b *testing.B) {
	data := vectors.SplitMix64(42, 64<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		c := NewChunker(bytes.NewReader(data))
		for {
			if _, err := c.Next(); err != nil {
				break
			}
		}
	}
}
