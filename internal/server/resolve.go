package server

import (
	"bytes"
	"errors"
	"net/http"
	"path"
	"strconv"
	"time"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/wire"
)

// handleResolve serves a file of a revision: regular files from SQL, LFS
// files from the blob store, both with Range support and the headers
// hf_hub_download needs (X-Repo-Commit, ETag, X-Linked-Etag, X-Linked-Size).
func (s *Server) handleResolve(w http.ResponseWriter, r *http.Request, rr repoRoute, rev, p string) {
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
	entryNotFound := func(msg string) {
		s.fail(w, r, &HTTPError{Status: http.StatusNotFound, Code: wire.CodeEntryNotFound, Msg: msg,
			Header: http.Header{wire.HeaderRepoCommit: {res.Commit}}})
	}
	clean, err := wire.CleanPath(p)
	if err != nil {
		entryNotFound("Entry not found: invalid path")
		return
	}
	e, err := s.engine.Stat(ctx, rp, res.Commit, clean)
	if errors.Is(err, repo.ErrEntryNotFound) || (err == nil && e.Dir) {
		entryNotFound("Entry not found: " + clean + " does not exist at revision " + res.Commit)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set(wire.HeaderRepoCommit, res.Commit)
	h.Set("Accept-Ranges", "bytes")
	if !queryBool(r, "noContentDisposition") && rr.action == "resolve" {
		h.Set("Content-Disposition", `inline; filename="`+headerSafe(path.Base(clean))+`"`)
	}
	if e.LFS == nil {
		data, err := s.engine.ReadBlob(ctx, rp, e.OID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		etag := `"` + e.OID + `"`
		h.Set("ETag", etag)
		h.Set("Content-Type", "text/plain; charset=utf-8")
		if r.Method == http.MethodHead {
			h.Set("Content-Length", strconv.Itoa(len(data)))
			w.WriteHeader(http.StatusOK)
			return
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
		return
	}
	etag := `"` + string(e.LFS.OID) + `"`
	h.Set("ETag", etag)
	h.Set(wire.HeaderLinkedEtag, etag)
	h.Set(wire.HeaderLinkedSize, strconv.FormatInt(e.LFS.Size, 10))
	h.Set("Content-Type", "application/octet-stream")
	if r.Method == http.MethodHead {
		h.Set("Content-Length", strconv.FormatInt(e.LFS.Size, 10))
		w.WriteHeader(http.StatusOK)
		return
	}
	obj, err := s.blobs.Open(ctx, string(e.LFS.OID))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer obj.Close()
	http.ServeContent(w, r, "", time.Time{}, obj)
}
