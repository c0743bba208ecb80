package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/wire"
)

// openRepo loads the repo of a route and checks that the caller may do
// what need says. A repo the caller may not read does not exist for them.
func (s *Server) openRepo(r *http.Request, t wire.RepoType, id wire.RepoID, need auth.Access) (*repo.Repo, error) {
	rp, err := s.engine.GetRepo(r.Context(), t, id)
	ident := identity(r)
	notFound := func() error {
		msg := "Repository not found"
		if ident == nil {
			// As the Hub: anonymous callers get a 401 they can fix by logging in.
			return &HTTPError{Status: http.StatusUnauthorized, Code: wire.CodeRepoNotFound, Msg: msg + ": if the repo is private, make sure you are authenticated"}
		}
		return &HTTPError{Status: http.StatusNotFound, Code: wire.CodeRepoNotFound, Msg: msg}
	}
	moved := false
	if errors.Is(err, repo.ErrRepoNotFound) {
		rp, err = s.engine.Moved(r.Context(), t, id)
		moved = err == nil
	}
	if errors.Is(err, repo.ErrRepoNotFound) {
		return nil, notFound()
	}
	if err != nil {
		return nil, err
	}
	have := auth.RepoAccess(ident, rp.ID.Namespace, rp.Private)
	if have == auth.AccessNone {
		return nil, notFound()
	}
	if moved && !followMoves(r) {
		if loc := movedLocation(r, id, rp.ID); loc != "" {
			return nil, &movedError{location: loc}
		}
		return nil, notFound()
	}
	if have < need {
		if ident == nil {
			return nil, httpError(http.StatusUnauthorized, "", "You must be authenticated to write to %s", rp.ID)
		}
		if !ident.CanWrite() {
			return nil, httpError(http.StatusForbidden, "", "Your token has the read role: it cannot write to %s", rp.ID)
		}
		return nil, httpError(http.StatusForbidden, "", "You don't have the rights to write to %s", rp.ID)
	}
	return rp, nil
}

func (s *Server) repoURL(r *http.Request, rp *repo.Repo) string {
	return s.baseURL(r) + "/" + rp.Type.URLPrefix() + rp.ID.String()
}

func (s *Server) handleWhoami(w http.ResponseWriter, r *http.Request) {
	id := identity(r)
	if id == nil {
		s.fail(w, r, httpError(http.StatusUnauthorized, "", "Invalid credentials in Authorization header"))
		return
	}
	orgs := []map[string]any{}
	for _, m := range id.Orgs {
		orgs = append(orgs, map[string]any{
			"type": "org", "name": m.Org.Name, "fullname": m.Org.Fullname, "id": accountID(m.Org),
			"roleInOrg": m.Role, "isEnterprise": false,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"type": "user", "id": accountID(id.User), "name": id.User.Name, "fullname": id.User.Fullname,
		"email": id.User.Email, "emailVerified": id.User.Email != "", "isPro": false, "canPay": false,
		"avatarUrl": "", "orgs": orgs,
		"auth": map[string]any{
			"type": "access_token",
			"accessToken": map[string]any{
				"displayName": id.TokenName, "role": id.TokenRole, "createdAt": wire.FormatTime(id.TokenAt),
			},
		},
	})
}

func accountID(a *auth.Account) string {
	return hexID(a.ID)
}

func hexID(n int64) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 24)
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = digits[n&0xf]
		n >>= 4
	}
	return string(b)
}

type createRepoRequest struct {
	Name               string  `json:"name"`
	Organization       *string `json:"organization"`
	Type               string  `json:"type"`
	Private            *bool   `json:"private"`
	Visibility         string  `json:"visibility"`
	SDK                string  `json:"sdk"`
	LFSMultipartThresh int64   `json:"lfsmultipartthresh"`
	// Canonical asks for a namespace-less id ("gpt2"): server admins only.
	Canonical bool `json:"canonical"`
	Files     []struct {
		Path     string `json:"path"`
		Content  string `json:"content"`
		Encoding string `json:"encoding"`
	} `json:"files"`
}

