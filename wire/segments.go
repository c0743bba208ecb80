package wire

import (
	"net/url"
	"strings"
)

// Segments splits an escaped URL path into percent-decoded segments.
// Splitting before decoding keeps "refs%2Fpr%2F1" one segment. It reports
// false for a malformed escape.
func Segments(escaped string) ([]string, bool) {
	parts := strings.Split(strings.Trim(escaped, "/"), "/")
	if len(parts) == 1 && parts[0] == "" {
		return nil, true
	}
	for i, p := range parts {
		d, err := url.PathUnescape(p)
		if err != nil {
			return nil, false
		}
		parts[i] = d
	}
	return parts, true
}

// SplitRevision takes a revision off the front of URL path segments: one
// segment, or three for the special refs refs/pr/N and refs/convert/NAME
// written out verbatim.
func SplitRevision(segs []string) (rev string, rest []string) {
	if len(segs) == 0 {
		return "", nil
	}
	if len(segs) >= 3 && segs[0] == "refs" {
		if _, ok := ParsePRRef(strings.Join(segs[:3], "/")); ok || segs[1] == "convert" {
			return strings.Join(segs[:3], "/"), segs[3:]
		}
	}
	return segs[0], segs[1:]
}
