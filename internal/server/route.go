package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/wharfhub/wharf/wire"
)

// repoRoute is a request aimed at one repo.
type repoRoute struct {
	typ    wire.RepoType
	id     wire.RepoID
	action string   // "", "revision", "tree", "resolve", ...
	rest   []string // decoded segments after the action
	git    bool     // the web path ended its repo name with .git
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	segs, ok := wire.Segments(r.URL.EscapedPath())
	if !ok {
		s.fail(w, r, httpError(http.StatusBadRequest, "", "malformed URL path"))
		return
	}
	if len(segs) == 0 {
		setRoute(r, "root")
		if s.servePage(w, r) {
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"name": "wharf", "message": "Hugging Face Hub compatible server"})
		return
	}
	if len(segs) == 1 && segs[0] == "healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		setRoute(r, "health")
		s.handleHealth(w, r)
		return
	}
	if len(segs) == 1 && segs[0] == "readyz" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		setRoute(r, "health")
		s.handleReady(w, r)
		return
	}
	if segs[0] == "api" {
		s.routeAPI(w, r, segs[1:])
		return
	}
	if segs[0] == "lfs-upload" || segs[0] == "lfs-part" || segs[0] == "lfs-complete" || segs[0] == "lfs-download" || segs[0] == "lfs-verify" {
		s.routeLFSSigned(w, r, segs)
		return
	}
	s.routeWeb(w, r, segs)
}

func (s *Server) routeAPI(w http.ResponseWriter, r *http.Request, segs []string) {
	if len(segs) == 0 {
		s.notFound(w, r)
		return
	}
	switch segs[0] {
	case "whoami-v2":
		setRoute(r, "whoami")
		s.handleWhoami(w, r)
		return
	case "validate-yaml":
		setRoute(r, "validate-yaml")
		s.handleValidateYAML(w, r)
		return
	case "organizations":
		if len(segs) == 3 && segs[2] == "settings" && (r.Method == http.MethodGet || r.Method == http.MethodPut) {
			setRoute(r, "org.settings")
			s.handleOrgSettings(w, r, segs[1])
			return
		}
	case "repos":
		if len(segs) == 2 {
			switch segs[1] {
			case "create":
				setRoute(r, "repos.create")
				s.handleCreateRepo(w, r)
				return
			case "delete":
				setRoute(r, "repos.delete")
				s.handleDeleteRepo(w, r)
				return
			case "move":
				setRoute(r, "repos.move")
				s.handleMoveRepo(w, r)
				return
			}
		}
		s.notFound(w, r)
		return
	}
	t, err := wire.ParseRepoType(segs[0])
	if err != nil || segs[0] != t.Plural() {
		s.notFound(w, r)
		return
	}
	if len(segs) == 1 {
		setRoute(r, "repos.list")
		s.handleListRepos(w, r, t)
		return
	}
	if len(segs) == 2 || (apiActions[segs[2]] && !s.repoKnown(r, t, segs[1], segs[2])) {
		// A canonical id: /api/models/gpt2[/action/...].
		id, err := wire.ParseCanonicalRepoID(segs[1])
		if err != nil {
			s.fail(w, r, httpError(http.StatusNotFound, wire.CodeRepoNotFound, "Repository not found: %v", err))
			return
		}
		rr := repoRoute{typ: t, id: id}
		if len(segs) > 2 {
			rr.action = segs[2]
			rr.rest = segs[3:]
		}
		s.routeRepoAPI(w, r, rr)
		return
	}
	id, err := wire.ParseRepoID(segs[1] + "/" + segs[2])
	if err != nil {
		s.fail(w, r, httpError(http.StatusNotFound, wire.CodeRepoNotFound, "Repository not found: %v", err))
		return
	}
	rr := repoRoute{typ: t, id: id}
	if len(segs) > 3 {
		rr.action = segs[3]
		rr.rest = segs[4:]
	}
	s.routeRepoAPI(w, r, rr)
}

