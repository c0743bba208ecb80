package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wharfhub/wharf/internal/auth"
)

// Cookie names. The session cookie holds a random value whose sha256 keys
// the session row; the token itself is never in a cookie.
const (
	sessionCookie = "wharf_session"
	csrfCookie    = "wharf_csrf"
)

// maxFormBody bounds a form POST.
const maxFormBody = 1 << 20

type session struct {
	key  string // hex sha256 of the cookie value
	csrf string
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func sessionKey(cookie string) string {
	h := sha256.Sum256([]byte(cookie))
	return hex.EncodeToString(h[:])
}

// secure reports whether cookies must be Secure: the page was served over
// https, directly or behind a proxy that says so.
func (u *UI) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(u.cfg.PublicURL, "https://") || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (u *UI) setCookie(q *request, name, value string, maxAge int) {
	http.SetCookie(q.w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: u.secure(q.r), SameSite: http.SameSiteLaxMode,
	})
}

// loadSession signs the request in from its session cookie. A missing,
// expired or revoked session leaves it anonymous.
func (u *UI) loadSession(q *request) error {
	c, err := q.r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return nil
	}
	key := sessionKey(c.Value)
	var tokenHash, csrf string
	var expires int64
	err = u.db.QueryRowContext(q.ctx, `SELECT token_hash, csrf, expires_at FROM web_sessions WHERE id = $1`, key).Scan(&tokenHash, &csrf, &expires)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && time.Now().UnixMilli() > expires) {
		u.setCookie(q, sessionCookie, "", -1)
		return nil
	}
	if err != nil {
		return err
	}
	id, err := u.auth.AuthenticateHash(q.ctx, tokenHash)
	if errors.Is(err, auth.ErrInvalidToken) {
		u.setCookie(q, sessionCookie, "", -1)
		return nil
	}
	if err != nil {
		return err
	}
	q.id = id
	q.session = &session{key: key, csrf: csrf}
	q.csrf = csrf
	return nil
}

// ensureCSRF gives a visitor without a session the anti-forgery value of
// its forms: a random cookie the form repeats (double submit).
func (u *UI) ensureCSRF(q *request) {
	if q.session != nil {
		return
	}
	if c, err := q.r.Cookie(csrfCookie); err == nil && len(c.Value) >= 20 && len(c.Value) <= 100 {
		q.csrf = c.Value
		return
	}
	q.csrf = randomString(24)
	u.setCookie(q, csrfCookie, q.csrf, 0)
}

// checkPost refuses a form POST that another site could have sent: a
// foreign Origin, or a csrf field that is not the session's (or, without a
// session, the csrf cookie's).
func (u *UI) checkPost(q *request) error {
	r := q.r
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		ou, err := url.Parse(o)
		if err != nil || !strings.EqualFold(ou.Host, r.Host) {
			return errorPage(http.StatusForbidden, "This form was sent from another site.")
		}
	}
	r.Body = http.MaxBytesReader(q.w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return errorPage(http.StatusBadRequest, "The form could not be read.")
	}
	want := ""
	if q.session != nil {
		want = q.session.csrf
	} else if c, err := r.Cookie(csrfCookie); err == nil {
		want = c.Value
	}
	got := r.PostForm.Get("csrf")
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errorPage(http.StatusForbidden, "This form has expired. Go back, reload the page and try again.")
	}
	q.csrf = want
	return nil
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

type loginData struct {
	Error string
	Next  string
}

func (u *UI) loginGet(q *request) error {
	v := u.newView(q, "Sign in")
	v.Data = loginData{Next: safeNext(q.r.URL.Query().Get("next"))}
	u.render(q, http.StatusOK, "login", v)
	return nil
}

// loginPost signs in with an access token: the session row keeps only the
// token's hash.
func (u *UI) loginPost(q *request) error {
	token := strings.TrimSpace(q.r.PostForm.Get("token"))
	next := safeNext(q.r.PostForm.Get("next"))
	id, err := u.auth.Authenticate(q.ctx, token)
	if errors.Is(err, auth.ErrInvalidToken) {
		v := u.newView(q, "Sign in")
		v.Data = loginData{Error: "This token is not valid.", Next: next}
		u.render(q, http.StatusUnauthorized, "login", v)
		return nil
	}
	if err != nil {
		return err
	}
	value := randomString(32)
	now := time.Now()
	if _, err := u.db.ExecContext(q.ctx, `DELETE FROM web_sessions WHERE expires_at < $1`, now.UnixMilli()); err != nil {
		return err
	}
	if _, err := u.db.ExecContext(q.ctx, `INSERT INTO web_sessions (id, token_hash, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		sessionKey(value), auth.HashToken(token), randomString(24), now.UnixMilli(), now.Add(u.cfg.SessionTTL).UnixMilli()); err != nil {
		return err
	}
	u.setCookie(q, sessionCookie, value, int(u.cfg.SessionTTL/time.Second))
	q.id = id
	return u.redirect(q, next)
}

func (u *UI) logout(q *request) error {
	if q.session != nil {
		if _, err := u.db.ExecContext(q.ctx, `DELETE FROM web_sessions WHERE id = $1`, q.session.key); err != nil {
			return err
		}
	}
	u.setCookie(q, sessionCookie, "", -1)
	return u.redirect(q, "/")
}
