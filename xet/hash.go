package xet

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Hash is a 32-byte Xet hash in its raw byte order, as binary formats store it.
type Hash [32]byte

// HashSize is the length of a [Hash] in bytes.
const HashSize = 32

// ErrInvalidHash is matched by the errors of [ParseHash].
var ErrInvalidHash = errors.New("invalid xet hash")

const hexDigits = "0123456789abcdef"

// ParseHash parses a hash written in the Xet convention: 64 hex digits of either
// case, where each 8-byte group of the raw hash appears reversed. The error
// matches [ErrInvalidHash].
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*HashSize {
		return h, fmt.Errorf("%w: %q has %d characters, want 64 hex digits", ErrInvalidHash, truncate(s), len(s))
	}
	for i := range HashSize {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return Hash{}, fmt.Errorf("%w: %q is not hexadecimal", ErrInvalidHash, truncate(s))
		}
		// i^7 is position i with its 8-byte group reversed.
		h[i^7] = hi<<4 | lo
	}
	return h, nil
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// String returns the hash in the Xet convention, in lowercase.
func (h Hash) String() string {
	var b [2 * HashSize]byte
	return string(h.appendText(b[:0]))
}

// AppendText appends the Xet-convention text of h to b. It implements
// [encoding.TextAppender].
func (h Hash) AppendText(b []byte) ([]byte, error) {
	return h.appendText(b), nil
}

func (h Hash) appendText(b []byte) []byte {
	for i := range HashSize {
		c := h[i^7]
		b = append(b, hexDigits[c>>4], hexDigits[c&15])
	}
	return b
}

// MarshalText implements [encoding.TextMarshaler] with the Xet convention, so a Hash
// is a JSON string and can be a JSON object key.
func (h Hash) MarshalText() ([]byte, error) {
	return h.appendText(make([]byte, 0, 2*HashSize)), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler] with [ParseHash].
func (h *Hash) UnmarshalText(b []byte) error {
	v, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// IsZero reports whether all bytes of h are zero.
func (h Hash) IsZero() bool {
	return h == Hash{}
}

// Mod returns bytes 24 to 31 of h, read as a little-endian integer, modulo n.
// It is the "hash mod n" of merkle cuts and dedup eligibility. n must not be 0.
func (h Hash) Mod(n uint64) uint64 {
	return binary.LittleEndian.Uint64(h[24:]) % n
}

// HashFromSHA256 returns a SHA-256 digest in the byte order Xet stores it in
// (shard metadata records): each 8-byte group reversed, so that the Hash's
// String is the usual hex of the digest.
func HashFromSHA256(sum [32]byte) Hash {
	var h Hash
	for i := range HashSize {
		h[i^7] = sum[i]
	}
	return h
}

// SHA256 is the inverse of [HashFromSHA256]: it returns the digest in standard
// byte order.
func (h Hash) SHA256() [32]byte {
	return [32]byte(HashFromSHA256([32]byte(h)))
}
