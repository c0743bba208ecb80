package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func TestRepoCommands(t *testing.T) {
	h := newHub(t)

	res := as(t, h, h.Alice, "repo", "create", "alice/rc").ok(t)
	if res.stdout != h.URL+"/alice/rc\n" {
		t.Errorf("create: stdout %q", res.stdout)
	}
	as(t, h, h.Alice, "repo", "create", "alice/rc").fails(t, 1, "409 Conflict")
	res = as(t, h, h.Alice, "repo", "create", "alice/rc", "--exist-ok").ok(t)
	if res.stdout != h.URL+"/alice/rc\n" {
		t.Errorf("create --exist-ok: stdout %q", res.stdout)
	}
	res = as(t, h, h.Alice, "repo", "create", "alice/ds", "--repo-type", "dataset", "--private").ok(t)
	if res.stdout != h.URL+"/datasets/alice/ds\n" {
		t.Errorf("create dataset: stdout %q", res.stdout)
	}
	as(t, h, h.Alice, "repo", "create", "alice/sp", "--type", "space", "--space-sdk", "docker").ok(t)
	as(t, h, h.Alice, "repo", "create", "alice/x", "--space-sdk", "docker").fails(t, 2, "--space-sdk is only for spaces")
	as(t, h, h.Alice, "repo", "create", "alice/x", "extra").fails(t, 2, "repo create: want repo create REPO_ID")
	as(t, h, h.Alice, "repo", "create", "x").fails(t, 2, `invalid repo id "x"`)
	as(t, h, h.Alice, "repo", "frobnicate").fails(t, 2, `repo: unknown command "frobnicate"`)
	wharf(t, "repo").fails(t, 2, "repo: want create, delete, info or ls")

	// info: a JSON summary.
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.txt": "a", "sub/b.txt": "b", "sub/deep/c.bin": binary(64)})
	as(t, h, h.Alice, "upload", "alice/ds", dir, "--repo-type", "dataset", "-q").ok(t)
	res = as(t, h, h.Alice, "repo", "info", "alice/ds", "--repo-type", "dataset").ok(t)
	var info repoSummary
	if err := json.Unmarshal([]byte(res.stdout), &info); err != nil {
		t.Fatalf("info is not JSON: %v: %q", err, res.stdout)
	}
	head := h.Head(t, h.Alice, "datasets/alice/ds", "main")
	if info.ID != "alice/ds" || info.Type != "dataset" || info.SHA != head || !info.Private || info.Files != 4 ||
		info.URL != h.URL+"/datasets/alice/ds" || info.LastModified.IsZero() {
		t.Errorf("info: %+v (head %s)", info, head)
	}
	first := h.History(t, h.Alice, "datasets/alice/ds", "main")[1].ID
	res = as(t, h, h.Alice, "repo", "info", "alice/ds", "--repo-type", "dataset", "--revision", first).ok(t)
	if err := json.Unmarshal([]byte(res.stdout), &info); err != nil || info.SHA != first || info.Files != 1 {
		t.Errorf("info --revision %s: %+v, %v", first, info, err)
	}
	as(t, h, h.Carol, "repo", "info", "alice/ds", "--repo-type", "dataset").fails(t, 1, "404 Not Found")
	as(t, h, h.Alice, "repo", "info", "alice/ds", "--repo-type", "dataset", "--revision", "nope").fails(t, 1, "RevisionNotFound")

	// ls: one path per line; folders end in "/" unless -R, which lists files only.
	ls := func(args ...string) string {
		t.Helper()
		return as(t, h, h.Alice, append([]string{"repo", "ls", "alice/ds", "--repo-type", "dataset"}, args...)...).ok(t).stdout
	}
	sameFiles(t, "ls", lines(ls()), []string{".gitattributes", "a.txt", "sub/"})
	sameFiles(t, "ls -R", lines(ls("-R")), []string{".gitattributes", "a.txt", "sub/b.txt", "sub/deep/c.bin"})
	sameFiles(t, "ls sub", lines(ls("sub")), []string{"sub/b.txt", "sub/deep/"})
	sameFiles(t, "ls --recursive sub", lines(ls("sub", "--recursive")), []string{"sub/b.txt", "sub/deep/c.bin"})
	sameFiles(t, "ls --revision", lines(ls("--revision", first)), []string{".gitattributes"})

	// delete.
	res = as(t, h, h.Alice, "repo", "delete", "alice/ds", "--repo-type", "dataset").ok(t)
	if res.stdout != "deleted "+h.URL+"/datasets/alice/ds\n" {
		t.Errorf("delete: stdout %q", res.stdout)
	}
	as(t, h, h.Alice, "repo", "info", "alice/ds", "--repo-type", "dataset").fails(t, 1, "404 Not Found (RepoNotFound)")
	as(t, h, h.Alice, "repo", "delete", "alice/ds", "--repo-type", "dataset").fails(t, 1, "404 Not Found")
	as(t, h, h.Alice, "repo", "delete", "alice/ds", "--repo-type", "dataset", "--missing-ok").ok(t)
	as(t, h, h.Bob, "repo", "delete", "alice/rc").fails(t, 1, "403 Forbidden")

	// help
	res = wharf(t, "repo", "-h").ok(t)
	if !strings.Contains(res.stdout, "wharf repo ls REPO_ID") {
		t.Errorf("repo -h: %q", res.stdout)
	}
	res = wharf(t, "repo", "ls", "--help").ok(t)
	if !regexp.MustCompile(`(?m)^  -R$`).MatchString(res.stdout) {
		t.Errorf("repo ls --help: %q", res.stdout)
	}
}

func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
