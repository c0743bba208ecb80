package repo

import (
	"strings"
	"unicode/utf8"
)

// wildmatch reports whether name matches the git pattern pat, with git's
// WM_PATHNAME semantics: "*" and "?" do not match "/", "**" between slashes
// (or at either end) matches any number of directories, "[...]" is a set
// with ranges, negation ("!" or "^") and POSIX classes such as [:space:],
// and "\" escapes the next character.
func wildmatch(pat, name string) bool {
	// "**/" at the start and "/**" at the end and "/**/" in between.
	if strings.HasPrefix(pat, "**/") {
		rest := pat[3:]
		if wildmatch(rest, name) {
			return true
		}
		for i := 0; i < len(name); i++ {
			if name[i] == '/' && wildmatch(rest, name[i+1:]) {
				return true
			}
		}
		return false
	}
	for len(pat) > 0 {
		switch pat[0] {
		case '*':
			if strings.HasPrefix(pat, "**") {
				// "/**/" or trailing "/**": handled when we reach them via the slash.
				rest := strings.TrimLeft(pat, "*")
				if rest == "" {
					return true // "**" at the end matches everything below
				}
				if rest[0] == '/' {
					// "**/" in the middle: zero or more directories.
					sub := rest[1:]
					if wildmatch(sub, name) {
						return true
					}
					for i := 0; i < len(name); i++ {
						if name[i] == '/' && wildmatch(sub, name[i+1:]) {
							return true
						}
					}
					return false
				}
			}
			rest := strings.TrimLeft(pat, "*")
			if rest == "" {
				return !strings.Contains(name, "/")
			}
			for i := 0; i <= len(name); i++ {
				if wildmatch(rest, name[i:]) {
					return true
				}
				if i < len(name) && name[i] == '/' {
					return false
				}
			}
			return false
		case '?':
			if name == "" || name[0] == '/' {
				return false
			}
			_, sz := utf8.DecodeRuneInString(name)
			pat, name = pat[1:], name[sz:]
		case '[':
			if name == "" || name[0] == '/' {
				return false
			}
			r, sz := utf8.DecodeRuneInString(name)
			ok, plen := matchSet(pat, r)
			if plen == 0 { // unterminated set: literal '['
				if name[0] != '[' {
					return false
				}
				pat, name = pat[1:], name[1:]
				continue
			}
			if !ok {
				return false
			}
			pat, name = pat[plen:], name[sz:]
		case '\\':
			if len(pat) > 1 {
				pat = pat[1:]
			}
			fallthrough
		default:
			if name == "" || name[0] != pat[0] {
				return false
			}
			pat, name = pat[1:], name[1:]
		}
	}
	return name == ""
}

var posixClasses = map[string]func(rune) bool{
	"space":  func(r rune) bool { return r == ' ' || (r >= '\t' && r <= '\r') },
	"alpha":  func(r rune) bool { return (r|0x20) >= 'a' && (r|0x20) <= 'z' },
	"digit":  func(r rune) bool { return r >= '0' && r <= '9' },
	"alnum":  func(r rune) bool { return (r|0x20) >= 'a' && (r|0x20) <= 'z' || r >= '0' && r <= '9' },
	"upper":  func(r rune) bool { return r >= 'A' && r <= 'Z' },
	"lower":  func(r rune) bool { return r >= 'a' && r <= 'z' },
	"punct":  func(r rune) bool { return r < 128 && strings.ContainsRune("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", r) },
	"xdigit": func(r rune) bool { return r >= '0' && r <= '9' || (r|0x20) >= 'a' && (r|0x20) <= 'f' },
	"blank":  func(r rune) bool { return r == ' ' || r == '\t' },
}

// matchSet matches r against the set starting at pat[0] == '['. It returns
// the match and the pattern length consumed, 0 if the set is unterminated.
func matchSet(pat string, r rune) (bool, int) {
	i := 1
	neg := false
	if i < len(pat) && (pat[i] == '!' || pat[i] == '^') {
		neg = true
		i++
	}
	matched := false
	first := true
	for i < len(pat) {
		if pat[i] == ']' && !first {
			return matched != neg, i + 1
		}
		first = false
		if strings.HasPrefix(pat[i:], "[:") {
			if end := strings.Index(pat[i+2:], ":]"); end >= 0 {
				if f, ok := posixClasses[pat[i+2:i+2+end]]; ok && f(r) {
					matched = true
				}
				i += end + 4
				continue
			}
		}
		c, sz := utf8.DecodeRuneInString(pat[i:])
		if c == '\\' && i+1 < len(pat) {
			c, sz = utf8.DecodeRuneInString(pat[i+1:])
			sz++
		}
		i += sz
		if i+1 < len(pat) && pat[i] == '-' && pat[i+1] != ']' {
			hi, hsz := utf8.DecodeRuneInString(pat[i+1:])
			if c <= r && r <= hi {
				matched = true
			}
			i += 1 + hsz
			continue
		}
		if c == r {
			matched = true
		}
	}
	return false, 0
}
