package hub

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// GatedMode is a repo's access-request setting: "" (not gated), "auto"
// (requests approved at once) or "manual" (approved by the owners). The
// Hub sends false for "".
type GatedMode string

// UnmarshalJSON reads false, "auto" or "manual".
func (g *GatedMode) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case string:
		*g = GatedMode(v)
	case bool, nil:
		*g = ""
		if v == true {
			*g = "auto"
		}
	default:
		return errors.New("hub: gated is neither a string nor a boolean")
	}
	return nil
}

// AccessRequest is a user's request for the files of a gated repo.
type AccessRequest struct {
	Username  string // who asked
	Fullname  string
	Email     string // empty when access was granted without a request
	RequestID string
	Status    string // "pending", "accepted" or "rejected"
	Timestamp time.Time
	// Fields holds what the user filled in the gate form.
	Fields map[string]any
}

// AuthCheck returns nil when the client may download the files of r (with
// write, when it may write to r), else the error a download would get:
// errors.Is(err, ErrGatedRepo) for a gated repo the client has no access
// to, ErrRepoNotFound for a repo it cannot see.
func (c *Client) AuthCheck(ctx context.Context, r Repo, write bool) error {
	if err := r.check(); err != nil {
		return err
	}
	u := c.endpoint + r.apiPath() + "/auth-check"
	if write {
		u += "/write"
	}
	var out map[string]any
	_, err := c.getJSON(ctx, u, &out)
	return err
}

// ListAccessRequests lists the access requests of gated repo r in status
// ("pending", "accepted" or "rejected"). It needs write access to r.
func (c *Client) ListAccessRequests(ctx context.Context, r Repo, status string) ([]AccessRequest, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	var raw []struct {
		User struct {
			User     string `json:"user"`
			Fullname string `json:"fullname"`
			Email    string `json:"email"`
		} `json:"user"`
		RequestID string         `json:"requestId"`
		Status    string         `json:"status"`
		Timestamp time.Time      `json:"timestamp"`
		Fields    map[string]any `json:"fields"`
	}
	if _, err := c.getJSON(ctx, c.endpoint+r.apiPath()+"/user-access-request/"+status, &raw); err != nil {
		return nil, err
	}
	out := make([]AccessRequest, len(raw))
	for i, q := range raw {
		out[i] = AccessRequest{Username: q.User.User, Fullname: q.User.Fullname, Email: q.User.Email,
			RequestID: q.RequestID, Status: q.Status, Timestamp: q.Timestamp, Fields: q.Fields}
	}
	return out, nil
}

// AcceptAccessRequest gives user access to gated repo r.
func (c *Client) AcceptAccessRequest(ctx context.Context, r Repo, user string) error {
	return c.handleAccessRequest(ctx, r, map[string]any{"user": user, "status": "accepted"})
}

// RejectAccessRequest refuses user access to gated repo r; reason may be
// empty.
func (c *Client) RejectAccessRequest(ctx context.Context, r Repo, user, reason string) error {
	body := map[string]any{"user": user, "status": "rejected"}
	if reason != "" {
		body["rejectionReason"] = reason
	}
	return c.handleAccessRequest(ctx, r, body)
}

// CancelAccessRequest puts user's request back to pending: the user loses
// access.
func (c *Client) CancelAccessRequest(ctx context.Context, r Repo, user string) error {
	return c.handleAccessRequest(ctx, r, map[string]any{"user": user, "status": "pending"})
}

func (c *Client) handleAccessRequest(ctx context.Context, r Repo, body map[string]any) error {
	if err := r.check(); err != nil {
		return err
	}
	return c.sendJSON(ctx, http.MethodPost, c.endpoint+r.apiPath()+"/user-access-request/handle", body, nil, false)
}

// GrantAccess gives user access to gated repo r without a request of
// theirs. Granting a user who has access already is an error (400).
func (c *Client) GrantAccess(ctx context.Context, r Repo, user string) error {
	if err := r.check(); err != nil {
		return err
	}
	return c.sendJSON(ctx, http.MethodPost, c.endpoint+r.apiPath()+"/user-access-request/grant", map[string]any{"user": user}, nil, false)
}

// AskAccess asks for access to gated repo r as the client's user, with the
// gate form's fields (may be nil). It returns the request's status:
// "accepted" at once when the repo is gated "auto", else "pending".
func (c *Client) AskAccess(ctx context.Context, r Repo, fields map[string]string) (status string, err error) {
	if err := r.check(); err != nil {
		return "", err
	}
	if fields == nil {
		fields = map[string]string{}
	}
	var out struct {
		Status string `json:"status"`
	}
	err = c.sendJSON(ctx, http.MethodPost, c.endpoint+r.apiPath()+"/ask-access", fields, &out, false)
	return out.Status, err
}
