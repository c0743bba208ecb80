package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/wire"
)

// repoItem is a repo in a list.
type repoItem struct {
	ID        string
	Type      string
	TypeLabel string
	URL       string
	Private   bool
	Updated   time.Time
}

// visibleRepos lists the repos of the given types (in namespace ns when
// set) that the visitor may read and whose id contains search, most
// recently updated first.
func (u *UI) visibleRepos(q *request, types []wire.RepoType, ns, search string) ([]repoItem, error) {
	search = strings.ToLower(search)
	var out []repoItem
	for _, t := range types {
		repos, err := u.engine.ListRepos(q.ctx, t, ns)
		if err != nil {
			return nil, err
		}
		for _, rp := range repos {
			if auth.RepoAccess(q.id, rp.ID.Namespace, rp.Private) == auth.AccessNone {
				continue
			}
			if search != "" && !strings.Contains(strings.ToLower(rp.ID.String()), search) {
				continue
			}
			out = append(out, repoItem{ID: rp.ID.String(), Type: string(rp.Type), TypeLabel: typeLabel(rp.Type),
				URL: "/" + rp.Type.URLPrefix() + rp.ID.String(), Private: rp.Private, Updated: rp.UpdatedAt})
		}
	}
	slices.SortStableFunc(out, func(a, b repoItem) int { return b.Updated.Compare(a.Updated) })
	return out, nil
}

var allTypes = []wire.RepoType{wire.Model, wire.Dataset, wire.Space}

type listData struct {
	Kind    string // "models", "datasets", "spaces", or "" for all
	Heading string
	Repos   []repoItem
	Total   int
	PrevURL string
	NextURL string
}

// listPage is the number of repos per list page.
const listPage = 50

func paginate(q *request, items []repoItem, base string) listData {
	p, _ := strconv.Atoi(q.r.URL.Query().Get("p"))
	p = max(p, 0)
	d := listData{Total: len(items)}
	start := min(p*listPage, len(items))
	end := min(start+listPage, len(items))
	d.Repos = items[start:end]
	link := func(n int) string {
		v := url.Values{}
		if s := q.r.URL.Query().Get("search"); s != "" {
			v.Set("search", s)
		}
		if n > 0 {
			v.Set("p", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return base
		}
		return base + "?" + v.Encode()
	}
	if p > 0 {
		d.PrevURL = link(p - 1)
	}
	if end < len(items) {
		d.NextURL = link(p + 1)
	}
	return d
}

// home is /: the most recently updated repos, and a search box.
func (u *UI) home(q *request) error {
	search := q.r.URL.Query().Get("search")
	items, err := u.visibleRepos(q, allTypes, "", search)
	if err != nil {
		return err
	}
	v := u.newView(q, "Wharf")
	v.Search = search
	d := paginate(q, items, "/")
	d.Heading = "Recently updated"
	if search != "" {
		d.Heading = "Repositories matching “" + search + "”"
	}
	v.Data = d
	u.render(q, http.StatusOK, "list", v)
	return nil
}

// list is /models, /datasets and /spaces.
func (u *UI) list(q *request, t wire.RepoType) error {
	search := q.r.URL.Query().Get("search")
	items, err := u.visibleRepos(q, []wire.RepoType{t}, "", search)
	if err != nil {
		return err
	}
	v := u.newView(q, typeLabel(t)+"s")
	v.Search = search
	d := paginate(q, items, "/"+t.Plural())
	d.Kind, d.Heading = t.Plural(), typeLabel(t)+"s"
	v.Data = d
	u.render(q, http.StatusOK, "list", v)
	return nil
}

type profileData struct {
	Name     string
	Fullname string
	IsOrg    bool
	Since    time.Time
	Orgs     []string
	Repos    []repoItem
}

// profile is /{user-or-org}: who it is and the repos the visitor may see.
func (u *UI) profile(q *request, name string) error {
	acct, err := u.auth.Account(q.ctx, name)
	if errors.Is(err, auth.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	items, err := u.visibleRepos(q, allTypes, acct.Name, "")
	if err != nil {
		return err
	}
	d := profileData{Name: acct.Name, Fullname: acct.Fullname, IsOrg: acct.IsOrg, Since: acct.CreatedAt, Repos: items}
	if !acct.IsOrg {
		ms, err := u.auth.Memberships(q.ctx, acct)
		if err != nil {
			return err
		}
		for _, m := range ms {
			d.Orgs = append(d.Orgs, m.Org.Name)
		}
	}
	v := u.newView(q, acct.Name)
	v.Data = d
	u.render(q, http.StatusOK, "profile", v)
	return nil
}

// commits is /{repo}/commits/{rev}: the history, a page at a time.
type commitsData struct {
	Rev     string
	Commits []commitView
	PrevURL string
	NextURL string
	Page    int
}

const commitsPage = 50

func (u *UI) commits(q *request, rt repoTarget, rev string) error {
	rp, v, err := u.openRepo(q, rt, auth.AccessRead)
	if err != nil {
		return err
	}
	res, err := u.engine.Resolve(q.ctx, rp, rev)
	if err != nil {
		return err
	}
	p, _ := strconv.Atoi(q.r.URL.Query().Get("p"))
	p = max(p, 0)
	log, more, err := u.engine.Log(q.ctx, rp, res.Commit, p*commitsPage, commitsPage)
	if err != nil {
		return err
	}
	d := commitsData{Rev: rev, Page: p + 1}
	for _, le := range log {
		d.Commits = append(d.Commits, newCommitView(v, le.OID, le.Commit))
	}
	if p > 0 {
		d.PrevURL = v.CommitsURL(rev)
		if p > 1 {
			d.PrevURL += "?p=" + strconv.Itoa(p-1)
		}
	}
	if more {
		d.NextURL = v.CommitsURL(rev) + "?p=" + strconv.Itoa(p+1)
	}
	if err := u.loadSwitcher(q, rp, v, rev, v.CommitsURL); err != nil {
		return err
	}
	view := u.newView(q, "History of "+rp.ID.String())
	view.Repo, view.Tab, view.Data = v, "files", d
	u.render(q, http.StatusOK, "commits", view)
	return nil
}

// commit is /{repo}/commit/{sha}: the commit and its changes against its
// first parent.
type commitData struct {
	Commit  commitView
	Parents []crumb
	Diff    *diffView
}

func (u *UI) commit(q *request, rt repoTarget, rev string) error {
	rp, v, err := u.openRepo(q, rt, auth.AccessRead)
	if err != nil {
		return err
	}
	res, err := u.engine.Resolve(q.ctx, rp, rev)
	if err != nil {
		return err
	}
	c, err := u.engine.ReadCommit(q.ctx, rp, res.Commit)
	if err != nil {
		return err
	}
	d := commitData{Commit: newCommitView(v, res.Commit, c)}
	for _, p := range c.Parents {
		d.Parents = append(d.Parents, crumb{Name: shortOID(p), URL: v.CommitURL(p)})
	}
	oldTree := ""
	if len(c.Parents) > 0 {
		if oldTree, err = u.engine.CommitTree(q.ctx, rp, c.Parents[0]); err != nil {
			return err
		}
	}
	if d.Diff, err = u.diff(q, rp, oldTree, c.Tree); err != nil {
		return err
	}
	view := u.newView(q, c.Title()+" · "+rp.ID.String())
	view.Repo, view.Tab, view.Data = v, "files", d
	u.render(q, http.StatusOK, "commit", view)
	return nil
}
