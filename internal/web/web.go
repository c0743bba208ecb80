package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/wire"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// XetHasher tells which LFS objects are stored in Xet. xetcas.Service
// implements it.
type XetHasher interface {
	// XetHashes returns the Xet file hash of each of oids (LFS sha256
	// values) that Xet stores; others are left out. Safe for concurrent use.
	XetHashes(ctx context.Context, oids []string) (map[string]string, error)
}

// Config wires the UI to the engine and the account store.
type Config struct {
	Engine *repo.Engine
	Auth   *auth.Store
	// DB keeps the sessions. Default: the engine's database.
	DB *sqlstore.DB
	// PublicURL is the base of the URLs shown in snippets (git clone,
	// HF_ENDPOINT). Default: from each request's Host.
	PublicURL string
	// Logger gets page errors. Default: discard.
	Logger *slog.Logger
	// SessionTTL is how long a sign-in lasts. Default: 30 days.
	SessionTTL time.Duration
}

// UI serves the pages. It implements server.Pages.
type UI struct {
	cfg    Config
	engine *repo.Engine
	auth   *auth.Store
	db     *sqlstore.DB
	log    *slog.Logger
	pages  map[string]*template.Template
	css    []byte
	js     []byte
	cssURL string
	jsURL  string
	xet    atomic.Pointer[XetHasher]
}

// New returns a UI. It panics if the embedded templates do not parse, which
// a test catches.
func New(cfg Config) *UI {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DB == nil {
		cfg.DB = cfg.Engine.DB()
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 30 * 24 * time.Hour
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	u := &UI{cfg: cfg, engine: cfg.Engine, auth: cfg.Auth, db: cfg.DB, log: cfg.Logger}
	css, err := fs.ReadFile(staticFS, "static/style.css")
	if err != nil {
		panic(err)
	}
	u.css = append(css, highlightCSS()...)
	if u.js, err = fs.ReadFile(staticFS, "static/app.js"); err != nil {
		panic(err)
	}
	u.cssURL = "/-/static/style.css?v=" + shortHash(u.css)
	u.jsURL = "/-/static/app.js?v=" + shortHash(u.js)
	u.pages = parseTemplates()
	return u
}

// SetXet makes the file lists badge the files stored in Xet. Call it
// before serving.
func (u *UI) SetXet(x XetHasher) { u.xet.Store(&x) }

func shortHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:6])
}

func parseTemplates() map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, n))
	}
	return out
}

// request is one page request: its identity and how to answer it.
type request struct {
	w       http.ResponseWriter
	r       *http.Request
	ctx     context.Context
	id      *auth.Identity
	session *session // nil unless signed in through the web
	csrf    string   // the value forms must carry
}

// view is what every template gets.
type view struct {
	Title   string
	User    *auth.Account
	CSRF    string
	Next    string // where sign-in returns to
	CSSURL  string
	JSURL   string
	Search  string
	Repo    *repoView
	Tab     string // files, card, community, settings
	Flash   string
	Data    any
	Status  int
	BaseURL string
}

// ServePage answers the page requests of the UI: GET and HEAD of pages,
// POST of their forms. It returns false, writing nothing, for any other
// request.
func (u *UI) ServePage(w http.ResponseWriter, r *http.Request, id *auth.Identity) bool {
	segs, ok := wire.Segments(r.URL.EscapedPath())
	if !ok {
		return false
	}
	h := u.route(r.Method, segs)
	if h == nil {
		return false
	}
	req := &request{w: w, r: r, ctx: r.Context(), id: id}
	if id == nil {
		if err := u.loadSession(req); err != nil {
			u.fail(req, err)
			return true
		}
	}
	if r.Method == http.MethodPost {
		if err := u.checkPost(req); err != nil {
			u.fail(req, err)
			return true
		}
	} else {
		u.ensureCSRF(req)
	}
	if err := h(req); err != nil {
		u.fail(req, err)
	}
	return true
}

type handler func(*request) error

