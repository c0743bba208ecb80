package wire

import (
	"strings"
	"time"
)

// Header names read or sent by huggingface_hub (PROTOCOL.md §1.5).
const (
	HeaderErrorCode    = "X-Error-Code"
	HeaderErrorMessage = "X-Error-Message"
	HeaderRepoCommit   = "X-Repo-Commit"
	HeaderLinkedEtag   = "X-Linked-Etag"
	HeaderLinkedSize   = "X-Linked-Size"
	HeaderRequestID    = "X-Request-Id"
)

// TimeFormat is the layout of timestamps in JSON answers: UTC with
// milliseconds and a mandatory "Z", e.g. "2024-11-16T00:27:02.000Z"
// (PROTOCOL.md §1.9).
const TimeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime formats t in UTC with [TimeFormat].
func FormatTime(t time.Time) string {
	return t.UTC().Format(TimeFormat)
}

// ParseBool parses a boolean query parameter. It reports ok=false when s is
// not one of the spellings clients send: "1", "true" or "yes" in any case
// mean true; "0", "false", "no" in any case and "" mean false. Python's
// requests renders True as "True" and httpx as "true" (PROTOCOL.md §1.3).
func ParseBool(s string) (value, ok bool) {
	switch {
	case s == "1" || strings.EqualFold(s, "true") || strings.EqualFold(s, "yes"):
		return true, true
	case s == "" || s == "0" || strings.EqualFold(s, "false") || strings.EqualFold(s, "no"):
		return false, true
	}
	return false, false
}
