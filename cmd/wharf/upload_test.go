package main

import (
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
)

// commitURL matches the one line an upload prints.
func commitURL(h *servertest.Hub, webPath string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(h.URL+webPath) + `/commit/[0-9a-f]{40}\n$`)
}

func TestUploadPathInference(t *testing.T) {
	h := newHub(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"one.txt":         "one",
		"folder/a.txt":    "a",
		"folder/sub/b.md": "b",
		"cwd/m3/x.txt":    "x",  // a folder named like the repo
		"cwd/m4":          "m4", // a file named like the repo
		"cwd/w/a.json":    "{}", // for wildcards
		"cwd/w/b.txt":     "b",  //
		"cwd/w/s/c.json":  "[]", //
		"cwd/w/s/d.jsonl": "{}\n",
	})
	cases := []struct {
		name  string
		cwd   string
		args  []string
		repo  string
		files []string
	}{
		{"file, no PATH_IN_REPO: its base name", "", []string{filepath.Join(dir, "one.txt")}, "alice/m1", []string{"one.txt"}},
		{"file with PATH_IN_REPO", "", []string{filepath.Join(dir, "one.txt"), "docs/renamed.txt"}, "alice/m1b", []string{"docs/renamed.txt"}},
		{"folder, no PATH_IN_REPO: the root", "", []string{filepath.Join(dir, "folder")}, "alice/m2", []string{"a.txt", "sub/b.md"}},
		{"folder with PATH_IN_REPO", "", []string{filepath.Join(dir, "folder"), "/data/"}, "alice/m2b", []string{"data/a.txt", "data/sub/b.md"}},
		{"no LOCAL_PATH, a folder named like the repo", "cwd", nil, "alice/m3", []string{"x.txt"}},
		{"no LOCAL_PATH, a file named like the repo", "cwd", nil, "alice/m4", []string{"m4"}},
		{"wildcard LOCAL_PATH: * matches across folders", "cwd/w", []string{"*.json"}, "alice/w1", []string{"a.json", "s/c.json"}},
		{"wildcard LOCAL_PATH with PATH_IN_REPO .", "cwd/w", []string{"s/?.json*", "."}, "alice/w2", []string{"s/c.json", "s/d.jsonl"}},
		{"wildcard LOCAL_PATH with a set", "cwd/w", []string{"[ab].*"}, "alice/w3", []string{"a.json", "b.txt"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.cwd != "" {
				t.Chdir(filepath.Join(dir, filepath.FromSlash(tc.cwd)))
			}
			res := as(t, h, h.Alice, append([]string{"upload", tc.repo}, tc.args...)...).ok(t)
			if !commitURL(h, "/"+tc.repo).MatchString(res.stdout) {
				t.Errorf("stdout %q is not the commit URL", res.stdout)
			}
			sameFiles(t, "repo files", filesOf(t, h, tc.repo, "main"), append(tc.files, ".gitattributes"))
		})
	}
}

// filesOf lists a repo's files, .gitattributes included if the Hub made one.
func filesOf(t *testing.T, h *servertest.Hub, repo, rev string) []string {
	t.Helper()
	files := h.Files(t, h.Alice, repo, rev)
	if !contains(files, ".gitattributes") {
		files = append(files, ".gitattributes") // so tests need not care
	}
	return files
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestUploadPathErrors(t *testing.T) {
	h := newHub(t)
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, map[string]string{"a.json": "{}"})

	as(t, h, h.Alice, "upload", "alice/nothing-here").fails(t, 1, "'nothing-here' is not a local file or folder: please set LOCAL_PATH explicitly")
	as(t, h, h.Alice, "upload", "alice/m", "missing/file.bin").fails(t, 1, "missing/file.bin: no such file or directory")
	as(t, h, h.Alice, "upload", "alice/m", "missing", "x").fails(t, 1, "missing: no such file or directory")
	as(t, h, h.Alice, "upload", "alice/m", "*.json", "sub").fails(t, 2, `cannot set PATH_IN_REPO when LOCAL_PATH "*.json" contains a wildcard`)
	as(t, h, h.Alice, "upload", "alice/m", "*.json", "--include", "*.txt").fails(t, 2, `cannot set --include when LOCAL_PATH "*.json" contains a wildcard`)
	// None of these reached the Hub.
	if resp := h.Do(t, http.MethodGet, "/api/models/alice/m", h.Alice, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("alice/m exists (status %d): a failed upload created it", resp.StatusCode)
	}
}

