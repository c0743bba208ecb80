package wire

import (
	"strings"
	"testing"
)

var refNameTests = []struct {
	name    string
	in      string
	wantErr string // the rule, "" if valid
}{
	{"main", "main", ""},
	{"nested", "feature/x", ""},
	{"deep", "a/b/c/d", ""},
	{"dots inside", "v1.0.2", ""},
	{"dash inside", "my-branch", ""},
	{"at inside", "user@host", ""},
	{"unicode", "branche-é", ""},
	{"lock inside", "a.lockx", ""},
	{"short hex", "deadbeef", ""},
	{"39 hex", strings.Repeat("a", 39), ""},
	{"41 hex", strings.Repeat("a", 41), ""},
	{"pr like", "pr/1", ""},
	{"max length", strings.Repeat("b", MaxRefNameLen), ""},
	{"head lower", "head", ""},

	{"empty", "", "must not be empty"},
	{"too long", strings.Repeat("b", MaxRefNameLen+1), "must be at most 255 bytes long"},
	{"double dot", "a..b", `must not contain ".."`},
	{"NUL", "a\x00b", "must not contain control characters"},
	{"newline", "a\nb", "must not contain control characters"},
	{"DEL", "a\x7fb", "must not contain control characters"},
	{"space", "a b", "must not contain spaces or any of ~ ^ : ? * [ \\"},
	{"tilde", "a~1", "must not contain spaces"},
	{"caret", "a^", "must not contain spaces"},
	{"colon", "a:b", "must not contain spaces"},
	{"question", "a?", "must not contain spaces"},
	{"star", "a*", "must not contain spaces"},
	{"bracket", "a[0]", "must not contain spaces"},
	{"backslash", `a\b`, "must not contain spaces"},
	{"leading slash", "/a", "must not start or end with '/'"},
	{"trailing slash", "a/", "must not start or end with '/'"},
	{"double slash", "a//b", `must not contain "//"`},
	{"leading dot", ".a", "must not have a component that starts with '.'"},
	{"component leading dot", "a/.b", "must not have a component that starts with '.'"},
	{"lock", "a.lock", `must not have a component that ends with ".lock"`},
	{"component lock", "a.lock/b", `must not have a component that ends with ".lock"`},
	{"trailing dot", "a.", "must not end with '.'"},
	{"at", "@", `must not be "@"`},
	{"at brace", "a@{1}", `must not contain "@{"`},
	{"HEAD", "HEAD", `must not be "HEAD"`},
	{"leading dash", "-x", "must not start with '-'"},
	{"refs prefix", "refs/heads/main", `must not start with "refs/"`},
	{"pr ref", "refs/pr/1", `must not start with "refs/"`},
	{"commit id", "0123456789abcdef0123456789abcdef01234567", "must not be 40 hexadecimal digits"},
	{"commit id upper", "0123456789ABCDEF0123456789ABCDEF01234567", "must not be 40 hexadecimal digits"},
	{"invalid UTF-8", "a\xff", "must be valid UTF-8"},
}

func TestValidateBranchName(t *testing.T) {
	for _, tt := range refNameTests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.wantErr
			if want != "" {
				want = "invalid branch name " + quote(tt.in) + ": " + want
			}
			checkErr(t, ValidateBranchName(tt.in), want)
		})
	}
}

func TestValidateTagName(t *testing.T) {
	for _, tt := range refNameTests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.wantErr
			if want != "" {
				want = "invalid tag name " + quote(tt.in) + ": " + want
			}
			checkErr(t, ValidateTagName(tt.in), want)
		})
	}
}

func TestIsCommitID(t *testing.T) {
	tests := []struct {
		in         string
		full, abbr bool
	}{
		{"0123456789abcdef0123456789abcdef01234567", true, true},
		{"0123456789ABCDEF0123456789abcdef01234567", true, true},
		{"0123456789abcdef0123456789abcdef0123456", false, true},
		{"0123456789abcdef0123456789abcdef012345678", false, false},
		{"0123456789abcdef0123456789abcdef0123456g", false, false},
		{"abcde", false, true},
		{"ABCDE", false, true},
		{"abcd", false, false},
		{"abcdg", false, false},
		{"", false, false},
		{"main", false, false},
		{" abcde", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := IsCommitID(tt.in); got != tt.full {
				t.Errorf("IsCommitID(%q) = %v, want %v", tt.in, got, tt.full)
			}
			if got := IsAbbrevCommitID(tt.in); got != tt.abbr {
				t.Errorf("IsAbbrevCommitID(%q) = %v, want %v", tt.in, got, tt.abbr)
			}
		})
	}
}

func TestParsePRRef(t *testing.T) {
	tests := []struct {
		in   string
		num  int
		isPR bool
	}{
		{"refs/pr/1", 1, true},
		{"refs/pr/12", 12, true},
		{"refs/pr/1000000", 1000000, true},
		{"refs/pr/0", 0, false},
		{"refs/pr/01", 0, false},
		{"refs/pr/", 0, false},
		{"refs/pr/-1", 0, false},
		{"refs/pr/+1", 0, false},
		{"refs/pr/1a", 0, false},
		{"refs/pr/1/", 0, false},
		{"refs/pr/1/x", 0, false},
		{"refs/pr/ 1", 0, false},
		{"refs/pr/99999999999999999999999", 0, false},
		{"refs/PR/1", 0, false},
		{"refs/heads/1", 0, false},
		{"pr/1", 0, false},
		{"main", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			num, ok := ParsePRRef(tt.in)
			if num != tt.num || ok != tt.isPR {
				t.Errorf("ParsePRRef(%q) = %d, %v; want %d, %v", tt.in, num, ok, tt.num, tt.isPR)
			}
		})
	}
}

func FuzzValidateBranchName(f *testing.F) {
	for _, tt := range refNameTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if ValidateBranchName(name) != nil {
			return
		}
		for _, bad := range []string{"..", "//", "@{", " ", "~", "^", ":", "?", "*", "[", "\\", "/.", ".lock/", "\x00", "\x7f"} {
			if strings.Contains(name, bad) {
				t.Fatalf("accepted %q containing %q", name, bad)
			}
		}
		if strings.HasPrefix(name, "refs/") || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".lock") || IsCommitID(name) {
			t.Fatalf("accepted %q", name)
		}
		if _, ok := ParsePRRef(name); ok {
			t.Fatalf("accepted PR ref %q", name)
		}
	})
}
