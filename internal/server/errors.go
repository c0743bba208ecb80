package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/gitproto"
	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/usage"
	"github.com/wharfhub/wharf/internal/xetcas"
	"github.com/wharfhub/wharf/wire"
)

// HTTPError is an error with the status and X-Error-Code it answers with.
type HTTPError struct {
	Status int
	Code   string // X-Error-Code, may be empty
	Msg    string
	URL    string // optional "url" in the body (409 on repo create)
	// Header holds extra response headers (X-Repo-Commit on EntryNotFound).
	Header http.Header
}

func (e *HTTPError) Error() string { return e.Msg }

func httpError(status int, code, format string, args ...any) *HTTPError {
	return &HTTPError{Status: status, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// classify maps an error to its HTTP answer. This is the one place where
// errors become status codes.
func classify(err error) *HTTPError {
	var he *HTTPError
	if errors.As(err, &he) {
		return he
	}
	var me *movedError
	if errors.As(err, &me) {
		// 307 keeps the method and body of POSTs; clients follow relative
		// redirects (PROTOCOL.md §1.8).
		return &HTTPError{Status: http.StatusTemporaryRedirect, Msg: "Moved to " + me.location,
			Header: http.Header{"Location": {me.location}}}
	}
	msg := err.Error()
	switch {
	case errors.Is(err, errBadCredentials):
		return httpError(http.StatusUnauthorized, "", "%s", msg)
	case errors.Is(err, repo.ErrRepoNotFound):
		return httpError(http.StatusNotFound, wire.CodeRepoNotFound, "%s", msg)
	case errors.Is(err, repo.ErrRevisionNotFound):
		return httpError(http.StatusNotFound, wire.CodeRevisionNotFound, "%s", msg)
	case errors.Is(err, repo.ErrEntryNotFound):
		return httpError(http.StatusNotFound, wire.CodeEntryNotFound, "%s", msg)
	case errors.Is(err, repo.ErrDiscussionNotFound):
		return httpError(http.StatusNotFound, "", "%s", msg)
	case errors.Is(err, repo.ErrParentMismatch):
		return httpError(http.StatusPreconditionFailed, "", "%s", msg)
	case errors.Is(err, repo.ErrRepoExists), errors.Is(err, repo.ErrRefExists), errors.Is(err, auth.ErrExists):
		return httpError(http.StatusConflict, "", "%s", msg)
	case errors.Is(err, repo.ErrConflict):
		return httpError(http.StatusConflict, "", "%s", msg)
	case errors.Is(err, repo.ErrNoChanges):
		return httpError(http.StatusBadRequest, "", "%s", msg)
	case errors.Is(err, repo.ErrLFSObjectMissing):
		return httpError(http.StatusUnprocessableEntity, "", "%s", msg)
	case errors.Is(err, blob.ErrDigestMismatch), errors.Is(err, blob.ErrSizeMismatch):
		return httpError(http.StatusUnprocessableEntity, "", "%s", msg)
	case errors.Is(err, wire.ErrTooLarge):
		return httpError(http.StatusRequestEntityTooLarge, "", "%s", msg)
	case errors.Is(err, wire.ErrInvalid), errors.Is(err, blob.ErrInvalidOID):
		return httpError(http.StatusBadRequest, "", "%s", msg)
	case errors.Is(err, auth.ErrNotFound):
		return httpError(http.StatusNotFound, "", "%s", msg)
	case errors.Is(err, auth.ErrRequestNotFound), errors.Is(err, auth.ErrRequestState):
		// huggingface_hub documents 404 for a request already in the
		// asked state (HfApi.accept_access_request).
		return httpError(http.StatusNotFound, "", "%s", msg)
	case errors.Is(err, gitproto.ErrProtocol):
		return httpError(http.StatusBadRequest, "", "%s", msg)
	case errors.Is(err, xetcas.ErrInvalid):
		return httpError(http.StatusBadRequest, "", "%s", msg)
	case errors.Is(err, xetcas.ErrUnauthorized):
		return httpError(http.StatusUnauthorized, "", "%s", msg)
	case errors.Is(err, usage.ErrQuotaExceeded):
		return httpError(quotaStatus, "", "%s", msg)
	case errors.Is(err, xetcas.ErrForbidden):
		return httpError(http.StatusForbidden, "", "%s", msg)
	case errors.Is(err, xetcas.ErrNotFound):
		return httpError(http.StatusNotFound, "", "%s", msg)
	case errors.Is(err, xetcas.ErrRange):
		return httpError(http.StatusRequestedRangeNotSatisfiable, "", "%s", msg)
	case errors.Is(err, context.Canceled):
		return httpError(499, "", "request cancelled")
	}
	return httpError(http.StatusInternalServerError, "", "internal error")
}

// fail answers the request with err, and records the underlying error for
// the request log (internal errors are logged, never shown).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	he := s.errorHeaders(w, r, err)
	writeJSON(w, he.Status, wire.ErrorBody{Error: he.Msg, URL: he.URL})
}

// errorHeaders classifies err, records it for the request log and sets the
// error headers of the answer; the caller writes the body.
func (s *Server) errorHeaders(w http.ResponseWriter, r *http.Request, err error) *HTTPError {
	he := classify(err)
	logError(r, err)
	h := w.Header()
	for k, v := range he.Header {
		h[k] = v
	}
	if he.Code != "" {
		h.Set(wire.HeaderErrorCode, he.Code)
	}
	h.Set(wire.HeaderErrorMessage, headerSafe(he.Msg))
	if he.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Basic realm="wharf", charset="UTF-8"`)
	}
	return he
}

// logError records err for the request's log line.
func logError(r *http.Request, err error) {
	if rl, ok := r.Context().Value(logKey).(*reqLog); ok {
		rl.err = err
	}
}

// headerSafe keeps a message within what a header value may hold.
func headerSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c == 0x7f {
			b[i] = ' '
		}
	}
	if len(b) > 1000 {
		b = b[:1000]
	}
	return string(b)
}
