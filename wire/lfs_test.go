package wire

import (
	"bytes"
	"strings"
	"testing"
)

const testOID = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"

func TestParseOID(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    OID
		wantErr bool
	}{
		{"lower", testOID, OID(testOID), false},
		{"upper", strings.ToUpper(testOID), OID(testOID), false},
		{"empty", "", "", true},
		{"short", testOID[:63], "", true},
		{"long", testOID + "0", "", true},
		{"not hex", "g" + testOID[1:], "", true},
		{"prefixed", "sha256:" + testOID, "", true},
		{"space", " " + testOID[1:], "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOID(tt.in)
			want := ""
			if tt.wantErr {
				want = "must be 64 hexadecimal digits"
			}
			checkErr(t, err, want)
			if got != tt.want {
				t.Errorf("ParseOID(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPointerEncode(t *testing.T) {
	p := Pointer{OID: testOID, Size: 12345}
	want := "version https://git-lfs.github.com/spec/v1\noid sha256:" + testOID + "\nsize 12345\n"
	if got := string(p.Encode()); got != want {
		t.Fatalf("Encode() = %q, want %q", got, want)
	}
}

func TestPointerRoundTrip(t *testing.T) {
	for _, p := range []Pointer{{testOID, 0}, {testOID, 1}, {testOID, 497933648}, {testOID, 1<<63 - 1}} {
		got, ok := ParsePointer(p.Encode())
		if !ok || got != p {
			t.Errorf("ParsePointer(%q) = %v, %v; want %v", p.Encode(), got, ok, p)
		}
	}
}

func TestParsePointer(t *testing.T) {
	const (
		version = "version https://git-lfs.github.com/spec/v1\n"
		oid     = "oid sha256:" + testOID + "\n"
	)
	tests := []struct {
		name string
		in   string
		size int64 // -1 if not a pointer
	}{
		{"canonical", version + oid + "size 12345\n", 12345},
		{"zero size", version + oid + "size 0\n", 0},
		{"hawser", "version https://hawser.github.com/spec/v1\n" + oid + "size 7\n", 7},
		{"extension", version + "ext-0-foo sha256:" + testOID + "\n" + oid + "size 7\n", 7},
		{"two extensions", version + "ext-0-bar x\next-1-foo y\n" + oid + "size 7\n", 7},
		{"unknown key after size", version + oid + "size 7\nx-custom yes\n", 7},
		{"leading zeros", version + oid + "size 007\n", 7},

		{"empty", "", -1},
		{"no trailing newline", version + oid + "size 7", -1},
		{"CRLF", strings.ReplaceAll(version+oid+"size 7\n", "\n", "\r\n"), -1},
		{"blank line", version + "\n" + oid + "size 7\n", -1},
		{"trailing blank line", version + oid + "size 7\n\n", -1},
		{"no version", oid + "size 7\n", -1},
		{"version not first", oid + version + "size 7\n", -1},
		{"version twice", version + oid + "size 7\n" + "version https://git-lfs.github.com/spec/v1\n", -1},
		{"other version", "version https://git-lfs.github.com/spec/v2\n" + oid + "size 7\n", -1},
		{"version with spaces", "version  https://git-lfs.github.com/spec/v1\n" + oid + "size 7\n", -1},
		{"unsorted", version + "size 7\n" + oid, -1},
		{"unsorted extension", version + oid + "ext-0-foo x\nsize 7\n", -1},
		{"duplicate oid", version + oid + oid + "size 7\n", -1},
		{"duplicate size", version + oid + "size 7\nsize 7\n", -1},
		{"no oid", version + "size 7\n", -1},
		{"no size", version + oid, -1},
		{"negative size", version + oid + "size -1\n", -1},
		{"plus size", version + oid + "size +1\n", -1},
		{"empty size", version + oid + "size \n", -1},
		{"hex size", version + oid + "size 0x10\n", -1},
		{"huge size", version + oid + "size 99999999999999999999\n", -1},
		{"short oid", version + "oid sha256:" + testOID[1:] + "\nsize 7\n", -1},
		{"upper oid", version + "oid sha256:" + strings.ToUpper(testOID) + "\nsize 7\n", -1},
		{"md5 oid", version + "oid md5:" + testOID + "\nsize 7\n", -1},
		{"no space", version + "oid\n" + "size 7\n", -1},
		{"upper key", version + "OID sha256:" + testOID + "\nsize 7\n", -1},
		{"control in value", version + oid + "size 7\nz a\x00b\n", -1},
		{"too large", version + "ext-0-a " + strings.Repeat("x", MaxPointerSize) + "\n" + oid + "size 7\n", -1},
		{"plain file", "hello world\n", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := ParsePointer([]byte(tt.in))
			switch {
			case tt.size < 0 && ok:
				t.Errorf("ParsePointer accepted %q as %v", tt.in, p)
			case tt.size >= 0 && !ok:
				t.Errorf("ParsePointer rejected %q", tt.in)
			case ok && (p.OID != testOID || p.Size != tt.size):
				t.Errorf("ParsePointer(%q) = %v, want size %d", tt.in, p, tt.size)
			}
		})
	}
}

func FuzzParsePointer(f *testing.F) {
	f.Add(Pointer{OID: testOID, Size: 12345}.Encode())
	f.Add([]byte("version https://hawser.github.com/spec/v1\next-0-foo bar\noid sha256:" + testOID + "\nsize 0\n"))
	f.Add([]byte("version https://git-lfs.github.com/spec/v1\noid sha256:" + testOID + "\nsize 12345"))
	f.Add([]byte("hello\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, ok := ParsePointer(b)
		if !ok {
			if p != (Pointer{}) {
				t.Fatalf("ParsePointer(%q) = %v with ok=false", b, p)
			}
			return
		}
		if _, err := ParseOID(string(p.OID)); err != nil || p.Size < 0 {
			t.Fatalf("ParsePointer(%q) = %v: %v", b, p, err)
		}
		enc := p.Encode()
		again, ok := ParsePointer(enc)
		if !ok || again != p {
			t.Fatalf("round trip of %q: %q parsed as %v, %v", b, enc, again, ok)
		}
		if len(enc) > len(b) && !bytes.HasPrefix(b, []byte(pointerVersionHawser)) {
			// The canonical form is never longer, except for the
			// shorter legacy version line.
			t.Fatalf("canonical %q is longer than %q", enc, b)
		}
	})
}
