package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/hub"
)

// withStdin makes 'wharf login' read s.
func withStdin(t *testing.T, s string) {
	t.Helper()
	old := stdin
	stdin = strings.NewReader(s)
	t.Cleanup(func() { stdin = old })
}

func TestLoginWhoamiLogout(t *testing.T) {
	h := newHub(t)
	home := os.Getenv("HF_HOME")
	path := filepath.Join(home, "token")
	// HF_HOME does not exist yet: login creates it.
	if err := os.Remove(home); err != nil {
		t.Fatal(err)
	}

	wharf(t, "whoami", "--endpoint", h.URL).fails(t, 1, "not logged in")

	res := wharf(t, "login", "--token", h.Alice, "--endpoint", h.URL).ok(t)
	if res.stdout != "Logged in to "+h.URL+" as alice; the token is saved in "+path+"\n" || res.stderr != "" {
		t.Errorf("login: stdout %q stderr %q", res.stdout, res.stderr)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(path); string(b) != h.Alice {
		t.Errorf("token file holds %q, want the bare token", b)
	}
	// A new client finds the token by itself, as huggingface_hub would.
	c, err := hub.New(&hub.Options{Endpoint: h.URL})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := c.Whoami(t.Context()); err != nil || u.Name != "alice" {
		t.Fatalf("Whoami with the saved token: %v, %v", u, err)
	}
	// So do the other commands.
	res = wharf(t, "whoami", "--endpoint", h.URL).ok(t)
	if res.stdout != "alice\n" {
		t.Errorf("whoami: %q", res.stdout)
	}
	t.Setenv("HF_ENDPOINT", h.URL)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"f.txt": "f"})
	wharf(t, "upload", "alice/via-login", filepath.Join(dir, "f.txt"), "-q").ok(t)
	wharf(t, "repo", "info", "alice/via-login").ok(t)

	// The token on standard input, as 'echo $TOKEN | wharf login' sends it,
	// replaces the saved one.
	withStdin(t, "  "+h.Bob+"\n")
	res = wharf(t, "login").ok(t)
	if !strings.Contains(res.stdout, " as bob;") {
		t.Errorf("login from stdin: %q", res.stdout)
	}
	if b, _ := os.ReadFile(path); string(b) != h.Bob {
		t.Errorf("token file holds %q, want bob's token", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v after a second login", fi.Mode().Perm())
	}
	res = wharf(t, "whoami").ok(t)
	if res.stdout != "bob\norgs: acme\n" {
		t.Errorf("whoami: %q", res.stdout)
	}
	// --token wins over the file.
	if res := wharf(t, "whoami", "--token", h.Carol).ok(t); res.stdout != "carol\n" {
		t.Errorf("whoami --token: %q", res.stdout)
	}
	// HF_TOKEN wins over the file, and login warns about it.
	t.Setenv("HF_TOKEN", h.Carol)
	if res := wharf(t, "whoami").ok(t); res.stdout != "carol\n" {
		t.Errorf("whoami with HF_TOKEN: %q", res.stdout)
	}
	res = wharf(t, "login", "--token", h.Bob).ok(t)
	if !strings.Contains(res.stderr, "HF_TOKEN is set") {
		t.Errorf("login with HF_TOKEN set: stderr %q", res.stderr)
	}
	os.Unsetenv("HF_TOKEN")

	// A bad token is refused and leaves the saved one alone.
	wharf(t, "login", "--token", "hf_wrong").fails(t, 1, "did not accept the token: 401 Unauthorized")
	withStdin(t, "")
	wharf(t, "login").fails(t, 2, "login: no token given")
	wharf(t, "login", "extra").fails(t, 2, "login: want no arguments")
	if b, _ := os.ReadFile(path); string(b) != h.Bob {
		t.Errorf("a failed login changed the token file to %q", b)
	}
	wharf(t, "whoami", "--token", "hf_wrong").fails(t, 1, "401 Unauthorized")

	res = wharf(t, "logout").ok(t)
	if res.stdout != "Logged out: deleted "+path+"\n" {
		t.Errorf("logout: %q", res.stdout)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("token file still there: %v", err)
	}
	res = wharf(t, "logout").ok(t)
	if !strings.HasPrefix(res.stdout, "Not logged in") {
		t.Errorf("second logout: %q", res.stdout)
	}
	wharf(t, "whoami").fails(t, 1, "not logged in")
	left, _ := filepath.Glob(filepath.Join(home, ".token-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %q", left)
	}
}

func TestLoginTokenPath(t *testing.T) {
	h := newHub(t)
	path := filepath.Join(t.TempDir(), "elsewhere", "tok")
	t.Setenv("HF_TOKEN_PATH", path)
	wharf(t, "login", "--token", h.Alice, "--endpoint", h.URL).ok(t)
	if b, err := os.ReadFile(path); err != nil || string(b) != h.Alice {
		t.Errorf("HF_TOKEN_PATH: %q, %v", b, err)
	}
}
