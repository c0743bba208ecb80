package repo

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/wire"
)

// attrPaths are checked against every single-pattern .gitattributes.
var attrPaths = []string{
	"a.bin", "dir/a.bin", "d/e/f/a.bin", "a.binx", "A.BIN", "a.bin.txt", ".bin",
	"x.tar", "x.tar.gz", "d/x.tar.gz", "x.tar.", "xtar.gz",
	"saved_model", "saved_model/a", "saved_model/a/b", "saved_model/a/b/c.pb", "sub/saved_model/a", "saved_modelx/a",
	"events.out.tfevents.1.host", "logs/run1/events.out.tfevents.2", "tfevents",
	"abs/path", "x/abs/path", "abs/path/inner", "abs/pathx",
	"dir", "dir/file", "x/dir/file", "dirx/file",
	"a b.bin", "a b", "a\u00a0b", "ab.bin", "a  b.bin", "my dir/a b.bin",
	"foo", "a/foo", "a/b/foo", "foo/x", "foo/x/y", "foox",
	"a/b", "a/x/b", "a/x/y/b", "ab", "abc", "ab/c",
	"x/y", "xa/y", "xa/b/y", "x/a/y",
	"a.txt", "b.txt", "sub/a.txt", "b.x", "d.x", "-.x",
	"é.bin", "e.bin", "ée.bin",
	"[", "[abc", "a]b", "a-b", "a[b]c", "a#b", "#x", "!x", "a*b", "a?b",
	"model.safetensors", "nested/dir/model.safetensors", "data.lfs.bin",
}

// attrPatterns are .gitattributes patterns, each tried alone with filter=lfs.
var attrPatterns = []string{
	"*.bin", "*.tar.*", "*.tar", "saved_model/**/*", "*tfevents*", "*.lfs.*",
	"/abs/path", "abs/path", "dir/", "dir", "/dir", "dir/*", "dir/**",
	"a[[:space:]]b.bin", "a[[:space:]]b", "[[:space:]]", "*[[:space:]]*", "a[[:blank:]]b",
	"**/foo", "foo/**", "a/**/b", "**/b", "x**/y", "a**", "x/**/y", "**", "*", "*/*", "*/b",
	"*.[bB][iI][nN]", "[!a]*.txt", "[^a]*.txt", "[a-c].x", "[]-]*", "[!]]*",
	"\\*.bin", "?.bin", "??.bin", "?e.bin", "a\\[b\\]c", "a[b]c", "\\#x", "\\!x",
	"[", "[abc", "a]b", "a[]]b", "[[:alpha:]].bin", "[[:bogus:]].bin", "[[:alpha:].bin",
	"a*b", "a\\*b", "*/saved_model/*", "sub/saved_model/**",
	"#x", "!x",
}

func checkAttrLFS(t *testing.T, gitattributes string, paths []string) map[string]bool {
	t.Helper()
	dir := gitRepo(t)
	ok(t, os.WriteFile(filepath.Join(dir, ".gitattributes"), []byte(gitattributes), 0o644))
	var in bytes.Buffer
	for _, p := range paths {
		in.WriteString(p + "\x00")
	}
	out := runGit(t, dir, in.Bytes(), "check-attr", "-z", "--stdin", "filter")
	fields := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(fields) != 3*len(paths) {
		t.Fatalf("check-attr: %d fields for %d paths: %q", len(fields), len(paths), out)
	}
	got := map[string]bool{}
	for i := 0; i < len(fields); i += 3 {
		got[fields[i]] = fields[i+2] == "lfs"
	}
	return got
}

func compareAttributes(t *testing.T, name, gitattributes string, paths []string) {
	t.Helper()
	want := checkAttrLFS(t, gitattributes, paths)
	attrs := ParseAttributes([]byte(gitattributes))
	for _, p := range paths {
		if got := attrs.IsLFS(p); got != want[p] {
			t.Errorf("%s: IsLFS(%q) = %v, git check-attr says %v", name, p, got, want[p])
		}
	}
}

func TestAttributesPatternsMatchGit(t *testing.T) {
	gitBinary(t)
	for _, pat := range attrPatterns {
		compareAttributes(t, pat, pat+" filter=lfs diff=lfs merge=lfs -text\n", attrPaths)
	}
}

