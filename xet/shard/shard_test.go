package shard

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wharfhub/wharf/xet"
	"github.com/wharfhub/wharf/xet/internal/vectors"
)

const fixture = "js-fixture/gpt2-64-8bits.tflite.shard"

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

func TestFixture(t *testing.T) {
	data := vectors.ReadFile(t, fixture)
	var want struct {
		HMACKey string `json:"hmac_key"`
		Xorbs   []struct {
			Hash        string   `json:"hash"`
			ChunkHashes []string `json:"chunk_hashes"`
		} `json:"xorbs"`
	}
	vectors.Load(t, fixture+".json", &want)

	s, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Files) != 0 {
		t.Errorf("%d files, want 0", len(s.Files))
	}
	if s.Footer == nil {
		t.Fatal("no footer")
	}
	f := s.Footer
	if f.HMACKey.String() != want.HMACKey || want.HMACKey != "d6834b04843aaf16f29903e2428a99be635099f9ea5056cc4e95e7ec8a41509f" {
		t.Errorf("hmac key %s, want %s", f.HMACKey, want.HMACKey)
	}
	if len(s.Xorbs) != len(want.Xorbs) || len(s.Xorbs) != 3 {
		t.Fatalf("%d xorbs, want %d", len(s.Xorbs), len(want.Xorbs))
	}
	total := 0
	for i, x := range s.Xorbs {
		w := want.Xorbs[i]
		if x.Hash.String() != w.Hash {
			t.Errorf("xorb %d hash %s, want %s", i, x.Hash, w.Hash)
		}
		if len(x.Chunks) != len(w.ChunkHashes) {
			t.Fatalf("xorb %d: %d chunks, want %d", i, len(x.Chunks), len(w.ChunkHashes))
		}
		var off uint32
		for j, c := range x.Chunks {
			if c.Hash.String() != w.ChunkHashes[j] {
				t.Fatalf("xorb %d chunk %d hash %s, want %s", i, j, c.Hash, w.ChunkHashes[j])
			}
			if c.Offset != off {
				t.Fatalf("xorb %d chunk %d offset %d, want running sum %d", i, j, c.Offset, off)
			}
			off += c.Size
		}
		if x.RawBytes != off || x.StoredBytes != 0 {
			t.Errorf("xorb %d: raw %d (chunks sum to %d), stored %d", i, x.RawBytes, off, x.StoredBytes)
		}
		total += len(x.Chunks)
	}
	if total != 2117 {
		t.Errorf("%d chunks, want 2117", total)
	}
	for j, off := range []uint32{0, 44970, 126970, 258042} {
		if got := s.Xorbs[0].Chunks[j].Offset; got != off {
			t.Errorf("chunk %d offset %d, want %d", j, got, off)
		}
	}
	// XET.md §4.5.
	wantFooter := Footer{
		Version: 1, FileInfoOffset: 48, CASInfoOffset: 96,
		FileLookupOffset: 101904, XorbLookupOffset: 101904, ChunkLookupOffset: 101904,
		HMACKey: f.HMACKey, CreatedAt: f.CreatedAt, KeyExpiry: f.CreatedAt + 604800,
		StoredBytes: 135211006, FooterOffset: 101904,
	}
	if *f != wantFooter {
		t.Errorf("footer %+v\nwant   %+v", *f, wantFooter)
	}
	if len(data) != 102104 || binary.LittleEndian.Uint64(data[40:]) != FooterSize {
		t.Error("fixture size or footer size")
	}

	// AppendDedup reproduces the fixture byte for byte. Its chunk hashes are
	// already keyed, so build it unkeyed and put the key in the footer.
	out := AppendDedup(nil, s.Xorbs, xet.Hash{}, time.Unix(int64(f.CreatedAt), 0), time.Unix(int64(f.KeyExpiry), 0))
	copy(out[len(out)-FooterSize+72:], f.HMACKey[:])
	if !bytes.Equal(out, data) {
		t.Error("AppendDedup does not reproduce the fixture")
	}
}

// sampleShard returns a shard with two verified files (one with a SHA-256) and
// two xorbs.
func sampleShard() *Shard {
	h := func(b byte) xet.Hash { return xet.ChunkHash([]byte{b}) }
	sum := sha256.Sum256([]byte("some data"))
	return &Shard{
		Files: []File{
			{
				Hash: h(1), Flags: FlagVerification | FlagMetadataExt, Verified: true, HasSHA256: true, SHA256: sum,
				Terms: []Term{
					{Xorb: h(10), UnpackedBytes: 1000, Start: 0, End: 3, RangeHash: h(20)},
					{Xorb: h(11), UnpackedBytes: 5, Start: 7, End: 8, RangeHash: h(21)},
				},
			},
			{
				Hash: h(2), Flags: FlagVerification, Verified: true,
				Terms: []Term{{Xorb: h(10), UnpackedBytes: 10, Start: 3, End: 4, RangeHash: h(22)}},
			},
			{Hash: xet.Hash{}}, // an empty file
		},
		Xorbs: []Xorb{
			{Hash: h(10), RawBytes: 1010, Chunks: []XorbChunk{
				{Hash: h(30), Offset: 0, Size: 500, Flags: ChunkFlagGlobalDedup},
				{Hash: h(31), Offset: 500, Size: 300},
				{Hash: h(32), Offset: 800, Size: 200},
				{Hash: h(33), Offset: 1000, Size: 10},
			}},
			{Hash: h(12), RawBytes: 0, StoredBytes: 7},
		},
	}
}

