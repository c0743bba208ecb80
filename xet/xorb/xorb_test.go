package xorb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/pierrec/lz4/v4"

	"github.com/wharfhub/wharf/xet"
	"github.com/wharfhub/wharf/xet/chunk"
	"github.com/wharfhub/wharf/xet/internal/vectors"
)

// checkErr fails the test unless err matches ErrInvalid and contains want.
func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case err == nil:
		t.Fatalf("no error, want one containing %q", want)
	case !errors.Is(err, ErrInvalid):
		t.Fatalf("error %q does not match ErrInvalid", err)
	case !strings.Contains(err.Error(), want):
		t.Fatalf("error %q does not contain %q", err, want)
	}
}

// samples returns named inputs of various kinds and awkward lengths.
func samples() map[string][]byte {
	floats := make([]byte, 0, 4*30000)
	for i := range 30000 {
		floats = binary.LittleEndian.AppendUint32(floats, math.Float32bits(float32(math.Sin(float64(i)/100))))
	}
	text := []byte(strings.Repeat("the quick brown fox jumps over the lazy dog. ", 3000))
	out := map[string][]byte{}
	for _, n := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 63, 1000, 1001, 1002, 1003, 65535, 65536, 65537, 100003, MaxChunkRaw - 1, MaxChunkRaw} {
		out[fmt.Sprintf("random-%d", n)] = vectors.SplitMix64(uint64(n), n)
		out[fmt.Sprintf("zeros-%d", n)] = make([]byte, n)
		out[fmt.Sprintf("text-%d", n)] = text[:min(n, len(text))]
		out[fmt.Sprintf("floats-%d", n)] = floats[:min(n, len(floats))]
	}
	return out
}

func TestHeaderRoundTrip(t *testing.T) {
	for _, h := range []Header{
		{StoredLen: 1, Scheme: SchemeNone, RawLen: 1},
		{StoredLen: MaxChunkStored, Scheme: SchemeLZ4, RawLen: MaxChunkRaw},
		{StoredLen: 0x123456 & (MaxChunkStored - 1), Scheme: SchemeBG4LZ4, RawLen: 0x1abcd},
	} {
		b := h.Encode()
		got, err := ParseHeader(b[:])
		if err != nil || got != h {
			t.Errorf("ParseHeader(Encode(%+v)) = %+v, %v", h, got, err)
		}
	}
	b := Header{StoredLen: 0x030201, Scheme: 2, RawLen: 0x060504}.Encode()
	if want := [8]byte{0, 1, 2, 3, 2, 4, 5, 6}; b != want {
		t.Errorf("Encode = %x, want %x", b, want)
	}
}

func TestParseHeaderInvalid(t *testing.T) {
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"short", []byte{0, 1, 0, 0, 0, 1, 0}, "truncated chunk header"},
		{"version 1", []byte{1, 1, 0, 0, 0, 1, 0, 0}, "version 1"},
		{"scheme 3", []byte{0, 1, 0, 0, 3, 1, 0, 0}, "unknown compression scheme 3"},
		{"scheme 99", []byte{0, 1, 0, 0, 99, 1, 0, 0}, "unknown compression scheme 99"},
		{"raw too long", []byte{0, 1, 0, 0, 1, 1, 0, 2}, "exceeds 131072"},
		{"stored too long", []byte{0, 1, 0, 4, 1, 1, 0, 0}, "exceeds 262144"},
		{"raw zero", []byte{0, 1, 0, 0, 1, 0, 0, 0}, "empty chunk"},
		{"stored zero", []byte{0, 0, 0, 0, 1, 1, 0, 0}, "empty chunk payload"},
		{"none mismatch", []byte{0, 2, 0, 0, 0, 1, 0, 0}, "uncompressed chunk stores 2 bytes"},
		{"footer", []byte("XETBLOB\x01"), "footer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseHeader(c.b)
			checkErr(t, err, c.want)
		})
	}
}

