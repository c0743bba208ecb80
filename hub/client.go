package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultEndpoint is the Hub used when nothing else is configured.
const DefaultEndpoint = "https://huggingface.co"

// Version is this SDK's version, sent in the User-Agent.
const Version = "0.1.0"

// Options configures a Client. The zero value means defaults.
type Options struct {
	// Endpoint is the Hub's base URL. Default: $HF_ENDPOINT, else
	// https://huggingface.co.
	Endpoint string
	// Token authenticates requests. Default: $HF_TOKEN (or the legacy
	// $HUGGING_FACE_HUB_TOKEN), else the token file ($HF_TOKEN_PATH, else
	// $HF_HOME/token, else ~/.cache/huggingface/token). NoToken disables it.
	Token   string
	NoToken bool // send no token, even if one is configured
	// HTTPClient sends the requests. Default: a client with sane timeouts
	// and no overall deadline (uploads can take hours).
	HTTPClient *http.Client
	// UserAgent is prepended to the SDK's own user agent.
	UserAgent string
	// MaxRetries is how often a transient failure (network error, 408, 429,
	// 5xx) is retried. Default 5; negative disables retries.
	MaxRetries int
	// RetryBaseDelay is the first backoff delay, doubled each retry up to
	// RetryMaxDelay. Defaults 1 s and 8 s. Retry-After wins when present.
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration // longest backoff delay
	// Workers bounds parallel hashing and transfers. Default: the CPU count,
	// at least 4.
	Workers int
	// Logger receives debug lines about retries. Default: discard.
	Logger *slog.Logger
	// DisableXet makes the client use plain LFS transfers for uploads and
	// plain GETs for downloads even when the Hub offers Xet. Default:
	// $HF_HUB_DISABLE_XET (1, true, yes or on disables), else Xet is used
	// whenever the Hub offers it.
	DisableXet bool
	// XetCacheDir is where Xet keeps what it knows from earlier uploads
	// (their shards and the Hub's dedup answers), per CAS URL, so that
	// re-uploading changed files sends only what changed. Default:
	// $HF_XET_CACHE, else $HF_HOME/xet, as huggingface_hub (hf_xet).
	XetCacheDir string
}

// Client talks to one Hub. It is safe for concurrent use.
type Client struct {
	endpoint string
	token    string
	http     *http.Client
	ua       string
	opts     Options
	log      *slog.Logger

	futureOnce sync.Once
	futures    chan func()

	xet xetState
}

// New returns a Client configured by opts (nil means all defaults).
func New(opts *Options) (*Client, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Endpoint == "" {
		o.Endpoint = os.Getenv("HF_ENDPOINT")
	}
	if o.Endpoint == "" {
		o.Endpoint = DefaultEndpoint
	}
	u, err := url.Parse(strings.TrimRight(o.Endpoint, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("hub: invalid endpoint %q: want http(s)://host[:port]", o.Endpoint)
	}
	if !o.NoToken && o.Token == "" {
		o.Token = tokenFromEnv()
	}
	if o.NoToken {
		o.Token = ""
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Transport: defaultTransport()}
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 5
	}
	if o.RetryBaseDelay <= 0 {
		o.RetryBaseDelay = time.Second
	}
	if o.RetryMaxDelay <= 0 {
		o.RetryMaxDelay = 8 * time.Second
	}
	if o.Workers <= 0 {
		o.Workers = max(runtime.NumCPU(), 4)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if !o.DisableXet {
		o.DisableXet = envBool("HF_HUB_DISABLE_XET")
	}
	if o.XetCacheDir == "" {
		o.XetCacheDir = os.Getenv("HF_XET_CACHE")
	}
	if o.XetCacheDir == "" {
		o.XetCacheDir = filepath.Join(hfHome(), "xet")
	}
	ua := fmt.Sprintf("wharf-hub-go/%s; go/%s", Version, strings.TrimPrefix(runtime.Version(), "go"))
	if o.UserAgent != "" {
		ua = o.UserAgent + "; " + ua
	}
	hc := *o.HTTPClient
	hc.CheckRedirect = dropCredentialsAcrossOrigins(o.HTTPClient.CheckRedirect)
	return &Client{endpoint: u.String(), token: o.Token, http: &hc, ua: ua, opts: o, log: o.Logger}, nil
}

func defaultTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	t.ResponseHeaderTimeout = 10 * time.Minute // a large commit may take a while to answer
	return t
}

