package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/lfs"
	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/wire"
)

// maxBatchBody bounds a batch request body (1000 objects fit easily).
const maxBatchBody = 1 << 20

// routeLFS serves {repo}.git/info/lfs/...: the batch API and lock checks.
func (s *Server) routeLFS(w http.ResponseWriter, r *http.Request, rr repoRoute) {
	rest := rr.rest[1:] // after "lfs"
	switch {
	case len(rest) == 2 && rest[0] == "objects" && rest[1] == "batch" && r.Method == http.MethodPost:
		setRoute(r, "lfs.batch")
		s.handleBatch(w, r, rr)
	case len(rest) >= 1 && rest[0] == "locks":
		// Wharf has no file locking. 501 tells git-lfs so: it then turns
		// lock verification off quietly instead of suggesting to enable it.
		setRoute(r, "lfs.locks")
		if _, err := s.openRepo(r, rr.typ, rr.id, auth.AccessRead); err != nil {
			s.lfsFail(w, r, err)
			return
		}
		s.lfsFail(w, r, httpError(http.StatusNotImplemented, "", "file locking is not supported by this server"))
	default:
		s.notFound(w, r)
	}
}

func writeLFSJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", wire.LFSMediaType)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// lfsFail answers an LFS error with both the Hub's and git-lfs' shapes:
// {"error": …} for huggingface_hub, {"message": …} for git-lfs.
func (s *Server) lfsFail(w http.ResponseWriter, r *http.Request, err error) {
	he := s.errorHeaders(w, r, lfsClassify(err))
	if he.Status == http.StatusUnauthorized {
		w.Header().Set("LFS-Authenticate", `Basic realm="wharf"`)
	}
	writeLFSJSON(w, he.Status, map[string]string{"error": he.Msg, "message": he.Msg})
}

// lfsClassify maps lfs package errors to HTTP answers.
func lfsClassify(err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, lfs.ErrBadSignature):
		return httpError(http.StatusForbidden, "", "%s", msg)
	case errors.Is(err, lfs.ErrUploadNotFound), errors.Is(err, lfs.ErrObjectNotFound):
		return httpError(http.StatusNotFound, "", "%s", msg)
	case errors.Is(err, lfs.ErrIncomplete):
		return httpError(http.StatusBadRequest, "", "%s", msg)
	}
	return err
}

func (s *Server) handleBatch(w http.ResponseWriter, r *http.Request, rr repoRoute) {
	req, err := wire.ParseBatchRequest(http.MaxBytesReader(w, r.Body, maxBatchBody))
	if err != nil {
		s.lfsFail(w, r, err)
		return
	}
	rp, err := s.openRepo(r, rr.typ, rr.id, auth.AccessRead)
	if err == nil && req.Operation != "upload" {
		err = s.checkGate(r, rp)
	}
	if err != nil {
		s.lfsFail(w, r, err)
		return
	}
	if req.Operation == "upload" {
		// Uploading links content to the repo; readers may upload for a
		// pull request, as on the Hub, but need a write token.
		id := identity(r)
		if id == nil {
			s.lfsFail(w, r, httpError(http.StatusUnauthorized, "", "You must be authenticated to upload LFS objects"))
			return
		}
		if !id.CanWrite() {
			s.lfsFail(w, r, httpError(http.StatusForbidden, "", "Your token has the read role: it cannot upload to %s", rp.ID))
			return
		}
	}
	if req.Operation == "upload" {
		if err := s.reserveBatch(r.Context(), rp, req); err != nil {
			s.lfsFail(w, r, err)
			return
		}
	}
	if req.Operation == "upload" && req.OffersTransfer("xet") {
		resp, err := s.xetBatch(r, rp, req)
		if err != nil {
			s.lfsFail(w, r, err)
			return
		}
		writeLFSJSON(w, http.StatusOK, resp)
		return
	}
	links := lfs.Links{
		Base:     s.baseURL(r),
		RepoPath: rp.Type.URLPrefix() + rp.ID.String(),
		Resume:   r.Header.Get("X-Wharf-Resume") == "1",
	}
	resp, err := s.lfs.Batch(r.Context(), rp, req, links)
	if err != nil {
		s.lfsFail(w, r, err)
		return
	}
	writeLFSJSON(w, http.StatusOK, resp)
}

