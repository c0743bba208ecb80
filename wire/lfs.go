package wire

import (
	"bytes"
	"strconv"
	"strings"
)

// OID is the id of an LFS object: the SHA-256 of its content as 64
// lowercase hexadecimal digits. Use [ParseOID] to make one from input.
type OID string

// ParseOID parses a SHA-256 hex digest. It accepts exactly 64 hexadecimal
// digits and returns them in lowercase.
func ParseOID(s string) (OID, error) {
	if len(s) != 64 || !isHex(s) {
		return "", invalidf("invalid oid %s: must be 64 hexadecimal digits (sha256)", quote(s))
	}
	return OID(strings.ToLower(s)), nil
}

// String returns the hex digest.
func (o OID) String() string { return string(o) }

// Pointer is the content of a git-lfs pointer file: the blob that git stores
// in place of a large file (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md).
type Pointer struct {
	OID  OID
	Size int64
}

// MaxPointerSize bounds the size of a pointer file: git-lfs only reads blobs
// smaller than this as pointers.
const MaxPointerSize = 1024

const (
	pointerVersion       = "version https://git-lfs.github.com/spec/v1"
	pointerVersionHawser = "version https://hawser.github.com/spec/v1" // pre-release git-lfs
)

// Encode returns the canonical pointer file:
//
//	version https://git-lfs.github.com/spec/v1
//	oid sha256:<oid>
//	size <size>
func (p Pointer) Encode() []byte {
	b := make([]byte, 0, len(pointerVersion)+len(p.OID)+40)
	b = append(b, pointerVersion...)
	b = append(b, "\noid sha256:"...)
	b = append(b, p.OID...)
	b = append(b, "\nsize "...)
	b = strconv.AppendInt(b, p.Size, 10)
	return append(b, '\n')
}

// ParsePointer reports whether b is a git-lfs v1 pointer file and returns
// it. Like git-lfs, it accepts pointers that are not canonical, as long as
// they follow the spec: smaller than [MaxPointerSize]; first the line
// "version https://git-lfs.github.com/spec/v1" (or the legacy hawser URL);
// then "key value" lines with keys made of [a-z0-9.-] in strictly ascending
// order, among them "oid sha256:<64 lowercase hex>" and "size <decimal>";
// every line, the last too, ends in "\n". Other keys, such as git-lfs
// extensions ("ext-0-foo"), are allowed and dropped.
func ParsePointer(b []byte) (Pointer, bool) {
	if len(b) >= MaxPointerSize || len(b) == 0 || b[len(b)-1] != '\n' {
		return Pointer{}, false
	}
	line, rest, _ := bytes.Cut(b, []byte{'\n'})
	if s := string(line); s != pointerVersion && s != pointerVersionHawser {
		return Pointer{}, false
	}
	var (
		p               Pointer
		hasOID, hasSize bool
		prev            []byte
	)
	for len(rest) > 0 {
		line, rest, _ = bytes.Cut(rest, []byte{'\n'})
		key, value, ok := bytes.Cut(line, []byte{' '})
		if !ok || !validPointerKey(key) || bytes.Compare(prev, key) >= 0 || !validPointerValue(value) {
			return Pointer{}, false
		}
		prev = key
		switch string(key) {
		case "version":
			return Pointer{}, false
		case "oid":
			hex, ok := bytes.CutPrefix(value, []byte("sha256:"))
			if !ok || len(hex) != 64 || !isLowerHex(hex) {
				return Pointer{}, false
			}
			p.OID, hasOID = OID(hex), true
		case "size":
			if len(value) == 0 || len(value) > 19 {
				return Pointer{}, false
			}
			for _, c := range value {
				if c < '0' || c > '9' {
					return Pointer{}, false
				}
			}
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil {
				return Pointer{}, false
			}
			p.Size, hasSize = n, true
		}
	}
	if !hasOID || !hasSize {
		return Pointer{}, false
	}
	return p, true
}

func validPointerKey(k []byte) bool {
	if len(k) == 0 {
		return false
	}
	for _, c := range k {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func validPointerValue(v []byte) bool {
	for _, c := range v {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

func isLowerHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