// tokenFromEnv finds a token the way huggingface_hub does.
func tokenFromEnv() string {
	for _, k := range []string{"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"} {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return v
		}
	}
	b, err := os.ReadFile(TokenPath())
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// envBool reads a boolean environment variable the way huggingface_hub
// does: 1, true, yes and on (any case) are true.
func envBool(k string) bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv(k))) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// TokenPath is where huggingface_hub stores the login token:
// $HF_TOKEN_PATH, else $HF_HOME/token, else ~/.cache/huggingface/token.
func TokenPath() string {
	if p := os.Getenv("HF_TOKEN_PATH"); p != "" {
		return p
	}
	return filepath.Join(hfHome(), "token")
}

func hfHome() string {
	if h := os.Getenv("HF_HOME"); h != "" {
		return h
	}
	if x := os.Getenv("XDG_CACHE_HOME"); x != "" {
		return filepath.Join(x, "huggingface")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".cache", "huggingface")
	}
	return filepath.Join(home, ".cache", "huggingface")
}

// Endpoint returns the Hub's base URL.
func (c *Client) Endpoint() string { return c.endpoint }

// HasToken reports whether the client sends a token.
func (c *Client) HasToken() bool { return c.token != "" }

// request describes one HTTP call.
type request struct {
	method string
	url    string // absolute
	header http.Header
	// body returns a fresh body for each attempt; nil means no body.
	body func() (io.Reader, error)
	// size is the body length, -1 when unknown.
	size int64
	// auth sends the token (false for presigned URLs).
	auth bool
	// retry allows retries of this request.
	retry bool
	// ok lists statuses that are not errors (default: 2xx).
	ok func(int) bool
}

func (c *Client) apiURL(format string, args ...any) string {
	return c.endpoint + fmt.Sprintf(format, args...)
}

// do sends r with retries and returns a response with a 2xx (or r.ok)
// status. The caller closes the body.
func (c *Client) do(ctx context.Context, r request) (*http.Response, error) {
	attempts := 1
	if r.retry && c.opts.MaxRetries > 0 {
		attempts += c.opts.MaxRetries
	}
	var lastErr error
	delay := c.opts.RetryBaseDelay
	for i := 0; i < attempts; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		resp, err := c.once(ctx, r)
		wait := time.Duration(0)
		switch {
		case err != nil:
			if !transientNetErr(err) || ctx.Err() != nil {
				return nil, err
			}
			lastErr = err
		case r.ok != nil && r.ok(resp.StatusCode), r.ok == nil && resp.StatusCode/100 == 2:
			return resp, nil
		default:
			herr := errorFromResponse(resp)
			resp.Body.Close()
			if !transientStatus(resp.StatusCode) {
				return nil, herr
			}
			lastErr = herr
			wait = retryAfter(resp.Header)
		}
		if i == attempts-1 {
			break
		}
		if wait == 0 {
			wait = delay + time.Duration(rand.Int64N(int64(delay)/4+1))
			delay = min(delay*2, c.opts.RetryMaxDelay)
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "retrying", slog.String("method", r.method), slog.String("url", stripQuery(r.url)),
			slog.Duration("wait", wait), slog.String("err", lastErr.Error()))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	return nil, lastErr
}