// route picks the handler of a page URL, or nil.
func (u *UI) route(method string, segs []string) handler {
	get := method == http.MethodGet || method == http.MethodHead
	post := method == http.MethodPost
	if !get && !post {
		return nil
	}
	if len(segs) == 0 {
		return onlyGet(get, u.home)
	}
	switch segs[0] {
	case "-":
		if len(segs) == 3 && segs[1] == "static" {
			return onlyGet(get, func(q *request) error { return u.static(q, segs[2]) })
		}
		return nil
	case "login":
		if len(segs) == 1 {
			if post {
				return u.loginPost
			}
			return u.loginGet
		}
	case "logout":
		if len(segs) == 1 && post {
			return u.logout
		}
		return nil
	}
	t := wire.Model
	switch segs[0] {
	case "models", "datasets", "spaces":
		t, _ = wire.ParseRepoType(segs[0])
		if len(segs) == 1 {
			return onlyGet(get, func(q *request) error { return u.list(q, t) })
		}
		segs = segs[1:]
		if len(segs) == 1 {
			return nil
		}
	}
	if len(segs) == 1 {
		if wire.ValidateNamespace(segs[0]) != nil {
			return nil
		}
		return onlyGet(get, func(q *request) error { return u.profile(q, segs[0]) })
	}
	id, err := wire.ParseRepoID(segs[0] + "/" + segs[1])
	if err != nil {
		return nil
	}
	action, rest := "", []string(nil)
	if len(segs) > 2 {
		action, rest = segs[2], segs[3:]
	}
	rt := repoTarget{typ: t, id: id}
	switch action {
	case "":
		return onlyGet(get, func(q *request) error { return u.repoHome(q, rt) })
	case "tree", "blob":
		if len(rest) == 0 {
			rest = []string{repo.DefaultBranch}
		}
		rev, p := wire.SplitRevision(rest)
		return onlyGet(get, func(q *request) error { return u.files(q, rt, action, rev, strings.Join(p, "/")) })
	case "commits":
		rev, _ := wire.SplitRevision(rest)
		if rev == "" {
			rev = repo.DefaultBranch
		}
		return onlyGet(get, func(q *request) error { return u.commits(q, rt, rev) })
	case "commit":
		if len(rest) != 1 {
			return nil
		}
		return onlyGet(get, func(q *request) error { return u.commit(q, rt, rest[0]) })
	case "discussions":
		switch {
		case len(rest) == 0 && get:
			return func(q *request) error { return u.discussions(q, rt) }
		case len(rest) == 0 && post:
			return func(q *request) error { return u.newDiscussion(q, rt) }
		case len(rest) == 1:
			num, err := strconv.ParseInt(rest[0], 10, 64)
			if err != nil || num < 1 {
				return nil
			}
			if post {
				return func(q *request) error { return u.discussionAction(q, rt, num) }
			}
			return func(q *request) error { return u.discussion(q, rt, num) }
		}
	case "settings":
		if len(rest) == 0 {
			if post {
				return func(q *request) error { return u.settingsPost(q, rt) }
			}
			return func(q *request) error { return u.settings(q, rt) }
		}
	}
	return nil
}

func onlyGet(get bool, h handler) handler {
	if !get {
		return nil
	}
	return h
}

// pageError is an error page: a status and a message safe to show.
type pageError struct {
	status int
	msg    string
}

func (e *pageError) Error() string { return e.msg }

func errorPage(status int, format string, args ...any) error {
	return &pageError{status: status, msg: fmt.Sprintf(format, args...)}
}

var errNotFound = &pageError{status: http.StatusNotFound, msg: "This page does not exist, or you are not allowed to see it."}

// fail renders an error page. Engine errors become the statuses the API
// gives them; internal errors are logged and not shown.
func (u *UI) fail(q *request, err error) {
	var pe *pageError
	var re *repo.Error
	switch {
	case errors.As(err, &pe):
	case errors.Is(err, repo.ErrRepoNotFound), errors.Is(err, repo.ErrRevisionNotFound),
		errors.Is(err, repo.ErrEntryNotFound), errors.Is(err, repo.ErrDiscussionNotFound), errors.Is(err, auth.ErrNotFound):
		pe = errNotFound
		if errors.As(err, &re) {
			pe = &pageError{status: http.StatusNotFound, msg: re.Msg}
		}
	case errors.Is(err, repo.ErrConflict), errors.Is(err, repo.ErrRepoExists), errors.Is(err, repo.ErrNoChanges):
		pe = &pageError{status: http.StatusConflict, msg: err.Error()}
	case errors.Is(err, wire.ErrInvalid):
		pe = &pageError{status: http.StatusBadRequest, msg: err.Error()}
	case errors.Is(err, context.Canceled):
		return
	default:
		u.log.LogAttrs(q.ctx, slog.LevelError, "page", slog.String("path", q.r.URL.Path), slog.String("err", err.Error()))
		pe = &pageError{status: http.StatusInternalServerError, msg: "Something went wrong on our side."}
	}
	v := u.newView(q, http.StatusText(pe.status))
	v.Status = pe.status
	v.Data = pe.msg
	u.render(q, pe.status, "error", v)
}

func (u *UI) newView(q *request, title string) *view {
	v := &view{Title: title, CSRF: q.csrf, CSSURL: u.cssURL, JSURL: u.jsURL, Next: q.r.URL.RequestURI(), BaseURL: u.baseURL(q.r)}
	if q.id != nil {
		v.User = q.id.User
	}
	return v
}

// render executes a page template into a buffer, so a template error
// never sends half a page.
func (u *UI) render(q *request, status int, name string, v *view) {
	t, ok := u.pages[name]
	if !ok {
		panic("web: no template " + name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		u.log.LogAttrs(q.ctx, slog.LevelError, "render", slog.String("page", name), slog.String("err", err.Error()))
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString("<!doctype html><title>Error</title><p>Something went wrong on our side.</p>")
	}
	h := q.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	securityHeaders(h)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	q.w.WriteHeader(status)
	if q.r.Method != http.MethodHead {
		q.w.Write(buf.Bytes())
	}
}

// securityHeaders keep a page inert even if some markup slipped through
// sanitizing: no inline or foreign script, no plugins, no framing.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src * data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
}

func (u *UI) redirect(q *request, to string) error {
	http.Redirect(q.w, q.r, to, http.StatusSeeOther)
	return nil
}

func (u *UI) static(q *request, name string) error {
	var data []byte
	var ctype string
	switch name {
	case "style.css":
		data, ctype = u.css, "text/css; charset=utf-8"
	case "app.js":
		data, ctype = u.js, "text/javascript; charset=utf-8"
	default:
		return errNotFound
	}
	h := q.w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(q.w, q.r, "", time.Time{}, bytes.NewReader(data))
	return nil
}

// baseURL is the public base URL for snippets.
func (u *UI) baseURL(r *http.Request) string {
	if u.cfg.PublicURL != "" {
		return u.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
