package wire

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanPath(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		wantErr string // "" if valid
	}{
		{"file", "README.md", ""},
		{"nested", "a/b/c.txt", ""},
		{"gitattributes", ".gitattributes", ""},
		{"github dir", ".github/workflows/ci.yml", ""},
		{"dotfile", "a/.hidden", ""},
		{"three dots", "a/.../b", ""},
		{"dots in name", "a..b/c", ""},
		{"gitkeep", "logs/.gitkeep", ""},
		{"git suffix", "x.git/y", ""},
		{"unicode", "données/é.txt", ""},
		{"cjk", "数据/文件.csv", ""},
		{"emoji", "🤗.md", ""},
		{"spaces", "my folder/my file.txt", ""},
		{"special chars", "a#b?c%20d&e=f+g:h", ""},
		{"trailing space", "a/b ", ""},
		{"single char", "a", ""},
		{"max length", strings.Repeat("a/", MaxPathLen/2-1) + "ab", ""},
		{"max segment", strings.Repeat("x", MaxSegmentLen), ""},

		{"empty", "", `invalid path "": must not be empty`},
		{"too long", strings.Repeat("a/", MaxPathLen/2) + "a", "must be at most 4096 bytes long"},
		{"long segment", "a/" + strings.Repeat("x", MaxSegmentLen+1), "is longer than 255 bytes"},
		{"long segment quoted short", strings.Repeat("x", 300), `segment "xxxxxxxx`},
		{"NUL", "a\x00b", `invalid path "a\x00b": must not contain control characters`},
		{"newline", "a\nb", "must not contain control characters"},
		{"tab", "a\tb", "must not contain control characters"},
		{"DEL", "a\x7fb", "must not contain control characters"},
		{"invalid UTF-8", "a\xffb", "must be valid UTF-8"},
		{"truncated UTF-8", "caf\xc3", "must be valid UTF-8"},
		{"backslash traversal", `..\ddd`, `invalid path "..\\ddd": must not contain a backslash`},
		{"backslash", `a\b`, "must not contain a backslash"},
		{"leading slash", "/a", `must not start with "/"`},
		{"root", "/", `must not start with "/"`},
		{"trailing slash", "a/", `must not end with "/"`},
		{"empty segment", "a//b", "must not contain an empty segment"},
		{"dot", ".", `must not contain a "." or ".." segment`},
		{"dotdot", "..", `must not contain a "." or ".." segment`},
		{"dot segment", "a/./b", `must not contain a "." or ".." segment`},
		{"leading dot segment", "./a", `must not contain a "." or ".." segment`},
		{"dotdot segment", "a/../b", `must not contain a "." or ".." segment`},
		{"leading dotdot", "../etc/passwd", `must not contain a "." or ".." segment`},
		{"trailing dotdot", "a/..", `must not contain a "." or ".." segment`},
		{"git dir", ".git", `must not contain a ".git" segment`},
		{"git config", ".git/config", `must not contain a ".git" segment`},
		{"nested git upper", "a/.GIT/x", `must not contain a ".git" segment`},
		{"git mixed case", "a/.Git", `must not contain a ".git" segment`},
		{"git NTFS trailing dot", ".git./config", `must not contain a ".git" segment`},
		{"git NTFS trailing space", "a/.git /x", `must not contain a ".git" segment`},
		{"git NTFS stream", ".git::$INDEX_ALLOCATION/config", `must not contain a ".git" segment`},
		{"git NTFS short name", "GIT~1/config", `must not contain a ".git" segment`},
		{"git HFS ignorable", ".g\u200cit/config", `must not contain a ".git" segment`},
		{"git HFS ignorable at end", "a/.git\ufeff", `must not contain a ".git" segment`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CleanPath(tt.path)
			checkErr(t, err, tt.wantErr)
			if err == nil && got != tt.path {
				t.Errorf("CleanPath(%q) = %q, want it unchanged", tt.path, got)
			}
			if err != nil && got != "" {
				t.Errorf("CleanPath(%q) = %q with an error, want \"\"", tt.path, got)
			}
		})
	}
}

func TestCleanPathQuotesLongPaths(t *testing.T) {
	_, err := CleanPath(strings.Repeat("a", 10000))
	if err == nil || len(err.Error()) > 400 {
		t.Fatalf("error %q: want a short message", err)
	}
}

func TestCleanFolder(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		want    string
		wantErr string
	}{
		{"root empty", "", "", ""},
		{"root slash", "/", "", ""},
		{"root dot", ".", "", ""},
		{"root dot slash", "./", "", ""},
		{"folder", "logs", "logs", ""},
		{"trailing slash", "logs/", "logs", ""},
		{"nested", "a/b/", "a/b", ""},
		{"unicode", "données/", "données", ""},

		{"double trailing slash", "logs//", "", `invalid folder path "logs//": must not end with "/"`},
		{"leading slash", "/logs", "", `must not start with "/"`},
		{"dotdot", "../", "", `must not contain a "." or ".." segment`},
		{"dot segment", "a/./", "", `must not contain a "." or ".." segment`},
		{"git", ".git/", "", `must not contain a ".git" segment`},
		{"backslash", `a\`, "", "must not contain a backslash"},
		{"empty segment", "a//b/", "", "must not contain an empty segment"},
		{"double slash root", "//", "", `must not start with "/"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CleanFolder(tt.path)
			checkErr(t, err, tt.wantErr)
			if got != tt.want {
				t.Errorf("CleanFolder(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{
		"a", "a/b", "données/é.txt", `..\ddd`, "a/./b", ".git/config", "a/.GIT/x", "a\x00b",
		"/a", "a/", "a//b", "..", "GIT~1", ".git.", ".g\u200cit", "a/b/c.txt",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, err := CleanPath(p)
		if err != nil {
			if got != "" {
				t.Fatalf("CleanPath(%q) = %q with an error", p, got)
			}
			return
		}
		if got != p {
			t.Fatalf("CleanPath(%q) = %q, want it unchanged", p, got)
		}
		for _, bad := range []string{"\\", "//", "\x00"} {
			if strings.Contains(p, bad) {
				t.Fatalf("CleanPath accepted %q containing %q", p, bad)
			}
		}
		if strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || !utf8.ValidString(p) || len(p) > MaxPathLen {
			t.Fatalf("CleanPath accepted %q", p)
		}
		for seg := range strings.SplitSeq(p, "/") {
			if seg == "." || seg == ".." || strings.EqualFold(seg, ".git") {
				t.Fatalf("CleanPath accepted %q with segment %q", p, seg)
			}
		}
		if again, err := CleanPath(got); err != nil || again != got {
			t.Fatalf("CleanPath is not idempotent on %q: %q, %v", got, again, err)
		}
		folder, err := CleanFolder(p + "/")
		if err != nil || folder != p {
			t.Fatalf("CleanFolder(%q) = %q, %v; want %q", p+"/", folder, err, p)
		}
	})
}
