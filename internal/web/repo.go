package web

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/wire"
)

// repoTarget is the repo a page URL names.
type repoTarget struct {
	typ wire.RepoType
	id  wire.RepoID
}

// repoView is the repo header every repo page shows, and its URL builders.
type repoView struct {
	Type      wire.RepoType
	ID        wire.RepoID
	Private   bool
	CanWrite  bool
	URL       string // "/alice/m", "/datasets/alice/d"
	TypeLabel string
	// Switcher is the branch/tag menu of the page, when it has one.
	Switcher *switcher
}

func (v *repoView) rev(rev string) string { return url.PathEscape(rev) }

// TreeURL is the folder page of p at rev.
func (v *repoView) TreeURL(rev, p string) string {
	u := v.URL + "/tree/" + v.rev(rev)
	if p != "" {
		u += "/" + escapePath(p)
	}
	return u
}

// BlobURL is the file page of p at rev.
func (v *repoView) BlobURL(rev, p string) string {
	return v.URL + "/blob/" + v.rev(rev) + "/" + escapePath(p)
}

// ResolveURL downloads p at rev.
func (v *repoView) ResolveURL(rev, p string) string {
	return v.URL + "/resolve/" + v.rev(rev) + "/" + escapePath(p)
}

// CommitURL is the page of a commit.
func (v *repoView) CommitURL(oid string) string { return v.URL + "/commit/" + oid }

// CommitsURL is the history of rev.
func (v *repoView) CommitsURL(rev string) string { return v.URL + "/commits/" + v.rev(rev) }

// DiscussionURL is the page of discussion num.
func (v *repoView) DiscussionURL(num int64) string {
	return v.URL + "/discussions/" + itoa(num)
}

// RepoType is "model", "dataset" or "space" (for CLI flags).
func (v *repoView) RepoType() string { return string(v.Type) }

func typeLabel(t wire.RepoType) string {
	switch t {
	case wire.Dataset:
		return "Dataset"
	case wire.Space:
		return "Space"
	}
	return "Model"
}

func newRepoView(rp *repo.Repo, access auth.Access) *repoView {
	return &repoView{
		Type: rp.Type, ID: rp.ID, Private: rp.Private, CanWrite: access >= auth.AccessWrite,
		URL: "/" + rp.Type.URLPrefix() + rp.ID.String(), TypeLabel: typeLabel(rp.Type),
	}
}