func TestUploadUsageErrors(t *testing.T) {
	h := newHub(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"f.txt": "f"})
	f := filepath.Join(dir, "f.txt")
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"upload"}, "upload: want REPO_ID [LOCAL_PATH] [PATH_IN_REPO], got 0 arguments"},
		{[]string{"upload", "alice/m", f, "x", "y"}, "got 4 arguments"},
		{[]string{"upload", "no-namespace", f}, `invalid repo id "no-namespace"`},
		{[]string{"upload", "alice/bad..name", f}, `invalid repo id "alice/bad..name"`},
		{[]string{"upload", "alice/m", f, "--repo-type", "kernel"}, `invalid --repo-type "kernel"`},
		{[]string{"upload", "alice/m", f, "--bogus"}, "upload: flag provided but not defined: -bogus (see 'wharf upload -h')"},
		{[]string{"upload", "alice/m", f, "--every", "0"}, "must be a number of minutes > 0"},
		{[]string{"upload", "alice/m", f, "--every", "soon"}, "must be a number of minutes > 0"},
		{[]string{"nonsense"}, `unknown command "nonsense"`},
	}
	for _, tc := range cases {
		res := as(t, h, h.Alice, tc.args...)
		if tc.args[0] == "nonsense" {
			// The top-level usage comes first, then the error line.
			if res.code != 2 || !strings.HasSuffix(res.stderr, "wharf: unknown command \"nonsense\"\n") {
				t.Errorf("%q: code %d, stderr %q", tc.args, res.code, res.stderr)
			}
			continue
		}
		res.fails(t, 2, tc.msg)
	}
	// --every is tested in upload_every_test.go.
	// -h is not an error.
	res := wharf(t, "upload", "-h").ok(t)
	if !strings.HasPrefix(res.stdout, "Usage: wharf upload REPO_ID") || !strings.Contains(res.stdout, "--create-pr") || res.stderr != "" {
		t.Errorf("upload -h: stdout %q, stderr %q", res.stdout, res.stderr)
	}
}

func TestUploadHubErrors(t *testing.T) {
	h := newHub(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"f.txt": "f"})
	f := filepath.Join(dir, "f.txt")
	as(t, h, h.Alice, "upload", "alice/m", f).ok(t)
	// carol may read alice/m but not write it.
	as(t, h, h.Carol, "upload", "alice/m", f, "other.txt").fails(t, 1, "403 Forbidden")
	// bob cannot create repos in alice's namespace.
	as(t, h, h.Bob, "upload", "alice/new", f).fails(t, 1, "wharf: 403 Forbidden")
	as(t, h, "hf_notatoken", "upload", "alice/m", f).fails(t, 1, "401 Unauthorized")
}

func TestUploadPatterns(t *testing.T) {
	h := newHub(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"keep.txt":      "k",
		"big.txt":       "b",
		"logs/x.log":    "x",
		"data/a.json":   "a",
		"data/c/b.json": "b",
		"data/skip.bin": binary(100),
	})
	as(t, h, h.Alice, "upload", "alice/p", dir, "--include", "*.txt", "--include", "data/", "--exclude", "big*", "--exclude", "*.bin").ok(t)
	sameFiles(t, "after include/exclude", filesOf(t, h, "alice/p", "main"),
		[]string{".gitattributes", "keep.txt", "data/a.json", "data/c/b.json"})

	// --delete removes remote files under PATH_IN_REPO (here the root) that
	// match and are not uploaded again; .gitattributes stays.
	writeFiles(t, dir, map[string]string{"new/n.txt": "n"})
	res := as(t, h, h.Alice, "upload", "alice/p", filepath.Join(dir, "new"), "--delete", "*.json", "--delete", ".gitattributes").ok(t)
	if res.stderr != "" {
		t.Errorf("stderr %q", res.stderr)
	}
	sameFiles(t, "after delete", filesOf(t, h, "alice/p", "main"), []string{".gitattributes", "keep.txt", "n.txt"})

	// Deletion is scoped to PATH_IN_REPO.
	as(t, h, h.Alice, "upload", "alice/p", filepath.Join(dir, "logs"), "logs").ok(t)
	as(t, h, h.Alice, "upload", "alice/p", filepath.Join(dir, "new"), "logs", "--delete", "*").ok(t)
	sameFiles(t, "after scoped delete", filesOf(t, h, "alice/p", "main"), []string{".gitattributes", "keep.txt", "n.txt", "logs/n.txt"})

	// A single file ignores the patterns, with a warning unless --quiet.
	f := filepath.Join(dir, "keep.txt")
	res = as(t, h, h.Alice, "upload", "alice/p", f, "solo.txt", "--include", "*.md", "--exclude", "*", "--delete", "*").ok(t)
	for _, flag := range []string{"--include", "--exclude", "--delete"} {
		if !strings.Contains(res.stderr, "warning: ignoring "+flag+" since a single file is uploaded\n") {
			t.Errorf("no warning for %s: stderr %q", flag, res.stderr)
		}
	}
	sameFiles(t, "after single file", filesOf(t, h, "alice/p", "main"), []string{".gitattributes", "keep.txt", "n.txt", "logs/n.txt", "solo.txt"})
	res = as(t, h, h.Alice, "upload", "alice/p", f, "solo2.txt", "--include", "*.md", "--quiet").ok(t)
	if res.stderr != "" {
		t.Errorf("--quiet: stderr %q", res.stderr)
	}
}