// routeLFSSigned serves the self-authenticating transfer URLs handed out
// by the batch API. Their query carries exp and sig: never log it.
func (s *Server) routeLFSSigned(w http.ResponseWriter, r *http.Request, segs []string) {
	q := r.URL.Query()
	check := func(method string) bool {
		if r.Method != method {
			s.lfsFail(w, r, httpError(http.StatusMethodNotAllowed, "", "use %s on this URL", method))
			return false
		}
		if err := s.lfs.Check(method, r.URL.EscapedPath(), q.Get("exp"), q.Get("sig")); err != nil {
			s.lfsFail(w, r, err)
			return false
		}
		return true
	}
	ctx := r.Context()
	switch {
	case segs[0] == "lfs-upload" && len(segs) == 4:
		setRoute(r, "lfs.upload")
		if !check(http.MethodPut) {
			return
		}
		key, oid, size, ok := parseObjectPath(segs)
		if !ok {
			s.notFound(w, r)
			return
		}
		if r.ContentLength >= 0 && r.ContentLength != size {
			copyBody(r)
			s.lfsFail(w, r, httpError(http.StatusBadRequest, "", "Content-Length is %d but the object %s has size %d", r.ContentLength, oid, size))
			return
		}
		if err := s.lfs.PutObject(ctx, key, oid, size, r.Body); err != nil {
			s.lfsFail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusOK)
	case segs[0] == "lfs-verify" && len(segs) == 4:
		setRoute(r, "lfs.verify")
		if !check(http.MethodPost) {
			return
		}
		key, oid, size, ok := parseObjectPath(segs)
		if !ok {
			s.notFound(w, r)
			return
		}
		if err := s.lfs.Verify(ctx, key, oid, size); err != nil {
			s.lfsFail(w, r, err)
			return
		}
		writeLFSJSON(w, http.StatusOK, map[string]any{"oid": oid, "size": size})
	case segs[0] == "lfs-part" && len(segs) == 3:
		setRoute(r, "lfs.part")
		if !check(http.MethodPut) {
			return
		}
		n, err := strconv.Atoi(segs[2])
		if err != nil {
			s.notFound(w, r)
			return
		}
		etag, err := s.lfs.PutPart(ctx, segs[1], n, r.Body)
		if err != nil {
			s.lfsFail(w, r, err)
			return
		}
		w.Header().Set("ETag", etag)
		w.WriteHeader(http.StatusOK)
	case segs[0] == "lfs-complete" && len(segs) == 2:
		setRoute(r, "lfs.complete")
		if !check(http.MethodPost) {
			return
		}
		var req struct {
			OID   string             `json:"oid"`
			Parts []lfs.CompletePart `json:"parts"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBatchBody)).Decode(&req); err != nil {
			s.lfsFail(w, r, httpError(http.StatusBadRequest, "", "invalid completion body: %v", err))
			return
		}
		if err := s.lfs.Complete(ctx, segs[1], req.OID, req.Parts); err != nil {
			s.lfsFail(w, r, err)
			return
		}
		writeLFSJSON(w, http.StatusOK, map[string]any{"oid": req.OID})
	case segs[0] == "lfs-download" && len(segs) == 3:
		setRoute(r, "lfs.download")
		if r.Method == http.MethodHead {
			if err := s.lfs.Check(http.MethodGet, r.URL.EscapedPath(), q.Get("exp"), q.Get("sig")); err != nil {
				s.lfsFail(w, r, err)
				return
			}
		} else if !check(http.MethodGet) {
			return
		}
		key, err := strconv.ParseInt(segs[1], 10, 64)
		if err != nil || !blob.ValidOID(segs[2]) {
			s.notFound(w, r)
			return
		}
		if _, ok, err := s.lfs.Linked(ctx, key, segs[2]); err != nil || !ok {
			s.lfsFail(w, r, httpError(http.StatusNotFound, "", "Object does not exist"))
			return
		}
		obj, err := s.openContent(ctx, segs[2], "")
		if err != nil {
			s.lfsFail(w, r, err)
			return
		}
		defer obj.Close()
		w.Header().Set("ETag", `"`+segs[2]+`"`)
		w.Header().Set("Content-Type", "application/octet-stream")
		serveContent(w, r, obj)
	default:
		s.notFound(w, r)
	}
}

func parseObjectPath(segs []string) (int64, string, int64, bool) {
	key, err1 := strconv.ParseInt(segs[1], 10, 64)
	size, err2 := strconv.ParseInt(segs[3], 10, 64)
	if err1 != nil || err2 != nil || !blob.ValidOID(segs[2]) || size < 0 {
		return 0, "", 0, false
	}
	return key, segs[2], size, true
}