func (s *Server) handleCreateRepo(w http.ResponseWriter, r *http.Request) {
	ident := identity(r)
	if ident == nil {
		s.fail(w, r, httpError(http.StatusUnauthorized, "", "You must be authenticated to create a repo"))
		return
	}
	var req createRepoRequest
	if err := readJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := wire.ParseRepoType(req.Type)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ns := ident.User.Name
	if req.Organization != nil && *req.Organization != "" {
		ns = *req.Organization
	}
	name := req.Name
	// Some clients send the full id as the name.
	if n, o, ok := strings.Cut(name, "/"); ok && (req.Organization == nil || *req.Organization == "") {
		ns, name = n, o
	}
	var id wire.RepoID
	if req.Canonical {
		if !ident.User.IsAdmin || !ident.CanWrite() {
			s.fail(w, r, httpError(http.StatusForbidden, "", "Only server admins may create repos without a namespace"))
			return
		}
		id, err = wire.ParseCanonicalRepoID(req.Name)
	} else {
		id, err = wire.ParseRepoID(ns + "/" + name)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if t == wire.Space && req.SDK != "" {
		switch req.SDK {
		case "gradio", "streamlit", "docker", "static":
		default:
			s.fail(w, r, httpError(http.StatusBadRequest, "", "Invalid space sdk %q: use gradio, streamlit, docker or static", req.SDK))
			return
		}
	}
	private := false
	if req.Private != nil {
		private = *req.Private
	} else if req.Visibility == "" && !id.Canonical() {
		// The organization's default for repos created without a visibility.
		if a, err := s.auth.Account(r.Context(), id.Namespace); err == nil && a.IsOrg {
			o, err := s.auth.OrgSettings(r.Context(), a)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			private = o.PrivateByDefault
		}
	}
	switch req.Visibility {
	case "":
	case "private", "protected":
		private = true
	case "public":
		private = false
	default:
		s.fail(w, r, httpError(http.StatusBadRequest, "", "visibility must be public, private or protected"))
		return
	}
	if !id.Canonical() && !auth.CanCreateIn(ident, id.Namespace) {
		if _, err := s.auth.Account(r.Context(), id.Namespace); err != nil {
			s.fail(w, r, httpError(http.StatusNotFound, "", "Namespace %s does not exist", id.Namespace))
			return
		}
		s.fail(w, r, httpError(http.StatusForbidden, "", "You don't have the rights to create a repo under the namespace %s", id.Namespace))
		return
	}
	if _, err := s.auth.Account(r.Context(), id.Namespace); err != nil && !id.Canonical() {
		s.fail(w, r, httpError(http.StatusNotFound, "", "Namespace %s does not exist", id.Namespace))
		return
	}
	rp, err := s.engine.CreateRepo(r.Context(), t, id, repo.CreateOptions{Private: private, LFSMultipartThreshold: req.LFSMultipartThresh, Author: author(r)})
	if errors.Is(err, repo.ErrRepoExists) && rp != nil {
		he := classify(err)
		he.URL = s.repoURL(r, rp)
		s.fail(w, r, he)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(req.Files) > 0 {
		var changes []repo.Change
		for _, f := range req.Files {
			p, err := wire.CleanPath(f.Path)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			content := []byte(f.Content)
			if f.Encoding == "base64" {
				if content, err = decodeStdBase64(f.Content); err != nil {
					s.fail(w, r, httpError(http.StatusBadRequest, "", "file %s: invalid base64", p))
					return
				}
			}
			changes = append(changes, repo.Change{Kind: repo.Add, Path: p, Content: content})
		}
		if _, err := s.engine.Commit(r.Context(), rp, "", repo.CommitOptions{Summary: "Initial commit", Author: author(r)}, changes); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"url": s.repoURL(r, rp), "name": rp.ID.String(), "id": hexID(rp.Key)})
}

type repoRefRequest struct {
	Name         string  `json:"name"`
	Organization *string `json:"organization"`
	Type         string  `json:"type"`
}

func (req repoRefRequest) id(ident *auth.Identity) (wire.RepoType, wire.RepoID, error) {
	t, err := wire.ParseRepoType(req.Type)
	if err != nil {
		return "", wire.RepoID{}, err
	}
	ns := ""
	if ident != nil {
		ns = ident.User.Name
	}
	if req.Organization != nil && *req.Organization != "" {
		ns = *req.Organization
	}
	name := req.Name
	if n, o, ok := strings.Cut(name, "/"); ok {
		ns, name = n, o
	}
	id, err := wire.ParseRepoID(ns + "/" + name)
	return t, id, err
}

func (s *Server) handleDeleteRepo(w http.ResponseWriter, r *http.Request) {
	var req repoRefRequest
	if err := readJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	t, id, err := req.id(identity(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rp, err := s.openRepo(r, t, id, auth.AccessWrite)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.engine.DeleteRepo(r.Context(), rp); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}

func (s *Server) handleMoveRepo(w http.ResponseWriter, r *http.Request) {
	var req struct {
		From string `json:"fromRepo"`
		To   string `json:"toRepo"`
		Type string `json:"type"`
	}
	if err := readJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := wire.ParseRepoType(req.Type)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	from, err := wire.ParseAnyRepoID(req.From)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	to, err := wire.ParseAnyRepoID(req.To)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rp, err := s.openRepo(r, t, from, auth.AccessWrite)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !auth.CanCreateIn(identity(r), to.Namespace) {
		s.fail(w, r, httpError(http.StatusForbidden, "", "You don't have the rights to move a repo into the namespace %s", to.Namespace))
		return
	}
	// Admins may move anywhere, but not into a namespace nobody owns.
	if _, err := s.auth.Account(r.Context(), to.Namespace); to.Canonical() {
		// only admins get here (CanCreateIn)
	} else if errors.Is(err, auth.ErrNotFound) {
		s.fail(w, r, httpError(http.StatusNotFound, "", "Namespace %s does not exist", to.Namespace))
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.engine.MoveRepo(r.Context(), rp, to); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"url": s.baseURL(r) + "/" + t.URLPrefix() + to.String()})
}

func (s *Server) handleSettings(w http.ResponseWriter, r *http.Request, rr repoRoute) {
	rp, err := s.openRepo(r, rr.typ, rr.id, auth.AccessWrite)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req struct {
		Private    *bool  `json:"private"`
		Visibility string `json:"visibility"`
		Gated      any    `json:"gated"`
		XetEnabled *bool  `json:"xetEnabled"`
	}
	if err := readJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	private := req.Private
	switch req.Visibility {
	case "":
	case "private", "protected":
		v := true
		private = &v
	case "public":
		v := false
		private = &v
	default:
		s.fail(w, r, httpError(http.StatusBadRequest, "", "visibility must be public, private or protected"))
		return
	}
	if private != nil {
		if err := s.engine.SetPrivate(r.Context(), rp, *private); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if req.Gated != nil {
		g := ""
		switch v := req.Gated.(type) {
		case bool:
			if v {
				g = "auto"
			}
		case string:
			if v != "auto" && v != "manual" {
				s.fail(w, r, httpError(http.StatusBadRequest, "", "gated must be \"auto\", \"manual\" or false"))
				return
			}
			g = v
		default:
			s.fail(w, r, httpError(http.StatusBadRequest, "", "gated must be \"auto\", \"manual\" or false"))
			return
		}
		if err := s.engine.SetGated(r.Context(), rp, g); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if req.XetEnabled != nil {
		if err := s.engine.SetXetEnabled(r.Context(), rp, *req.XetEnabled); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}

// handleValidateYAML checks the YAML front matter of a README. It always
// answers JSON: clients parse the body before they look at the status.
func (s *Server) handleValidateYAML(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Content  string `json:"content"`
		RepoType string `json:"repoType"`
	}
	if err := readJSON(w, r, &req); err != nil {
		he := classify(err)
		writeJSON(w, he.Status, map[string]any{"errors": []map[string]string{{"message": he.Msg}}, "warnings": []any{}})
		return
	}
	errs, warns := cardProblems([]byte(req.Content))
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, map[string]any{"errors": messagesJSON(errs), "warnings": messagesJSON(warns)})
}

func (s *Server) handleListRepos(w http.ResponseWriter, r *http.Request, t wire.RepoType) {
	if r.Method != http.MethodGet {
		s.notFound(w, r)
		return
	}
	q := r.URL.Query()
	expand, err := parseExpand(r, t)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	repos, err := s.engine.ListRepos(r.Context(), t, q.Get("author"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	search := strings.ToLower(q.Get("search"))
	out := []map[string]any{}
	for _, rp := range repos {
		if auth.RepoAccess(identity(r), rp.ID.Namespace, rp.Private) == auth.AccessNone {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(rp.ID.String()), search) {
			continue
		}
		item := map[string]any{
			"_id": hexID(rp.Key), "id": rp.ID.String(), "author": rp.ID.Namespace, "private": rp.Private,
			"lastModified": wire.FormatTime(rp.UpdatedAt), "createdAt": wire.FormatTime(rp.CreatedAt),
			"downloads": 0, "likes": 0, "tags": []string{}, "gated": gatedJSON(rp.Gated),
		}
		if len(expand) > 0 {
			if item, err = s.expandListed(r.Context(), rp, item, expand); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		out = append(out, item)
	}
	writeJSON(w, http.StatusOK, out)
}
