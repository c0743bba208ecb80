package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/wire"
)

// Gated repos (https://huggingface.co/docs/hub/models-gated): anyone who
// may read the repo sees its listings, but its files need access: the
// owner, members of its organization and admins always have it; others
// once their access request is accepted.

// checkGate returns the Hub's GatedRepo error when the caller may not read
// the files of rp. huggingface_hub raises GatedRepoError on the code,
// whatever the status (utils/_http.py hf_raise_for_status).
func (s *Server) checkGate(r *http.Request, rp *repo.Repo) error {
	if rp.Gated == "" {
		return nil
	}
	id := identity(r)
	if auth.IsMember(id, rp.ID.Namespace) {
		return nil
	}
	what := string(rp.Type) + " " + rp.ID.String()
	if id == nil {
		return &HTTPError{Status: http.StatusUnauthorized, Code: wire.CodeGatedRepo,
			Msg: "Access to " + what + " is restricted. You must have access to it and be authenticated to access it. Please log in."}
	}
	st, err := s.auth.RequestStatus(r.Context(), rp.Key, id.User)
	if err != nil {
		return err
	}
	var msg string
	switch st {
	case auth.RequestAccepted:
		return nil
	case auth.RequestPending:
		msg = "Your request to access " + what + " is awaiting a review from the repo authors."
	case auth.RequestRejected:
		msg = "Your request to access " + what + " has been rejected by the repo's authors."
	default:
		msg = "Access to " + what + " is restricted and you are not in the authorized list. Visit " + s.repoURL(r, rp) + " to ask for access."
	}
	return &HTTPError{Status: http.StatusForbidden, Code: wire.CodeGatedRepo, Msg: msg}
}

// handleAuthCheck answers GET /api/{type}s/{repo}/auth-check[/write]: 200
// when the caller may download the repo's files (or write to it), else the
// error a download would get.
func (s *Server) handleAuthCheck(w http.ResponseWriter, r *http.Request, rr repoRoute) {
	need := auth.AccessRead
	if len(rr.rest) == 1 && rr.rest[0] == "write" {
		need = auth.AccessWrite
	} else if len(rr.rest) > 0 {
		s.notFound(w, r)
		return
	}
	rp, err := s.openRepo(r, rr.typ, rr.id, need)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.checkGate(r, rp); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}

// handleAskAccess records the caller's access request (POST
// …/ask-access, JSON or form body: the gate form's fields).
func (s *Server) handleAskAccess(w http.ResponseWriter, r *http.Request, rr repoRoute) {
	rp, err := s.openRepo(r, rr.typ, rr.id, auth.AccessRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id := identity(r)
	if id == nil {
		s.fail(w, r, httpError(http.StatusUnauthorized, "", "You must be authenticated to ask for access to %s", rp.ID))
		return
	}
	if rp.Gated == "" {
		s.fail(w, r, errNotGated(rp))
		return
	}
	fields := map[string]any{}
	if r.Header.Get("Content-Type") == "application/json" {
		if err := readJSON(w, r, &fields); err != nil {
			s.fail(w, r, err)
			return
		}
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, maxJSONBody)
		if err := r.ParseForm(); err != nil {
			s.fail(w, r, httpError(http.StatusBadRequest, "", "invalid form body: %v", err))
			return
		}
		for k, v := range r.PostForm {
			if len(v) > 0 {
				fields[k] = v[0]
			}
		}
	}
	raw := ""
	if len(fields) > 0 {
		b, _ := json.Marshal(fields)
		raw = string(b)
	}
	q, err := s.auth.AskAccess(r.Context(), rp.Key, id.User, raw, rp.Gated == "auto")
	if errors.Is(err, auth.ErrRequestState) {
		err = httpError(http.StatusForbidden, wire.CodeGatedRepo, "Your request to access %s %s has been rejected by the repo's authors.", rp.Type, rp.ID)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.accessRequestJSON(q))
}

func errNotGated(rp *repo.Repo) error {
	return httpError(http.StatusBadRequest, "", "Repository %s is not gated", rp.ID)
}