func TestAttributesFilesMatchGit(t *testing.T) {
	gitBinary(t)
	cases := map[string]string{
		"hub default model":   defaultGitattributes(wire.Model),
		"hub default dataset": defaultGitattributes(wire.Dataset),
		"later line wins":     "*.bin filter=lfs\nspecial.bin -filter\n",
		"later line wins 2":   "*.bin -filter\nd/*.bin filter=lfs\n",
		"other filter":        "*.bin filter=lfs\n*.bin filter=other\n",
		"unspecified":         "*.bin filter=lfs\na.bin !filter\n",
		"filter set":          "*.bin filter=lfs\na.bin filter\n",
		"last on line wins":   "*.bin -filter filter=lfs\n*.txt filter=lfs -filter\n",
		"unrelated attr":      "*.bin filter=lfs\n*.bin -text\n",
		"negative ignored":    "*.bin filter=lfs\n!a.bin -filter\n",
		"macro ignored":       "[attr]mylfs filter=lfs\n*.bin filter=lfs\n",
		"comment":             "# *.bin filter=lfs\n*.txt filter=lfs\n",
		"indented + tabs":     "  \t*.bin\tfilter=lfs\r\n",
		"crlf":                "*.bin filter=lfs diff=lfs\r\n*.txt filter=lfs\r\n",
		"no final newline":    "*.bin filter=lfs",
		"bom":                 "\ufeff*.bin filter=lfs\n",
		"quoted":              "\"a b.bin\" filter=lfs\n\"my dir/a b.bin\" filter=lfs\n\"\\141b.bin\" filter=lfs\n",
		"quoted broken":       "\"a b.bin filter=lfs\n",
		"dir patterns":        "dir/ filter=lfs\nsaved_model/ filter=lfs\n",
		"nbsp is no blank":    "a\u00a0b filter=lfs\n",
		"case":                "*.BIN filter=lfs\n",
	}
	for name, attrs := range cases {
		compareAttributes(t, name, attrs, attrPaths)
	}
}

// TestEscapeAttrPathMatchesExactly checks that the rule the engine adds for
// an LFS file matches that path in git and no other of a set of look-alikes.
func TestEscapeAttrPathMatchesExactly(t *testing.T) {
	gitBinary(t)
	targets := []string{
		"my [model] v1.weights", "dir/my [model] v1.weights", "a*b?.weights", "#notes.weights",
		"!bang.weights", `"quoted".weights`, "d/[x].w", "back ground/tab\u00a0nbsp.w", "trailing .w",
		"plain.weights", "é/ü.w",
	}
	lookalikes := []string{
		"my m v1.weights", "my [model]_v1.weights", "dir/my m v1.weights", "x/my [model] v1.weights",
		"aXbY.weights", "a*b?.weights", "ab.weights", "#notes.weights", "!bang.weights", `"quoted".weights`,
		"d/x.w", "d/[x].w", "back ground/tab nbsp.w", "trailing .w", "trailing\u00a0.w", "plain.weights",
		"é/ü.w", "é/u.w",
	}
	for _, target := range targets {
		rule := escapeAttrPath(target) + " filter=lfs diff=lfs merge=lfs -text\n"
		all := append([]string{target}, lookalikes...)
		want := checkAttrLFS(t, rule, all)
		if !want[target] {
			t.Errorf("rule %q does not match %q in git", rule, target)
		}
		attrs := ParseAttributes([]byte(rule))
		for _, p := range all {
			got := attrs.IsLFS(p)
			if got != want[p] {
				t.Errorf("rule %q: IsLFS(%q) = %v, git says %v", rule, p, got, want[p])
			}
			// Root paths get an unanchored rule, as git lfs track writes it,
			// so the same name in a subfolder matches too; nothing else may.
			sameName := p == target || (!strings.Contains(target, "/") && strings.HasSuffix(p, "/"+target))
			if want[p] && !sameName {
				t.Errorf("rule %q for %q also matches %q", rule, target, p)
			}
		}
	}
}

