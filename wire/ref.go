package wire

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxRefNameLen is the maximum length in bytes of a branch or tag name.
const MaxRefNameLen = 255

// ValidateBranchName validates the short name of a branch ("main",
// "feature/x"), the part after refs/heads/. It applies git check-ref-format
// rules: no "..", no control character, space, '~', '^', ':', '?', '*', '['
// or '\', no leading or trailing '/' and no "//", no component that starts
// with '.' or ends with ".lock", no trailing '.', not "@" and no "@{". Like
// git branch, it also rejects a leading '-' and "HEAD". On top of git, the
// name must be valid UTF-8 of at most [MaxRefNameLen] bytes, must not start
// with "refs/" and must not be a 40-hex string, which would shadow commit ids.
func ValidateBranchName(name string) error {
	if rule := checkRefName(name); rule != "" {
		return invalidf("invalid branch name %s: %s", quote(name), rule)
	}
	return nil
}

// ValidateTagName validates the short name of a tag, the part after
// refs/tags/, with the rules of [ValidateBranchName].
func ValidateTagName(name string) error {
	if rule := checkRefName(name); rule != "" {
		return invalidf("invalid tag name %s: %s", quote(name), rule)
	}
	return nil
}

// checkRefName returns the rule that name breaks, or "" if it is valid.
func checkRefName(name string) string {
	switch {
	case name == "":
		return "must not be empty"
	case len(name) > MaxRefNameLen:
		return "must be at most 255 bytes long"
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c < 0x20 || c == 0x7f:
			return "must not contain control characters"
		case strings.IndexByte(" ~^:?*[\\", c) >= 0:
			return "must not contain spaces or any of ~ ^ : ? * [ \\"
		}
	}
	switch {
	case !utf8.ValidString(name):
		return "must be valid UTF-8"
	case strings.Contains(name, ".."):
		return "must not contain \"..\""
	case strings.Contains(name, "@{"):
		return "must not contain \"@{\""
	case name == "@":
		return "must not be \"@\""
	case name == "HEAD":
		return "must not be \"HEAD\""
	case name[0] == '-':
		return "must not start with '-'"
	case name[0] == '/' || name[len(name)-1] == '/':
		return "must not start or end with '/'"
	case strings.Contains(name, "//"):
		return "must not contain \"//\""
	case name[len(name)-1] == '.':
		return "must not end with '.'"
	case strings.HasPrefix(name, "refs/"):
		return "must not start with \"refs/\""
	case IsCommitID(name):
		return "must not be 40 hexadecimal digits like a commit id"
	}
	for c := range strings.SplitSeq(name, "/") {
		switch {
		case c[0] == '.':
			return "must not have a component that starts with '.'"
		case strings.HasSuffix(c, ".lock"):
			return "must not have a component that ends with \".lock\""
		}
	}
	return ""
}

// IsCommitID reports whether s is a full commit id: 40 hexadecimal digits in
// either case.
func IsCommitID(s string) bool {
	return len(s) == 40 && isHex(s)
}

// IsAbbrevCommitID reports whether s may be an abbreviated or full commit
// id: 5 to 40 hexadecimal digits in either case, as huggingface_hub checks
// parentCommit ([A-Fa-f0-9]{5,40}).
func IsAbbrevCommitID(s string) bool {
	return 5 <= len(s) && len(s) <= 40 && isHex(s)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHexDigit(s[i]) {
			return false
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// PRRefPrefix starts the ref of a pull request: "refs/pr/12".
const PRRefPrefix = "refs/pr/"

// ParsePRRef parses the ref of a pull request, "refs/pr/<num>", where num is
// a positive decimal number without leading zeros. It reports ok=false for
// anything else, including "refs/pr/01" and "refs/pr/1/x".
func ParsePRRef(s string) (num int, ok bool) {
	d, found := strings.CutPrefix(s, PRRefPrefix)
	if !found || d == "" || d[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
	}
	num, err := strconv.Atoi(d) // fails only on overflow
	if err != nil {
		return 0, false
	}
	return num, true
}
