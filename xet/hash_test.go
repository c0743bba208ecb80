package xet

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/xet/internal/vectors"
)

// hashingVectors is the part of hashing.json these tests use.
type hashingVectors struct {
	KeysHex struct {
		DataKey         string `json:"DATA_KEY"`
		InternalNodeKey string `json:"INTERNAL_NODE_KEY"`
		VerificationKey string `json:"VERIFICATION_KEY"`
		FileHashKey     string `json:"FILE_HASH_KEY"`
	} `json:"keys_hex"`
	HexEncoding struct {
		WorkedExample struct {
			RawBytesHex    string   `json:"raw_bytes_hex"`
			GroupsRaw      []string `json:"groups_raw"`
			GroupsReversed []string `json:"groups_reversed"`
			XetHex         string   `json:"xet_hex"`
		} `json:"worked_example"`
		Examples []struct {
			RawBytesHex string `json:"raw_bytes_hex"`
			XetHex      string `json:"xet_hex"`
		} `json:"examples"`
	} `json:"hex_encoding"`
	ChunkHashCases []struct {
		ID          string        `json:"id"`
		Input       vectors.Input `json:"input"`
		Boundaries  []int         `json:"boundaries"`
		ChunkHashes []string      `json:"chunk_hashes"`
	} `json:"chunk_hash_cases"`
	MerkleCases struct {
		Cases []struct {
			ID     string `json:"id"`
			Leaves []struct {
				Hash   string `json:"hash"`
				Length uint64 `json:"length"`
			} `json:"leaves"`
			XorbHash   string `json:"xorb_hash"`
			FileHashes []struct {
				Salt     string `json:"salt"`
				FileHash string `json:"file_hash"`
			} `json:"file_hashes"`
		} `json:"cases"`
	} `json:"merkle_cases"`
	EmptyFile struct {
		Leaves   []json.RawMessage `json:"leaves"`
		XorbHash string            `json:"xorb_hash"`
		FileHash string            `json:"file_hash"`
		NotThis  string            `json:"not_this"`
	} `json:"empty_file"`
	HMACCases []struct {
		Key     string `json:"key"`
		Message string `json:"message"`
		Output  string `json:"output"`
	} `json:"hmac_cases"`
	VerificationHashCases []struct {
		ChunkHashes []string `json:"chunk_hashes"`
		RangeHash   string   `json:"range_hash"`
	} `json:"verification_hash_cases"`
	MerkleNodeTextExample struct {
		Leaves []struct {
			Hash   string `json:"hash"`
			Length uint64 `json:"length"`
		} `json:"leaves"`
		NodeText string `json:"node_text"`
		NodeHash string `json:"node_hash"`
	} `json:"merkle_node_text_example"`
	SHA256InShard struct {
		DataASCII         string `json:"data_ascii"`
		SHA256Hex         string `json:"sha256_hex"`
		StoredRawBytesHex string `json:"stored_raw_bytes_hex"`
	} `json:"sha256_in_shard"`
}

func loadHashing(t *testing.T) *hashingVectors {
	t.Helper()
	var v hashingVectors
	vectors.Load(t, "hashing.json", &v)
	return &v
}