func TestUploadRoundTrip(t *testing.T) {
	s := sampleShard()
	body := s.AppendUpload(nil)
	if binary.LittleEndian.Uint64(body[40:]) != 0 {
		t.Fatal("upload announces a footer")
	}
	// 48 header + file 1 (1 + 2 + 2 + 1) + file 2 (1 + 1 + 1) + empty file 1 +
	// bookend + xorb 1 (1 + 4) + xorb 2 (1) + bookend.
	if want := 48 + 48*(6+3+1+1+5+1+1); len(body) != want {
		t.Fatalf("%d bytes, want %d", len(body), want)
	}
	got, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, s)
	}
	// The metadata record holds the digest in Xet byte order.
	meta := body[48+5*48:][:32]
	if xet.Hash(meta).String() != "1307990e6ba5ca145eb35e99182a9bec46531bc54ddf656a602c780fa0240dee" {
		t.Errorf("metadata record %x", meta)
	}
	// Flags follow Verified and HasSHA256, whatever Flags says.
	s2 := sampleShard()
	s2.Files[0].Flags = 0
	s2.Files[1].Verified, s2.Files[1].Flags = true, FlagMetadataExt
	got, err = Parse(s2.AppendUpload(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got.Files[0].Flags != FlagVerification|FlagMetadataExt || got.Files[1].Flags != FlagVerification {
		t.Errorf("flags %#x %#x", got.Files[0].Flags, got.Files[1].Flags)
	}
	// Appending to a prefix works.
	if b := s.AppendUpload([]byte("xx")); !bytes.Equal(b[2:], body) {
		t.Error("AppendUpload with a prefix")
	}
}

func TestDedupRoundTrip(t *testing.T) {
	s := sampleShard()
	key := xet.ChunkHash([]byte("key"))
	created := time.Unix(1754059905, 0)
	expiry := created.Add(7 * 24 * time.Hour)
	body := AppendDedup(nil, s.Xorbs, key, created, expiry)
	got, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Files) != 0 || len(got.Xorbs) != 2 || got.Footer == nil {
		t.Fatalf("parsed %+v", got)
	}
	for i, x := range s.Xorbs {
		g := got.Xorbs[i]
		if g.Hash != x.Hash || g.RawBytes != x.RawBytes || g.StoredBytes != x.StoredBytes || len(g.Chunks) != len(x.Chunks) {
			t.Fatalf("xorb %d: %+v", i, g)
		}
		for j, c := range x.Chunks {
			want := c
			want.Hash = xet.KeyedChunkHash(key, c.Hash)
			if g.Chunks[j] != want {
				t.Errorf("xorb %d chunk %d: %+v, want %+v", i, j, g.Chunks[j], want)
			}
		}
	}
	end := uint64(len(body) - FooterSize)
	want := Footer{
		Version: 1, FileInfoOffset: 48, CASInfoOffset: 96,
		FileLookupOffset: end, XorbLookupOffset: end, ChunkLookupOffset: end,
		HMACKey: key, CreatedAt: 1754059905, KeyExpiry: 1754059905 + 604800,
		StoredBytesOnDisk: 7, StoredBytes: 1010, FooterOffset: end,
	}
	if *got.Footer != want {
		t.Errorf("footer %+v\nwant   %+v", *got.Footer, want)
	}
	// A zero key leaves the hashes alone; a zero expiry is 0.
	got, err = Parse(AppendDedup(nil, s.Xorbs, xet.Hash{}, created, time.Time{}))
	if err != nil {
		t.Fatal(err)
	}
	if got.Xorbs[0].Chunks[1].Hash != s.Xorbs[0].Chunks[1].Hash || got.Footer.KeyExpiry != 0 || !got.Footer.HMACKey.IsZero() {
		t.Error("zero key or expiry")
	}
}