// openRepo loads the repo of a page and checks access as the API does: a
// repo the visitor may not read is a 404, like a repo that does not exist.
func (u *UI) openRepo(q *request, rt repoTarget, need auth.Access) (*repo.Repo, *repoView, error) {
	rp, err := u.engine.GetRepo(q.ctx, rt.typ, rt.id)
	if errors.Is(err, repo.ErrRepoNotFound) {
		return nil, nil, errNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	have := auth.RepoAccess(q.id, rp.ID.Namespace, rp.Private)
	if have == auth.AccessNone {
		return nil, nil, errNotFound
	}
	if have < need {
		if q.id == nil {
			return nil, nil, errorPage(http.StatusForbidden, "Sign in with a write token to do this.")
		}
		return nil, nil, errorPage(http.StatusForbidden, "You don't have write access to %s.", rp.ID)
	}
	return rp, newRepoView(rp, have), nil
}

// switcher is the branch and tag menu.
type switcher struct {
	Current  string
	Branches []refLink
	Tags     []refLink
	PRs      []refLink
}

type refLink struct {
	Name    string
	URL     string
	Current bool
}

// loadSwitcher fills the branch/tag menu; link makes the URL of the same
// page at another revision.
func (u *UI) loadSwitcher(q *request, rp *repo.Repo, v *repoView, current string, link func(rev string) string) error {
	refs, err := u.engine.ListRefs(q.ctx, rp)
	if err != nil {
		return err
	}
	sw := &switcher{Current: current}
	for _, r := range refs {
		name := r.ShortName()
		switch {
		case strings.HasPrefix(r.Name, "refs/heads/"):
			sw.Branches = append(sw.Branches, refLink{Name: name, URL: link(name), Current: name == current})
		case strings.HasPrefix(r.Name, "refs/tags/"):
			sw.Tags = append(sw.Tags, refLink{Name: name, URL: link(name), Current: name == current})
		case strings.HasPrefix(r.Name, "refs/pr/"):
			sw.PRs = append(sw.PRs, refLink{Name: r.Name, URL: link(r.Name), Current: r.Name == current})
		}
	}
	v.Switcher = sw
	return nil
}

// entryView is a row of a file list.
type entryView struct {
	Name      string
	Path      string
	Dir       bool
	Size      int64
	LFS       bool
	Xet       bool
	URL       string
	LastTitle string
	LastURL   string
	LastWhen  time.Time
}

// entries turns a listing into rows, with badges and, when last is set,
// the last commit of each entry.
func (u *UI) entries(q *request, rp *repo.Repo, v *repoView, rev, commit string, ents []repo.Entry, last bool) ([]entryView, error) {
	out := make([]entryView, 0, len(ents))
	var lfs []string
	paths := make([]string, 0, len(ents))
	for _, e := range ents {
		ev := entryView{Name: path.Base(e.Path), Path: e.Path, Dir: e.Dir, Size: e.Size, LFS: e.LFS != nil}
		if e.Dir {
			ev.URL = v.TreeURL(rev, e.Path)
		} else {
			ev.URL = v.BlobURL(rev, e.Path)
		}
		if e.LFS != nil {
			lfs = append(lfs, string(e.LFS.OID))
		}
		paths = append(paths, e.Path)
		out = append(out, ev)
	}
	if len(lfs) > 0 {
		if xp := u.xet.Load(); xp != nil {
			xh, err := (*xp).XetHashes(q.ctx, lfs)
			if err != nil {
				return nil, err
			}
			for i, e := range ents {
				if e.LFS != nil && xh[string(e.LFS.OID)] != "" {
					out[i].Xet = true
				}
			}
		}
	}
	if last && len(paths) > 0 {
		lc, err := u.engine.LastCommits(q.ctx, rp, commit, paths)
		if err != nil {
			return nil, err
		}
		for i := range out {
			if le, ok := lc[out[i].Path]; ok {
				out[i].LastTitle = le.Commit.Title()
				out[i].LastURL = v.CommitURL(le.OID)
				out[i].LastWhen = le.Commit.Committer.When
			}
		}
	}
	return out, nil
}

// commitView is a commit as lists and headers show it.
type commitView struct {
	OID     string
	Title   string
	Body    string
	Author  string
	Email   string
	When    time.Time
	URL     string
	TreeURL string
	Parents []string
}

func newCommitView(v *repoView, oid string, c *repo.Commit) commitView {
	return commitView{OID: oid, Title: c.Title(), Body: c.Body(), Author: c.Author.Name, Email: c.Author.Email,
		When: c.Committer.When, URL: v.CommitURL(oid), TreeURL: v.TreeURL(oid, ""), Parents: c.Parents}
}

// maxRootEntries bounds the file list of the repo home.
const maxRootEntries = 1000

// maxReadme is the largest README rendered.
const maxReadme = 1 << 20

type homeData struct {
	Rev      string
	Commit   commitView
	Entries  []entryView
	More     bool
	Readme   template.HTML
	Tags     []tag
	HasCard  bool
	Endpoint string
	Clone    string
	Flag     string // " --repo-type dataset"
}

func (u *UI) repoHome(q *request, rt repoTarget) error {
	rp, v, err := u.openRepo(q, rt, auth.AccessRead)
	if err != nil {
		return err
	}
	rev := repo.DefaultBranch
	res, err := u.engine.Resolve(q.ctx, rp, rev)
	if err != nil {
		return err
	}
	c, err := u.engine.ReadCommit(q.ctx, rp, res.Commit)
	if err != nil {
		return err
	}
	ents, next, err := u.engine.ListTree(q.ctx, rp, res.Commit, repo.ListOptions{Limit: maxRootEntries})
	if err != nil {
		return err
	}
	d := homeData{Rev: rev, Commit: newCommitView(v, res.Commit, c), More: next != ""}
	if d.Entries, err = u.entries(q, rp, v, rev, res.Commit, ents, false); err != nil {
		return err
	}
	for _, e := range ents {
		if !e.Dir && e.LFS == nil && strings.EqualFold(e.Path, "README.md") && e.Size <= maxReadme {
			src, err := u.engine.ReadBlob(q.ctx, rp, e.OID)
			if err != nil {
				return err
			}
			meta, body := frontMatter(src)
			d.Tags = metaTags(meta)
			d.Readme = renderMarkdown(body, &linkBase{blob: v.URL + "/blob/" + rev + "/", resolve: v.URL + "/resolve/" + rev + "/"})
			d.HasCard = true
			break
		}
	}
	base := u.baseURL(q.r)
	d.Endpoint = base
	d.Clone = base + v.URL
	if rp.Type != wire.Model {
		d.Flag = " --repo-type " + string(rp.Type)
	}
	if err := u.loadSwitcher(q, rp, v, rev, func(r string) string { return v.TreeURL(r, "") }); err != nil {
		return err
	}
	view := u.newView(q, rp.ID.String())
	view.Repo, view.Tab, view.Data = v, "card", d
	u.render(q, http.StatusOK, "repo", view)
	return nil
}

// crumb is one link of a path's breadcrumbs.
type crumb struct {
	Name string
	URL  string
}

func crumbs(v *repoView, rev, p string) []crumb {
	out := []crumb{{Name: v.ID.Name, URL: v.TreeURL(rev, "")}}
	if p == "" {
		return out
	}
	acc := ""
	for _, s := range strings.Split(p, "/") {
		if acc != "" {
			acc += "/"
		}
		acc += s
		out = append(out, crumb{Name: s, URL: v.TreeURL(rev, acc)})
	}
	return out
}

// treePage is the number of entries of a folder page.
const treePage = 100

type treeData struct {
	Rev     string
	Path    string
	Crumbs  []crumb
	Commit  commitView
	Entries []entryView
	Parent  string
	NextURL string
}

// maxBlobView is the largest file shown inline.
const maxBlobView = 1 << 20

type blobData struct {
	Rev       string
	Path      string
	Name      string
	Crumbs    []crumb
	Last      *commitView
	Size      int64
	OID       string
	LFS       *wire.Pointer
	PtrSize   int64
	XetHash   string
	Raw       string
	Download  string
	Image     bool
	Code      template.HTML
	Lines     int
	TooLarge  bool
	Binary    bool
	CommitURL string
}

var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".webp": true, ".bmp": true, ".ico": true, ".avif": true}

