package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/metrics"
)

// TestAdminOps drives the operator commands on a data directory as an
// administrator would: accounts, quotas, usage, gc, backup, restore and
// verify; and checks that -h shows only a command's own flags.
func TestAdminOps(t *testing.T) {
	isolate(t)
	data := t.TempDir()
	d := func(args ...string) result { return wharf(t, append(args, "--data", data)...) }
	d("admin", "user", "add", "alice", "--email", "a@example.com").ok(t)
	d("admin", "user", "add", "bob").ok(t)
	d("admin", "org", "add", "acme", "--member", "alice:admin").ok(t)
	d("admin", "org", "member", "add", "acme", "bob", "read").ok(t)

	var users []struct {
		Name   string `json:"name"`
		Tokens int    `json:"tokens"`
	}
	if err := json.Unmarshal([]byte(d("admin", "user", "list", "--json").ok(t).stdout), &users); err != nil || len(users) != 2 || users[0].Name != "alice" || users[0].Tokens != 1 {
		t.Fatalf("user list: %+v %v", users, err)
	}
	if out := d("admin", "org", "show", "acme").ok(t).stdout; !strings.Contains(out, "bob     read") {
		t.Fatalf("org show: %q", out)
	}
	d("admin", "quota", "set", "acme", "500GB", "--private-only").ok(t)
	d("admin", "quota", "set", "nobody", "1GB").fails(t, 1, "nobody")
	d("admin", "quota", "set", "acme", "lots").fails(t, 2, "invalid size")
	var qs []struct {
		Namespace   string `json:"namespace"`
		Limit       int64  `json:"limitBytes"`
		PrivateOnly bool   `json:"privateOnly"`
	}
	if err := json.Unmarshal([]byte(d("admin", "quota", "show", "--json").ok(t).stdout), &qs); err != nil || len(qs) != 1 || qs[0].Limit != 500e9 || !qs[0].PrivateOnly {
		t.Fatalf("quota show: %+v %v", qs, err)
	}
	if out := d("admin", "usage").ok(t).stdout; !strings.Contains(out, "server: 0 B referenced") {
		t.Fatalf("usage: %q", out)
	}
	if out := d("admin", "gc").ok(t).stdout; !strings.Contains(out, "would remove 0") {
		t.Fatalf("gc: %q", out)
	}
	d("admin", "gc", "--apply").ok(t)
	if out := d("admin", "verify").ok(t).stdout; !strings.HasSuffix(out, "ok\n") {
		t.Fatalf("verify: %q", out)
	}
	bk := filepath.Join(t.TempDir(), "bk")
	d("admin", "backup", bk).ok(t)
	if _, err := os.Stat(filepath.Join(bk, "MANIFEST.json")); err != nil {
		t.Fatal(err)
	}
	d("admin", "backup", bk).fails(t, 1, "not empty")
	restored := t.TempDir()
	wharf(t, "admin", "restore", bk, "--data", restored).ok(t)
	wharf(t, "admin", "restore", bk, "--data", restored).fails(t, 1, "exists")
	if out := wharf(t, "admin", "user", "list", "--data", restored).ok(t).stdout; !strings.Contains(out, "alice") {
		t.Fatalf("restored users: %q", out)
	}
	d("admin", "user", "disable", "bob").ok(t)
	if out := d("admin", "user", "list").ok(t).stdout; !strings.Contains(out, "disabled") {
		t.Fatalf("user list after disable: %q", out)
	}
	d("admin", "token", "revoke", "bob", "999").fails(t, 1, "no token 999")
	d("admin", "org", "member", "remove", "acme", "bob").ok(t)
	d("admin", "user", "remove", "bob").ok(t)
	d("admin", "user", "show", "bob").fails(t, 1, "not found")

	for _, tc := range []struct {
		args        []string
		want, avoid string
	}{
		{[]string{"admin", "org", "add", "-h"}, "-member", "-role"},
		{[]string{"admin", "token", "add", "-h"}, "-role", "-member"},
		{[]string{"admin", "user", "add", "-h"}, "-admin", "-member"},
		{[]string{"admin", "gc", "-h"}, "-apply", "-member"},
		{[]string{"admin", "user", "list", "-h"}, "-json", "-apply"},
	} {
		r := wharf(t, tc.args...)
		if r.code != 0 || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stderr, tc.avoid) {
			t.Errorf("%v: exit %d, help %q: want %s and not %s", tc.args, r.code, r.stderr, tc.want, tc.avoid)
		}
	}
}

// TestRunGCEvery: serve's --gc-interval loop collects again and again
// (counted in wharf_gc_runs_total), and stops with its context.
func TestRunGCEvery(t *testing.T) {
	h := newHub(t)
	m := metrics.New()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		runGC(ctx, h.Engine, h.Blobs, 10*time.Millisecond, time.Minute, slog.New(slog.DiscardHandler), m)
	}()
	runs := func() string {
		var b strings.Builder
		m.Write(&b)
		for _, l := range strings.Split(b.String(), "\n") {
			if strings.HasPrefix(l, `wharf_gc_runs_total{result="ok"}`) {
				return strings.TrimSpace(strings.TrimPrefix(l, `wharf_gc_runs_total{result="ok"}`))
			}
		}
		return "0"
	}
	deadline := time.Now().Add(time.Minute)
	for runs() == "0" || runs() == "1" {
		if time.Now().After(deadline) {
			t.Fatalf("gc ran %s times in a minute every 10 ms", runs())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}