func mustParse(t *testing.T, s string) Hash {
	t.Helper()
	h, err := ParseHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func rawHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKeys(t *testing.T) {
	v := loadHashing(t)
	for _, c := range []struct {
		name string
		key  Hash
		hex  string
	}{
		{"DATA_KEY", DataKey, v.KeysHex.DataKey},
		{"INTERNAL_NODE_KEY", InternalNodeKey, v.KeysHex.InternalNodeKey},
		{"VERIFICATION_KEY", VerificationKey, v.KeysHex.VerificationKey},
		{"FILE_HASH_KEY", ZeroKey, v.KeysHex.FileHashKey},
	} {
		if got := hex.EncodeToString(c.key[:]); got != c.hex {
			t.Errorf("%s = %s, want %s", c.name, got, c.hex)
		}
	}
}

func TestHashText(t *testing.T) {
	v := loadHashing(t)
	we := v.HexEncoding.WorkedExample
	type example struct{ raw, xet string }
	examples := []example{{we.RawBytesHex, we.XetHex}}
	for _, e := range v.HexEncoding.Examples {
		examples = append(examples, example{e.RawBytesHex, e.XetHex})
	}
	for _, e := range examples {
		h := Hash(rawHex(t, e.raw))
		if got := h.String(); got != e.xet {
			t.Errorf("String of raw %s = %s, want %s", e.raw, got, e.xet)
		}
		for _, s := range []string{e.xet, strings.ToUpper(e.xet)} {
			if p, err := ParseHash(s); err != nil || p != h {
				t.Errorf("ParseHash(%s) = %x, %v; want raw %s", s, p[:], err, e.raw)
			}
		}
		text, err := h.MarshalText()
		if err != nil || string(text) != e.xet {
			t.Errorf("MarshalText = %s, %v", text, err)
		}
		var u Hash
		if err := u.UnmarshalText(text); err != nil || u != h {
			t.Errorf("UnmarshalText(%s) = %x, %v", text, u[:], err)
		}
	}
	h := Hash(rawHex(t, we.RawBytesHex))
	for i, g := range we.GroupsRaw {
		if got := hex.EncodeToString(h[8*i : 8*i+8]); got != g {
			t.Errorf("group %d = %s, want %s", i, got, g)
		}
		if got := h.String()[16*i : 16*i+16]; got != we.GroupsReversed[i] {
			t.Errorf("text group %d = %s, want %s", i, got, we.GroupsReversed[i])
		}
	}
}

func TestParseHashInvalid(t *testing.T) {
	good := strings.Repeat("0a", 32)
	for name, s := range map[string]string{
		"empty":     "",
		"short":     good[:63],
		"long":      good + "0",
		"non-hex":   "g" + good[1:],
		"space":     " " + good[1:],
		"prefix 0x": "0x" + good[2:],
		"non-ascii": "é" + good[2:],
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseHash(s); !errors.Is(err, ErrInvalidHash) {
				t.Fatalf("ParseHash(%q) error = %v, want ErrInvalidHash", s, err)
			}
			var h Hash
			if err := h.UnmarshalText([]byte(s)); !errors.Is(err, ErrInvalidHash) {
				t.Fatalf("UnmarshalText(%q) error = %v, want ErrInvalidHash", s, err)
			}
		})
	}
}

func TestHashMod(t *testing.T) {
	var h Hash
	h[24] = 0x05
	h[25] = 0x04 // 0x0405 = 1029
	if got := h.Mod(4); got != 1 {
		t.Errorf("Mod(4) = %d, want 1", got)
	}
	if got := h.Mod(1024); got != 5 {
		t.Errorf("Mod(1024) = %d, want 5", got)
	}
	if DedupEligible(h) {
		t.Error("DedupEligible = true for 1029")
	}
	h[24] = 0
	if !DedupEligible(h) {
		t.Error("DedupEligible = false for 1024")
	}
	h[0] = 1 // outside bytes 24..31
	if !DedupEligible(h) || h.IsZero() || !(Hash{}).IsZero() {
		t.Error("DedupEligible or IsZero wrong")
	}
}

func TestChunkHashVectors(t *testing.T) {
	v := loadHashing(t)
	for _, c := range v.ChunkHashCases {
		t.Run(c.ID, func(t *testing.T) {
			data, err := c.Input.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Boundaries) != len(c.ChunkHashes) {
				t.Fatal("bad vector")
			}
			start := 0
			for i, end := range c.Boundaries {
				if got := ChunkHash(data[start:end]).String(); got != c.ChunkHashes[i] {
					t.Errorf("chunk %d [%d,%d) = %s, want %s", i, start, end, got, c.ChunkHashes[i])
				}
				start = end
			}
		})
	}
}

