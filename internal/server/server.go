// Package server serves the Hugging Face Hub HTTP protocol over the
// repository engine, the LFS blob store and the account store.
package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/lfs"
	"github.com/wharfhub/wharf/internal/metrics"
	"github.com/wharfhub/wharf/internal/periodic"
	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/usage"
	"github.com/wharfhub/wharf/internal/xetcas"
	"github.com/wharfhub/wharf/wire"
)

// Config wires a Server to its stores.
type Config struct {
	Engine *repo.Engine
	Auth   *auth.Store
	Blobs  *blob.Store
	// PublicURL is the base of URLs put into responses (no trailing slash).
	// Empty: derived from each request's Host.
	PublicURL string
	// Logger gets one line per request. Default: discard.
	Logger *slog.Logger
	// SigningKey signs upload and download URLs. Default: random per process.
	SigningKey []byte
	// LFSMultipartThreshold is the object size from which LFS uploads use
	// multipart (a repo's own threshold wins). Default 500 MiB.
	LFSMultipartThreshold int64
	// LFSChunkSize is the multipart part size. Default 64 MiB.
	LFSChunkSize int64
	// TempDir holds multipart parts while they arrive.
	TempDir string
	// Pages serves the web UI at the page URLs. Default: none, every page
	// URL answers a JSON 404 and / a JSON greeting.
	Pages Pages
}

// Pages is the web UI. The server offers it every request that no API,
// resolve, git or LFS route takes, and GET / and HEAD /.
type Pages interface {
	// ServePage answers r and returns true when r is one of its pages;
	// otherwise it writes nothing and returns false, and the server answers
	// 404. id is the identity of the request's Authorization header (nil
	// when there is none): pages may add their own (a session cookie). It
	// is called concurrently.
	ServePage(w http.ResponseWriter, r *http.Request, id *auth.Identity) bool
}

// Server is an http.Handler for the Hub API.
type Server struct {
	cfg     Config
	engine  *repo.Engine
	auth    *auth.Store
	blobs   *blob.Store
	lfs     *lfs.Service
	xet     *xetcas.Service
	usage   *usage.Service
	metrics *metrics.Registry
	log     *slog.Logger
}

// New returns a Server.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if len(cfg.SigningKey) == 0 {
		cfg.SigningKey = make([]byte, 32)
		rand.Read(cfg.SigningKey)
	}
	if cfg.LFSMultipartThreshold <= 0 {
		cfg.LFSMultipartThreshold = 500 << 20
	}
	if cfg.LFSChunkSize <= 0 {
		cfg.LFSChunkSize = 64 << 20
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	l := lfs.New(lfs.Config{
		DB: cfg.Engine.DB(), Blobs: cfg.Blobs, Key: cfg.SigningKey, TempDir: cfg.TempDir,
		MultipartThreshold: cfg.LFSMultipartThreshold, ChunkSize: cfg.LFSChunkSize,
	})
	x := xetcas.New(xetcas.Config{DB: cfg.Engine.DB(), Blobs: cfg.Blobs, Key: cfg.SigningKey})
	u := usage.New(cfg.Engine.DB(), usage.Options{})
	s := &Server{cfg: cfg, engine: cfg.Engine, auth: cfg.Auth, blobs: cfg.Blobs, lfs: l, xet: x, usage: u, log: cfg.Logger}
	s.metrics = s.newMetrics()
	return s
}

// handleHealth answers a load balancer: 200 "ok" when the database
// answers, 503 otherwise.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.engine.DB().PingContext(ctx); err != nil {
		logError(r, err)
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

// Xet returns the server's Xet CAS.
func (s *Server) Xet() *xetcas.Service { return s.xet }

// LFS returns the server's LFS service.
func (s *Server) LFS() *lfs.Service { return s.lfs }

// RunSweeper removes expired multipart uploads (and stale blob temp files
// when the backend can sweep) every interval until ctx ends.
func (s *Server) RunSweeper(ctx context.Context, interval time.Duration) {
	periodic.Run(ctx, interval, func(ctx context.Context) {
		if n, err := s.lfs.Sweep(ctx); err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "sweep uploads", slog.String("err", err.Error()))
		} else if n > 0 {
			s.log.LogAttrs(ctx, slog.LevelInfo, "sweep uploads", slog.Int("removed", n))
		}
		if sw, ok := s.blobs.Backend().(blob.Sweeper); ok {
			if _, err := sw.Sweep(ctx, 24*time.Hour); err != nil {
				s.log.LogAttrs(ctx, slog.LevelWarn, "sweep blobs", slog.String("err", err.Error()))
			}
		}
	})
}

