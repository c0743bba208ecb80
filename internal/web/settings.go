package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/usage"
	"github.com/wharfhub/wharf/wire"
)

type settingsData struct {
	Private bool
	Error   string
	// Storage is the repo's usedStorage, Quota its namespace's quota
	// line ("" without one).
	Storage string
	Quota   string
}

// storage fills the storage lines of the settings page.
func (u *UI) storage(q *request, key int64, ns string, d *settingsData) {
	svc := usage.New(u.db, usage.Options{})
	n, err := svc.RepoBytes(q.r.Context(), key)
	if err != nil {
		return
	}
	d.Storage = usage.FormatBytes(n)
	if qs, err := svc.Quotas(q.r.Context(), ns); err == nil && len(qs) == 1 {
		scope := ""
		if qs[0].PrivateOnly {
			scope = " (private repos)"
		}
		d.Quota = fmt.Sprintf("%s uses %s of its %s quota%s", ns, usage.FormatBytes(qs[0].Used+qs[0].Reserved), usage.FormatBytes(qs[0].Limit), scope)
	}
}

// settings is /{repo}/settings, for those who may write to the repo.
func (u *UI) settings(q *request, rt repoTarget) error {
	rp, v, err := u.openRepo(q, rt, auth.AccessWrite)
	if err != nil {
		return err
	}
	view := u.newView(q, "Settings · "+rp.ID.String())
	data := settingsData{Private: rp.Private}
	u.storage(q, rp.Key, rp.ID.Namespace, &data)
	view.Repo, view.Tab, view.Data = v, "settings", data
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
