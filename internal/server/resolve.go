package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/wire"
	"github.com/wharfhub/wharf/xet"
)

// handleResolve serves a file of a revision: regular files from SQL, LFS
// files from the blob store, both with Range support and the headers
// hf_hub_download needs (X-Repo-Commit, ETag, X-Linked-Etag, X-Linked-Size).
func (s *Server) handleResolve(w http.ResponseWriter, r *http.Request, rr repoRoute, rev, p string) {
	rp, err := s.openRepo(r, rr.typ, rr.id, auth.AccessRead)
	if err == nil {
		err = s.checkGate(r, rp)
	}
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
		serveContent(w, r, bytes.NewReader(data))
		return
	}
	// Content deleted from the repo (permanently_delete_lfs_files) is
	// no longer served for it, even at commits that still name it.
	if _, linked, err := s.lfs.Linked(ctx, rp.Key, string(e.LFS.OID)); err != nil {
		s.fail(w, r, err)
		return
	} else if !linked {
		entryNotFound("Entry not found: the LFS file " + clean + " was deleted from this repository")
		return
	}
	etag := `"` + string(e.LFS.OID) + `"`
	h.Set("ETag", etag)
	h.Set(wire.HeaderLinkedEtag, etag)
	h.Set(wire.HeaderLinkedSize, strconv.FormatInt(e.LFS.Size, 10))
	xh, err := s.xet.XetHash(ctx, string(e.LFS.OID))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if xh != "" {
		s.xetFileHeaders(w, r, rp, res.Commit, xh)
		if strings.Contains(r.Header.Get("Accept"), xetFileInfoType) {
			// huggingface.js asks for this instead of the bytes.
			h.Del("Accept-Ranges")
			writeJSONType(w, http.StatusOK, xetFileInfoType, map[string]any{
				"hash": xh, "size": e.LFS.Size, "sha256": string(e.LFS.OID), "etag": string(e.LFS.OID),
				"refreshUrl": s.xetTokenURL(r, rp, "read", res.Commit), "reconstructionUrl": s.casURL(r) + "/v1/reconstructions/" + xh,
			})
			return
		}
	}
	h.Set("Content-Type", "application/octet-stream")
	if r.Method == http.MethodHead {
		h.Set("Content-Length", strconv.FormatInt(e.LFS.Size, 10))
		w.WriteHeader(http.StatusOK)
		return
	}
	if redirectable(r) {
		// Straight from the bucket: a presigned URL needs no credentials
		// (clients drop Authorization when a redirect leaves the origin).
		href, err := s.lfs.DownloadURL(ctx, string(e.LFS.OID), time.Hour)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if href != "" {
			w.Header().Set("Location", href)
			w.WriteHeader(http.StatusFound)
			return
		}
	}
	obj, err := s.openContent(ctx, string(e.LFS.OID), xh)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer obj.Close()
	serveContent(w, r, obj)
}

// redirectable reports whether a download may be sent to the bucket: not a
// small probe such as huggingface.js's "bytes=0-0", whose answer must carry
// this response's headers (X-Linked-Etag), which a redirect would lose.
func redirectable(r *http.Request) bool {
	rng := r.Header.Get("Range")
	if rng == "" {
		return true
	}
	spec, ok := strings.CutPrefix(rng, "bytes=")
	a, b, ok2 := strings.Cut(spec, "-")
	if !ok || !ok2 || strings.Contains(spec, ",") {
		return false
	}
	if b == "" {
		return true
	}
	x, err1 := strconv.ParseInt(a, 10, 64)
	y, err2 := strconv.ParseInt(b, 10, 64)
	return err1 == nil && err2 == nil && y-x >= 1<<20
}

// openContent opens LFS content by sha256: the blob when there is one, else
// the Xet file read back from its xorbs (the bridge for clients without
// Xet). xh is the content's Xet hash when the caller looked it up already,
// else "".
func (s *Server) openContent(ctx context.Context, oid, xh string) (io.ReadSeekCloser, error) {
	obj, err := s.blobs.Open(ctx, oid)
	if err == nil || !errors.Is(err, blob.ErrNotExist) {
		return obj, err
	}
	if xh == "" {
		var xerr error
		if xh, xerr = s.xet.XetHash(ctx, oid); xerr != nil {
			return nil, xerr
		}
	}
	if xh == "" {
		return nil, err
	}
	h, xerr := xet.ParseHash(xh)
	if xerr != nil {
		return nil, xerr
	}
	f, xerr := s.xet.LoadFile(ctx, h)
	if xerr != nil {
		return nil, xerr
	}
	return s.xet.OpenFile(ctx, f), nil
}
