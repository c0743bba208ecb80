package hub

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

// UploadFile uploads one file in a commit of its own. The default message
// is "Upload <path> with huggingface_hub", as in the Python client.
func (c *Client) UploadFile(ctx context.Context, r Repo, pathInRepo string, content Content, opts *CommitOptions) (*CommitInfo, error) {
	var o CommitOptions
	if opts != nil {
		o = *opts
	}
	if o.Message == "" {
		o.Message = "Upload " + pathInRepo + " with huggingface_hub"
	}
	return c.CreateCommit(ctx, r, []Operation{Add(pathInRepo, content)}, &o)
}

// UploadFolderOptions configures UploadFolder.
type UploadFolderOptions struct {
	CommitOptions
	// PathInRepo is the folder of the repo to upload into. Default: root.
	PathInRepo string
	// AllowPatterns keeps only files matching one of them (default: all).
	// Patterns follow Python's fnmatch, as MatchAny: "*" also matches "/",
	// and a trailing "/" means everything below.
	AllowPatterns []string
	// IgnorePatterns drops files matching one of them, on top of
	// DefaultIgnorePatterns.
	IgnorePatterns []string
	// DeletePatterns deletes remote files under PathInRepo whose path
	// relative to PathInRepo matches, in the same commit. The repo root's
	// .gitattributes is never deleted, nor a file being uploaded.
	DeletePatterns []string
	// MultiCommits uploads in several commits to a pull request, merged at
	// the end unless CreatePR (see CreateCommitsOnPR); an interrupted
	// upload resumes in the same pull request. Main branch only.
	MultiCommits bool
	// MultiCommitsVerbose prints the progress of the steps on stderr.
	MultiCommitsVerbose bool
}

// DefaultIgnorePatterns are always added to IgnorePatterns.
var DefaultIgnorePatterns = []string{
	".git", ".git/*", "*/.git", "**/.git/**",
	".cache/huggingface", ".cache/huggingface/*", "*/.cache/huggingface", "**/.cache/huggingface/**",
}

// UploadFolder uploads the files of a local folder in one atomic commit,
// deletions first. The repo root's .gitignore (local, or else the one on
// the Hub) decides which files the Hub ignores.
func (c *Client) UploadFolder(ctx context.Context, r Repo, folder string, opts *UploadFolderOptions) (*CommitInfo, error) {
	var o UploadFolderOptions
	if opts != nil {
		o = *opts
	}
	if o.Message == "" {
		o.Message = "Upload folder using huggingface_hub"
	}
	if o.MultiCommits {
		return c.uploadFolderMulti(ctx, r, folder, &o)
	}
	ops, err := c.FolderOperations(ctx, r, folder, &o)
	if err != nil {
		return nil, err
	}
	return c.CreateCommit(ctx, r, ops, &o.CommitOptions)
}

// FolderOperations plans the operations UploadFolder commits: deletions
// (from DeletePatterns) first, then one addition per selected local file.
func (c *Client) FolderOperations(ctx context.Context, r Repo, folder string, o *UploadFolderOptions) ([]Operation, error) {
	fi, err := os.Stat(folder)
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("hub: %s is not a folder", folder)
	}
	prefix := normalizeFolder(o.PathInRepo)
	files, err := ListFolder(folder, o.AllowPatterns, o.IgnorePatterns)
	if err != nil {
		return nil, err
	}
	adding := map[string]bool{}
	var adds []Operation
	for _, rel := range files {
		content, err := FromPath(filepath.Join(folder, filepath.FromSlash(rel)))
		if err != nil {
			return nil, err
		}
		p := prefix + rel
		adding[p] = true
		adds = append(adds, Add(p, content))
	}
	var ops []Operation
	if len(o.DeletePatterns) > 0 {
		revision := o.Revision
		if o.CreatePR {
			revision = ""
		}
		remote, err := c.ListRepoFiles(ctx, r, revision)
		if err != nil {
			return nil, err
		}
		for _, p := range remote {
			rel, ok := strings.CutPrefix(p, prefix)
			if !ok || p == ".gitattributes" || adding[p] {
				continue
			}
			if MatchAny(o.DeletePatterns, rel) {
				ops = append(ops, &DeleteOp{PathInRepo: p})
			}
		}
	}
	return append(ops, adds...), nil
}

func normalizeFolder(p string) string {
	p = strings.ReplaceAll(p, "\\", "/")
	for strings.HasPrefix(p, "./") {
		p = p[2:]
	}
	p = strings.Trim(p, "/")
	if p == "" || p == "." {
		return ""
	}
	return p + "/"
}