type ctxKey int

const (
	identityKey ctxKey = iota
	logKey
)

// reqLog collects what the request log line reports.
type reqLog struct {
	route string
	err   error
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// ReadFrom lets io.Copy reach the connection's ReadFrom: a file is then
// sent with sendfile(2) instead of through user space.
func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	var n int64
	var err error
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(r)
	} else {
		n, err = io.Copy(struct{ io.Writer }{w.ResponseWriter}, r)
	}
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// ServeHTTP authenticates the request, routes it and logs one line. The
// log line has the path without its query string: signed URLs carry their
// signature there.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := r.Header.Get("X-Request-Id")
	if reqID == "" || len(reqID) > 128 {
		reqID = newRequestID()
	}
	w.Header().Set(wire.HeaderRequestID, reqID)
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "X-Repo-Commit,X-Request-Id,X-Error-Code,X-Error-Message,X-Total-Count,ETag,Link,Accept-Ranges,Content-Range,X-Linked-Size,X-Linked-Etag,X-Xet-Hash,X-Xet-Cas-Url,X-Xet-Access-Token,X-Xet-Token-Expiration")
	sw := &statusWriter{ResponseWriter: w}
	rl := &reqLog{}
	ctx := context.WithValue(r.Context(), logKey, rl)
	r = r.WithContext(ctx)

	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Range, X-Request-Id, X-Xet-Session-Id")
		sw.WriteHeader(http.StatusNoContent)
	} else if segs, ok := casPath(r.URL.EscapedPath()); ok {
		// The CAS authenticates with its own tokens, not Hub tokens.
		s.routeCAS(sw, r, segs)
	} else if id, err := s.identify(r); err != nil {
		s.fail(sw, r, err)
	} else {
		r = r.WithContext(context.WithValue(r.Context(), identityKey, id))
		s.route(sw, r)
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.EscapedPath()),
		slog.String("route", rl.route),
		slog.Int("status", sw.status),
		slog.Int64("bytes", sw.bytes),
		slog.Int64("req_bytes", max(r.ContentLength, 0)),
		slog.Duration("duration", time.Since(start)),
		slog.String("request_id", reqID),
	}
	if rl.err != nil {
		attrs = append(attrs, slog.String("err", rl.err.Error()))
	}
	s.metrics.ObserveRequest(rl.route, r.Method, sw.status, time.Since(start), sw.bytes, r.ContentLength)
	if rl.route == "health" && sw.status == http.StatusOK {
		return // load balancers ask every second or so
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}

func newRequestID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func setRoute(r *http.Request, route string) {
	if rl, ok := r.Context().Value(logKey).(*reqLog); ok {
		rl.route = route
	}
}

// errBadCredentials is a token that is not valid.
var errBadCredentials = errors.New("Invalid credentials in Authorization header")

// identify reads a bearer token, or a Basic password as git and git-lfs
// send it. No credentials is anonymous; bad credentials are an error.
func (s *Server) identify(r *http.Request) (*auth.Identity, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, nil
	}
	var token string
	scheme, rest, _ := strings.Cut(h, " ")
	switch strings.ToLower(scheme) {
	case "bearer":
		token = strings.TrimSpace(rest)
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
		if err != nil {
			return nil, errBadCredentials
		}
		_, token, _ = strings.Cut(string(raw), ":")
	default:
		return nil, errBadCredentials
	}
	id, err := s.auth.Authenticate(r.Context(), token)
	if errors.Is(err, auth.ErrInvalidToken) {
		return nil, errBadCredentials
	}
	return id, err
}

func identity(r *http.Request) *auth.Identity {
	id, _ := r.Context().Value(identityKey).(*auth.Identity)
	return id
}

// author is the commit author for a request.
func author(r *http.Request) repo.Author {
	id := identity(r)
	if id == nil {
		return repo.Author{Name: "anonymous"}
	}
	return repo.Author{Name: id.User.Name, Email: id.User.Email}
}

// baseURL is the public base URL for links in responses.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONType(w, status, "application/json; charset=utf-8", v)
}

func writeJSONType(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// maxJSONBody bounds JSON request bodies.
const maxJSONBody = 16 << 20

// readJSON decodes a JSON body into v. An empty body leaves v as it is.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body := http.MaxBytesReader(w, r.Body, maxJSONBody)
	dec := json.NewDecoder(body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return httpError(http.StatusRequestEntityTooLarge, "", "request body is larger than %d bytes", maxJSONBody)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		return httpError(http.StatusBadRequest, "", "invalid JSON body: %v", err)
	}
	return nil
}
