package server

import (
	"errors"
	"net/http"

	"github.com/wharfhub/wharf/internal/auth"
)

// handleOrgSettings serves GET and PUT /api/organizations/{org}/settings:
// {"privateByDefault": bool} (Wharf's shape; the Hub's own endpoint is
// not public). Members read it, organization admins change it.
func (s *Server) handleOrgSettings(w http.ResponseWriter, r *http.Request, name string) {
	ident := identity(r)
	org, err := s.auth.Account(r.Context(), name)
	if errors.Is(err, auth.ErrNotFound) || (err == nil && !org.IsOrg) || (err == nil && !auth.IsMember(ident, org.Name)) {
		s.fail(w, r, httpError(http.StatusNotFound, "", "Organization %s not found", name))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if r.Method == http.MethodPut {
		if !auth.IsOrgAdmin(ident, org.Name) {
			s.fail(w, r, httpError(http.StatusForbidden, "", "Only admins of %s may change its settings", org.Name))
			return
		}
		var req struct {
			PrivateByDefault *bool `json:"privateByDefault"`
		}
		if err := readJSON(w, r, &req); err != nil {
			s.fail(w, r, err)
			return
		}
		if req.PrivateByDefault != nil {
			if err := s.auth.SetOrgSettings(r.Context(), org, auth.OrgSettings{PrivateByDefault: *req.PrivateByDefault}); err != nil {
				s.fail(w, r, err)
				return
			}
		}
	}
	o, err := s.auth.OrgSettings(r.Context(), org)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"privateByDefault": o.PrivateByDefault})
}