// handleAccessRequests serves …/user-access-request/{pending,accepted,
// rejected} (GET), …/handle and …/grant (POST), for the repo's writers.
func (s *Server) handleAccessRequests(w http.ResponseWriter, r *http.Request, rr repoRoute) {
	if len(rr.rest) != 1 {
		s.notFound(w, r)
		return
	}
	op := rr.rest[0]
	switch {
	case r.Method == http.MethodGet && (op == auth.RequestPending || op == auth.RequestAccepted || op == auth.RequestRejected):
	case r.Method == http.MethodPost && (op == "handle" || op == "grant"):
	default:
		s.notFound(w, r)
		return
	}
	rp, err := s.openRepo(r, rr.typ, rr.id, auth.AccessWrite)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if rp.Gated == "" {
		s.fail(w, r, errNotGated(rp))
		return
	}
	ctx := r.Context()
	if r.Method == http.MethodGet {
		reqs, err := s.auth.AccessRequests(ctx, rp.Key, op)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out := make([]map[string]any, 0, len(reqs))
		for _, q := range reqs {
			out = append(out, s.accessRequestJSON(q))
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	var req struct {
		User      string `json:"user"`
		RequestID string `json:"requestId"`
		Status    string `json:"status"`
		Reason    string `json:"rejectionReason"`
	}
	if err := readJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	var user *auth.Account
	switch {
	case req.User != "":
		if user, err = s.auth.Account(ctx, req.User); err != nil || user.IsOrg {
			s.fail(w, r, httpError(http.StatusNotFound, "", "User %s not found", req.User))
			return
		}
	case req.RequestID != "" && op == "handle":
		n, perr := strconv.ParseInt(req.RequestID, 16, 64)
		if perr != nil {
			s.fail(w, r, httpError(http.StatusNotFound, "", "Access request %s not found", req.RequestID))
			return
		}
		q, err := s.auth.AccessRequestByID(ctx, rp.Key, n)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		user = q.User
	default:
		s.fail(w, r, httpError(http.StatusBadRequest, "", "user is required"))
		return
	}
	if op == "grant" {
		err = s.auth.GrantAccess(ctx, rp.Key, user)
		if errors.Is(err, auth.ErrRequestState) {
			err = httpError(http.StatusBadRequest, "", "%v", err)
		}
	} else {
		switch req.Status {
		case auth.RequestPending, auth.RequestAccepted, auth.RequestRejected:
		default:
			s.fail(w, r, httpError(http.StatusBadRequest, "", "status must be pending, accepted or rejected"))
			return
		}
		if req.Reason != "" && req.Status != auth.RequestRejected {
			s.fail(w, r, httpError(http.StatusBadRequest, "", "rejectionReason is only for rejected requests"))
			return
		}
		err = s.auth.HandleRequest(ctx, rp.Key, user, req.Status, req.Reason)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}

// accessRequestJSON is the Hub's shape of an access request, as
// huggingface_hub's _list_access_requests reads it. The email is not
// shared when access was granted without a request.
func (s *Server) accessRequestJSON(q *auth.AccessRequest) map[string]any {
	user := map[string]any{"user": q.User.Name, "fullname": q.User.Fullname, "type": "user", "avatarUrl": ""}
	if !q.Granted && q.User.Email != "" {
		user["email"] = q.User.Email
	}
	out := map[string]any{
		"requestId": hexID(q.ID), "status": q.Status, "timestamp": wire.FormatTime(q.CreatedAt), "user": user,
	}
	if q.Fields != "" {
		var f map[string]any
		if json.Unmarshal([]byte(q.Fields), &f) == nil {
			out["fields"] = f
		}
	}
	if q.Reason != "" {
		out["rejectionReason"] = q.Reason
	}
	return out
}

// gatedJSON is the gated setting as the Hub shows it: false, "auto" or
// "manual".
func gatedJSON(g string) any {
	if g == "" {
		return false
	}
	return g
}
