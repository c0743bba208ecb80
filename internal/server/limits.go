package server

import (
	"net/http"
	"unicode/utf8"
)

// Limits on discussion text, so a client cannot store megabytes in a
// title. Wharf's own choice: the Hub documents none.
const (
	maxDiscussionTitle   = 200      // characters
	maxDiscussionComment = 64 << 10 // bytes of Markdown
)

// checkDiscussionText refuses a title or comment past the limits (400).
func checkDiscussionText(title, comment string) error {
	if n := utf8.RuneCountInString(title); n > maxDiscussionTitle {
		return httpError(http.StatusBadRequest, "", "title is %d characters long: at most %d are allowed", n, maxDiscussionTitle)
	}
	if len(comment) > maxDiscussionComment {
		return httpError(http.StatusBadRequest, "", "comment is %d bytes long: at most %d are allowed", len(comment), maxDiscussionComment)
	}
	return nil
}
