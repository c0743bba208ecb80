package web_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/internal/server"
	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
	"github.com/wharfhub/wharf/internal/web"
	"github.com/wharfhub/wharf/internal/xetcas"
)

// newHub starts a hub with the web UI.
func newHub(t testing.TB, d sqltest.Dialect) *servertest.Hub {
	t.Helper()
	return servertest.NewWith(t, d, servertest.Options{Pages: func(h *servertest.Hub) server.Pages {
		ui := web.New(web.Config{Engine: h.Engine, Auth: h.Auth})
		ui.SetXet(xetcas.New(xetcas.Config{DB: h.DB, Blobs: h.Blobs}))
		return ui
	}})
}

// run runs fn on a fresh hub with the web UI for each SQL dialect.
func run(t *testing.T, fn func(t *testing.T, h *servertest.Hub)) {
	for _, d := range sqltest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, newHub(t, d))
		})
	}
}

// browser is a client with cookies that does not follow redirects.
type browser struct {
	t  testing.TB
	h  *servertest.Hub
	c  *http.Client
	id string // bearer token, if any
}

func newBrowser(t testing.TB, h *servertest.Hub) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, h: h, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	Status int
	Header http.Header
	Body   string
}

func (b *browser) do(method, path string, form url.Values) page {
	b.t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, b.h.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.id != "" {
		req.Header.Set("Authorization", "Bearer "+b.id)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	data := servertest.Body(resp)
	return page{Status: resp.StatusCode, Header: resp.Header, Body: string(data)}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	return b.do(http.MethodGet, path, nil)
}

// page GETs path and fails unless it is an HTML page with status want.
func (b *browser) page(path string, want int) string {
	b.t.Helper()
	p := b.get(path)
	if p.Status != want {
		b.t.Fatalf("GET %s: status %d, want %d; body: %.2000s", path, p.Status, want, p.Body)
	}
	if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		b.t.Fatalf("GET %s: Content-Type %q, want HTML", path, ct)
	}
	return p.Body
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the anti-forgery value of the forms of a page.
func csrf(t testing.TB, body string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf field in page: %.1000s", body)
	}
	return m[1]
}

// login signs the browser in with token through the sign-in form.
func (b *browser) login(token string) {
	b.t.Helper()
	body := b.page("/login", http.StatusOK)
	p := b.do(http.MethodPost, "/login", url.Values{"csrf": {csrf(b.t, body)}, "token": {token}, "next": {"/"}})
	if p.Status != http.StatusSeeOther {
		b.t.Fatalf("sign in: status %d; body %.1000s", p.Status, p.Body)
	}
}

// post sends a form of the page at from to action, with that page's csrf.
func (b *browser) post(from, action string, form url.Values) page {
	b.t.Helper()
	body := b.page(from, http.StatusOK)
	form.Set("csrf", csrf(b.t, body))
	return b.do(http.MethodPost, action, form)
}

func mustContain(t testing.TB, what, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(body, s) {
			t.Errorf("%s: page does not contain %q", what, s)
		}
	}
}

func mustNotContain(t testing.TB, what, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(body, s) {
			t.Errorf("%s: page contains %q", what, s)
		}
	}
}
