package web

import (
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/repo"
)

type discussionItem struct {
	Num     int64
	Title   string
	IsPR    bool
	Status  string
	Author  string
	Created time.Time
	URL     string
}

type discussionsData struct {
	Items   []discussionItem
	Filter  string // "", "pr", "discussion"
	Status  string // "open", "closed", "all"
	CanOpen bool
	Open    int
	Closed  int
}

// discussions is /{repo}/discussions: the discussions and pull requests,
// newest first, filtered by ?type= and ?status=.
func (u *UI) discussions(q *request, rt repoTarget) error {
	rp, v, err := u.openRepo(q, rt, auth.AccessRead)
	if err != nil {
		return err
	}
	all, err := u.engine.ListDiscussions(q.ctx, rp)
	if err != nil {
		return err
	}
	qs := q.r.URL.Query()
	d := discussionsData{Filter: qs.Get("type"), Status: qs.Get("status"), CanOpen: q.id.CanWrite()}
	if d.Status == "" {
		d.Status = "open"
	}
	for _, x := range all {
		if (d.Filter == "pr" && !x.IsPR) || (d.Filter == "discussion" && x.IsPR) {
			continue
		}
		open := x.Status == "open" || x.Status == "draft"
		if open {
			d.Open++
		} else {
			d.Closed++
		}
		if (d.Status == "open" && !open) || (d.Status == "closed" && open) {
			continue
		}
		d.Items = append(d.Items, discussionItem{Num: x.Num, Title: x.Title, IsPR: x.IsPR, Status: x.Status,
			Author: x.Author, Created: x.CreatedAt, URL: v.DiscussionURL(x.Num)})
	}
	view := u.newView(q, "Community · "+rp.ID.String())
	view.Repo, view.Tab, view.Data = v, "community", d
	u.render(q, http.StatusOK, "discussions", view)
	return nil
}

// newDiscussion opens a discussion from the form of the list page.
func (u *UI) newDiscussion(q *request, rt repoTarget) error {
	rp, v, err := u.openRepo(q, rt, auth.AccessRead)
	if err != nil {
		return err
	}
	if !q.id.CanWrite() {
		return errorPage(http.StatusForbidden, "Sign in with a write token to open a discussion.")
	}
	title := strings.TrimSpace(q.r.PostForm.Get("title"))
	if title == "" {
		return errorPage(http.StatusBadRequest, "A discussion needs a title.")
	}
	num, err := u.engine.CreateDiscussion(q.ctx, rp, title, q.r.PostForm.Get("description"), q.id.User.Name, false)
	if err != nil {
		return err
	}
	return u.redirect(q, v.DiscussionURL(num))
}

type eventView struct {
	Type    string
	Author  string
	When    time.Time
	HTML    template.HTML // comments
	Status  string
	From    string
	To      string
	Subject string
	OID     string
	URL     string
}

type discussionData struct {
	D          *repo.Discussion
	Events     []eventView
	Open       bool
	CanComment bool
	CanClose   bool
	CanMerge   bool
	Base       string
	Head       string
	HeadURL    string
	Diff       *diffView
}

// discussion is /{repo}/discussions/{num}: the timeline, and for a pull
// request its changes against the commit it was opened on.
func (u *UI) discussion(q *request, rt repoTarget, num int64) error {
	rp, v, err := u.openRepo(q, rt, auth.AccessRead)
	if err != nil {
		return err
	}
	d, evs, err := u.engine.GetDiscussion(q.ctx, rp, num)
	if err != nil {
		return err
	}
	data := discussionData{D: d, Open: d.Status == "open" || d.Status == "draft"}
	maintainer := auth.RepoAccess(q.id, rp.ID.Namespace, rp.Private) >= auth.AccessWrite
	isAuthor := q.id != nil && strings.EqualFold(q.id.User.Name, d.Author)
	data.CanComment = q.id.CanWrite()
	data.CanClose = q.id.CanWrite() && (maintainer || isAuthor) && d.Status != "merged"
	data.CanMerge = maintainer && d.IsPR && data.Open
	for _, ev := range evs {
		e := eventView{Type: ev.Type, Author: ev.Author, When: ev.CreatedAt}
		str := func(k string) string { s, _ := ev.Data[k].(string); return s }
		switch ev.Type {
		case "comment":
			e.HTML = renderMarkdown([]byte(str("raw")), nil)
		case "status-change":
			e.Status = str("status")
		case "title-change":
			e.From, e.To = str("from"), str("to")
		case "commit":
			e.Subject, e.OID = str("subject"), str("oid")
			if e.OID != "" {
				e.URL = v.CommitURL(e.OID)
			}
		}
		data.Events = append(data.Events, e)
	}
	if d.IsPR {
		data.Base = strings.TrimPrefix(d.BaseRef, "refs/heads/")
		data.Head = "refs/pr/" + itoa(num)
		data.HeadURL = v.TreeURL(data.Head, "")
		head, err := u.engine.Resolve(q.ctx, rp, data.Head)
		if err == nil && d.BaseCommit != "" {
			oldTree, err := u.engine.CommitTree(q.ctx, rp, d.BaseCommit)
			if err != nil {
				return err
			}
			newTree, err := u.engine.CommitTree(q.ctx, rp, head.Commit)
			if err != nil {
				return err
			}
			if data.Diff, err = u.diff(q, rp, oldTree, newTree); err != nil {
				return err
			}
		}
	}
	view := u.newView(q, d.Title+" · "+rp.ID.String())
	view.Repo, view.Tab, view.Data = v, "community", data
	u.render(q, http.StatusOK, "discussion", view)
	return nil
}

// discussionAction handles the forms of a discussion page: comment,
// close, reopen and merge, with the API's permissions.
func (u *UI) discussionAction(q *request, rt repoTarget, num int64) error {
	rp, v, err := u.openRepo(q, rt, auth.AccessRead)
	if err != nil {
		return err
	}
	if !q.id.CanWrite() {
		return errorPage(http.StatusForbidden, "Sign in with a write token to take part in discussions.")
	}
	d, _, err := u.engine.GetDiscussion(q.ctx, rp, num)
	if err != nil {
		return err
	}
	maintainer := auth.RepoAccess(q.id, rp.ID.Namespace, rp.Private) >= auth.AccessWrite
	isAuthor := strings.EqualFold(q.id.User.Name, d.Author)
	comment := q.r.PostForm.Get("comment")
	switch q.r.PostForm.Get("action") {
	case "comment":
		if strings.TrimSpace(comment) == "" {
			return errorPage(http.StatusBadRequest, "A comment must not be empty.")
		}
		if _, err := u.engine.Comment(q.ctx, rp, num, q.id.User.Name, comment); err != nil {
			return err
		}
	case "close", "reopen":
		if !maintainer && !isAuthor {
			return errorPage(http.StatusForbidden, "Only the author or a maintainer may change the status of #%d.", num)
		}
		status := "closed"
		if q.r.PostForm.Get("action") == "reopen" {
			status = "open"
		}
		if _, err := u.engine.SetStatus(q.ctx, rp, num, q.id.User.Name, status, comment); err != nil {
			return err
		}
	case "merge":
		if !maintainer {
			return errorPage(http.StatusForbidden, "Only a maintainer of %s may merge pull requests.", rp.ID)
		}
		a := repo.Author{Name: q.id.User.Name, Email: q.id.User.Email}
		if _, err := u.engine.Merge(q.ctx, rp, num, a, comment); err != nil {
			return err
		}
	default:
		return errorPage(http.StatusBadRequest, "Unknown action.")
	}
	return u.redirect(q, v.DiscussionURL(num))
}