// ignoreCases are .gitignore files with paths checked against them. Paths
// within one case are created as files, so they must not clash.
var ignoreCases = []struct {
	name      string
	gitignore string
	paths     []string
}{
	{"ext", "*.bin\n", []string{"a.bin", "d/a.bin", "a.binx", "d.bin/x"}},
	{"tar", "*.tar.*\n", []string{"x.tar.gz", "d/x.tar.gz", "x.tar", "x.tar.gz.d/f"}},
	{"saved_model", "saved_model/**/*\n", []string{"saved_model/c", "saved_model/a/b", "sub/saved_model/a", "saved_modelx"}},
	{"tfevents", "*tfevents*\n", []string{"events.out.tfevents.1", "logs/tfevents/x", "tfevent"}},
	{"anchored", "/abs/path\n", []string{"abs/path", "x/abs/path", "abs/pathx", "abs/other"}},
	{"anchored dir", "/abs/path\n", []string{"abs/path/inner", "abs/path/d/e"}},
	{"anchored root", "/top\n", []string{"top", "d/top"}},
	{"dir only", "dir/\n", []string{"dir/file", "x/dir/file", "dirx/file", "y/dir", "dir2/dir/f"}},
	{"dir only anchored", "/dir/\n", []string{"dir/file", "x/dir/file"}},
	{"nested dir", "a/b/\n", []string{"a/b/c", "x/a/b/c", "a/bc"}},
	{"node_modules", "node_modules/\n", []string{"node_modules/x.js", "a/node_modules/x/y.js", "node_modules.js"}},
	{"negation", "*.log\n!keep.log\n", []string{"a.log", "keep.log", "d/keep.log", "d/a.log"}},
	{"negation in ignored dir", "build/\n!build/keep.txt\n", []string{"build/keep.txt", "build/x", "src/build.txt"}},
	{"whitelist", "*\n!*/\n!*.py\n", []string{"a.py", "d/a.py", "d/e/a.py", "a.txt", "d/a.txt"}},
	{"only src", "/*\n!/src/\n", []string{"src/a.txt", "other/a.txt", "top.txt", "x/src/a.txt"}},
	{"space class", "a[[:space:]]b\n", []string{"a b", "a_b", "d/a b"}},
	{"trailing spaces", "foo  \nbar\\ \nbaz\\\\ \n", []string{"foo", "foo  ", "bar ", "bar", "baz\\"}},
	{"escapes", "\\#hash\n\\!bang\n#comment\n", []string{"#hash", "!bang", "#comment", "comment"}},
	{"double star", "**/logs\n", []string{"logs/x", "a/logs/x", "a/b/logs", "logsx/y"}},
	{"double star tail", "logs/**\n", []string{"logs/x", "logs/a/b", "a/logs/x"}},
	{"double star middle", "a/**/b\n", []string{"a/b", "a/x/b", "a/x/y/b", "ab/b", "x/a/b"}},
	{"star star quirk", "x**/y\n", []string{"x/y", "xa/y", "xa/b/y", "x/a/y"}},
	{"star slash", "doc/*.txt\n", []string{"doc/a.txt", "doc/sub/a.txt", "x/doc/a.txt"}},
	{"star dir", "*/tmp\n", []string{"a/tmp", "a/b/tmp", "tmp"}},
	{"crlf", "*.bin\r\n*.tmp\r\n", []string{"a.bin", "a.tmp", "a.txt"}},
	{"bom", "\ufeff*.bin\n", []string{"a.bin"}},
	{"sets", "[abc].txt\n[!x]y\n", []string{"a.txt", "d.txt", "xy", "zy", "d/b.txt"}},
	{"question non-ascii", "?.txt\n", []string{"é.txt", "e.txt"}},
	{"unterminated set", "[abc\n", []string{"[abc", "a"}},
	{"neg dir re-include", "logs/\n!logs/\n", []string{"logs/a"}},
	{"hidden", ".*\n!.gitattributes\n", []string{".env", "d/.cache", ".gitattributes", "a.txt"}},
}

func checkIgnore(t *testing.T, gitignore string, paths []string) map[string]bool {
	t.Helper()
	dir := gitRepo(t)
	ok(t, os.WriteFile(filepath.Join(dir, ".gitignore"), []byte(gitignore), 0o644))
	var in bytes.Buffer
	for _, p := range paths {
		full := filepath.Join(dir, filepath.FromSlash(p))
		ok(t, os.MkdirAll(filepath.Dir(full), 0o755))
		if _, err := os.Stat(full); err != nil {
			ok(t, os.WriteFile(full, nil, 0o644))
		}
		in.WriteString(p + "\x00")
	}
	// Exit status 1 means nothing is ignored; the output is still complete.
	out, _ := runGitErr(t, dir, in.Bytes(), "check-ignore", "--no-index", "-v", "-n", "-z", "--stdin")
	fields := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(fields) != 4*len(paths) {
		t.Fatalf("check-ignore: %d fields for %d paths: %q", len(fields), len(paths), out)
	}
	got := map[string]bool{}
	for i := 0; i < len(fields); i += 4 {
		pat := fields[i+2]
		got[fields[i+3]] = pat != "" && !strings.HasPrefix(pat, "!")
	}
	return got
}

func TestIgnoreMatchesGit(t *testing.T) {
	gitBinary(t)
	for _, c := range ignoreCases {
		want := checkIgnore(t, c.gitignore, c.paths)
		ig := ParseIgnore([]byte(c.gitignore))
		for _, p := range c.paths {
			if got := ig.Ignored(p); got != want[p] {
				t.Errorf("%s: Ignored(%q) = %v, git check-ignore says %v", c.name, p, got, want[p])
			}
		}
	}
}