func TestCompressRoundTrip(t *testing.T) {
	var dst []byte
	for name, raw := range samples() {
		for _, scheme := range []uint8{SchemeNone, SchemeLZ4, SchemeBG4LZ4} {
			stored := Compress(scheme, raw)
			if stored == nil {
				t.Fatalf("%s scheme %d: nil", name, scheme)
			}
			if scheme != SchemeNone && !bytes.HasPrefix(stored, []byte{0x04, 0x22, 0x4d, 0x18, 0x60, 0x40}) {
				t.Fatalf("%s scheme %d: frame header %x", name, scheme, stored[:6])
			}
			got, err := Decompress(scheme, stored, len(raw), dst)
			if err != nil {
				t.Fatalf("%s scheme %d: %v", name, scheme, err)
			}
			if !bytes.Equal(got, raw) {
				t.Fatalf("%s scheme %d: round trip differs", name, scheme)
			}
			dst = got
			// pierrec's frame reader decodes the frames too.
			if scheme == SchemeLZ4 {
				back, err := io.ReadAll(lz4.NewReader(bytes.NewReader(stored)))
				if err != nil || !bytes.Equal(back, raw) {
					t.Fatalf("%s: pierrec reader: %v", name, err)
				}
			}
			if _, err := Decompress(scheme, stored, len(raw)+1, nil); !errors.Is(err, ErrInvalid) {
				t.Fatalf("%s scheme %d: length+1 accepted: %v", name, scheme, err)
			}
			if len(raw) > 0 {
				if _, err := Decompress(scheme, stored, len(raw)-1, nil); !errors.Is(err, ErrInvalid) {
					t.Fatalf("%s scheme %d: length-1 accepted: %v", name, scheme, err)
				}
			}
		}
	}
	if Compress(7, []byte("x")) != nil || Compress(SchemeAuto, []byte("x")) != nil {
		t.Error("Compress accepted an unknown scheme")
	}
}

func TestBG4Layout(t *testing.T) {
	for n, want := range map[int]string{
		0:  "",
		1:  "00",
		2:  "0001",
		3:  "000102",
		4:  "00010203",
		5:  "0004010203",
		6:  "0004010502" + "03",
		7:  "00040105020603",
		10: "00040801050902060307",
		11: "0004080105090206" + "0a0307",
	} {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(i)
		}
		dst := make([]byte, n)
		bg4Split(dst, src)
		if got := fmt.Sprintf("%x", dst); got != want {
			t.Errorf("split %d = %s, want %s", n, got, want)
		}
		back := make([]byte, n)
		bg4Join(back, dst)
		if !bytes.Equal(back, src) {
			t.Errorf("join %d = %x", n, back)
		}
	}
}

func TestAppendChunkAuto(t *testing.T) {
	s := samples()
	for _, c := range []struct {
		name   string
		scheme uint8
	}{
		{"random-65536", SchemeNone},
		{"random-1", SchemeNone},
		{"zeros-1", SchemeNone},
		{"zeros-131072", SchemeLZ4},
		{"text-65536", SchemeLZ4},
	} {
		raw := s[c.name]
		frame := AppendChunk([]byte("prefix"), raw, SchemeAuto)
		if string(frame[:6]) != "prefix" {
			t.Fatal("prefix lost")
		}
		frame = frame[6:]
		h, err := ParseHeader(frame)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if h.Scheme != c.scheme {
			t.Errorf("%s: scheme %d, want %d", c.name, h.Scheme, c.scheme)
		}
		if int(h.StoredLen) != len(frame)-HeaderSize || int(h.RawLen) != len(raw) {
			t.Errorf("%s: header %+v for a %d-byte frame", c.name, h, len(frame))
		}
		if h.Scheme != SchemeNone && int(h.StoredLen) >= len(raw) {
			t.Errorf("%s: compressed but not smaller", c.name)
		}
	}
	// BG4 wins on smooth float data.
	raw := s["floats-100003"]
	h, _ := ParseHeader(AppendChunk(nil, raw, SchemeAuto))
	if h.Scheme != SchemeBG4LZ4 {
		t.Errorf("floats: scheme %d, want BG4 (lz4 %d, bg4 %d bytes)", h.Scheme,
			len(Compress(SchemeLZ4, raw)), len(Compress(SchemeBG4LZ4, raw)))
	}
	// Forced schemes are kept even when they do not gain.
	for _, scheme := range []uint8{SchemeNone, SchemeLZ4, SchemeBG4LZ4} {
		h, _ := ParseHeader(AppendChunk(nil, s["random-1000"], scheme))
		if h.Scheme != scheme {
			t.Errorf("forced scheme %d gave %d", scheme, h.Scheme)
		}
	}
}

