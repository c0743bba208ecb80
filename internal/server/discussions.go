package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/wire"
)

func eventJSON(ev repo.Event) map[string]any {
	data := map[string]any{}
	for k, v := range ev.Data {
		data[k] = v
	}
	if ev.Type == "comment" {
		raw, _ := ev.Data["raw"].(string)
		edited, _ := ev.Data["edited"].(bool)
		numEdits, _ := ev.Data["numEdits"].(float64)
		data = map[string]any{"edited": edited, "hidden": false, "latest": map[string]any{"raw": raw, "html": htmlEscape(raw), "updatedAt": wire.FormatTime(ev.CreatedAt)}, "numEdits": int(numEdits)}
	}
	return map[string]any{
		"id": hexID(ev.ID), "type": ev.Type, "createdAt": wire.FormatTime(ev.CreatedAt),
		"author": map[string]any{"name": ev.Author}, "data": data,
	}
}

func (s *Server) discussionJSON(r *http.Request, rp *repo.Repo, d *repo.Discussion) map[string]any {
	return map[string]any{
		"num": d.Num, "title": d.Title, "status": d.Status, "createdAt": wire.FormatTime(d.CreatedAt),
		"author":        map[string]any{"name": d.Author},
		"repo":          map[string]any{"name": rp.ID.String(), "type": string(rp.Type)},
		"isPullRequest": d.IsPR, "pinned": false, "numComments": 0,
	}
}

// handleDiscussions serves /api/{T}/{repo}/discussions[/{num}[/{action}]].
func (s *Server) handleDiscussions(w http.ResponseWriter, r *http.Request, rr repoRoute) {
	ctx := r.Context()
	switch {
	case len(rr.rest) == 0 && r.Method == http.MethodGet:
		rp, err := s.openRepo(r, rr.typ, rr.id, auth.AccessRead)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		all, err := s.engine.ListDiscussions(ctx, rp)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		q := r.URL.Query()
		typ, status, authorName := q.Get("type"), q.Get("status"), q.Get("author")
		var list []map[string]any
		for _, d := range all {
			if (typ == "pull_request" && !d.IsPR) || (typ == "discussion" && d.IsPR) {
				continue
			}
			if (status == "open" && d.Status != "open" && d.Status != "draft") || (status == "closed" && d.Status != "closed" && d.Status != "merged") {
				continue
			}
			if authorName != "" && !strings.EqualFold(authorName, d.Author) {
				continue
			}
			list = append(list, s.discussionJSON(r, rp, d))
		}
		const pageSize = 50
		page, _ := strconv.Atoi(q.Get("p"))
		start := max(page, 0) * pageSize
		items := []map[string]any{}
		if start < len(list) {
			items = list[start:min(start+pageSize, len(list))]
		}
		writeJSON(w, http.StatusOK, map[string]any{"discussions": items, "count": len(list), "start": start, "numClosedDiscussions": 0})
	case len(rr.rest) == 0 && r.Method == http.MethodPost:
		rp, err := s.openRepo(r, rr.typ, rr.id, auth.AccessRead)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if id := identity(r); id == nil || !id.CanWrite() {
			s.fail(w, r, httpError(http.StatusForbidden, "", "You need a write token to open a discussion"))
			return
		}
		var req struct {
			Title       string `json:"title"`
			Description string `json:"description"`
			PullRequest bool   `json:"pullRequest"`
		}
		if err := readJSON(w, r, &req); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := checkDiscussionText(req.Title, req.Description); err != nil {
			s.fail(w, r, err)
			return
		}
		num, err := s.engine.CreateDiscussion(ctx, rp, req.Title, req.Description, author(r).Name, req.PullRequest)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d, _, err := s.engine.GetDiscussion(ctx, rp, num)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out := s.discussionJSON(r, rp, d)
		out["url"] = s.repoURL(r, rp) + "/discussions/" + strconv.FormatInt(num, 10)
		writeJSON(w, http.StatusOK, out)
	default:
		s.handleDiscussion(w, r, rr)
	}
}

