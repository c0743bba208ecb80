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

const (
	pvLine  = "version https://git-lfs.github.com/spec/v1\n"
	oidLine = "oid sha256:" + testOID + "\n"
)

var pointerTests = []struct {
	name string
	in   string
	size int64 // -1 if not a pointer
}{
	{"canonical", pvLine + oidLine + "size 12345\n", 12345},
	{"zero size", pvLine + oidLine + "size 0\n", 0},
	{"hawser", "version https://hawser.github.com/spec/v1\n" + oidLine + "size 7\n", 7},
	{"extension", pvLine + "ext-0-foo sha256:" + testOID + "\n" + oidLine + "size 7\n", 7},
	{"two extensions", pvLine + "ext-0-bar x\next-1-foo y\n" + oidLine + "size 7\n", 7},
	{"unknown key after size", pvLine + oidLine + "size 7\nx-custom yes\n", 7},
	{"leading zeros", pvLine + oidLine + "size 007\n", 7},

	{"empty", "", -1},
	{"no trailing newline", pvLine + oidLine + "size 7", -1},
	{"CRLF", strings.ReplaceAll(pvLine+oidLine+"size 7\n", "\n", "\r\n"), -1},
	{"blank line", pvLine + "\n" + oidLine + "size 7\n", -1},
	{"trailing blank line", pvLine + oidLine + "size 7\n\n", -1},
	{"no version", oidLine + "size 7\n", -1},
	{"version not first", oidLine + pvLine + "size 7\n", -1},
	{"version twice", pvLine + oidLine + "size 7\n" + "version https://git-lfs.github.com/spec/v1\n", -1},
	{"other version", "version https://git-lfs.github.com/spec/v2\n" + oidLine + "size 7\n", -1},
	{"version with spaces", "version  https://git-lfs.github.com/spec/v1\n" + oidLine + "size 7\n", -1},
	{"unsorted", pvLine + "size 7\n" + oidLine, -1},
	{"unsorted extension", pvLine + oidLine + "ext-0-foo x\nsize 7\n", -1},
	{"duplicate oid", pvLine + oidLine + oidLine + "size 7\n", -1},
	{"duplicate size", pvLine + oidLine + "size 7\nsize 7\n", -1},
	{"no oid", pvLine + "size 7\n", -1},
	{"no size", pvLine + oidLine, -1},
	{"negative size", pvLine + oidLine + "size -1\n", -1},
	{"plus size", pvLine + oidLine + "size +1\n", -1},
	{"empty size", pvLine + oidLine + "size \n", -1},
	{"hex size", pvLine + oidLine + "size 0x10\n", -1},
	{"huge size", pvLine + oidLine + "size 99999999999999999999\n", -1},
	{"short oid", pvLine + "oid sha256:" + testOID[1:] + "\nsize 7\n", -1},
	{"upper oid", pvLine + "oid sha256:" + strings.ToUpper(testOID) + "\nsize 7\n", -1},
	{"md5 oid", pvLine + "oid md5:" + testOID + "\nsize 7\n", -1},
	{"no space", pvLine + "oid\n" + "size 7\n", -1},
	{"upper key", pvLine + "OID sha256:" + testOID + "\nsize 7\n", -1},
	{"control in value", pvLine + oidLine + "size 7\nz a\x00b\n", -1},
	{"too large", pvLine + "ext-0-a " + strings.Repeat("x", MaxPointerSize) + "\n" + oidLine + "size 7\n", -1},
	{"plain file", "hello world\n", -1},
}

func TestParsePointer(t *testing.T) {
	for _, tt := range pointerTests {
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
	for _, tt := range pointerTests {
		f.Add([]byte(tt.in))
	}
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
