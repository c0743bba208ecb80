package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/internal/server"
	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
	"github.com/wharfhub/wharf/internal/usage"
)

func TestReadyz(t *testing.T) {
	h := servertest.New(t, sqltest.SQLite)
	resp := h.Do(t, http.MethodGet, "/readyz", "", nil)
	if resp.StatusCode != http.StatusOK || string(servertest.Body(resp)) != "ready\n" {
		t.Fatalf("readyz: %d %q", resp.StatusCode, servertest.Body(resp))
	}
	h.DB.Close()
	resp = h.Do(t, http.MethodGet, "/readyz", "", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(servertest.Body(resp)), "database") {
		t.Fatalf("readyz with the database closed: %d %q", resp.StatusCode, servertest.Body(resp))
	}
}

// TestMetrics checks the Prometheus text a scrape gets after some
// requests, including a quota refusal.
func TestMetrics(t *testing.T) {
	h := servertest.New(t, sqltest.SQLite)
	srv := server.New(server.Config{Engine: h.Engine, Auth: h.Auth, Blobs: h.Blobs, TempDir: t.TempDir()})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	h.CreateRepo(t, h.Alice, "alice/m", false)
	if err := usage.New(h.DB, usage.Options{}).SetQuota(context.Background(), "alice", 10, false); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/healthz", "/api/models/alice/m", "/api/models/alice/nope"} {
		resp, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/alice/m.git/info/lfs/objects/batch",
		strings.NewReader(`{"operation":"upload","transfers":["basic"],"objects":[{"oid":"`+strings.Repeat("a", 64)+`","size":100}]}`))
	req.Header.Set("Authorization", "Bearer "+h.Alice)
	req.Header.Set("Content-Type", "application/vnd.git-lfs+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("batch over quota: %d", resp.StatusCode)
	}
	rec := httptest.NewRecorder()
	srv.Metrics().Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	out := rec.Body.String()
	for _, want := range []string{
		`# TYPE wharf_http_requests_total counter`,
		`wharf_http_requests_total{route="health",method="GET",code="200"} 1`,
		`wharf_http_requests_total{route="lfs.batch",method="POST",code="403"} 1`,
		`wharf_http_request_duration_seconds_bucket{route="health",le="+Inf"} 1`,
		`wharf_http_request_duration_seconds_count{route="health"} 1`,
		`wharf_quota_refusals_total{kind="lfs"} 1`,
		`wharf_db_connections{state="in_use"}`,
		`wharf_lfs_multipart_uploads_in_flight 0`,
		`wharf_gc_freed_bytes_total 0`,
		`wharf_xet_file_sha256_total{source="read_back"} 0`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// Every line is a comment or "name{labels} value".
	for _, line := range bytes.Split(bytes.TrimSpace(rec.Body.Bytes()), []byte("\n")) {
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if f := bytes.Fields(line); len(f) != 2 {
			t.Errorf("bad sample line %q", line)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
}

// TestDisabledUserTokensStop: disabling a user refuses its tokens from the
// next request on; enabling it restores them; a revoked token stays dead.
func TestDisabledUserTokensStop(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := context.Background()
		h.JSON(t, http.MethodGet, "/api/whoami-v2", h.Alice, nil, http.StatusOK, nil)
		alice, err := h.Auth.Account(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Auth.SetDisabled(ctx, alice, true); err != nil {
			t.Fatal(err)
		}
		if resp := h.Do(t, http.MethodGet, "/api/whoami-v2", h.Alice, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("whoami of a disabled user: %d", resp.StatusCode)
		}
		if err := h.Auth.SetDisabled(ctx, alice, false); err != nil {
			t.Fatal(err)
		}
		h.JSON(t, http.MethodGet, "/api/whoami-v2", h.Alice, nil, http.StatusOK, nil)
		toks, err := h.Auth.Tokens(ctx, alice)
		if err != nil || len(toks) != 1 {
			t.Fatalf("tokens %v %v", toks, err)
		}
		if err := h.Auth.RevokeToken(ctx, alice, toks[0].ID); err != nil {
			t.Fatal(err)
		}
		if resp := h.Do(t, http.MethodGet, "/api/whoami-v2", h.Alice, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("whoami with a revoked token: %d", resp.StatusCode)
		}
	})
}
