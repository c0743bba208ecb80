package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Sentinel errors matched by [Error] through errors.Is.
var (
	ErrRepoNotFound       = errors.New("repository not found")
	ErrRevisionNotFound   = errors.New("revision not found")
	ErrEntryNotFound      = errors.New("entry not found")
	ErrGatedRepo          = errors.New("gated repository")
	ErrUnauthorized       = errors.New("unauthorized")
	ErrForbidden          = errors.New("forbidden")
	ErrConflict           = errors.New("conflict")
	ErrPreconditionFailed = errors.New("precondition failed")
	ErrBadRequest         = errors.New("bad request")
	ErrTooLarge           = errors.New("request too large")
	ErrRateLimited        = errors.New("rate limited")
)

// Error is an error answer from the Hub.
type Error struct {
	StatusCode int    // HTTP status of the answer
	Code       string // X-Error-Code: RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo
	Message    string // X-Error-Message or the body's error text
	RequestID  string // X-Request-Id (or X-Amzn-Trace-Id), for the server logs
	Method     string // method of the failed request
	URL        string // without query string

	// bodyURL is the "url" of the body: a 409 of repo creation names the
	// existing repo there, with its canonical casing.
	bodyURL string
}

// Error formats the status, the X-Error-Code, the message and the request.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		b.WriteString(" (" + e.Code + ")")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Method != "" {
		fmt.Fprintf(&b, " [%s %s", e.Method, e.URL)
		if e.RequestID != "" {
			b.WriteString(" request " + e.RequestID)
		}
		b.WriteString("]")
	}
	return b.String()
}

// Is matches the sentinel errors of this package.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrRepoNotFound:
		return e.Code == "RepoNotFound" || e.Code == "GatedRepo"
	case ErrRevisionNotFound:
		return e.Code == "RevisionNotFound"
	case ErrEntryNotFound:
		return e.Code == "EntryNotFound"
	case ErrGatedRepo:
		return e.Code == "GatedRepo"
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrPreconditionFailed:
		return e.StatusCode == http.StatusPreconditionFailed
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity
	case ErrTooLarge:
		return e.StatusCode == http.StatusRequestEntityTooLarge
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// errorFromResponse reads an error answer. It consumes at most 64 KiB of
// the body.
func errorFromResponse(resp *http.Response) *Error {
	e := &Error{
		StatusCode: resp.StatusCode,
		Code:       resp.Header.Get("X-Error-Code"),
		Message:    resp.Header.Get("X-Error-Message"),
		RequestID:  resp.Header.Get("X-Request-Id"),
	}
	if e.RequestID == "" {
		e.RequestID = resp.Header.Get("X-Amzn-Trace-Id")
	}
	if resp.Request != nil {
		e.Method = resp.Request.Method
		u := *resp.Request.URL
		u.RawQuery = "" // signed URLs carry secrets in the query
		e.URL = u.String()
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if e.Message == "" {
		e.Message = bodyMessage(body, resp.Header.Get("Content-Type"))
	}
	var withURL struct {
		URL string `json:"url"`
	}
	if json.Unmarshal(body, &withURL) == nil {
		e.bodyURL = withURL.URL
	}
	return e
}

// bodyMessage extracts the error text of a body in any of the Hub's shapes.
func bodyMessage(body []byte, contentType string) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Errors  []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &v) == nil {
		var s string
		var list []string
		switch {
		case json.Unmarshal(v.Error, &s) == nil && s != "":
			return s
		case json.Unmarshal(v.Error, &list) == nil && len(list) > 0:
			return strings.Join(list, "; ")
		case v.Message != "":
			return v.Message
		case len(v.Errors) > 0:
			var msgs []string
			for _, m := range v.Errors {
				msgs = append(msgs, m.Message)
			}
			return strings.Join(msgs, "; ")
		}
		if len(bytes.TrimSpace(body)) > 0 && bytes.TrimSpace(body)[0] == '{' {
			return "" // a JSON object without any of the known keys
		}
	}
	if strings.Contains(contentType, "html") {
		return ""
	}
	return strings.TrimSpace(string(body))
}
