// Package vectors locates the shared Xet test vectors and regenerates their inputs.
//
// The vectors live in ../shared/xet-vectors relative to the module root (the
// directory holding go.mod); README.md there describes them. Tests fail, and do not
// skip, when they are missing, because CI always has them.
package vectors

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the directory of the shared test vectors, or fails the test.
func Dir(tb testing.TB) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for d := wd; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			dir := filepath.Join(d, "..", "shared", "xet-vectors")
			if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
				tb.Fatalf("xet test vectors not found: %v", err)
			}
			return dir
		}
		parent := filepath.Dir(d)
		if parent == d {
			tb.Fatalf("no go.mod above %s, cannot locate the xet test vectors", wd)
		}
		d = parent
	}
}

// ReadFile returns the content of the file at rel, a slash-separated path inside
// the vectors directory, or fails the test.
func ReadFile(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(tb), filepath.FromSlash(rel)))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Load decodes the JSON file at rel into v, or fails the test.
func Load(tb testing.TB, rel string, v any) {
	tb.Helper()
	if err := json.Unmarshal(ReadFile(tb, rel), v); err != nil {
		tb.Fatalf("%s: %v", rel, err)
	}
}

// Input describes a generated input, as the "input" objects of the vectors do.
type Input struct {
	Generator string `json:"generator"`
	Seed      uint64 `json:"seed"`   // splitmix64
	Length    int    `json:"length"` // all generators
	Byte      byte   `json:"byte"`   // constant
	Mul       int    `json:"mul"`    // affine
	Add       int    `json:"add"`    // affine
}

// Bytes generates the input.
func (in Input) Bytes() ([]byte, error) {
	switch in.Generator {
	case "splitmix64":
		return SplitMix64(in.Seed, in.Length), nil
	case "constant":
		return Constant(in.Byte, in.Length), nil
	case "affine":
		return Affine(in.Mul, in.Add, in.Length), nil
	}
	return nil, fmt.Errorf("unknown generator %q", in.Generator)
}

// SplitMix64 returns n bytes: the outputs of the SplitMix64 generator started at
// seed, each written as 8 little-endian bytes.
func SplitMix64(seed uint64, n int) []byte {
	b := make([]byte, (n+7)&^7)
	state := seed
	for i := 0; i < len(b); i += 8 {
		state += 0x9e3779b97f4a7c15
		z := state
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		z ^= z >> 31
		binary.LittleEndian.PutUint64(b[i:], z)
	}
	return b[:n]
}

// Constant returns n bytes of value c.
func Constant(c byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return b
}

// Affine returns n bytes where byte i is (i*mul + add) mod 256.
func Affine(mul, add, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*mul + add)
	}
	return b
}

// PatternRepeat returns n bytes cycling through pattern followed by zeroPadding
// zero bytes.
func PatternRepeat(pattern []byte, zeroPadding, n int) []byte {
	block := make([]byte, len(pattern)+zeroPadding)
	copy(block, pattern)
	b := make([]byte, n)
	for i := range b {
		b[i] = block[i%len(block)]
	}
	return b
}