// testData returns a mix of compressible and incompressible data.
func testData(n int) []byte {
	data := vectors.SplitMix64(7, n)
	for i := 0; i+50000 < n; i += 150000 {
		clear(data[i : i+50000])
	}
	return data
}

func buildXorb(t testing.TB, data []byte, scheme uint8) (*Builder, [][]byte) {
	t.Helper()
	b := NewBuilder(scheme)
	var raws [][]byte
	c := chunk.NewChunker(bytes.NewReader(data))
	for {
		raw, err := c.Next()
		if err == io.EOF {
			return b, raws
		}
		if err != nil {
			t.Fatal(err)
		}
		if !b.Fits(len(raw)) {
			t.Fatal("does not fit")
		}
		if i := b.Add(xet.ChunkHash(raw), raw); i != len(raws) {
			t.Fatalf("index %d, want %d", i, len(raws))
		}
		raws = append(raws, bytes.Clone(raw))
	}
}

func TestBuilderReader(t *testing.T) {
	data := testData(3 << 20)
	for _, scheme := range []uint8{SchemeNone, SchemeLZ4, SchemeBG4LZ4, SchemeAuto} {
		t.Run(fmt.Sprint(scheme), func(t *testing.T) {
			b, raws := buildXorb(t, data, scheme)
			body := b.Bytes()
			if b.Len() != len(raws) || b.RawBytes() != uint64(len(data)) {
				t.Fatalf("Len %d RawBytes %d", b.Len(), b.RawBytes())
			}
			var leaves []xet.Leaf
			for _, raw := range raws {
				leaves = append(leaves, xet.Leaf{Hash: xet.ChunkHash(raw), Size: uint64(len(raw))})
			}
			if b.Hash() != xet.MerkleRoot(leaves) || b.Hash() != HashOf(b.Chunks()) {
				t.Fatal("builder hash is not the merkle root of its chunks")
			}

			for _, r := range []*Reader{NewReader(bytes.NewReader(body)), NewBytesReader(body)} {
				var frames []byte
				for i := 0; ; i++ {
					info, raw, frame, err := r.Next()
					if err == io.EOF {
						if i != len(raws) {
							t.Fatalf("%d chunks, want %d", i, len(raws))
						}
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					if info != b.Chunks()[i] {
						t.Fatalf("chunk %d: %+v, want %+v", i, info, b.Chunks()[i])
					}
					if !bytes.Equal(raw, raws[i]) {
						t.Fatalf("chunk %d: decoded bytes differ", i)
					}
					if !bytes.Equal(frame, body[info.Offset:info.End()]) {
						t.Fatalf("chunk %d: frame is not the body's bytes", i)
					}
					frames = append(frames, frame...)
				}
				if !bytes.Equal(frames, body) || r.Offset() != uint64(len(body)) || r.Footer() {
					t.Fatal("frames do not make up the body")
				}
				if _, _, _, err := r.Next(); err != io.EOF {
					t.Fatalf("Next after EOF: %v", err)
				}
			}

			chunks, err := Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			if HashOf(chunks) != b.Hash() || len(chunks) != len(raws) {
				t.Fatal("Parse differs")
			}

			b.Reset()
			if b.Len() != 0 || b.RawBytes() != 0 || len(b.Bytes()) != 0 || b.Hash() != (xet.Hash{}) {
				t.Fatal("Reset")
			}
		})
	}
}

func TestFooterTolerated(t *testing.T) {
	b, _ := buildXorb(t, testData(1<<20), SchemeAuto)
	body := bytes.Clone(b.Bytes())
	withFooter := AppendFooter(bytes.Clone(body), b.Chunks(), b.Hash())

	// Check the footer's layout.
	foot := withFooter[len(body):]
	le := binary.LittleEndian
	info := le.Uint32(foot[len(foot)-4:])
	if int(info) != len(foot)-4 {
		t.Fatalf("info_length %d, footer %d bytes", info, len(foot)-4)
	}
	n := len(b.Chunks())
	if string(foot[:7]) != "XETBLOB" || foot[7] != 1 || xet.Hash(foot[8:40]) != b.Hash() {
		t.Fatal("footer start")
	}
	end := len(foot) - 4
	hashOff := le.Uint32(foot[end-24:])
	bndOff := le.Uint32(foot[end-20:])
	if le.Uint32(foot[end-28:]) != uint32(n) || string(foot[end-int(hashOff):][:7]) != "XBLBHSH" || string(foot[end-int(bndOff):][:7]) != "XBLBBND" {
		t.Fatal("footer section offsets")
	}
	bnd := foot[end-int(bndOff)+12:]
	if le.Uint32(bnd[4*(n-1):]) != uint32(len(body)) || le.Uint32(bnd[4*(2*n-1):]) != uint32(b.RawBytes()) {
		t.Fatal("footer boundaries")
	}

	chunks, err := Parse(withFooter)
	if err != nil {
		t.Fatal(err)
	}
	if HashOf(chunks) != b.Hash() {
		t.Fatal("hash with footer")
	}
	r := NewReader(bytes.NewReader(withFooter))
	for {
		if _, _, _, err := r.Next(); err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
	}
	if !r.Footer() || r.Offset() != uint64(len(body)) {
		t.Fatalf("Footer %v Offset %d, want true %d", r.Footer(), r.Offset(), len(body))
	}
	// Anything after the marker is skipped, even garbage.
	if _, err := Parse(append(bytes.Clone(body), "XETBLOB garbage"...)); err != nil {
		t.Fatal(err)
	}
}

func chunkBytes(raw []byte, scheme uint8) []byte {
	return AppendChunk(nil, raw, scheme)
}

func TestReaderRejects(t *testing.T) {
	good := chunkBytes([]byte(strings.Repeat("hello ", 1000)), SchemeLZ4)
	lzPayload := good[HeaderSize:]
	withHeader := func(h Header, payload []byte) []byte {
		e := h.Encode()
		return append(e[:], payload...)
	}
	// A block whose match reaches before the start of the output.
	badBlock := []byte{0x10, 'x', 0xff, 0xff, 0x50, 'a', 'b', 'c', 'd', 'e'}
	corruptFrame := append(frameHeader[:], binary.LittleEndian.AppendUint32(nil, uint32(len(badBlock)))...)
	corruptFrame = append(append(corruptFrame, badBlock...), 0, 0, 0, 0)
	corrupt := withHeader(Header{StoredLen: uint32(len(corruptFrame)), Scheme: SchemeLZ4, RawLen: 10}, corruptFrame)
	trailing := withHeader(Header{StoredLen: uint32(len(lzPayload) + 1), Scheme: SchemeLZ4, RawLen: 6000}, append(bytes.Clone(lzPayload), 0))
	badHC := bytes.Clone(good)
	badHC[HeaderSize+6] ^= 1
	for _, c := range []struct {
		name string
		body []byte
		want string
	}{
		{"empty", nil, "no chunks"},
		{"footer only", []byte("XETBLOB\x01rest"), "no chunks"},
		{"bad version", append(bytes.Clone(good), 1, 1, 0, 0, 0, 1, 0, 0, 'x'), "chunk 1 at offset " + fmt.Sprint(len(good)) + ": chunk header version 1"},
		{"unknown scheme", withHeader(Header{StoredLen: 1, Scheme: 3, RawLen: 1}, []byte{1}), "unknown compression scheme 3"},
		{"raw over cap", withHeader(Header{StoredLen: 1, Scheme: 1, RawLen: MaxChunkRaw + 1}, []byte{1}), "exceeds 131072"},
		{"stored over cap", withHeader(Header{StoredLen: MaxChunkStored + 1, Scheme: 1, RawLen: 1}, []byte{1}), "exceeds 262144"},
		{"truncated header", append(bytes.Clone(good), 0, 1, 0), "chunk 1 at offset " + fmt.Sprint(len(good)) + ": truncated chunk header (3 of 8 bytes)"},
		{"truncated payload", good[:len(good)-1], "truncated payload"},
		{"truncated payload none", withHeader(Header{StoredLen: 10, RawLen: 10}, []byte("abc")), "truncated payload (3 of 10 bytes)"},
		{"length too big", withHeader(Header{StoredLen: uint32(len(lzPayload)), Scheme: SchemeLZ4, RawLen: 6001}, lzPayload), "6001"},
		{"length too small", withHeader(Header{StoredLen: uint32(len(lzPayload)), Scheme: SchemeLZ4, RawLen: 5999}, lzPayload), "5999"},
		{"bg4 length mismatch", withHeader(Header{StoredLen: uint32(len(lzPayload)), Scheme: SchemeBG4LZ4, RawLen: 5000}, lzPayload), "5000"},
		{"corrupt lz4", corrupt, "corrupt lz4 block"},
		{"not a frame", withHeader(Header{StoredLen: 8, Scheme: SchemeLZ4, RawLen: 4}, []byte("abcdefgh")), "not an lz4 frame"},
		{"truncated frame", withHeader(Header{StoredLen: 10, Scheme: SchemeLZ4, RawLen: 6000}, lzPayload[:10]), "truncated lz4 frame"},
		{"trailing bytes", trailing, "1 bytes after the lz4 frame"},
		{"header checksum", badHC, "header checksum"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.body) // in place
			checkErr(t, err, c.want)
			if c.want != "no chunks" {
				// The same from a stream.
				r := NewReader(bytes.NewReader(c.body))
				for err = nil; err == nil; {
					_, _, _, err = r.Next()
				}
				checkErr(t, err, c.want)
			}
		})
	}
}

