package hub_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/wharfhub/wharf/hub"
)

// matchCases mirror Python's fnmatch.fnmatchcase with huggingface_hub's
// filter_repo_objects rules (PROTOCOL.md §10.2).
var matchCases = []struct {
	name    string
	pattern string
	path    string
	want    bool
}{
	// "*" crosses "/".
	{"star in one folder", "*.json", "config.json", true},
	{"star crosses slash", "*.json", "a/b/config.json", true},
	{"star after folder crosses slash", "data/*.json", "data/a/b.json", true},
	{"star after folder", "data/*.json", "data/b.json", true},
	{"star needs the prefix", "data/*.json", "other/data/b.json", false},
	{"star matches empty", "a*", "a", true},
	{"star alone", "*", "a/b/c", true},
	{"star alone matches empty", "*", "", true},
	{"double star is a star", "**.py", "a/b.py", true},
	{"double star slash needs a slash", "**/*.py", "b.py", false},
	{"double star slash", "**/*.py", "a/b.py", true},
	{"middle star", "a*z", "a/b/c/z", true},
	{"middle star no match", "a*z", "a/b/c/zz/y", false},
	{"suffix", "*.txt", "notes.txt.bak", false},
	// "?" is one character, "/" included.
	{"question", "?.txt", "a.txt", true},
	{"question crosses slash", "a?b", "a/b", true},
	{"question needs a character", "a?", "a", false},
	{"question is one", "a?", "abc", false},
	// Sets.
	{"set", "[abc].txt", "b.txt", true},
	{"set no match", "[abc].txt", "d.txt", false},
	{"set range", "file[0-9].bin", "file7.bin", true},
	{"set range no match", "file[0-9].bin", "filex.bin", false},
	{"negated set", "[!abc].txt", "d.txt", true},
	{"negated set no match", "[!abc].txt", "a.txt", false},
	{"negated set matches slash", "a[!x]b", "a/b", true},
	{"set with slash", "a[/]b", "a/b", true},
	{"closing bracket first", "[]]", "]", true},
	{"closing bracket first, more", "[]a]", "a", true},
	{"negated closing bracket", "[!]]", "a", true},
	{"negated closing bracket no match", "[!]]", "]", false},
	{"unterminated set is literal", "[abc", "[abc", true},
	{"unterminated set", "[abc", "a", false},
	{"empty-looking set is literal", "[]", "[]", true},
	{"negated empty-looking set is literal", "[!]", "[!]", true},
	{"reversed range never matches", "[z-a]", "m", false},
	{"reversed range is not literal", "[z-a]", "[z-a]", false},
	{"reversed range among others", "[z-ab]", "b", true},
	{"negated reversed range matches anything", "[!z-a]", "/", true},
	{"double hyphen range", "[a--c]", "c", true},
	{"double hyphen range drops a", "[a--c]", "a", false},
	{"hyphen first", "[-a]", "-", true},
	{"hyphen last", "[a-]", "-", true},
	{"negated hyphen", "[!-]", "-", false},
	{"caret in set", "[^a]", "^", true},
	{"caret in set matches a", "[^a]", "a", true},
	{"caret in set not b", "[^a]", "b", false},
	{"bracket in set", "[[]", "[", true},
	{"star in set is literal", "[*]", "*", true},
	{"star in set", "[*]", "a", false},
	// Regexp metacharacters are literal.
	{"dot is literal", "a.b", "axb", false},
	{"dot", "a.b", "a.b", true},
	{"plus", "a+b", "a+b", true},
	{"parens", "(x)|y", "(x)|y", true},
	{"dollar caret", "^a$", "^a$", true},
	{"braces", "a{1,2}", "a{1,2}", true},
	{"braces are not repetition", "a{1,2}", "a", false},
	// Case-sensitive, whole-string.
	{"case", "*.TXT", "a.txt", false},
	{"whole string", "a", "ba", false},
	{"prefix is not enough", "abc", "abcd", false},
	{"newline in name", "a*", "a\nb", true},
	{"unicode", "d?t?/*", "dät€/x", true},
	// Trailing "/" means everything below.
	{"trailing slash", "logs/", "logs/a.txt", true},
	{"trailing slash deep", "logs/", "logs/a/b/c.txt", true},
	{"trailing slash not the folder", "logs/", "logs", false},
	{"trailing slash not a prefix", "logs/", "logs2/a.txt", false},
	{"trailing slash anchored", "logs/", "x/logs/a.txt", false},
	{"trailing slash with star", "*/logs/", "x/logs/a.txt", true},
	// Backslashes are normalized in both.
	{"backslash pattern", `data\*.json`, "data/a.json", true},
	{"backslash path", "data/*.json", `data\a.json`, true},
	{"backslash trailing", `logs\`, "logs/a.txt", true},
	{"backslash both", `a\b`, `a\b`, true},
	// Empty.
	{"empty pattern", "", "", true},
	{"empty pattern no match", "", "a", false},
}

func TestMatchAny(t *testing.T) {
	for _, tc := range matchCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := hub.MatchAny([]string{tc.pattern}, tc.path); got != tc.want {
				t.Errorf("MatchAny(%q, %q) = %v, want %v", tc.pattern, tc.path, got, tc.want)
			}
		})
	}
	if hub.MatchAny(nil, "a") {
		t.Error("no pattern matches something")
	}
	if !hub.MatchAny([]string{"x", "*.md", "y"}, "README.md") {
		t.Error("second of three patterns does not match")
	}
}

// TestDefaultIgnorePatterns checks what huggingface_hub's default ignore
// patterns (always added by ListFolder) drop.
func TestDefaultIgnorePatterns(t *testing.T) {
	for path, ignored := range map[string]bool{
		".git":                             true,
		".git/HEAD":                        true,
		".git/objects/ab/cdef":             true,
		"sub/.git":                         true,
		"a/b/.git":                         true,
		"sub/.git/config":                  true,
		"a/b/.git/objects/x":               true,
		".cache/huggingface":               true,
		".cache/huggingface/upload/x.lock": true,
		"sub/.cache/huggingface":           true,
		"sub/.cache/huggingface/meta":      true,
		".gitignore":                       false,
		".gitattributes":                   false,
		"sub/.gitignore":                   false,
		".github/workflows/ci.yml":         false,
		"a.git":                            false,
		"a.git/x":                          false,
		".git2/x":                          false,
		".cache/other/x":                   false,
		"huggingface/x":                    false,
		"x/.cache/huggingfacex/y":          false,
	} {
		if got := hub.MatchAny(hub.DefaultIgnorePatterns, path); got != ignored {
			t.Errorf("%s: ignored %v, want %v", path, got, ignored)
		}
	}
}

func TestListFolder(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"a.txt": "", "b.json": "", "sub/c.txt": "", "sub/deep/d.bin": "", "logs/x.log": "",
		".git/HEAD": "", "sub/.git/config": "", ".cache/huggingface/x": "", ".gitignore": "",
	})
	ok(t, os.Symlink(filepath.Join(dir, "a.txt"), filepath.Join(dir, "link.txt")))
	ok(t, os.Symlink(filepath.Join(dir, "nope"), filepath.Join(dir, "dangling.txt")))
	for _, tc := range []struct {
		allow, ignore []string
		want          []string
	}{
		{nil, nil, []string{".gitignore", "a.txt", "b.json", "link.txt", "logs/x.log", "sub/c.txt", "sub/deep/d.bin"}},
		{[]string{"*.txt"}, nil, []string{"a.txt", "link.txt", "sub/c.txt"}},
		{[]string{"sub/"}, []string{"*.bin"}, []string{"sub/c.txt"}},
		{nil, []string{"logs/", "sub/*", ".*"}, []string{"a.txt", "b.json", "link.txt"}},
		{[]string{".git/*", "*/.git/*"}, nil, nil},
	} {
		got, err := hub.ListFolder(dir, tc.allow, tc.ignore)
		ok(t, err)
		if !slices.Equal(got, tc.want) {
			t.Errorf("ListFolder(allow %q, ignore %q):\n got %q\nwant %q", tc.allow, tc.ignore, got, tc.want)
		}
	}
}

// TestMatchAnyAgainstPython compares MatchAny with Python's fnmatchcase
// (with huggingface_hub's trailing-slash and backslash rules) on every
// pair of a set of patterns and paths, in one python3 call.
func TestMatchAnyAgainstPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH")
	}
	patterns := []string{
		"*", "*.txt", "*.json", "data/*.json", "data/*", "data/", "*/", "logs/", "**/*.py", "**.py", "*/.git",
		"**/.git/**", ".git/*", ".git", "?", "??", "a?b", "?.txt", "[abc]*", "[!abc]*", "[a-c]?", "[!a-c]*",
		"[]]*", "[!]]*", "[]", "[!]", "[abc", "[z-a]", "[z-ab]*", "[-a]*", "[a-]*", "[!-]*", "[^a]*", "[[]*",
		"[*]", "[?]*", "[!z-a]", "[a--c]", "[!-a]*", "a.b", "a+b", "(x)|y", "a{1,2}", `data\*.json`, `logs\`, "*.TXT", "", "*/*/*", "*a*b*",
		"d?t?/*", "[0-9][0-9]*", "*[!/]", "*/", "sub/*/x.txt", "*.[tj]s*", "[/]*", "*[a-c-e]*", "[--0]*",
		"*.cache/huggingface*", ".cache/huggingface/*", "*/.cache/huggingface", "**/.cache/huggingface/**",
	}
	paths := []string{
		"", "a", "b", "x", "-", "]", "[", "^", "*", "?", "a.txt", "A.TXT", "a.b", "axb", "a+b", "a/b", "ab",
		"abc", "(x)|y", "a{1,2}", "config.json", "data/a.json", "data/a/b.json", `data\a.json`, "data", "logs",
		"logs/a.txt", "logs/a/b.txt", "x/logs/a.txt", "b.py", "a/b.py", ".git", ".git/HEAD", "sub/.git",
		"sub/.git/config", "[abc", "[]", "[!]", "[z-a]", "m", "07.bin", "dät€/x", "sub/a/x.txt", "sub/x.txt",
		"file.ts", "file.js.map", "/abs", "trailing/", ".cache/huggingface", ".cache/huggingface/x",
		"a/.cache/huggingface", "a/.cache/huggingface/b", "0", "e", "d", "a\nb",
	}
	type pair struct{ P, N string }
	var pairs []pair
	for _, p := range patterns {
		for _, n := range paths {
			pairs = append(pairs, pair{p, n})
		}
	}
	// Random patterns and names over a small alphabet heavy in specials.
	rng := rand.New(rand.NewPCG(1, 2))
	const alpha = "ab-z[]!*?/.^"
	randStr := func(n int) string {
		b := make([]byte, rng.IntN(n+1))
		for i := range b {
			b[i] = alpha[rng.IntN(len(alpha))]
		}
		return string(b)
	}
	// instance turns a pattern into a name that often matches it.
	instance := func(p string) string {
		var b []byte
		for i := 0; i < len(p); i++ {
			switch p[i] {
			case '*':
				b = append(b, randStr(3)...)
			case '?':
				b = append(b, alpha[rng.IntN(len(alpha))])
			default:
				b = append(b, p[i])
			}
		}
		return string(b)
	}
	for range 400 {
		p := randStr(8)
		for range 5 {
			pairs = append(pairs, pair{p, randStr(6)}, pair{p, instance(p)})
		}
	}
	in, err := json.Marshal(func() [][2]string {
		out := make([][2]string, len(pairs))
		for i, p := range pairs {
			out[i] = [2]string{p.P, p.N}
		}
		return out
	}())
	ok(t, err)
	const script = `
import fnmatch, json, sys, warnings
warnings.simplefilter("ignore")
out = []
for pat, name in json.load(sys.stdin):
    pat, name = pat.replace("\\", "/"), name.replace("\\", "/")
    if pat.endswith("/"):
        pat += "*"
    try:
        out.append(fnmatch.fnmatchcase(name, pat))
    except Exception:  # a few malformed sets crash fnmatch.translate
        out.append(None)
json.dump(out, sys.stdout)
`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outData, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v: %s", err, stderr.String())
	}
	var want []*bool
	ok(t, json.Unmarshal(outData, &want))
	if len(want) != len(pairs) {
		t.Fatalf("python3 answered %d results for %d pairs", len(want), len(pairs))
	}
	compared, bad := 0, 0
	for i, p := range pairs {
		if want[i] == nil {
			continue
		}
		compared++
		if got := hub.MatchAny([]string{p.P}, p.N); got != *want[i] {
			if bad++; bad <= 30 {
				t.Errorf("MatchAny(%q, %q) = %v, Python says %v", p.P, p.N, got, *want[i])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d pairs differ", bad, compared)
	}
	matched := 0
	for _, w := range want {
		if w != nil && *w {
			matched++
		}
	}
	t.Logf("%d matching", matched)
	t.Logf("%d (pattern, path) pairs compared with %s (%d skipped: Python raised)", compared, py, len(pairs)-compared)
}
