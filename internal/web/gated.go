package web

import (
	"net/http"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/repo"
)

// gate refuses the contents of a gated repo's files (blob pages, diffs) to
// those without access, as the API does (internal/server/gated.go): the
// owner, members of its organization and admins always have it; others
// once their access request is accepted.
func (u *UI) gate(q *request, rp *repo.Repo) error {
	if rp.Gated == "" || auth.IsMember(q.id, rp.ID.Namespace) {
		return nil
	}
	if q.id != nil {
		st, err := u.auth.RequestStatus(q.ctx, rp.Key, q.id.User)
		if err != nil {
			return err
		}
		if st == auth.RequestAccepted {
			return nil
		}
	}
	return errorPage(http.StatusForbidden, "Access to %s %s is restricted: its files are shown once the owners grant you access.", rp.Type, rp.ID)
}