func TestMerkleVectors(t *testing.T) {
	v := loadHashing(t)
	if len(v.MerkleCases.Cases) != 18 {
		t.Fatalf("%d merkle cases, want 18", len(v.MerkleCases.Cases))
	}
	for _, c := range v.MerkleCases.Cases {
		t.Run(c.ID, func(t *testing.T) {
			leaves := make([]Leaf, len(c.Leaves))
			for i, l := range c.Leaves {
				leaves[i] = Leaf{Hash: mustParse(t, l.Hash), Size: l.Length}
			}
			if got := XorbHash(leaves).String(); got != c.XorbHash {
				t.Errorf("xorb hash = %s, want %s", got, c.XorbHash)
			}
			if len(c.FileHashes) != 3 {
				t.Fatalf("%d file hashes, want 3", len(c.FileHashes))
			}
			for _, fh := range c.FileHashes {
				salt := mustParse(t, fh.Salt)
				if got := FileHashWithSalt(leaves, salt).String(); got != fh.FileHash {
					t.Errorf("file hash with salt %s = %s, want %s", fh.Salt, got, fh.FileHash)
				}
				if salt.IsZero() {
					if got := FileHash(leaves).String(); got != fh.FileHash {
						t.Errorf("FileHash = %s, want %s", got, fh.FileHash)
					}
				}
			}
		})
	}
}

func TestEmptyFile(t *testing.T) {
	v := loadHashing(t)
	e := v.EmptyFile
	if len(e.Leaves) != 0 {
		t.Fatal("bad vector")
	}
	if got := MerkleRoot(nil).String(); got != e.XorbHash {
		t.Errorf("xorb hash = %s, want %s", got, e.XorbHash)
	}
	if got := FileHash(nil).String(); got != e.FileHash {
		t.Errorf("file hash = %s, want %s", got, e.FileHash)
	}
	// not_this is the file hash of one zero-hash leaf.
	if got := FileHash([]Leaf{{}}).String(); got != e.NotThis {
		t.Errorf("file hash of one zero leaf = %s, want %s", got, e.NotThis)
	}
}

func TestHMACVectors(t *testing.T) {
	v := loadHashing(t)
	if len(v.HMACCases) == 0 {
		t.Fatal("no hmac cases")
	}
	for _, c := range v.HMACCases {
		got := KeyedChunkHash(mustParse(t, c.Key), mustParse(t, c.Message))
		if got.String() != c.Output {
			t.Errorf("KeyedChunkHash(%s, %s) = %s, want %s", c.Key, c.Message, got, c.Output)
		}
	}
}

func TestVerificationHashVectors(t *testing.T) {
	v := loadHashing(t)
	if len(v.VerificationHashCases) == 0 {
		t.Fatal("no verification cases")
	}
	for _, c := range v.VerificationHashCases {
		var hs []Hash
		var concat []byte
		for _, s := range c.ChunkHashes {
			h := mustParse(t, s)
			hs = append(hs, h)
			concat = append(concat, h[:]...)
		}
		if got := RangeHash(hs).String(); got != c.RangeHash {
			t.Errorf("RangeHash = %s, want %s", got, c.RangeHash)
		}
		if got := Keyed(VerificationKey, concat).String(); got != c.RangeHash {
			t.Errorf("Keyed(VerificationKey, concat) = %s, want %s", got, c.RangeHash)
		}
	}
}

func TestMerkleNodeText(t *testing.T) {
	v := loadHashing(t)
	ex := v.MerkleNodeTextExample
	var leaves []Leaf
	var text strings.Builder
	for _, l := range ex.Leaves {
		h := mustParse(t, l.Hash)
		leaves = append(leaves, Leaf{h, l.Length})
		text.WriteString(h.String() + " : " + jsonNumber(l.Length) + "\n")
	}
	if text.String() != ex.NodeText {
		t.Fatalf("node text = %q, want %q", text.String(), ex.NodeText)
	}
	if got := Keyed(InternalNodeKey, []byte(ex.NodeText)).String(); got != ex.NodeHash {
		t.Errorf("node hash = %s, want %s", got, ex.NodeHash)
	}
	if got := MerkleRoot(leaves).String(); got != ex.NodeHash {
		t.Errorf("MerkleRoot = %s, want %s", got, ex.NodeHash)
	}
}