func TestReaderLimits(t *testing.T) {
	t.Run("chunks", func(t *testing.T) {
		one := chunkBytes([]byte{7}, SchemeNone)
		body := bytes.Repeat(one, MaxChunks)
		chunks, err := Parse(body)
		if err != nil || len(chunks) != MaxChunks {
			t.Fatalf("%d chunks: %v", len(chunks), err)
		}
		_, err = Parse(append(body, one...))
		checkErr(t, err, "chunk 8192 at offset 73728: more than 8192 chunks")
	})
	t.Run("raw bytes", func(t *testing.T) {
		full := chunkBytes(make([]byte, MaxChunkRaw), SchemeLZ4)
		body := bytes.Repeat(full, MaxRawBytes/MaxChunkRaw)
		if _, err := Parse(body); err != nil {
			t.Fatal(err)
		}
		_, err := Parse(append(body, chunkBytes([]byte{1}, SchemeNone)...))
		checkErr(t, err, "more than 67108864 decoded bytes")
	})
	t.Run("serialized", func(t *testing.T) {
		if _, err := Parse(make([]byte, MaxSerialized+1)); !errors.Is(err, ErrInvalid) {
			t.Fatalf("oversized body: %v", err)
		}
		// A stream whose footer never ends.
		r := NewReader(io.MultiReader(bytes.NewReader(chunkBytes([]byte{1}, SchemeNone)),
			strings.NewReader("XETBLOB"), zeros{}))
		if _, _, _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		_, _, _, err := r.Next()
		checkErr(t, err, "larger than 71303168 bytes")
		if _, _, _, err2 := r.Next(); err2 != err {
			t.Fatalf("error not sticky: %v", err2)
		}
		// Incompressible chunks stored with an expanding LZ4 frame reach the
		// serialized cap before the raw one only if it is smaller; check the
		// arithmetic of the cap instead.
		if MaxSerialized < MaxRawBytes+HeaderSize*MaxChunks {
			t.Fatal("MaxSerialized cannot hold an uncompressed xorb")
		}
	})
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("boom")
		r := NewReader(io.MultiReader(bytes.NewReader(chunkBytes([]byte{1}, SchemeNone)), errReader{boom}))
		if _, _, _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := r.Next(); !errors.Is(err, boom) || errors.Is(err, ErrInvalid) {
			t.Fatalf("error %v, want boom not matching ErrInvalid", err)
		}
	})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// TestForeignFrames decodes LZ4 frames written by pierrec's Writer with various