func (s *Server) handleDiscussion(w http.ResponseWriter, r *http.Request, rr repoRoute) {
	ctx := r.Context()
	num, err := strconv.ParseInt(rr.rest[0], 10, 64)
	if err != nil || num < 1 {
		s.notFound(w, r)
		return
	}
	action := strings.Join(rr.rest[1:], "/")
	if action == "" && r.Method == http.MethodGet {
		rp, err := s.openRepo(r, rr.typ, rr.id, auth.AccessRead)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d, evs, err := s.engine.GetDiscussion(ctx, rp, num)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out := s.discussionJSON(r, rp, d)
		events := []map[string]any{}
		for _, ev := range evs {
			events = append(events, eventJSON(ev))
		}
		out["events"] = events
		if d.IsPR {
			changes := map[string]any{"base": d.BaseRef}
			if d.MergeCommit != "" {
				changes["mergeCommitId"] = d.MergeCommit
			}
			out["changes"] = changes
			out["filesWithConflicts"] = []string{}
			if queryBool(r, "diff") {
				out["diff"] = ""
			}
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	if r.Method != http.MethodPost {
		s.notFound(w, r)
		return
	}
	ident := identity(r)
	if ident == nil || !ident.CanWrite() {
		s.fail(w, r, httpError(http.StatusForbidden, "", "You need a write token to act on a discussion"))
		return
	}
	rp, err := s.openRepo(r, rr.typ, rr.id, auth.AccessRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, _, err := s.engine.GetDiscussion(ctx, rp, num)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	maintainer := auth.RepoAccess(ident, rp.ID.Namespace, rp.Private) == auth.AccessWrite
	isAuthor := strings.EqualFold(d.Author, ident.User.Name)
	var req struct {
		Comment string `json:"comment"`
		Title   string `json:"title"`
		Status  string `json:"status"`
		Content string `json:"content"` // comment/{id}/edit
	}
	if err := readJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := checkDiscussionText(req.Title, req.Comment+req.Content); err != nil {
		s.fail(w, r, err)
		return
	}
	if id, ok := strings.CutPrefix(action, "comment/"); ok && strings.HasSuffix(id, "/edit") {
		s.editComment(w, r, rp, num, strings.TrimSuffix(id, "/edit"), ident.User.Name, req.Content)
		return
	}
	switch action {
	case "comment":
		if strings.TrimSpace(req.Comment) == "" {
			s.fail(w, r, httpError(http.StatusBadRequest, "", "comment must not be empty"))
			return
		}
		ev, err := s.engine.Comment(ctx, rp, num, ident.User.Name, req.Comment)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"newMessage": eventJSON(*ev)})
	case "title":
		if !maintainer && !isAuthor {
			s.fail(w, r, httpError(http.StatusForbidden, "", "Only the author or a maintainer may rename discussion #%d", num))
			return
		}
		ev, err := s.engine.SetTitle(ctx, rp, num, ident.User.Name, req.Title)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"newTitle": eventJSON(*ev)})
	case "status":
		if !maintainer && !isAuthor {
			s.fail(w, r, httpError(http.StatusForbidden, "", "Only the author or a maintainer may change the status of discussion #%d", num))
			return
		}
		ev, err := s.engine.SetStatus(ctx, rp, num, ident.User.Name, req.Status, req.Comment)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"newStatus": eventJSON(*ev)})
	case "merge":
		if !maintainer {
			s.fail(w, r, httpError(http.StatusForbidden, "", "Only a maintainer of %s may merge pull requests", rp.ID))
			return
		}
		oid, err := s.engine.Merge(ctx, rp, num, author(r), req.Comment)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"mergeCommitId": oid})
	default:
		s.notFound(w, r)
	}
}

// editComment serves POST .../discussions/{num}/comment/{id}/edit: only
// the comment's author may edit it.
func (s *Server) editComment(w http.ResponseWriter, r *http.Request, rp *repo.Repo, num int64, hexID, user, content string) {
	id, err := strconv.ParseInt(hexID, 16, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	_, evs, err := s.engine.GetDiscussion(r.Context(), rp, num)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, ev := range evs {
		if ev.ID == id && ev.Type == "comment" && !strings.EqualFold(ev.Author, user) {
			s.fail(w, r, httpError(http.StatusForbidden, "", "Only the author of a comment may edit it"))
			return
		}
	}
	ev, err := s.engine.EditComment(r.Context(), rp, num, id, content)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"updatedComment": eventJSON(*ev)})
}
