package xorb

import (
	"encoding/binary"
	"math/bits"
)

// xxHash32 (seed 0), which LZ4 frames use for their header, block and content
// checksums. Written from the xxHash specification.
const (
	prime32x1 uint32 = 2654435761
	prime32x2 uint32 = 2246822519
	prime32x3 uint32 = 3266489917
	prime32x4 uint32 = 668265263
	prime32x5 uint32 = 374761393
)

func xxh32Round(acc, lane uint32) uint32 {
	acc += lane * prime32x2
	acc = bits.RotateLeft32(acc, 13)
	return acc * prime32x1
}

// xxh32 returns the xxHash32 of b with seed 0.
func xxh32(b []byte) uint32 {
	n := len(b)
	var acc uint32
	if n >= 16 {
		p1, p2 := prime32x1, prime32x2 // variables: the sums wrap
		v1 := p1 + p2
		v2 := p2
		v3 := uint32(0)
		v4 := -p1
		for len(b) >= 16 {
			v1 = xxh32Round(v1, binary.LittleEndian.Uint32(b[0:]))
			v2 = xxh32Round(v2, binary.LittleEndian.Uint32(b[4:]))
			v3 = xxh32Round(v3, binary.LittleEndian.Uint32(b[8:]))
			v4 = xxh32Round(v4, binary.LittleEndian.Uint32(b[12:]))
			b = b[16:]
		}
		acc = bits.RotateLeft32(v1, 1) + bits.RotateLeft32(v2, 7) + bits.RotateLeft32(v3, 12) + bits.RotateLeft32(v4, 18)
	} else {
		acc = prime32x5
	}
	acc += uint32(n)
	for len(b) >= 4 {
		acc += binary.LittleEndian.Uint32(b) * prime32x3
		acc = bits.RotateLeft32(acc, 17) * prime32x4
		b = b[4:]
	}
	for _, c := range b {
		acc += uint32(c) * prime32x5
		acc = bits.RotateLeft32(acc, 11) * prime32x1
	}
	acc ^= acc >> 15
	acc *= prime32x2
	acc ^= acc >> 13
	acc *= prime32x3
	acc ^= acc >> 16
	return acc
}