// options: checksums, content size, other block sizes.
func TestForeignFrames(t *testing.T) {
	raw := testData(MaxChunkRaw)
	raw = append(raw[:40000], bytes.Repeat([]byte("abcdefgh"), 5000)...) // compressible, > 64 KiB
	for _, c := range []struct {
		name string
		opts []lz4.Option
	}{
		{"default", nil},
		{"block checksums", []lz4.Option{lz4.BlockChecksumOption(true)}},
		{"no checksums 64k", []lz4.Option{lz4.BlockSizeOption(lz4.Block64Kb), lz4.ChecksumOption(false)}},
		{"content size", []lz4.Option{lz4.SizeOption(uint64(len(raw)))}},
		{"256k blocks", []lz4.Option{lz4.BlockSizeOption(lz4.Block256Kb)}},
		{"all", []lz4.Option{lz4.BlockSizeOption(lz4.Block64Kb), lz4.BlockChecksumOption(true), lz4.SizeOption(uint64(len(raw)))}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := lz4.NewWriter(&buf)
			if err := w.Apply(c.opts...); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(raw); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			frame := buf.Bytes()
			if c.name == "no checksums 64k" && !bytes.Equal(frame[:7], frameHeader[:]) {
				t.Errorf("pierrec header %x, ours %x", frame[:7], frameHeader)
			}
			got, err := Decompress(SchemeLZ4, frame, len(raw), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, raw) {
				t.Fatal("decoded bytes differ")
			}
			// Damage the last byte (a checksum, or the end mark) and the frame
			// must be rejected.
			bad := bytes.Clone(frame)
			bad[len(bad)-1] ^= 1
			if _, err := Decompress(SchemeLZ4, bad, len(raw), nil); !errors.Is(err, ErrInvalid) {
				t.Fatalf("damaged frame accepted: %v", err)
			}
		})
	}
}

