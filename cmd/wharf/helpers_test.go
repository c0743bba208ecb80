package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
)

// newHub starts an in-process Hub and isolates the test from the user's
// huggingface_hub settings: HF_HOME is a temporary folder and no token or
// endpoint comes from the environment.
func newHub(t *testing.T) *servertest.Hub {
	t.Helper()
	isolate(t)
	return servertest.New(t, sqltest.SQLite)
}

func isolate(t *testing.T) {
	t.Helper()
	t.Setenv("HF_HOME", t.TempDir())
	for _, k := range []string{"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_ENDPOINT"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

// result is what one run of the CLI printed and its exit code.
type result struct {
	stdout, stderr string
	code           int
}

// wharf runs the CLI in-process, as main does.
func wharf(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	ctx := t.Context()
	code := report(ctx, run(ctx, args, &out, &errb), &errb)
	return result{out.String(), errb.String(), code}
}

// as runs the CLI against h with token.
func as(t *testing.T, h *servertest.Hub, token string, args ...string) result {
	t.Helper()
	return wharf(t, append(args, "--endpoint", h.URL, "--token", token)...)
}

// ok fails the test unless the run succeeded.
func (r result) ok(t *testing.T) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit code %d; stdout %q; stderr %q", r.code, r.stdout, r.stderr)
	}
	return r
}

// fails checks a failed run: its exit code, and one line on stderr that
// starts with "wharf: " and contains msg.
func (r result) fails(t *testing.T, code int, msg string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit code %d, want %d; stderr %q", r.code, code, r.stderr)
	}
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "wharf: ") || !strings.HasSuffix(r.stderr, "\n") {
		t.Errorf("stderr is not one 'wharf: ' line: %q", r.stderr)
	}
	if !strings.Contains(r.stderr, msg) {
		t.Errorf("stderr %q does not contain %q", r.stderr, msg)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q, want nothing", r.stdout)
	}
}

// writeFiles creates files (slash-separated paths → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// sameFiles fails the test unless got and want hold the same paths.
func sameFiles(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Errorf("%s: got %q, want %q", what, g, w)
	}
}

// binary is content the Hub stores in LFS (it has NUL bytes).
func binary(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return string(b)
}
