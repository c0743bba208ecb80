package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/wharfhub/wharf/wire"
)

// Canonical ids and renamed repos.
//
// Canonical ids ("gpt2") have no namespace. Their URLs overlap those of
// two-segment ids: /api/models/gpt2/tree/main could be the repo
// "gpt2/tree". The two-segment repo wins when it exists (or existed, see
// below); otherwise a second segment naming an action makes the first
// one a canonical id.
//
// A moved repo keeps answering at its old ids: API and resolve URLs
// redirect (307, relative Location) to the same URL with the new id, after
// the same access check as the new id; git and git-lfs URLs are served in
// place, since git follows redirects only for its first request.

// apiActions are the words after a repo id in /api/{type}s/{id}/….
var apiActions = map[string]bool{
	"revision": true, "settings": true, "preupload": true, "commit": true, "tree": true, "paths-info": true,
	"commits": true, "refs": true, "branch": true, "tag": true, "super-squash": true, "xet-read-token": true,
	"xet-write-token": true, "lfs-files": true, "discussions": true, "auth-check": true, "ask-access": true,
	"user-access-request": true,
}

// webActions are the words after a repo id in the web URLs the server
// serves itself (resolve, git, LFS).
var webActions = map[string]bool{
	"resolve": true, "raw": true, "info": true, "git-upload-pack": true, "git-receive-pack": true, "ask-access": true,
}

type moveCtxKey int

// followMovesKey marks a request that serves a moved repo at its old id
// instead of redirecting.
const followMovesKey moveCtxKey = 0

func followMoves(r *http.Request) bool {
	v, _ := r.Context().Value(followMovesKey).(bool)
	return v
}

// movedError redirects to the current URL of a moved repo.
type movedError struct{ location string }

func (e *movedError) Error() string { return "repository moved to " + e.location }

// repoKnown reports whether the two-segment id ns/name names a repo, now
// or before a move.
func (s *Server) repoKnown(r *http.Request, t wire.RepoType, ns, name string) bool {
	id, err := wire.ParseRepoID(ns + "/" + name)
	if err != nil {
		return false
	}
	if _, err := s.engine.GetRepo(r.Context(), t, id); err == nil {
		return true
	}
	_, err = s.engine.Moved(r.Context(), t, id)
	return err == nil
}

// canonicalWebRoute parses segs (after the type prefix) as a canonical
// repo's web URL: name.git/…, or name/{resolve,raw,info,…}/….
func (s *Server) canonicalWebRoute(r *http.Request, t wire.RepoType, segs []string) (repoRoute, bool) {
	name, git := strings.CutSuffix(segs[0], ".git")
	if !git && (!webActions[segs[1]] || s.repoKnown(r, t, segs[0], segs[1])) {
		return repoRoute{}, false
	}
	id, err := wire.ParseCanonicalRepoID(name)
	if err != nil {
		return repoRoute{}, false
	}
	return repoRoute{typ: t, id: id, git: git, action: segs[1], rest: segs[2:]}, true
}

// movedLocation is r's URL (path and query) with the repo id old replaced
// by to, or "" when the path does not hold old (ids sent in a body).
func movedLocation(r *http.Request, old, to wire.RepoID) string {
	parts := strings.Split(r.URL.EscapedPath(), "/")
	oldParts := []string{old.Namespace, old.Name}
	if old.Canonical() {
		oldParts = oldParts[1:]
	}
	newParts := []string{url.PathEscape(to.Namespace), url.PathEscape(to.Name)}
	if to.Canonical() {
		newParts = newParts[1:]
	}
	for i := 1; i+len(oldParts) <= len(parts); i++ {
		match := true
		suffix := ""
		for j, want := range oldParts {
			got, err := url.PathUnescape(parts[i+j])
			if err != nil {
				return ""
			}
			if j == len(oldParts)-1 {
				var ok bool
				if got, ok = strings.CutSuffix(got, ".git"); ok {
					suffix = ".git"
				}
			}
			if !strings.EqualFold(got, want) {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		np := append([]string{}, newParts...)
		np[len(np)-1] += suffix
		out := append(append(append([]string{}, parts[:i]...), np...), parts[i+len(oldParts):]...)
		loc := strings.Join(out, "/")
		if r.URL.RawQuery != "" {
			loc += "?" + r.URL.RawQuery
		}
		return loc
	}
	return ""
}