func TestLinkedBlocks(t *testing.T) {
	// A frame with dependent blocks, built by hand: block 1 is stored, block 2
	// copies 1000 bytes from 60000 back (into block 1), then ends with 5
	// literals.
	first := vectors.SplitMix64(9, 64<<10)
	var blk []byte
	matchLen := 1000 - 4
	back := 60000
	blk = append(blk, 0x0f, byte(back), byte(back>>8))
	rest := matchLen - 15
	for ; rest >= 255; rest -= 255 {
		blk = append(blk, 255)
	}
	blk = append(blk, byte(rest))
	blk = append(blk, 0x50, 'a', 'b', 'c', 'd', 'e') // last sequence: 5 literals
	hdr := []byte{0x04, 0x22, 0x4d, 0x18, 0x40, 0x40, 0}
	hdr[6] = byte(xxh32(hdr[4:6]) >> 8)
	frame := append(hdr, binary.LittleEndian.AppendUint32(nil, uint32(len(first))|1<<31)...)
	frame = append(frame, first...)
	frame = binary.LittleEndian.AppendUint32(frame, uint32(len(blk)))
	frame = append(frame, blk...)
	frame = append(frame, 0, 0, 0, 0)
	want := append(bytes.Clone(first), first[len(first)-60000:len(first)-60000+1000]...)
	want = append(want, "abcde"...)
	got, err := Decompress(SchemeLZ4, frame, len(want), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("linked block decoded wrongly")
	}
	// The same frame marked independent must fail: the match reaches before
	// the block.
	frame[4] |= flgBlockIndep
	frame[6] = byte(xxh32(frame[4:6]) >> 8)
	if _, err := Decompress(SchemeLZ4, frame, len(want), nil); err == nil {
		t.Fatal("independent frame with a back reference accepted")
	}
}

