package repo

import "strings"

// wildmatch reports whether name matches the git pattern pat, with git's
// WM_PATHNAME semantics: "*" and "?" do not match "/", "**" between slashes
// (or at either end) matches any number of directories, "[...]" is a set
// with ranges, negation ("!" or "^") and POSIX classes such as [:space:],
// and "\" escapes the next character. Like git it works on bytes, so "?"
// matches one byte of a multi-byte character.
//
// It is a port of dowild in git's wildmatch.c, quirks included, since git
// is what decides which files of a clone are LFS files or ignored.
func wildmatch(pat, name string) bool {
	return dowild(pat, name) == wmMatch
}

const (
	wmMatch = iota
	wmNoMatch
	wmAbortAll
	wmAbortToStarStar
)

// isGlobSpecial reports whether c is one of git's glob specials.
func isGlobSpecial(c byte) bool { return c == '*' || c == '?' || c == '[' || c == '\\' }

func dowild(p, text string) int {
	pi, ti := 0, 0
	for ; pi < len(p); pi, ti = pi+1, ti+1 {
		pch := p[pi]
		var tch byte
		if ti < len(text) {
			tch = text[ti]
		} else if pch != '*' {
			return wmAbortAll
		}
		switch pch {
		case '\\':
			// Literal match with the next character; a trailing
			// backslash never matches.
			pi++
			if pi == len(p) || tch != p[pi] {
				return wmNoMatch
			}
		default:
			if tch != pch {
				return wmNoMatch
			}
		case '?':
			if tch == '/' {
				return wmNoMatch
			}
		case '*':
			start := pi
			pi++
			matchSlash := false
			if pi < len(p) && p[pi] == '*' {
				for pi < len(p) && p[pi] == '*' {
					pi++
				}
				if (start == 0 || p[start-1] == '/') &&
					(pi == len(p) || p[pi] == '/' || (p[pi] == '\\' && pi+1 < len(p) && p[pi+1] == '/')) {
					// "**/" may match no directory at all: try the rest of
					// the pattern here first, so foo/**/bar matches foo/bar.
					if pi < len(p) && p[pi] == '/' && dowild(p[pi+1:], text[ti:]) == wmMatch {
						return wmMatch
					}
					matchSlash = true
				}
				// Otherwise "**" is an ordinary "*".
			}
			if pi == len(p) {
				// A trailing "**" matches everything; a trailing "*" only
				// what has no more slashes.
				if !matchSlash && strings.IndexByte(text[ti:], '/') >= 0 {
					return wmNoMatch
				}
				return wmMatch
			}
			if !matchSlash && p[pi] == '/' {
				// One "*" before a slash matches up to the next slash.
				slash := strings.IndexByte(text[ti:], '/')
				if slash < 0 {
					return wmNoMatch
				}
				ti += slash
				continue // the loop steps over both slashes
			}
			for ti < len(text) {
				if !isGlobSpecial(p[pi]) {
					// A literal follows: skip to its next occurrence.
					for ti < len(text) && (matchSlash || text[ti] != '/') && text[ti] != p[pi] {
						ti++
					}
					if ti == len(text) || text[ti] != p[pi] {
						return wmNoMatch
					}
				}
				if m := dowild(p[pi:], text[ti:]); m != wmNoMatch {
					if !matchSlash || m != wmAbortToStarStar {
						return m
					}
				} else if !matchSlash && text[ti] == '/' {
					return wmAbortToStarStar
				}
				ti++
			}
			return wmAbortAll
		case '[':
			pi++
			if pi == len(p) {
				return wmAbortAll
			}
			pch = p[pi]
			if pch == '^' {
				pch = '!'
			}
			negated := pch == '!'
			if negated {
				pi++
				if pi == len(p) {
					return wmAbortAll
				}
				pch = p[pi]
			}
			var prev byte
			matched := false
			for {
				switch {
				case pch == '\\':
					pi++
					if pi == len(p) {
						return wmAbortAll
					}
					pch = p[pi]
					if tch == pch {
						matched = true
					}
				case pch == '-' && prev != 0 && pi+1 < len(p) && p[pi+1] != ']':
					pi++
					pch = p[pi]
					if pch == '\\' {
						pi++
						if pi == len(p) {
							return wmAbortAll
						}
						pch = p[pi]
					}
					if prev <= tch && tch <= pch {
						matched = true
					}
					pch = 0 // a range cannot start another range
				case pch == '[' && pi+1 < len(p) && p[pi+1] == ':':
					pi += 2
					s := pi
					for pi < len(p) && p[pi] != ']' {
						pi++
					}
					if pi == len(p) {
						return wmAbortAll
					}
					if pi-s-1 < 0 || p[pi-1] != ':' {
						// No ":]": the "[" is an ordinary member.
						pi = s - 2
						pch = '['
						if tch == pch {
							matched = true
						}
						break
					}
					class, ok := posixClasses[p[s:pi-1]]
					if !ok {
						return wmAbortAll // malformed [:class:]
					}
					if class(tch) {
						matched = true
					}
					pch = 0
				default:
					if tch == pch {
						matched = true
					}
				}
				prev = pch
				pi++
				if pi == len(p) {
					return wmAbortAll // unterminated set
				}
				pch = p[pi]
				if pch == ']' {
					break
				}
			}
			if matched == negated || tch == '/' {
				return wmNoMatch
			}
		}
	}
	if ti < len(text) {
		return wmNoMatch
	}
	return wmMatch
}

func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isGraph(c byte) bool { return 0x21 <= c && c <= 0x7e }

// posixClasses are the [:name:] classes of git's wildmatch, ASCII only.
var posixClasses = map[string]func(byte) bool{
	"alnum":  func(c byte) bool { return isAlpha(c) || isDigit(c) },
	"alpha":  isAlpha,
	"blank":  func(c byte) bool { return c == ' ' || c == '\t' },
	"cntrl":  func(c byte) bool { return c < 0x20 || c == 0x7f },
	"digit":  isDigit,
	"graph":  isGraph,
	"lower":  func(c byte) bool { return 'a' <= c && c <= 'z' },
	"print":  func(c byte) bool { return 0x20 <= c && c <= 0x7e },
	"punct":  func(c byte) bool { return isGraph(c) && !isAlpha(c) && !isDigit(c) },
	"space":  func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' },
	"upper":  func(c byte) bool { return 'A' <= c && c <= 'Z' },
	"xdigit": func(c byte) bool { return isDigit(c) || 'a' <= c|0x20 && c|0x20 <= 'f' },
}

// simpleLength is the length of the literal prefix of a pattern, before
// its first glob special.
func simpleLength(pat string) int {
	for i := 0; i < len(pat); i++ {
		if isGlobSpecial(pat[i]) {
			return i
		}
	}
	return len(pat)
}

// matchPathname matches a pattern that contains a slash against a whole
// repo path, as git's match_pathname does: a leading "/" is dropped, the
// literal prefix is compared as a string, and only the rest goes through
// wildmatch (so "**" right after the prefix counts as starting the pattern).
func matchPathname(pat, p string) bool {
	pat = strings.TrimPrefix(pat, "/")
	n := simpleLength(pat)
	if n > len(p) || p[:n] != pat[:n] {
		return false
	}
	if n == len(pat) {
		return n == len(p)
	}
	return wildmatch(pat[n:], p[n:])
}

// matchBasename matches a pattern without a slash against the last
// component of a repo path.
func matchBasename(pat, p string) bool {
	return wildmatch(pat, p[strings.LastIndexByte(p, '/')+1:])
}
