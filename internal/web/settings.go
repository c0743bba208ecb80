package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/wire"
)

type settingsData struct {
	Private bool
	Error   string
}

// settings is /{repo}/settings, for those who may write to the repo.
func (u *UI) settings(q *request, rt repoTarget) error {
	rp, v, err := u.openRepo(q, rt, auth.AccessWrite)
	if err != nil {
		return err
	}
	view := u.newView(q, "Settings · "+rp.ID.String())
	view.Repo, view.Tab, view.Data = v, "settings", settingsData{Private: rp.Private}
	if q.r.URL.Query().Get("saved") == "1" {
		view.Flash = "Saved."
	}
	u.render(q, http.StatusOK, "settings", view)
	return nil
}

// settingsPost changes visibility, renames or deletes the repo, with the
// checks of the API (PUT settings, POST repos/move, DELETE repos/delete).
func (u *UI) settingsPost(q *request, rt repoTarget) error {
	rp, v, err := u.openRepo(q, rt, auth.AccessWrite)
	if err != nil {
		return err
	}
	form := q.r.PostForm
	fail := func(msg string) error {
		view := u.newView(q, "Settings · "+rp.ID.String())
		view.Repo, view.Tab, view.Data = v, "settings", settingsData{Private: rp.Private, Error: msg}
		u.render(q, http.StatusBadRequest, "settings", view)
		return nil
	}
	switch form.Get("action") {
	case "visibility":
		private := form.Get("visibility") == "private"
		if err := u.engine.SetPrivate(q.ctx, rp, private); err != nil {
			return err
		}
		return u.redirect(q, v.URL+"/settings?saved=1")
	case "rename":
		to := strings.TrimSpace(form.Get("to"))
		if !strings.Contains(to, "/") {
			to = rp.ID.Namespace + "/" + to
		}
		id, err := wire.ParseRepoID(to)
		if err != nil {
			return fail(err.Error())
		}
		if !auth.CanCreateIn(q.id, id.Namespace) {
			return fail("You don't have the rights to move a repo into the namespace " + id.Namespace + ".")
		}
		if _, err := u.auth.Account(q.ctx, id.Namespace); errors.Is(err, auth.ErrNotFound) {
			return fail("Namespace " + id.Namespace + " does not exist.")
		} else if err != nil {
			return err
		}
		if err := u.engine.MoveRepo(q.ctx, rp, id); err != nil {
			return fail(err.Error())
		}
		return u.redirect(q, "/"+rp.Type.URLPrefix()+id.String()+"/settings?saved=1")
	case "delete":
		if form.Get("confirm") != rp.ID.String() {
			return fail("To delete the repository, type its full name: " + rp.ID.String())
		}
		if err := u.engine.DeleteRepo(q.ctx, rp); err != nil {
			return err
		}
		return u.redirect(q, "/"+rp.ID.Namespace)
	}
	return errorPage(http.StatusBadRequest, "Unknown action.")
}