func TestXXH32(t *testing.T) {
	for s, want := range map[string]uint32{
		"":    0x02cc5d05,
		"a":   0x550d7456,
		"abc": 0x32d153ff,
		"Nobody inspects the spammish repetition": 0xe2293b2f,
	} {
		if got := xxh32([]byte(s)); got != want {
			t.Errorf("xxh32(%q) = %08x, want %08x", s, got, want)
		}
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte{})
	f.Add(chunkBytes([]byte("hello"), SchemeNone))
	f.Add(chunkBytes(bytes.Repeat([]byte("hello"), 100), SchemeLZ4))
	f.Add(chunkBytes(bytes.Repeat([]byte("hello"), 100), SchemeBG4LZ4))
	b := NewBuilder(SchemeAuto)
	for _, s := range []string{"a", strings.Repeat("xy", 500), "zzz"} {
		b.Add(xet.ChunkHash([]byte(s)), []byte(s))
	}
	f.Add(bytes.Clone(b.Bytes()))
	f.Add(AppendFooter(bytes.Clone(b.Bytes()), b.Chunks(), b.Hash()))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := NewReader(bytes.NewReader(body))
		var frames []byte
		var chunks []ChunkInfo
		for {
			info, raw, frame, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("error %v does not match ErrInvalid", err)
				}
				if _, err2 := Parse(body); err2 == nil {
					t.Fatal("Parse accepts what Reader rejects")
				}
				return
			}
			h, err := ParseHeader(frame)
			if err != nil {
				t.Fatal(err)
			}
			e := h.Encode()
			switch {
			case !bytes.Equal(e[:], frame[:HeaderSize]):
				t.Fatal("header does not re-encode")
			case int(h.RawLen) != len(raw) || info.RawLen != h.RawLen || info.StoredLen != h.StoredLen:
				t.Fatal("lengths")
			case info.Hash != xet.ChunkHash(raw):
				t.Fatal("hash")
			case info.Offset != uint64(len(frames)) || !bytes.Equal(frame, body[info.Offset:info.End()]):
				t.Fatal("frame is not the body's bytes")
			}
			// Our own encodings of the chunk decode to the same bytes and
			// re-parse with the same info.
			for _, scheme := range []uint8{SchemeNone, SchemeLZ4, SchemeBG4LZ4, SchemeAuto} {
				re := AppendChunk(nil, raw, scheme)
				c2, err := Parse(re)
				if err != nil || len(c2) != 1 || c2[0].Hash != info.Hash || c2[0].RawLen != info.RawLen {
					t.Fatalf("re-encoded with scheme %d: %v", scheme, err)
				}
			}
			frames = append(frames, frame...)
			chunks = append(chunks, info)
		}
		if r.Offset() != uint64(len(frames)) || !bytes.Equal(frames, body[:len(frames)]) {
			t.Fatal("frames are not a prefix of the body")
		}
		if !r.Footer() && len(frames) != len(body) {
			t.Fatal("bytes left without a footer")
		}
		got, err := Parse(body)
		if len(chunks) == 0 {
			if err == nil {
				t.Fatal("Parse accepted no chunks")
			}
			return
		}
		if err != nil || len(got) != len(chunks) {
			t.Fatalf("Parse: %v", err)
		}
		again, err := Parse(frames)
		if err != nil || HashOf(again) != HashOf(chunks) {
			t.Fatalf("frames alone: %v", err)
		}
	})
}

func BenchmarkReader(b *testing.B) {
	data := testData(16 << 20)
	x, _ := buildXorb(b, data, SchemeAuto)
	body := x.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Parse(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendChunkAuto(b *testing.B) {
	raw := testData(1 << 20)[:65536]
	var dst []byte
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		dst = AppendChunk(dst[:0], raw, SchemeAuto)
	}
}
