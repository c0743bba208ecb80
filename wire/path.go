package wire

import (
	"strings"
	"unicode/utf8"
)

// Limits on paths inside a repository.
const (
	MaxPathLen    = 4096 // bytes in a whole path
	MaxSegmentLen = 255  // bytes in one path segment, as on most file systems
)

// CleanPath validates a file path inside a repository, as sent in commits
// and resolve URLs, and returns it unchanged. It never rewrites a path: an
// invalid one is rejected with an error that matches [ErrInvalid] and names
// the path and the rule (the Hub answers 422 for "..\ddd").
//
// A valid path is non-empty valid UTF-8 of at most [MaxPathLen] bytes, made
// of non-empty "/"-separated segments of at most [MaxSegmentLen] bytes. It
// does not start or end with "/", and contains no control character, no
// backslash, no "." or ".." segment and no ".git" segment in any case. Names
// that Windows or macOS git clients would read as ".git" (".git.", "git~1",
// ".g\u200cit") are rejected too, since git refuses to check them out.
func CleanPath(p string) (string, error) {
	if rule := checkPath(p); rule != "" {
		return "", invalidf("invalid path %s: %s", quote(p), rule)
	}
	return p, nil
}

// CleanFolder validates a folder path (deletedFolder, tree listings). It
// follows [CleanPath] rules, but one trailing "/" is allowed and stripped,
// and "", "/" and "." mean the root folder and return "".
func CleanFolder(p string) (string, error) {
	q := strings.TrimSuffix(p, "/")
	if q == "" || q == "." {
		return "", nil
	}
	if rule := checkPath(q); rule != "" {
		return "", invalidf("invalid folder path %s: %s", quote(p), rule)
	}
	return q, nil
}

// checkPath returns the rule that p breaks, or "" if p is a valid path.
func checkPath(p string) string {
	switch {
	case p == "":
		return "must not be empty"
	case len(p) > MaxPathLen:
		return "must be at most 4096 bytes long"
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c < 0x20 || c == 0x7f:
			return "must not contain control characters"
		case c == '\\':
			return "must not contain a backslash"
		}
	}
	switch {
	case !utf8.ValidString(p):
		return "must be valid UTF-8"
	case p[0] == '/':
		return "must not start with \"/\""
	case p[len(p)-1] == '/':
		return "must not end with \"/\""
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch {
		case seg == "":
			return "must not contain an empty segment (\"//\")"
		case seg == "." || seg == "..":
			return "must not contain a \".\" or \"..\" segment"
		case len(seg) > MaxSegmentLen:
			return "segment " + quote(seg) + " is longer than 255 bytes"
		case isDotGit(seg):
			return "must not contain a \".git\" segment"
		}
	}
	return ""
}

// isDotGit reports whether a path segment names the .git directory for
// git on some file system: ".git" in any case; on NTFS also followed by dots,
// spaces or an alternate data stream (".git. ", ".git::$INDEX_ALLOCATION"),
// or as its 8.3 short name "git~1"; on HFS+ also with code points that HFS+
// ignores. See is_ntfs_dotgit and is_hfs_dotgit in git's path.c.
func isDotGit(seg string) bool {
	return isNTFSDotGit(seg) || !isASCII(seg) && strings.EqualFold(strings.Map(dropHFSIgnorable, seg), ".git")
}

func isNTFSDotGit(seg string) bool {
	var rest string
	switch {
	case len(seg) >= 4 && strings.EqualFold(seg[:4], ".git"):
		rest = seg[4:]
	case len(seg) >= 5 && strings.EqualFold(seg[:5], "git~1"):
		rest = seg[5:]
	default:
		return false
	}
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case ':':
			return true
		case '.', ' ':
		default:
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// dropHFSIgnorable drops the code points that HFS+ ignores when it compares
// names (git's next_hfs_char).
func dropHFSIgnorable(r rune) rune {
	switch {
	case 0x200c <= r && r <= 0x200f, 0x202a <= r && r <= 0x202e, 0x206a <= r && r <= 0x206f, r == 0xfeff:
		return -1
	}
	return r
}