func (c *Client) once(ctx context.Context, r request) (*http.Response, error) {
	// Bodies record their read errors: a body that fails (a file that
	// changed, a broken reader) is not a network error and is not retried,
	// even though net/http may report it wrapped in a *net.OpError.
	var bodyErr atomic.Pointer[error]
	newBody := func() (io.ReadCloser, error) {
		b, err := r.body()
		if err != nil {
			return nil, err
		}
		return &trackedBody{r: b, fail: &bodyErr}, nil
	}
	var body io.ReadCloser
	if r.body != nil {
		b, err := newBody()
		if err != nil {
			return nil, err
		}
		body = b
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		if body != nil {
			body.Close()
		}
		return nil, err
	}
	if body != nil {
		// Lets net/http replay the body on a 307/308 redirect.
		req.GetBody = newBody
		if r.size >= 0 {
			req.ContentLength = r.size
		}
		if r.size == 0 {
			body.Close()
			req.Body, req.GetBody = http.NoBody, nil
		}
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", c.ua)
	if r.auth && c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if e := bodyErr.Load(); e != nil && ctx.Err() == nil {
			return nil, *e
		}
		// Never let a presigned URL's query into an error message.
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = stripQuery(ue.URL)
		}
		return nil, err
	}
	return resp, nil
}

// trackedBody is a request body that remembers its first read error.
type trackedBody struct {
	r    io.Reader
	fail *atomic.Pointer[error]
}

func (t *trackedBody) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		t.fail.CompareAndSwap(nil, &err)
	}
	return n, err
}

// Close closes the underlying body if it can be closed (the pipe of a
// streamed commit, whose writer then stops).
func (t *trackedBody) Close() error {
	if c, ok := t.r.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

func stripQuery(s string) string {
	if i := strings.IndexByte(s, '?'); i >= 0 {
		return s[:i]
	}
	return s
}

func transientStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func transientNetErr(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	// *url.Error implements net.Error itself: look at what it wraps, or
	// every failure of http.Client.Do (a request body that cannot be read,
	// a bad certificate) would count as a network hiccup.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}

// retryAfter reads Retry-After (seconds) or the RateLimit header's t=.
func retryAfter(h http.Header) time.Duration {
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
			return time.Duration(s)*time.Second + 100*time.Millisecond
		}
	}
	if v := h.Get("RateLimit"); v != "" && strings.Contains(v, "r=0") {
		for _, part := range strings.Split(v, ";") {
			if t, ok := strings.CutPrefix(strings.TrimSpace(part), "t="); ok {
				if s, err := strconv.Atoi(t); err == nil {
					return time.Duration(s+1) * time.Second
				}
			}
		}
	}
	return 0
}

// getJSON GETs url and decodes the JSON answer into v (retried).
func (c *Client) getJSON(ctx context.Context, u string, v any) (http.Header, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, url: u, auth: true, retry: true})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return nil, fmt.Errorf("hub: decode answer of GET %s: %w", stripQuery(u), err)
	}
	return resp.Header, nil
}

// sendJSON sends in as JSON and decodes the answer into out (if non-nil).
func (c *Client) sendJSON(ctx context.Context, method, u string, in, out any, retry bool) error {
	data, err := json.Marshal(in)
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, request{
		method: method, url: u, auth: true, retry: retry, size: int64(len(data)),
		header: http.Header{"Content-Type": {"application/json"}},
		body:   func() (io.Reader, error) { return bytes.NewReader(data), nil },
	})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("hub: decode answer of %s %s: %w", method, stripQuery(u), err)
	}
	return nil
}

// decodeJSON decodes a response body into v and closes it.
func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("hub: decode answer of %s %s: %w", resp.Request.Method, stripQuery(resp.Request.URL.String()), err)
	}
	return nil
}

// dropCredentialsAcrossOrigins wraps a redirect policy so that the
// Authorization header is not sent to another origin (scheme, host and
// port), as huggingface_hub and browsers do: a Hub redirects downloads to
// presigned storage URLs, which refuse a second set of credentials. net/http
// keeps the header on a redirect to the same host name on another port.
func dropCredentialsAcrossOrigins(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) > 0 {
			prev := via[0].URL
			if req.URL.Scheme != prev.Scheme || req.URL.Host != prev.Host {
				req.Header.Del("Authorization")
			}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}