func TestUploadRevisionAndPR(t *testing.T) {
	h := newHub(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.txt": "a", "w.bin": binary(3000)})
	as(t, h, h.Alice, "upload", "alice/r", filepath.Join(dir, "a.txt")).ok(t)

	// --revision creates the branch from the default branch's head.
	res := as(t, h, h.Alice, "upload", "alice/r", filepath.Join(dir, "w.bin"), "--revision", "dev").ok(t)
	if !strings.Contains(res.stderr, "Created branch dev") {
		t.Errorf("stderr %q", res.stderr)
	}
	sameFiles(t, "dev", filesOf(t, h, "alice/r", "dev"), []string{".gitattributes", "a.txt", "w.bin"})
	sameFiles(t, "main", filesOf(t, h, "alice/r", "main"), []string{".gitattributes", "a.txt"})
	if got := h.Download(t, h.Alice, "alice/r", "dev", "w.bin"); string(got) != binary(3000) {
		t.Error("w.bin differs on dev")
	}
	// An existing branch is reused.
	res = as(t, h, h.Alice, "upload", "alice/r", filepath.Join(dir, "a.txt"), "b.txt", "--revision", "dev").ok(t)
	if strings.Contains(res.stderr, "Created branch") {
		t.Errorf("stderr %q", res.stderr)
	}
	sameFiles(t, "dev", filesOf(t, h, "alice/r", "dev"), []string{".gitattributes", "a.txt", "b.txt", "w.bin"})

	// --create-pr: the commit URL on stdout, the pull request on stderr.
	mainHead := h.Head(t, h.Alice, "alice/r", "main")
	res = as(t, h, h.Alice, "upload", "alice/r", dir, "pr", "--create-pr", "--commit-message", "Add pr/", "--commit-description", "why").ok(t)
	if !commitURL(h, "/alice/r").MatchString(res.stdout) {
		t.Errorf("stdout %q is not the commit URL", res.stdout)
	}
	if !regexp.MustCompile(`Opened pull request #1: \S+/alice/r/discussions/1 \(revision refs/pr/1\)\n`).MatchString(res.stderr) {
		t.Errorf("stderr %q does not announce the pull request", res.stderr)
	}
	if h.Head(t, h.Alice, "alice/r", "main") != mainHead {
		t.Error("--create-pr moved main")
	}
	sameFiles(t, "refs/pr/1", filesOf(t, h, "alice/r", "refs/pr/1"), []string{".gitattributes", "a.txt", "pr/a.txt", "pr/w.bin"})
	if hist := h.History(t, h.Alice, "alice/r", "refs/pr/1"); hist[0].Title != "Add pr/" || !strings.Contains(hist[0].Message, "why") {
		t.Errorf("PR commit: title %q message %q", hist[0].Title, hist[0].Message)
	}
	// --create-pr with --quiet: only the URL.
	res = as(t, h, h.Alice, "upload", "alice/r", filepath.Join(dir, "a.txt"), "q.txt", "--create-pr", "-q").ok(t)
	if !commitURL(h, "/alice/r").MatchString(res.stdout) || res.stderr != "" {
		t.Errorf("--quiet --create-pr: stdout %q stderr %q", res.stdout, res.stderr)
	}
}

func TestUploadRepoTypesAndQuiet(t *testing.T) {
	h := newHub(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"d/train.csv": "a,b\n1,2\n", "d/w.bin": binary(5000)})

	res := as(t, h, h.Alice, "upload", "alice/ds", filepath.Join(dir, "d"), "--repo-type", "dataset", "--quiet", "--private").ok(t)
	if !commitURL(h, "/datasets/alice/ds").MatchString(res.stdout) || res.stderr != "" {
		t.Errorf("dataset --quiet: stdout %q stderr %q", res.stdout, res.stderr)
	}
	if rp := h.Repo(t, "datasets/alice/ds"); !rp.Private {
		t.Error("--private: the dataset is public")
	}
	// Nothing changed: still the URL (of the head), and a note.
	res = as(t, h, h.Alice, "upload", "alice/ds", filepath.Join(dir, "d"), "--type", "dataset").ok(t)
	if !commitURL(h, "/datasets/alice/ds").MatchString(res.stdout) || !strings.Contains(res.stderr, "No changes") {
		t.Errorf("unchanged upload: stdout %q stderr %q", res.stdout, res.stderr)
	}
	// A space is created with the gradio SDK.
	res = as(t, h, h.Alice, "upload", "alice/sp", filepath.Join(dir, "d", "train.csv"), "--type", "space").ok(t)
	if !commitURL(h, "/spaces/alice/sp").MatchString(res.stdout) {
		t.Errorf("space: stdout %q", res.stdout)
	}
}
