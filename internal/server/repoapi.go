package server

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/wire"
)

func decodeStdBase64(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}

func queryBool(r *http.Request, key string) bool {
	v, ok := wire.ParseBool(r.URL.Query().Get(key))
	return ok && v
}

func entryJSON(e repo.Entry) map[string]any {
	m := map[string]any{"type": "file", "oid": e.OID, "size": e.Size, "path": e.Path}
	if e.Dir {
		m["type"] = "directory"
		m["size"] = 0
	}
	if e.LFS != nil {
		m["lfs"] = map[string]any{"oid": string(e.LFS.OID), "size": e.LFS.Size, "pointerSize": e.PointerSize}
	}
	return m
}

func (s *Server) handleRepoInfo(w http.ResponseWriter, r *http.Request, rr repoRoute, rev string) {
	expand, err := parseExpand(r, rr.typ)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rp, err := s.openRepo(r, rr.typ, rr.id, auth.AccessRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	if rev == "HEAD" {
		// The default branch: huggingface.js modelInfo/datasetInfo/spaceInfo
		// ask for /revision/HEAD when no revision is given.
		rev = ""
	}
	res, err := s.engine.Resolve(ctx, rp, rev)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.engine.ReadCommit(ctx, rp, res.Commit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	want := func(k string) bool {
		if len(expand) == 0 {
			return true
		}
		for _, e := range expand {
			if e == k {
				return true
			}
		}
		return false
	}
	out := map[string]any{"_id": hexID(rp.Key), "id": rp.ID.String()}
	gated := any(false)
	if rp.Gated != "" {
		gated = rp.Gated
	}
	fields := map[string]func() any{
		"author":       func() any { return rp.ID.Namespace },
		"sha":          func() any { return res.Commit },
		"private":      func() any { return rp.Private },
		"gated":        func() any { return gated },
		"disabled":     func() any { return false },
		"lastModified": func() any { return wire.FormatTime(c.Committer.When) },
		"createdAt":    func() any { return wire.FormatTime(rp.CreatedAt) },
		"tags":         func() any { return []string{} },
		"downloads":    func() any { return 0 },
		"likes":        func() any { return 0 },
		"xetEnabled":   func() any { return s.xetEnabled(ctx, rp) },
		"usedStorage":  func() any { return s.repoUsage(r, rp) },
	}
	if rr.typ == wire.Model {
		fields["library_name"] = nil
	}
	if rr.typ == wire.Space {
		fields["sdk"] = func() any { return "gradio" }
		fields["runtime"] = func() any { return map[string]any{"stage": "NO_APP_FILE"} }
	}
	if len(expand) > 0 {
		for k, f := range s.expandedFields(ctx, rp, res.Commit) {
			if fields[k] == nil || k == "tags" || k == "sdk" {
				fields[k] = f
			}
		}
	}
	for k, f := range fields {
		if f != nil && want(k) {
			out[k] = f()
		}
	}
	if want("siblings") {
		blobs := queryBool(r, "blobs")
		siblings := []map[string]any{}
		after := ""
		for {
			ents, next, err := s.engine.ListTree(ctx, rp, res.Commit, repo.ListOptions{Recursive: true, After: after, Limit: 5000})
			if err != nil {
				s.fail(w, r, err)
				return
			}
			for _, e := range ents {
				if e.Dir {
					continue
				}
				sib := map[string]any{"rfilename": e.Path}
				if blobs {
					sib["size"] = e.Size
					sib["blobId"] = e.OID
					if e.LFS != nil {
						sib["lfs"] = map[string]any{"sha256": string(e.LFS.OID), "size": e.LFS.Size, "pointerSize": e.PointerSize}
					}
				}
				siblings = append(siblings, sib)
			}
			if next == "" {
				break
			}
			after = next
		}
		out["siblings"] = siblings
	}
	writeJSON(w, http.StatusOK, out)
}

// maxPreuploadFiles bounds one preupload call (clients send 100 or 256).
const maxPreuploadFiles = 1000

// lfsSizeThreshold: files this large always go to LFS.
const lfsSizeThreshold = 10 << 20

func (s *Server) handlePreupload(w http.ResponseWriter, r *http.Request, rr repoRoute, rev string) {
	rp, err := s.openRepo(r, rr.typ, rr.id, auth.AccessRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req struct {
		Files []struct {
			Path   string `json:"path"`
			Sample string `json:"sample"`
			Size   int64  `json:"size"`
		} `json:"files"`
		GitIgnore     *string `json:"gitIgnore"`
		GitAttributes *string `json:"gitAttributes"`
	}
	if err := readJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(req.Files) > maxPreuploadFiles {
		s.fail(w, r, httpError(http.StatusRequestEntityTooLarge, "", "too many files in one preupload call: %d (at most %d)", len(req.Files), maxPreuploadFiles))
		return
	}
	ctx := r.Context()
	res, err := s.engine.Resolve(ctx, rp, rev)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	paths := make([]string, len(req.Files))
	for i, f := range req.Files {
		p, err := wire.CleanPath(f.Path)
		if err != nil {
			s.fail(w, r, httpError(http.StatusUnprocessableEntity, "", "%v", err))
			return
		}
		paths[i] = p
	}
	lookup := append([]string{".gitattributes", ".gitignore"}, paths...)
	ents, err := s.engine.PathsInfo(ctx, rp, res.Commit, lookup)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	byPath := map[string]repo.Entry{}
	for _, e := range ents {
		byPath[e.Path] = e
	}
	readRepoFile := func(p string) []byte {
		e, ok := byPath[p]
		if !ok || e.Dir || e.LFS != nil {
			return nil
		}
		b, _ := s.engine.ReadBlob(ctx, rp, e.OID)
		return b
	}
	var attrs *repo.Attributes
	if req.GitAttributes != nil {
		attrs = repo.ParseAttributes([]byte(*req.GitAttributes))
	} else {
		attrs = repo.ParseAttributes(readRepoFile(".gitattributes"))
	}
	var ignore *repo.Ignore
	if req.GitIgnore != nil {
		ignore = repo.ParseIgnore([]byte(*req.GitIgnore))
	} else {
		ignore = repo.ParseIgnore(readRepoFile(".gitignore"))
	}
	files := make([]map[string]any, 0, len(req.Files))
	for i, f := range req.Files {
		p := paths[i]
		mode := "regular"
		if f.Size > 0 && (attrs.IsLFS(p) || f.Size >= lfsSizeThreshold || looksBinary(f.Sample)) {
			mode = "lfs"
		}
		out := map[string]any{"path": f.Path, "uploadMode": mode, "shouldIgnore": ignore.Ignored(p)}
		if e, ok := byPath[p]; ok && !e.Dir {
			if e.LFS != nil {
				out["oid"] = string(e.LFS.OID)
			} else {
				out["oid"] = e.OID
			}
		}
		files = append(files, out)
	}
	writeJSON(w, http.StatusOK, map[string]any{"files": files, "commitOid": res.Commit})
}

// looksBinary decides from a base64 sample of a file's first bytes whether
// the file is binary: a NUL byte or bytes that are not UTF-8.
func looksBinary(sample string) bool {
	b, err := decodeStdBase64(sample)
	if err != nil || len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c == 0 {
			return true
		}
	}
	// The sample may cut a multi-byte character at its end.
	for i := 0; i < 4 && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	return !utf8.Valid(b)
}

func (s *Server) handleCommit(w http.ResponseWriter, r *http.Request, rr repoRoute, rev string) {
	ctx := r.Context()
	createPR := queryBool(r, "create_pr")
	num, prRef := wire.ParsePRRef(rev)
	need := auth.AccessWrite
	if createPR || prRef {
		// Anyone who can read a repo may open a pull request, and the
		// author of a pull request may push to it.
		need = auth.AccessRead
		if ident := identity(r); ident == nil || !ident.CanWrite() {
			s.fail(w, r, httpError(http.StatusForbidden, "", "You need a write token to open or update a pull request"))
			return
		}
	}
	rp, err := s.openRepo(r, rr.typ, rr.id, need)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ident := identity(r); prRef && auth.RepoAccess(ident, rp.ID.Namespace, rp.Private) < auth.AccessWrite {
		d, _, err := s.engine.GetDiscussion(ctx, rp, int64(num))
		if err != nil {
			s.fail(w, r, httpError(http.StatusNotFound, wire.CodeRevisionNotFound, "Invalid rev id: %s", rev))
			return
		}
		if !strings.EqualFold(d.Author, ident.User.Name) {
			s.fail(w, r, httpError(http.StatusForbidden, "", "Only the author of pull request #%d or a maintainer may push to it", num))
			return
		}
	}
	res, err := s.engine.CommitNDJSON(ctx, rp, rev, r.Body, repo.CommitOptions{CreatePR: createPR, Author: author(r), CheckFile: checkReadme})
	if err != nil {
		if isPathError(err) {
			// Invalid paths are 422 on the Hub; other malformed input is 400.
			err = httpError(http.StatusUnprocessableEntity, "", "%v", err)
		}
		s.fail(w, r, err)
		return
	}
	base := s.repoURL(r, rp)
	out := map[string]any{
		"success":   true,
		"commitOid": res.Commit,
		"commitUrl": base + "/commit/" + res.Commit,
		// The Hub echoes hook output; we run no hooks.
		"hookOutput": "",
	}
	if res.PRNum > 0 {
		out["pullRequestUrl"] = base + "/discussions/" + strconv.FormatInt(res.PRNum, 10)
	}
	writeJSON(w, http.StatusOK, out)
}

// isPathError reports whether err is about the path or oldPath of a
// commit line. It looks past the quoted path in messages such as
// `file "path.txt": content is not valid base64`, so that a file name
// cannot change the status of an error.
func isPathError(err error) bool {
	var le *wire.LineError
	if !errors.As(err, &le) || !errors.Is(err, wire.ErrInvalid) || le.Err == nil {
		return false
	}
	msg := le.Err.Error()
	for _, kind := range []string{"file", "lfsFile", "deletedFile", "deletedFolder"} {
		rest, ok := strings.CutPrefix(msg, kind)
		switch {
		case !ok:
		case strings.HasPrefix(rest, ": "):
			// "file: invalid path ...", "deletedFolder: cannot delete the root folder"
			return strings.Contains(rest, "path") || strings.Contains(rest, "root folder")
		case strings.HasPrefix(rest, " "):
			// `file "a.txt": oldPath: invalid path ...`
			q, err := strconv.QuotedPrefix(rest[1:])
			if err != nil {
				return false
			}
			rest = strings.TrimPrefix(rest[1+len(q):], "...")
			return strings.HasPrefix(rest, ": oldPath") || strings.HasPrefix(rest, `: "oldPath"`)
		}
	}
	return false
}

// entriesJSON renders tree entries; with expand each carries the last
// commit that changed it. securityFileStatus is left out: Wharf scans
// nothing, and huggingface_hub needs all of its fields when it is present.
func (s *Server) entriesJSON(ctx context.Context, rp *repo.Repo, commit string, ents []repo.Entry, expand bool) ([]map[string]any, error) {
	out := make([]map[string]any, 0, len(ents))
	var last map[string]repo.LogEntry
	if expand && len(ents) > 0 {
		paths := make([]string, len(ents))
		for i, e := range ents {
			paths[i] = e.Path
		}
		var err error
		if last, err = s.engine.LastCommits(ctx, rp, commit, paths); err != nil {
			return nil, err
		}
	}
	var oids []string
	for _, e := range ents {
		if e.LFS != nil {
			oids = append(oids, string(e.LFS.OID))
		}
	}
	xetHashes, err := s.xet.XetHashes(ctx, oids)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		m := entryJSON(e)
		if e.LFS != nil {
			if xh, ok := xetHashes[string(e.LFS.OID)]; ok {
				m["xetHash"] = xh
			}
		}
		if le, ok := last[e.Path]; ok {
			m["lastCommit"] = map[string]any{"id": le.OID, "title": le.Commit.Title(), "date": wire.FormatTime(le.Commit.Committer.When)}
		}
		out = append(out, m)
	}
	return out, nil
}

// pageCursor encodes a listing's resume key for a URL.
func pageCursor(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

func parseCursor(s string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", httpError(http.StatusBadRequest, "", "invalid cursor")
	}
	return string(b), nil
}

// nextLink sets a Link header to this request's URL with query key=value.
func (s *Server) nextLink(w http.ResponseWriter, r *http.Request, key, value string) {
	q := r.URL.Query()
	q.Set(key, value)
	u := s.baseURL(r) + r.URL.EscapedPath() + "?" + q.Encode()
	w.Header().Set("Link", "<"+u+`>; rel="next"`)
}

// handleTree lists a folder. segs are the decoded segments after /tree/:
// the revision, then the folder path.
func (s *Server) handleTree(w http.ResponseWriter, r *http.Request, rr repoRoute, segs []string) {
	rp, err := s.openRepo(r, rr.typ, rr.id, auth.AccessRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	rev, rest := s.splitTreeRevision(r, rp, segs)
	folder, err := wire.CleanFolder(strings.Join(rest, "/"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.engine.Resolve(ctx, rp, rev)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	expand := queryBool(r, "expand")
	opts := repo.ListOptions{Path: folder, Recursive: queryBool(r, "recursive"), Limit: 1000}
	if expand {
		opts.Limit = 50 // as the Hub: expanded entries cost a history walk
	}
	if l, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && l > 0 && l <= 10000 {
		opts.Limit = l
	}
	if c := r.URL.Query().Get("cursor"); c != "" {
		if opts.After, err = parseCursor(c); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	ents, next, err := s.engine.ListTree(ctx, rp, res.Commit, opts)
	if err != nil {
		if errors.Is(err, repo.ErrEntryNotFound) {
			err = &HTTPError{Status: http.StatusNotFound, Code: wire.CodeEntryNotFound, Msg: err.Error(), Header: http.Header{wire.HeaderRepoCommit: {res.Commit}}}
		}
		s.fail(w, r, err)
		return
	}
	out, err := s.entriesJSON(ctx, rp, res.Commit, ents, expand)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if next != "" {
		s.nextLink(w, r, "cursor", pageCursor(next))
	}
	writeJSON(w, http.StatusOK, out)
}

// splitTreeRevision finds where the revision ends in an unencoded tree
// URL. huggingface.js sends branch names verbatim, so /tree/feature/x/dir
// may be branch "feature/x"; the longest prefix naming a ref wins, and
// otherwise the revision is one segment (as encoded clients send it).
func (s *Server) splitTreeRevision(r *http.Request, rp *repo.Repo, segs []string) (string, []string) {
	rev, rest := wire.SplitRevision(segs)
	if len(segs) < 2 || rev != segs[0] {
		return rev, rest
	}
	for n := min(len(segs), 8); n >= 2; n-- {
		cand := strings.Join(segs[:n], "/")
		if ok, err := s.engine.RefExists(r.Context(), rp, cand); err == nil && ok {
			return cand, segs[n:]
		}
	}
	return rev, rest
}

// maxPathsInfo is the Hub's limit on paths per paths-info call.
const maxPathsInfo = 1000

func (s *Server) handlePathsInfo(w http.ResponseWriter, r *http.Request, rr repoRoute, rev string) {
	rp, err := s.openRepo(r, rr.typ, rr.id, auth.AccessRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var paths []string
	var expand bool
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var req struct {
			Paths  []string `json:"paths"`
			Expand bool     `json:"expand"`
		}
		if err := readJSON(w, r, &req); err != nil {
			s.fail(w, r, err)
			return
		}
		paths, expand = req.Paths, req.Expand
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, maxJSONBody)
		if err := r.ParseForm(); err != nil {
			s.fail(w, r, httpError(http.StatusBadRequest, "", "invalid form body: %v", err))
			return
		}
		paths = r.PostForm["paths"]
		expand, _ = wire.ParseBool(r.PostForm.Get("expand"))
	}
	if len(paths) > maxPathsInfo {
		s.fail(w, r, httpError(http.StatusRequestEntityTooLarge, "", "too many parameters: at most %d paths per call", maxPathsInfo))
		return
	}
	ctx := r.Context()
	res, err := s.engine.Resolve(ctx, rp, rev)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ents, err := s.engine.PathsInfo(ctx, rp, res.Commit, paths)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.entriesJSON(ctx, rp, res.Commit, ents, expand)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleCommits(w http.ResponseWriter, r *http.Request, rr repoRoute, rev string) {
	rp, err := s.openRepo(r, rr.typ, rr.id, auth.AccessRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	res, err := s.engine.Resolve(ctx, rp, rev)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	limit := 50
	if l, err := strconv.Atoi(q.Get("limit")); err == nil && l > 0 && l <= 1000 {
		limit = l
	}
	page := 0
	if p, err := strconv.Atoi(q.Get("p")); err == nil && p > 0 {
		page = p
	}
	log, more, err := s.engine.Log(ctx, rp, res.Commit, page*limit, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	formatted := false
	for _, e := range append(q["expand[]"], q["expand"]...) {
		formatted = formatted || e == "formatted"
	}
	out := make([]map[string]any, 0, len(log))
	for _, e := range log {
		c := e.Commit
		item := map[string]any{
			"id": e.OID, "title": c.Title(), "message": c.Body(),
			"authors": []map[string]any{{"user": c.Author.Name, "avatar": ""}},
			"date":    wire.FormatTime(c.Committer.When),
		}
		if formatted {
			item["formatted"] = map[string]any{"title": htmlEscape(c.Title()), "message": htmlEscape(c.Body())}
		}
		out = append(out, item)
	}
	if more {
		s.nextLink(w, r, "p", strconv.Itoa(page+1))
	}
	// huggingface.js countCommits reads the total from this header.
	total := page*limit + len(out)
	if more {
		if total, err = s.engine.CountCommits(ctx, rp, res.Commit); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	writeJSON(w, http.StatusOK, out)
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)
}

func (s *Server) handleRefs(w http.ResponseWriter, r *http.Request, rr repoRoute) {
	rp, err := s.openRepo(r, rr.typ, rr.id, auth.AccessRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	refs, err := s.engine.ListRefs(r.Context(), rp)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	branches, tags, converts, prs := []any{}, []any{}, []any{}, []any{}
	for _, ref := range refs {
		target := ref.Target
		if strings.HasPrefix(ref.Name, "refs/tags/") {
			if target, err = s.engine.Peel(r.Context(), rp, target); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		item := map[string]any{"name": ref.ShortName(), "ref": ref.Name, "targetCommit": target}
		switch {
		case strings.HasPrefix(ref.Name, "refs/heads/"):
			branches = append(branches, item)
		case strings.HasPrefix(ref.Name, "refs/tags/"):
			tags = append(tags, item)
		case strings.HasPrefix(ref.Name, "refs/convert/"):
			converts = append(converts, item)
		case strings.HasPrefix(ref.Name, "refs/pr/"):
			prs = append(prs, item)
		}
	}
	out := map[string]any{"branches": branches, "tags": tags, "converts": converts}
	if queryBool(r, "include_prs") {
		out["pullRequests"] = prs
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleBranch(w http.ResponseWriter, r *http.Request, rr repoRoute, branch string) {
	rp, err := s.openRepo(r, rr.typ, rr.id, auth.AccessWrite)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	if r.Method == http.MethodDelete {
		if err := s.engine.DeleteBranch(ctx, rp, branch); err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{})
		return
	}
	var req struct {
		StartingPoint string `json:"startingPoint"`
		EmptyBranch   bool   `json:"emptyBranch"`
		Overwrite     bool   `json:"overwrite"`
	}
	if err := readJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.EmptyBranch {
		err = s.engine.CreateEmptyBranch(ctx, rp, branch, author(r), req.Overwrite)
	} else {
		err = s.engine.CreateBranch(ctx, rp, branch, req.StartingPoint, req.Overwrite)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}

func (s *Server) handleTag(w http.ResponseWriter, r *http.Request, rr repoRoute, rev string) {
	rp, err := s.openRepo(r, rr.typ, rr.id, auth.AccessWrite)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	if r.Method == http.MethodDelete {
		if err := s.engine.DeleteTag(ctx, rp, rev); err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{})
		return
	}
	var req struct {
		Tag     string `json:"tag"`
		Message string `json:"message"`
	}
	if err := readJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Message != "" {
		// create_tag(tag_message=…): an annotated tag, as git tag -a.
		err = s.engine.CreateAnnotatedTag(ctx, rp, req.Tag, rev, req.Message, author(r))
	} else {
		err = s.engine.CreateTag(ctx, rp, req.Tag, rev)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}

func (s *Server) handleSuperSquash(w http.ResponseWriter, r *http.Request, rr repoRoute, branch string) {
	rp, err := s.openRepo(r, rr.typ, rr.id, auth.AccessWrite)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req struct {
		Message string `json:"message"`
	}
	if err := readJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if branch == "" {
		branch = repo.DefaultBranch
	}
	if req.Message == "" {
		req.Message = fmt.Sprintf("Super-squash branch '%s'", branch)
	}
	oid, err := s.engine.SuperSquash(r.Context(), rp, branch, req.Message, author(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"commitId": oid})
}

// copyBody drains and discards a request body (so keep-alive works after
// an early error).
func copyBody(r *http.Request) { io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20)) }
