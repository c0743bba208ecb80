package wire

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrInvalid is matched by every validation error of this package.
var ErrInvalid = errors.New("invalid")

// ErrTooLarge is matched by errors about a line or body that is over its
// limit. Servers answer 413 Content Too Large.
var ErrTooLarge = errors.New("too large")

// Error codes sent in the X-Error-Code header (PROTOCOL.md §1.5 and §1.6).
// huggingface_hub turns them into typed exceptions.
const (
	CodeRepoNotFound     = "RepoNotFound"
	CodeRevisionNotFound = "RevisionNotFound"
	CodeEntryNotFound    = "EntryNotFound"
	CodeGatedRepo        = "GatedRepo"
)

// Messages with a meaning for huggingface_hub when sent in X-Error-Message or
// as the error text (PROTOCOL.md §1.6 and §5.5). Clients compare them exactly.
const (
	// MessageDisabled makes huggingface_hub raise DisabledRepoError.
	MessageDisabled = "Access to this resource is disabled."
	// MessageInvalidCredentials on a 401 stops huggingface_hub from turning
	// the 401 into RepositoryNotFoundError.
	MessageInvalidCredentials = "Invalid credentials in Authorization header"
	// MessageParentMismatch is the text of the 412 answer to a commit whose
	// parentCommit is no longer the tip of the branch (the Hub's own).
	MessageParentMismatch = "A commit has happened since. Please refresh and try again."
	// FormatRefExists (with the full ref name) answers creating a branch or
	// tag that exists.
	FormatRefExists = "Reference %s already exists"
	// FormatCannotDeleteRef (with the full ref name) answers deleting the
	// default branch.
	FormatCannotDeleteRef = "Cannot delete %s"
	// FormatRepoExists (with the repo type and id) answers moving a repo
	// onto an existing one.
	FormatRepoExists = "A %s repository called %s already exists"
)

// ErrorBody is the JSON body of an error response: {"error": "..."}.
type ErrorBody struct {
	Error string `json:"error"`
	URL   string `json:"url,omitempty"`
}

// wireError is an error with a message meant for clients that matches a
// sentinel ([ErrInvalid] or [ErrTooLarge]) without appending its text.
type wireError struct {
	msg string
	err error
}

func (e *wireError) Error() string { return e.msg }
func (e *wireError) Unwrap() error { return e.err }

// invalidf returns an error with the formatted message that matches ErrInvalid.
func invalidf(format string, args ...any) error {
	return &wireError{msg: fmt.Sprintf(format, args...), err: ErrInvalid}
}

// maxQuoted is how many bytes of an input an error message quotes.
const maxQuoted = 128

// quote quotes s for an error message, shortening it when it is long, so
// that a 4 KiB path does not make a 4 KiB header.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:maxQuoted]) + "..."
}