func TestWildmatchGitVectors(t *testing.T) {
	// A sample of git's own t/t3070-wildmatch.sh vectors (pathname mode).
	cases := []struct {
		match      bool
		text, glob string
	}{
		{true, "foo", "foo"}, {false, "foo", "bar"}, {true, "", ""},
		{true, "foo", "???"}, {false, "foo", "??"}, {true, "foo", "*"}, {true, "foo", "f*"},
		{false, "foo", "*f"}, {true, "foo", "*foo*"}, {true, "foobar", "*ob*a*r*"},
		{true, "aaaaaaabababab", "*ab"}, {true, "foo*", "foo\\*"}, {false, "foobar", "foo\\*bar"},
		{true, "f\\oo", "f\\\\oo"}, {true, "ball", "*[al]?"}, {false, "ten", "[ten]"},
		{true, "ten", "**[!te]"}, {false, "ten", "**[!ten]"}, {true, "ten", "t[a-g]n"},
		{false, "ten", "t[!a-g]n"}, {true, "ton", "t[!a-g]n"}, {true, "ton", "t[^a-g]n"},
		{true, "a]b", "a[]]b"}, {true, "a-b", "a[]-]b"}, {true, "a]b", "a[]-]b"},
		{false, "aab", "a[]-]b"}, {true, "aab", "a[]a-]b"}, {true, "]", "]"},
		{false, "foo/baz/bar", "foo*bar"}, {false, "foo/baz/bar", "foo**bar"},
		{true, "foobazbar", "foo**bar"}, {true, "foo/baz/bar", "foo/**/bar"},
		{true, "foo/baz/bar", "foo/**/**/bar"}, {true, "foo/b/a/z/bar", "foo/**/bar"},
		{true, "foo/bar", "foo/**/bar"}, {true, "foo/bar", "foo/**/**/bar"},
		{false, "foo/bar", "foo?bar"}, {false, "foo/bar", "foo[/]bar"}, {false, "foo/bar", "foo[^a-z]bar"},
		{false, "foo/bar", "f[^eiu][^eiu][^eiu][^eiu][^eiu]r"}, {true, "foo-bar", "f[^eiu][^eiu][^eiu][^eiu][^eiu]r"},
		{true, "foo", "**/foo"}, {true, "XXX/foo", "**/foo"}, {true, "bar/baz/foo", "**/foo"},
		{false, "bar/baz/foo", "*/foo"}, {false, "foo/bar/baz", "**/bar*"}, {true, "deep/foo/bar/baz", "**/bar/*"},
		{false, "deep/foo/bar/baz/", "**/bar/*"}, {true, "deep/foo/bar/baz/", "**/bar/**"},
		{false, "deep/foo/bar", "**/bar/*"}, {true, "deep/foo/bar/", "**/bar/**"},
		{false, "foo/bar/baz", "**/bar**"}, {true, "foo/bar/baz/x", "*/bar/**"},
		{false, "deep/foo/bar/baz/x", "*/bar/**"}, {true, "deep/foo/bar/baz/x", "**/bar/*/*"},
		{false, "acrt", "a[c-c]st"}, {true, "acrt", "a[c-c]rt"}, {false, "]", "[!]-]"},
		{true, "a", "[!]-]"}, {false, "", "\\"}, {false, "\\", "\\"}, {false, "XXX/\\", "*/\\"},
		{true, "XXX/\\", "*/\\\\"}, {true, "foo", "foo"}, {true, "@foo", "@foo"}, {false, "foo", "@foo"},
		{true, "[ab]", "\\[ab]"}, {true, "[ab]", "[[]ab]"}, {true, "[ab]", "[[:]ab]"},
		{false, "[ab]", "[[::]ab]"}, {true, "[ab]", "[[:digit]ab]"}, {true, "[ab]", "[\\[:]ab]"},
		{true, "?a?b", "\\??\\?b"}, {true, "abc", "\\a\\b\\c"}, {false, "foo", ""},
		{true, "foo/bar/baz/to", "**/t[o]"}, {true, "a1B", "[[:alpha:]][[:digit:]][[:upper:]]"},
		{false, "a", "[[:digit:][:upper:][:space:]]"}, {true, "A", "[[:digit:][:upper:][:space:]]"},
		{true, "1", "[[:digit:][:upper:][:space:]]"}, {false, "1", "[[:digit:][:upper:][:spaci:]]"},
		{true, " ", "[[:digit:][:upper:][:space:]]"}, {false, ".", "[[:digit:][:upper:][:space:]]"},
		{true, ".", "[[:digit:][:punct:][:space:]]"}, {true, "5", "[[:xdigit:]]"}, {true, "f", "[[:xdigit:]]"},
		{true, "D", "[[:xdigit:]]"}, {true, "_", "[[:alnum:][:alpha:][:blank:][:cntrl:][:digit:][:graph:][:lower:][:print:][:punct:][:space:][:upper:][:xdigit:]]"},
		{true, "5", "[a-c[:digit:]x-z]"}, {true, "b", "[a-c[:digit:]x-z]"}, {true, "y", "[a-c[:digit:]x-z]"},
		{false, "q", "[a-c[:digit:]x-z]"}, {true, "]", "[\\\\-^]"}, {false, "[", "[\\\\-^]"},
		{true, "-", "[\\-_]"}, {true, "]", "[\\]]"}, {false, "\\]", "[\\]]"}, {false, "\\", "[\\]]"},
		{false, "ab", "a[]b"}, {false, "a[]b", "a[]b"}, {false, "ab[", "ab["}, {false, "ab", "[!"},
		{false, "ab", "[-"}, {true, "-", "[-]"}, {false, "-", "[a-"}, {false, "-", "[!a-"},
		{true, "-", "[--A]"}, {true, "5", "[--A]"}, {true, " ", "[ --]"}, {true, "$", "[ --]"},
		{true, "-", "[ --]"}, {false, "0", "[ --]"}, {true, "-", "[---]"}, {true, "-", "[------]"},
		{false, "j", "[a-e-n]"}, {true, "-", "[a-e-n]"}, {true, "a", "[!------]"}, {false, "[", "[]-a]"},
		{true, "^", "[]-a]"}, {false, "^", "[!]-a]"}, {true, "[", "[!]-a]"}, {true, "^", "[a^bc]"},
		{true, "-b]", "[a-]b]"}, {false, "\\", "[\\]"}, {true, "\\", "[\\\\]"}, {false, "\\", "[!\\\\]"},
		{true, "G", "[A-\\\\]"}, {false, "aaabbb", "b*a"}, {false, "aabcaa", "*ba*"}, {true, ",", "[,]"},
		{true, ",", "[\\\\,]"}, {true, "\\", "[\\\\,]"}, {true, "-", "[,-.]"}, {false, "+", "[,-.]"},
		{false, "-.]", "[,-.]"}, {true, "2", "[\\1-\\3]"}, {true, "3", "[\\1-\\3]"}, {false, "4", "[\\1-\\3]"},
		{true, "[", "[[-\\]]"}, {true, "\\", "[[-\\]]"}, {true, "]", "[[-\\]]"}, {false, "-", "[[-\\]]"},
		{true, "-adobe-courier-bold-o-normal--12-120-75-75-m-70-iso8859-1", "-*-*-*-*-*-*-12-*-*-*-m-*-*-*"},
		{false, "-adobe-courier-bold-o-normal--12-120-75-75-X-70-iso8859-1", "-*-*-*-*-*-*-12-*-*-*-m-*-*-*"},
		{false, "-adobe-courier-bold-o-normal--12-120-75-75-/-70-iso8859-1", "-*-*-*-*-*-*-12-*-*-*-m-*-*-*"},
		{true, "XXX/adobe/courier/bold/o/normal//12/120/75/75/m/70/iso8859/1", "XXX/*/*/*/*/*/*/12/*/*/*/m/*/*/*"},
		{false, "XXX/adobe/courier/bold/o/normal//12/120/75/75/X/70/iso8859/1", "XXX/*/*/*/*/*/*/12/*/*/*/m/*/*/*"},
		{true, "abcd/abcdefg/abcdefghijk/abcdefghijklmnop.txt", "**/*a*b*g*n*t"},
		{false, "abcd/abcdefg/abcdefghijk/abcdefghijklmnop.txtz", "**/*a*b*g*n*t"},
		{false, "foo", "*/*/*"}, {false, "foo/bar", "*/*/*"}, {true, "foo/bba/arr", "*/*/*"},
		{false, "foo/bb/aa/rr", "*/*/*"}, {true, "foo/bb/aa/rr", "**/**/**"}, {true, "abcXdefXghi", "*X*i"},
		{false, "ab/cXd/efXg/hi", "*X*i"}, {true, "ab/cXd/efXg/hi", "*/*X*/*/*i"}, {true, "ab/cXd/efXg/hi", "**/*X*/**/*i"},
	}
	for _, c := range cases {
		if got := wildmatch(c.glob, c.text); got != c.match {
			t.Errorf("wildmatch(%q, %q) = %v, want %v", c.glob, c.text, got, c.match)
		}
	}
}