func TestTrailer(t *testing.T) {
	s := sampleShard()
	upload := s.AppendUpload(nil)
	footer := (&Footer{Version: 1, FooterOffset: 12345, HMACKey: xet.Hash{9}}).Append(nil)
	if len(footer) != FooterSize {
		t.Fatalf("footer of %d bytes", len(footer))
	}
	withFooterSize := func(b []byte, n uint64) []byte {
		b = bytes.Clone(b)
		binary.LittleEndian.PutUint64(b[40:], n)
		return b
	}
	tables := bytes.Repeat([]byte{0xab}, 12*7)
	for _, c := range []struct {
		name   string
		body   []byte
		footer bool
	}{
		{"none", upload, false},
		{"footer", append(withFooterSize(upload, 200), footer...), true},
		{"tables and footer", append(append(withFooterSize(upload, 200), tables...), footer...), true},
		{"footer size 0, trailing bytes", append(bytes.Clone(upload), footer...), false},
		{"footer size 200, too short", append(withFooterSize(upload, 200), 1, 2, 3), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(c.body)
			if err != nil {
				t.Fatal(err)
			}
			if (got.Footer != nil) != c.footer {
				t.Fatalf("footer %+v", got.Footer)
			}
			if c.footer && (got.Footer.FooterOffset != 12345 || got.Footer.HMACKey != (xet.Hash{9})) {
				t.Fatalf("footer %+v", got.Footer)
			}
			if !reflect.DeepEqual(got.Files, s.Files) || !reflect.DeepEqual(got.Xorbs, s.Xorbs) {
				t.Fatal("sections differ")
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	upload := sampleShard().AppendUpload(nil)
	modify := func(off int, b ...byte) []byte {
		out := bytes.Clone(upload)
		copy(out[off:], b)
		return out
	}
	u32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	file1 := 48                // first file header
	xorb1 := 48 + 48*(6+3+1+1) // first xorb header
	mixed := &Shard{Files: []File{
		{Hash: xet.Hash{1}, Verified: true, Terms: []Term{{Start: 0, End: 1}}},
		{Hash: xet.Hash{2}, Terms: []Term{{Start: 0, End: 1}}},
	}}
	for _, c := range []struct {
		name string
		body []byte
		want string
	}{
		{"empty", nil, "truncated header"},
		{"short header", upload[:47], "truncated header"},
		{"bad tag", modify(0, 'h'), "bad tag"},
		{"version 3", modify(32, 3), "shard version 3"},
		{"truncated file block", upload[:48+48*3], "at offset 48: file b3be1b9b25e875c8fada6c85a93223bac424d33518c23b2cacb01765d36c4d82 claims 2 terms, more than the data holds"},
		{"no file bookend", upload[:48+48*10], "at offset 528: file section has no bookend"},
		{"partial record", upload[:48+48*10+20], "file section has no bookend"},
		{"no CAS bookend", upload[:len(upload)-48], "CAS section has no bookend"},
		{"terms exceed data", modify(file1+36, u32(1000)...), "claims 1000 terms"},
		{"huge term count", modify(file1+36, u32(0xffffffff)...), "claims 4294967295 terms"},
		{"unknown flag", modify(file1+32, u32(FlagVerification|FlagMetadataExt|1)...), "unknown flags 0xc0000001"},
		{"empty term range", modify(file1+48+40, u32(5)...), "empty chunk range [5, 3)"},
		{"chunks exceed data", modify(xorb1+36, u32(100)...), "claims 100 chunks"},
		{"mixed verification", mixed.AppendUpload(nil), "some files have verification entries and others not"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.body)
			checkErr(t, err, c.want)
		})
	}
}

func TestLimits(t *testing.T) {
	upload := sampleShard().AppendUpload(nil)
	for _, c := range []struct {
		lim  Limits
		want string
	}{
		{Limits{MaxFiles: 2}, "more than 2 files"},
		{Limits{MaxTerms: 2}, "more than 2 terms"},
		{Limits{MaxXorbs: 1}, "more than 1 xorbs"},
		{Limits{MaxChunks: 3}, "more than 3 chunks"},
	} {
		_, err := ParseWithLimits(upload, c.lim)
		checkErr(t, err, c.want)
	}
	if _, err := ParseWithLimits(upload, Limits{MaxFiles: 3, MaxTerms: 3, MaxXorbs: 2, MaxChunks: 4}); err != nil {
		t.Fatal(err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(sampleShard().AppendUpload(nil))
	f.Add(AppendDedup(nil, sampleShard().Xorbs, xet.Hash{1}, time.Unix(1, 0), time.Unix(2, 0)))
	f.Add(append(Tag[:], make([]byte, 16)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		// What parses re-serializes to a shard that parses the same.
		again, err := Parse(s.AppendUpload(nil))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(again.Files, s.Files) || !reflect.DeepEqual(again.Xorbs, s.Xorbs) || again.Footer != nil {
			t.Fatal("upload round trip differs")
		}
		d, err := Parse(AppendDedup(nil, s.Xorbs, xet.Hash{}, time.Time{}, time.Time{}))
		if err != nil || !reflect.DeepEqual(d.Xorbs, s.Xorbs) || d.Footer == nil {
			t.Fatalf("dedup round trip: %v", err)
		}
	})
}

func BenchmarkParseFixture(b *testing.B) {
	data := vectors.ReadFile(b, fixture)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