func jsonNumber(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestSHA256InShard(t *testing.T) {
	v := loadHashing(t)
	s := v.SHA256InShard
	sum := sha256.Sum256([]byte(s.DataASCII))
	if hex.EncodeToString(sum[:]) != s.SHA256Hex {
		t.Fatal("bad vector")
	}
	h := HashFromSHA256(sum)
	if got := hex.EncodeToString(h[:]); got != s.StoredRawBytesHex {
		t.Errorf("stored bytes = %s, want %s", got, s.StoredRawBytesHex)
	}
	if h.String() != s.SHA256Hex {
		t.Errorf("String = %s, want %s", h, s.SHA256Hex)
	}
	if h.SHA256() != sum {
		t.Error("SHA256 does not invert HashFromSHA256")
	}
}

// TestMerkleShapes checks MerkleRoot against a direct recursive statement of the
// grouping rule, for many sizes and cut patterns.
func TestMerkleShapes(t *testing.T) {
	var seed [32]byte
	for n := 0; n < 300; n++ {
		leaves := make([]Leaf, n)
		for i := range leaves {
			seed[0], seed[1], seed[2] = byte(i), byte(i>>8), byte(n)
			leaves[i] = Leaf{Hash: Keyed(DataKey, seed[:]), Size: uint64(i*1000 + n)}
		}
		if got, want := MerkleRoot(leaves), referenceRoot(leaves); got != want {
			t.Fatalf("%d leaves: root %s, want %s", n, got, want)
		}
	}
}

func referenceRoot(level []Leaf) Hash {
	if len(level) == 0 {
		return Hash{}
	}
	for len(level) > 1 {
		var next []Leaf
		var group []Leaf
		for i, l := range level {
			group = append(group, l)
			if i == len(level)-1 || len(group) == 9 || len(group) >= 3 && l.Hash.Mod(4) == 0 {
				var text bytes.Buffer
				var size uint64
				for _, g := range group {
					text.WriteString(g.Hash.String() + " : " + jsonNumber(g.Size) + "\n")
					size += g.Size
				}
				next = append(next, Leaf{Keyed(InternalNodeKey, text.Bytes()), size})
				group = nil
			}
		}
		level = next
	}
	return level[0].Hash
}

func TestKeyedPools(t *testing.T) {
	// Alternate keys so pooled hashers are reused with and without a key change.
	msg := []byte("message")
	other := Hash{1}
	want := map[Hash]Hash{}
	for _, k := range []Hash{DataKey, other, ZeroKey, InternalNodeKey, VerificationKey, {2}} {
		want[k] = Keyed(k, msg)
	}
	for range 3 {
		for k, w := range want {
			if got := Keyed(k, msg); got != w {
				t.Fatalf("Keyed(%s) = %s, want %s", k, got, w)
			}
		}
	}
	if want[other] == want[Hash{2}] || want[DataKey] != ChunkHash(msg) {
		t.Fatal("keys not applied")
	}
}

func BenchmarkChunkHash(b *testing.B) {
	data := vectors.SplitMix64(1, 64<<10)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		ChunkHash(data)
	}
}

func BenchmarkMerkleRoot1024(b *testing.B) {
	leaves := make([]Leaf, 1024)
	for i := range leaves {
		leaves[i] = Leaf{Hash: Keyed(DataKey, []byte{byte(i), byte(i >> 8)}), Size: 65536}
	}
	for b.Loop() {
		MerkleRoot(leaves)
	}
}
