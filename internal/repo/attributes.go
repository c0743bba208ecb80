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
// patterns (which git forbids) are skipped.
func ParseAttributes(data []byte) *Attributes {
	a := &Attributes{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "[attr]") || strings.HasPrefix(line, "!") {
			continue
		}
		fields := strings.Fields(line)
		pat := fields[0]
		if strings.HasPrefix(pat, `"`) {
			continue // quoted patterns are rare; skip rather than misparse
		}
		for _, f := range fields[1:] {
			switch {
			case f == "filter=lfs":
				a.rules = append(a.rules, attrRule{pattern: pat, lfs: true})
			case f == "-filter" || f == "!filter" || strings.HasPrefix(f, "filter="):
				a.rules = append(a.rules, attrRule{pattern: pat, lfs: false})
			}
		}
	}
	return a
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
		return false // directories never match in gitattributes
	}
	if !strings.Contains(pat, "/") {
		base := p[strings.LastIndexByte(p, '/')+1:]
		return wildmatch(pat, base)
	}
	return wildmatch(strings.TrimPrefix(pat, "/"), p)
}

// escapeAttrPath turns a repo path into a gitattributes pattern matching
// exactly that path, as git-lfs track does.
func escapeAttrPath(p string) string {
	var b strings.Builder
	for _, r := range p {
		switch r {
		case ' ':
			b.WriteString("[[:space:]]")
		case '*', '?', '[', ']', '\\', '#', '!':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
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
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		// Trailing spaces are ignored unless escaped.
		for strings.HasSuffix(line, " ") && !strings.HasSuffix(line, `\ `) {
			line = line[:len(line)-1]
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var r ignoreRule
		if strings.HasPrefix(line, "!") {
			r.negate = true
			line = line[1:]
		} else if strings.HasPrefix(line, `\!`) || strings.HasPrefix(line, `\#`) {
			line = line[1:]
		}
		if strings.HasSuffix(line, "/") {
			r.dirOnly = true
			line = strings.TrimSuffix(line, "/")
		}
		if strings.Contains(line, "/") {
			r.anchored = true
			line = strings.TrimPrefix(line, "/")
		}
		if line == "" {
			continue
		}
		r.pattern = line
		ig.rules = append(ig.rules, r)
	}
	return ig
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
			ok = wildmatch(r.pattern, p)
		} else {
			ok = wildmatch(r.pattern, p[strings.LastIndexByte(p, '/')+1:])
		}
		if ok {
			return !r.negate
		}
	}
	return false
}