// ListFolder lists the files below folder (relative, slash-separated,
// sorted) that pass the allow and ignore patterns and the default ignores.
// Symbolic links to files are followed, as Python's glob does.
func ListFolder(folder string, allow, ignore []string) ([]string, error) {
	ignore = append(append([]string(nil), ignore...), DefaultIgnorePatterns...)
	var out []string
	err := filepath.WalkDir(folder, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			// DefaultIgnorePatterns drop everything below these folders
			// whatever the other patterns say: don't walk a large .git.
			if p != folder && (d.Name() == ".git" || (d.Name() == "huggingface" && filepath.Base(filepath.Dir(p)) == ".cache")) {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			fi, err := os.Stat(p)
			if err != nil || !fi.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(folder, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if len(allow) > 0 && !MatchAny(allow, rel) {
			return nil
		}
		if MatchAny(ignore, rel) {
			return nil
		}
		out = append(out, rel)
		return nil
	})
	sort.Strings(out)
	return out, err
}

// MatchAny reports whether name matches one of the patterns with Python's
// fnmatch rules (as huggingface_hub's filter_repo_objects applies them):
// "*" matches any run of characters including "/", "?" one character,
// "[seq]" and "[!seq]" sets, and a pattern ending in "/" matches everything
// below that folder.
func MatchAny(patterns []string, name string) bool {
	name = strings.ReplaceAll(name, "\\", "/")
	for _, p := range patterns {
		p = strings.ReplaceAll(p, "\\", "/")
		if strings.HasSuffix(p, "/") {
			p += "*"
		}
		if fnmatchRegexp(p).MatchString(name) {
			return true
		}
	}
	return false
}

var fnmatchCache sync.Map // pattern → *regexp.Regexp

// fnmatchRegexp ports Python's fnmatch.translate.
func fnmatchRegexp(pat string) *regexp.Regexp {
	if re, ok := fnmatchCache.Load(pat); ok {
		return re.(*regexp.Regexp)
	}
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	rs := []rune(pat)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch c {
		case '*':
			for i+1 < len(rs) && rs[i+1] == '*' {
				i++ // consecutive stars are one
			}
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '[':
			j := i + 1
			if j < len(rs) && rs[j] == '!' {
				j++
			}
			if j < len(rs) && rs[j] == ']' {
				j++
			}
			for j < len(rs) && rs[j] != ']' {
				j++
			}
			if j >= len(rs) {
				b.WriteString(`\[`)
				continue
			}
			b.WriteString(fnmatchSet(rs[i+1 : j]))
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		re = regexp.MustCompile(`\A` + regexp.QuoteMeta(pat) + `\z`)
	}
	fnmatchCache.Store(pat, re)
	return re
}

// fnmatchSet translates the body of a "[...]" set (without the brackets)
// as Python's fnmatch.translate does: hyphens that form a range stay
// ranges, other hyphens are literal, and empty (reversed) ranges are
// dropped, so "[z-a]" matches nothing instead of failing to compile.
func fnmatchSet(body []rune) string {
	var chunks [][]rune
	if !slices.Contains(body, '-') {
		chunks = [][]rune{body}
	} else {
		// Split at the hyphens that form ranges.
		s, k := 0, 1
		if body[0] == '!' {
			k = 2
		}
		for {
			d := -1
			if k < len(body) {
				d = slices.Index(body[k:], '-')
			}
			if d < 0 {
				break
			}
			k += d
			chunks = append(chunks, body[s:k])
			s = k + 1
			k += 3
		}
		if s < len(body) {
			chunks = append(chunks, body[s:])
		} else {
			last := len(chunks) - 1
			chunks[last] = append(slices.Clip(chunks[last]), '-')
		}
		// Remove empty ranges: they are invalid in a regexp.
		for k := len(chunks) - 1; k > 0; k-- {
			prev, cur := chunks[k-1], chunks[k]
			if len(prev) > 0 && len(cur) > 0 && prev[len(prev)-1] > cur[0] {
				chunks[k-1] = append(slices.Clip(prev[:len(prev)-1]), cur[1:]...)
				chunks = slices.Delete(chunks, k, k+1)
			}
		}
	}
	// Join with range hyphens, escaping what is special in a Go class.
	var cls []rune
	for n, ch := range chunks {
		if n > 0 {
			cls = append(cls, '-')
		}
		for _, r := range ch {
			switch r {
			case '\\', '[', ']', '^', '-':
				cls = append(cls, '\\')
			}
			cls = append(cls, r)
		}
	}
	switch {
	case len(cls) == 0:
		return `[^\s\S]` // matches nothing
	case string(cls) == "!":
		return `.` // "[!]" can only come from a dropped range: any character
	case cls[0] == '!':
		return "[^" + string(cls[1:]) + "]"
	}
	return "[" + string(cls) + "]"
}