func (s *Server) routeRepoAPI(w http.ResponseWriter, r *http.Request, rr repoRoute) {
	m := r.Method
	joined := strings.Join(rr.rest, "/")
	switch {
	case rr.action == "" && m == http.MethodGet:
		setRoute(r, "repo.info")
		s.handleRepoInfo(w, r, rr, "")
	case rr.action == "revision" && m == http.MethodGet:
		setRoute(r, "repo.info")
		s.handleRepoInfo(w, r, rr, joined)
	case rr.action == "settings" && m == http.MethodPut:
		setRoute(r, "repo.settings")
		s.handleSettings(w, r, rr)
	case rr.action == "preupload" && m == http.MethodPost:
		setRoute(r, "repo.preupload")
		s.handlePreupload(w, r, rr, joined)
	case rr.action == "commit" && m == http.MethodPost:
		setRoute(r, "repo.commit")
		s.handleCommit(w, r, rr, joined)
	case rr.action == "tree" && m == http.MethodGet:
		setRoute(r, "repo.tree")
		s.handleTree(w, r, rr, rr.rest)
	case rr.action == "paths-info" && m == http.MethodPost:
		setRoute(r, "repo.paths-info")
		s.handlePathsInfo(w, r, rr, joined)
	case rr.action == "commits" && m == http.MethodGet:
		setRoute(r, "repo.commits")
		s.handleCommits(w, r, rr, joined)
	case rr.action == "refs" && m == http.MethodGet:
		setRoute(r, "repo.refs")
		s.handleRefs(w, r, rr)
	case rr.action == "branch" && (m == http.MethodPost || m == http.MethodDelete):
		setRoute(r, "repo.branch")
		s.handleBranch(w, r, rr, joined)
	case rr.action == "tag" && (m == http.MethodPost || m == http.MethodDelete):
		setRoute(r, "repo.tag")
		s.handleTag(w, r, rr, joined)
	case rr.action == "super-squash" && m == http.MethodPost:
		setRoute(r, "repo.super-squash")
		s.handleSuperSquash(w, r, rr, joined)
	case (rr.action == "xet-read-token" || rr.action == "xet-write-token") && m == http.MethodGet && len(rr.rest) > 0:
		setRoute(r, "repo."+rr.action)
		s.handleXetToken(w, r, rr, joined, rr.action == "xet-write-token")
	case rr.action == "lfs-files" && joined == "" && m == http.MethodGet:
		setRoute(r, "repo.lfs-files")
		s.handleLFSFiles(w, r, rr)
	case rr.action == "lfs-files" && joined == "batch" && m == http.MethodPost:
		setRoute(r, "repo.lfs-files.batch")
		s.handleLFSFilesBatch(w, r, rr)
	case rr.action == "lfs-files" && joined == "duplicate" && m == http.MethodPost:
		setRoute(r, "repo.lfs-files.duplicate")
		s.handleDuplicate(w, r, rr)
	case rr.action == "discussions":
		setRoute(r, "repo.discussions")
		s.handleDiscussions(w, r, rr)
	case rr.action == "auth-check" && m == http.MethodGet:
		setRoute(r, "repo.auth-check")
		s.handleAuthCheck(w, r, rr)
	case rr.action == "ask-access" && m == http.MethodPost && len(rr.rest) == 0:
		setRoute(r, "repo.ask-access")
		s.handleAskAccess(w, r, rr)
	case rr.action == "user-access-request":
		setRoute(r, "repo.user-access-request")
		s.handleAccessRequests(w, r, rr)
	default:
		s.notFound(w, r)
	}
}

// routeWeb handles non-API paths: [datasets/|spaces/|models/]ns/name[.git]/...
func (s *Server) routeWeb(w http.ResponseWriter, r *http.Request, segs []string) {
	t := wire.Model
	switch segs[0] {
	case "datasets":
		t, segs = wire.Dataset, segs[1:]
	case "spaces":
		t, segs = wire.Space, segs[1:]
	case "models":
		segs = segs[1:]
	}
	if len(segs) < 2 {
		s.page(w, r)
		return
	}
	var rr repoRoute
	if c, ok := s.canonicalWebRoute(r, t, segs); ok {
		rr = c
	} else {
		name := segs[1]
		git := false
		if strings.HasSuffix(name, ".git") {
			name, git = strings.TrimSuffix(name, ".git"), true
		}
		id, err := wire.ParseRepoID(segs[0] + "/" + name)
		if err != nil {
			s.page(w, r)
			return
		}
		rr = repoRoute{typ: t, id: id, git: git}
		if len(segs) > 2 {
			rr.action = segs[2]
			rr.rest = segs[3:]
		}
	}
	if isGitRoute(rr) || (rr.action == "info" && len(rr.rest) >= 2 && rr.rest[0] == "lfs") {
		// git and git-lfs keep using the URL they were given: a moved
		// repo is served at its old URL rather than redirected.
		r = r.WithContext(context.WithValue(r.Context(), followMovesKey, true))
	}
	switch {
	case rr.action == "ask-access" && r.Method == http.MethodPost && len(rr.rest) == 0:
		setRoute(r, "repo.ask-access")
		s.handleAskAccess(w, r, rr)
	case (rr.action == "resolve" || rr.action == "raw") && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		setRoute(r, "resolve")
		rev, rest := wire.SplitRevision(rr.rest)
		s.handleResolve(w, r, rr, rev, strings.Join(rest, "/"))
	case isGitRoute(rr):
		s.routeGit(w, r, rr)
	case rr.action == "info" && len(rr.rest) >= 2 && rr.rest[0] == "lfs":
		s.routeLFS(w, r, rr)
	default:
		s.page(w, r)
	}
}

// servePage offers r to the web UI and reports whether it answered.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request) bool {
	return s.cfg.Pages != nil && s.cfg.Pages.ServePage(w, r, identity(r))
}

// page answers r with a page of the web UI, or 404 when it has none.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	setRoute(r, "page")
	if !s.servePage(w, r) {
		s.notFound(w, r)
	}
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	setRoute(r, "not-found")
	s.fail(w, r, httpError(http.StatusNotFound, "", "Sorry, we can't find the page you are looking for: %s %s", r.Method, r.URL.EscapedPath()))
}