// files serves /tree/{rev}/{path} and /blob/{rev}/{path}.
func (u *UI) files(q *request, rt repoTarget, action, rev, p string) error {
	rp, v, err := u.openRepo(q, rt, auth.AccessRead)
	if err != nil {
		return err
	}
	res, err := u.engine.Resolve(q.ctx, rp, rev)
	if err != nil {
		return err
	}
	if p != "" {
		if p, err = wire.CleanPath(p); err != nil {
			return errNotFound
		}
	}
	e, err := u.engine.Stat(q.ctx, rp, res.Commit, p)
	if err != nil {
		return err
	}
	if action == "tree" && !e.Dir {
		return u.redirect(q, v.BlobURL(rev, p))
	}
	if action == "blob" && e.Dir {
		return u.redirect(q, v.TreeURL(rev, p))
	}
	if err := u.loadSwitcher(q, rp, v, rev, func(r string) string {
		if action == "tree" {
			return v.TreeURL(r, p)
		}
		return v.BlobURL(r, p)
	}); err != nil {
		return err
	}
	view := u.newView(q, rp.ID.String())
	view.Repo, view.Tab = v, "files"
	if p != "" {
		view.Title = p + " · " + rp.ID.String()
	}
	if action == "tree" {
		return u.tree(q, rp, v, view, rev, res.Commit, p)
	}
	return u.blob(q, rp, v, view, rev, res.Commit, e)
}

func (u *UI) tree(q *request, rp *repo.Repo, v *repoView, view *view, rev, commit, p string) error {
	after := q.r.URL.Query().Get("cursor")
	ents, next, err := u.engine.ListTree(q.ctx, rp, commit, repo.ListOptions{Path: p, After: after, Limit: treePage})
	if err != nil {
		return err
	}
	c, err := u.engine.ReadCommit(q.ctx, rp, commit)
	if err != nil {
		return err
	}
	d := treeData{Rev: rev, Path: p, Crumbs: crumbs(v, rev, p), Commit: newCommitView(v, commit, c)}
	if d.Entries, err = u.entries(q, rp, v, rev, commit, ents, true); err != nil {
		return err
	}
	if p != "" {
		d.Parent = v.TreeURL(rev, path.Dir("/" + p)[1:])
	}
	if next != "" {
		d.NextURL = v.TreeURL(rev, p) + "?cursor=" + url.QueryEscape(next)
	}
	view.Data = d
	u.render(q, http.StatusOK, "tree", view)
	return nil
}

func (u *UI) blob(q *request, rp *repo.Repo, v *repoView, view *view, rev, commit string, e repo.Entry) error {
	if err := u.gate(q, rp); err != nil {
		return err
	}
	d := blobData{Rev: rev, Path: e.Path, Name: path.Base(e.Path), Crumbs: crumbs(v, rev, e.Path), Size: e.Size, OID: e.OID,
		LFS: e.LFS, PtrSize: e.PointerSize, Raw: v.URL + "/raw/" + url.PathEscape(rev) + "/" + escapePath(e.Path),
		Download: v.ResolveURL(rev, e.Path) + "?download=true"}
	lc, err := u.engine.LastCommits(q.ctx, rp, commit, []string{e.Path})
	if err != nil {
		return err
	}
	if le, ok := lc[e.Path]; ok {
		cv := newCommitView(v, le.OID, le.Commit)
		d.Last = &cv
	}
	ext := strings.ToLower(path.Ext(e.Path))
	d.Image = imageExts[ext] && e.Size <= 50<<20
	switch {
	case e.LFS != nil:
		if xp := u.xet.Load(); xp != nil {
			xh, err := (*xp).XetHashes(q.ctx, []string{string(e.LFS.OID)})
			if err != nil {
				return err
			}
			d.XetHash = xh[string(e.LFS.OID)]
		}
	case d.Image:
	case e.Size > maxBlobView:
		d.TooLarge = true
	default:
		data, err := u.engine.ReadBlob(q.ctx, rp, e.OID)
		if err != nil {
			return err
		}
		if bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data) {
			d.Binary = true
			break
		}
		d.Lines = bytes.Count(data, []byte("\n"))
		if len(data) > 0 && data[len(data)-1] != '\n' {
			d.Lines++
		}
		d.Code = highlight(d.Name, string(data))
	}
	view.Data = d
	u.render(q, http.StatusOK, "blob", view)
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
