package repo

import (
	"strings"

	"github.com/wharfhub/wharf/wire"
)

// Attributes is a parsed .gitattributes file, reduced to what the Hub needs:
// which paths are stored with LFS.
type Attributes struct {
	rules []attrRule
}

type attrRule struct {
	pattern string
	lfs     bool // filter=lfs set (true) or unset (-filter / !filter / other filter)
}

// ParseAttributes parses .gitattributes content. Macro lines and negative
// patterns (which git forbids) are skipped. Patterns may be C-quoted, as in
// git ("a b.bin" filter=lfs).
func ParseAttributes(data []byte) *Attributes {
	a := &Attributes{}
	for _, line := range strings.Split(strings.TrimPrefix(string(data), utf8BOM), "\n") {
		line = strings.TrimLeft(line, attrBlank)
		if line == "" || line[0] == '#' {
			continue
		}
		var pat, states string
		if line[0] == '"' {
			var ok bool
			pat, states, ok = unquoteC(line)
			if !ok {
				pat, states = "", ""
			}
		}
		if pat == "" {
			n := strings.IndexAny(line, attrBlank)
			if n < 0 {
				n = len(line)
			}
			pat, states = line[:n], line[n:]
		}
		if strings.HasPrefix(pat, "[attr]") || strings.HasPrefix(pat, "!") {
			continue
		}
		for _, f := range strings.FieldsFunc(states, func(r rune) bool { return strings.ContainsRune(attrBlank, r) }) {
			switch {
			case f == "filter=lfs":
				a.rules = append(a.rules, attrRule{pattern: pat, lfs: true})
			case f == "filter" || f == "-filter" || f == "!filter" || strings.HasPrefix(f, "filter="):
				a.rules = append(a.rules, attrRule{pattern: pat, lfs: false})
			}
		}
	}
	return a
}

const (
	utf8BOM   = "\ufeff"
	attrBlank = " \t\r\n" // what separates fields in git's attr.c
)

// unquoteC decodes the C-quoted string at the start of s (git's
// unquote_c_style) and returns it with the rest of s.
func unquoteC(s string) (string, string, bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			return b.String(), s[i+1:], true
		case '\\':
			i++
			if i == len(s) {
				return "", "", false
			}
			switch c = s[i]; c {
			case '"', '\\':
			case 'a':
				c = '\a'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'v':
				c = '\v'
			case '0', '1', '2', '3':
				if i+2 >= len(s) || s[i+1] < '0' || s[i+1] > '7' || s[i+2] < '0' || s[i+2] > '7' {
					return "", "", false
				}
				c = (c-'0')<<6 | (s[i+1]-'0')<<3 | (s[i+2] - '0')
				i += 2
			default:
				return "", "", false
			}
		}
		b.WriteByte(c)
	}
	return "", "", false
}

// IsLFS reports whether p (a repo path) has filter=lfs. As in git, the last
// matching line wins.
func (a *Attributes) IsLFS(p string) bool {
	for i := len(a.rules) - 1; i >= 0; i-- {
		if attrMatch(a.rules[i].pattern, p) {
			return a.rules[i].lfs
		}
	}
	return false
}

// attrMatch applies gitattributes pattern rules: a pattern without a slash
// matches the base name at any depth; otherwise it matches the whole path
// relative to the repo root.
func attrMatch(pat, p string) bool {
	if strings.HasSuffix(pat, "/") {
		return false // directory patterns never apply to files in gitattributes
	}
	if !strings.Contains(pat, "/") {
		return matchBasename(pat, p)
	}
	return matchPathname(pat, p)
}

// escapeAttrPath turns a repo path into a gitattributes pattern matching
// exactly that path, as git-lfs track does.
func escapeAttrPath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case ' ':
			b.WriteString("[[:space:]]")
		case '*', '?', '[', ']', '\\', '#', '!', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	if !strings.Contains(p, "/") {
		return b.String()
	}
	return "/" + b.String()
}

// lfsExtensions are the patterns of the Hub's default .gitattributes.
var lfsExtensions = []string{
	"*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gz", "*.h5", "*.joblib",
	"*.lfs.*", "*.mlmodel", "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx", "*.ot",
	"*.parquet", "*.pb", "*.pickle", "*.pkl", "*.pt", "*.pth", "*.rar", "*.safetensors",
	"saved_model/**/*", "*.tar.*", "*.tar", "*.tflite", "*.tgz", "*.wasm", "*.xz", "*.zip",
	"*.zst", "*tfevents*",
}

// datasetExtensions are added for dataset repos: media and data files.
var datasetExtensions = []string{
	"*.lz4", "*.mds", "*.jsonl", "*.csv", "*.tsv", "*.db",
	"*.mp3", "*.ogg", "*.wav", "*.flac",
	"*.jpg", "*.jpeg", "*.png", "*.webp", "*.gif", "*.bmp", "*.tif", "*.tiff",
	"*.mp4", "*.webm", "*.avi", "*.mov",
}

func defaultGitattributes(t wire.RepoType) string {
	pats := lfsExtensions
	if t == wire.Dataset {
		pats = append(append([]string(nil), lfsExtensions...), datasetExtensions...)
	}
	var b strings.Builder
	for _, p := range pats {
		b.WriteString(p + " filter=lfs diff=lfs merge=lfs -text\n")
	}
	return b.String()
}

// Ignore is a parsed .gitignore at the repo root.
type Ignore struct {
	rules []ignoreRule
}

type ignoreRule struct {
	pattern  string
	negate   bool
	dirOnly  bool
	anchored bool
}

// ParseIgnore parses .gitignore content.
func ParseIgnore(data []byte) *Ignore {
	ig := &Ignore{}
	for _, line := range strings.Split(strings.TrimPrefix(string(data), utf8BOM), "\n") {
		line = trimTrailingSpaces(strings.TrimSuffix(line, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var r ignoreRule
		if strings.HasPrefix(line, "!") {
			r.negate = true
			line = line[1:]
		}
		if strings.HasSuffix(line, "/") {
			r.dirOnly = true
			line = strings.TrimSuffix(line, "/")
		}
		r.anchored = strings.Contains(line, "/")
		if line == "" {
			continue
		}
		r.pattern = line
		ig.rules = append(ig.rules, r)
	}
	return ig
}

// trimTrailingSpaces drops trailing spaces that are not escaped with a
// backslash, as git's trim_trailing_spaces does.
func trimTrailingSpaces(s string) string {
	lastSpace := -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ':
			if lastSpace < 0 {
				lastSpace = i
			}
		case '\\':
			i++
			if i == len(s) {
				return s
			}
			lastSpace = -1
		default:
			lastSpace = -1
		}
	}
	if lastSpace >= 0 {
		return s[:lastSpace]
	}
	return s
}

// Ignored reports whether the file at p is ignored. As in git, a file inside
// an ignored directory stays ignored whatever later rules say about it.
func (ig *Ignore) Ignored(p string) bool {
	if ig == nil || len(ig.rules) == 0 {
		return false
	}
	parts := strings.Split(p, "/")
	for i := 1; i < len(parts); i++ {
		if ig.match(strings.Join(parts[:i], "/"), true) {
			return true
		}
	}
	return ig.match(p, false)
}

func (ig *Ignore) match(p string, isDir bool) bool {
	for i := len(ig.rules) - 1; i >= 0; i-- {
		r := ig.rules[i]
		if r.dirOnly && !isDir {
			continue
		}
		var ok bool
		if r.anchored {
			ok = matchPathname(r.pattern, p)
		} else {
			ok = matchBasename(r.pattern, p)
		}
		if ok {
			return !r.negate
		}
	}
	return false
}
