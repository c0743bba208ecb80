package server

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/gitproto"
)

// Git smart HTTP (PROTOCOL.md §9): GET {repo}/info/refs?service=…, POST
// {repo}/git-upload-pack and POST {repo}/git-receive-pack, for {repo} with
// or without .git, models, datasets and spaces alike.

// maxUploadPackBody bounds a fetch negotiation (wants and haves).
const maxUploadPackBody = 256 << 20

// isGitRoute reports whether a web path is one of git's smart HTTP URLs.
func isGitRoute(rr repoRoute) bool {
	switch rr.action {
	case "info":
		return len(rr.rest) == 1 && rr.rest[0] == "refs"
	case gitproto.UploadPack, gitproto.ReceivePack:
		return len(rr.rest) == 0
	}
	return false
}

func (s *Server) routeGit(w http.ResponseWriter, r *http.Request, rr repoRoute) {
	svc := rr.action
	advertise := svc == "info"
	if advertise {
		setRoute(r, "git.info-refs")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			s.gitFail(w, r, httpError(http.StatusMethodNotAllowed, "", "use GET on info/refs"))
			return
		}
		svc = r.URL.Query().Get("service")
		if svc == "" {
			// A dumb-protocol client: only smart HTTP is served.
			s.gitFail(w, r, httpError(http.StatusForbidden, "", "this server speaks the smart HTTP git protocol only: upgrade git"))
			return
		}
		if svc != gitproto.UploadPack && svc != gitproto.ReceivePack {
			s.gitFail(w, r, httpError(http.StatusForbidden, "", "unsupported git service %q", svc))
			return
		}
	} else {
		setRoute(r, "git."+strings.TrimPrefix(svc, "git-"))
		if r.Method != http.MethodPost {
			s.gitFail(w, r, httpError(http.StatusMethodNotAllowed, "", "use POST on %s", svc))
			return
		}
	}
	need := auth.AccessRead
	if svc == gitproto.ReceivePack {
		need = auth.AccessWrite
	}
	rp, err := s.openRepo(r, rr.typ, rr.id, need)
	if err == nil && svc == gitproto.UploadPack {
		err = s.checkGate(r, rp)
	}
	if err != nil {
		s.gitFail(w, r, err)
		return
	}
	g := gitproto.New(s.engine, gitproto.Options{Logger: s.log})
	ctx := r.Context()
	proto := r.Header.Get("Git-Protocol")
	h := w.Header()
	h.Set("Expires", "Fri, 01 Jan 1980 00:00:00 GMT")
	h.Set("Pragma", "no-cache")
	h.Set("Cache-Control", "no-cache, max-age=0, must-revalidate")
	out := &startedWriter{w: w}

	if advertise {
		h.Set("Content-Type", "application/x-"+svc+"-advertisement")
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusOK)
			return
		}
		if err := g.InfoRefs(ctx, out, rp, svc, proto); err != nil {
			s.gitStreamFail(w, r, out, err)
		}
		return
	}

	if ct := r.Header.Get("Content-Type"); !strings.EqualFold(strings.TrimSpace(ct), "application/x-"+svc+"-request") {
		copyBody(r)
		s.gitFail(w, r, httpError(http.StatusUnsupportedMediaType, "", "expected Content-Type application/x-%s-request", svc))
		return
	}
	var body io.Reader = r.Body
	if svc == gitproto.UploadPack {
		body = http.MaxBytesReader(w, r.Body, maxUploadPackBody)
	}
	switch enc := strings.ToLower(r.Header.Get("Content-Encoding")); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			s.gitFail(w, r, httpError(http.StatusBadRequest, "", "invalid gzip request body: %v", err))
			return
		}
		defer zr.Close()
		body = zr
	default:
		s.gitFail(w, r, httpError(http.StatusUnsupportedMediaType, "", "unsupported Content-Encoding %q", enc))
		return
	}
	h.Set("Content-Type", "application/x-"+svc+"-result")
	if svc == gitproto.UploadPack {
		err = g.UploadPack(ctx, out, rp, body, proto)
	} else {
		err = g.ReceivePack(ctx, out, rp, body, proto, author(r))
	}
	if err != nil {
		s.gitStreamFail(w, r, out, err)
	}
}

// startedWriter records whether the response has begun.
type startedWriter struct {
	w       http.ResponseWriter
	started bool
}

func (sw *startedWriter) Write(p []byte) (int, error) {
	sw.started = true
	return sw.w.Write(p)
}

// gitStreamFail reports an error of a git exchange: as an HTTP error if no
// byte was sent yet, otherwise only in the request log (the client sees a
// cut stream and says so).
func (s *Server) gitStreamFail(w http.ResponseWriter, r *http.Request, out *startedWriter, err error) {
	if !out.started {
		s.gitFail(w, r, err)
		return
	}
	logError(r, err)
}

// gitFail answers an error as text, which git shows to the user as
// "remote: …", with the Basic challenge git needs before it sends
// credentials.
func (s *Server) gitFail(w http.ResponseWriter, r *http.Request, err error) {
	he := s.errorHeaders(w, r, err)
	h := w.Header()
	h.Del("Content-Encoding")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(he.Status)
	fmt.Fprintln(w, he.Msg)
}
