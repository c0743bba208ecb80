package server

import (
	"net/http"
	"strconv"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/wire"
)

// handleLFSFiles lists a repo's LFS files (GET …/lfs-files), for its
// writers, a page at a time with a Link to the next, as
// huggingface_hub's list_lfs_files reads them.
func (s *Server) handleLFSFiles(w http.ResponseWriter, r *http.Request, rr repoRoute) {
	rp, err := s.openRepo(r, rr.typ, rr.id, auth.AccessWrite)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit := 1000
	if l, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && l > 0 && l <= 1000 {
		limit = l
	}
	after := ""
	if c := r.URL.Query().Get("cursor"); c != "" {
		if after, err = parseCursor(c); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	files, next, err := s.engine.ListLFSFiles(r.Context(), rp, after, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]map[string]any, 0, len(files))
	for _, f := range files {
		m := map[string]any{
			"fileOid": f.OID, "oid": f.PointerOID, "size": f.Size, "pushedAt": wire.FormatTime(f.PushedAt),
			"filename": f.Filename, "ref": nil,
		}
		if f.Ref != "" {
			m["ref"] = f.Ref
		}
		if f.XetHash != "" {
			m["xetHash"] = f.XetHash
		}
		out = append(out, m)
	}
	if next != "" {
		s.nextLink(w, r, "cursor", pageCursor(next))
	}
	writeJSON(w, http.StatusOK, out)
}

// maxLFSDeletions is how many shas one batch may delete (the client sends
// 1000 at a time).
const maxLFSDeletions = 1000

// handleLFSFilesBatch serves POST …/lfs-files/batch:
// {"deletions": {"sha": [...], "rewriteHistory": bool}}.
func (s *Server) handleLFSFilesBatch(w http.ResponseWriter, r *http.Request, rr repoRoute) {
	rp, err := s.openRepo(r, rr.typ, rr.id, auth.AccessWrite)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req struct {
		Deletions *struct {
			SHA            []string `json:"sha"`
			RewriteHistory bool     `json:"rewriteHistory"`
		} `json:"deletions"`
	}
	if err := readJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Deletions == nil || len(req.Deletions.SHA) == 0 {
		s.fail(w, r, httpError(http.StatusBadRequest, "", "deletions.sha must list the sha256 of the LFS files to delete"))
		return
	}
	if len(req.Deletions.SHA) > maxLFSDeletions {
		s.fail(w, r, httpError(http.StatusRequestEntityTooLarge, "", "at most %d LFS files per batch", maxLFSDeletions))
		return
	}
	if err := s.engine.DeleteLFSFiles(r.Context(), rp, req.Deletions.SHA, req.Deletions.RewriteHistory); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}
