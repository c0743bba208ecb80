package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readTree returns the files below dir (slash paths → content).
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		var names []string
		for k := range got {
			names = append(names, k)
		}
		t.Errorf("got files %q, want %d files", names, len(want))
	}
	for p, w := range want {
		if g, ok := got[p]; !ok {
			t.Errorf("%s: missing", p)
		} else if g != w {
			t.Errorf("%s: %d bytes differ from the %d uploaded", p, len(g), len(w))
		}
	}
}

func TestDownload(t *testing.T) {
	h := newHub(t)
	src := t.TempDir()
	files := map[string]string{
		"README.md":        "# hello\n",
		"config.json":      `{"a": 1}`,
		"weights/w.bin":    binary(200_000),
		"weights/sp ace#?": "odd name",
	}
	writeFiles(t, src, files)
	as(t, h, h.Alice, "upload", "alice/dl", src, "--quiet").ok(t)
	gitattributes := string(h.Download(t, h.Alice, "alice/dl", "main", ".gitattributes"))
	t.Chdir(t.TempDir())

	t.Run("one file", func(t *testing.T) {
		out := t.TempDir()
		res := as(t, h, h.Alice, "download", "alice/dl", "weights/w.bin", "--local-dir", out).ok(t)
		want := filepath.Join(out, "weights", "w.bin")
		if res.stdout != want+"\n" {
			t.Errorf("stdout %q, want %q", res.stdout, want)
		}
		sameTree(t, readTree(t, out), map[string]string{"weights/w.bin": files["weights/w.bin"]})
	})
	t.Run("one file to the current folder", func(t *testing.T) {
		t.Chdir(t.TempDir())
		res := as(t, h, h.Alice, "download", "alice/dl", "config.json").ok(t)
		if res.stdout != "config.json\n" {
			t.Errorf("stdout %q", res.stdout)
		}
		sameTree(t, readTree(t, "."), map[string]string{"config.json": files["config.json"]})
	})
	t.Run("several files", func(t *testing.T) {
		out := t.TempDir()
		res := as(t, h, h.Alice, "download", "alice/dl", "README.md", "weights/sp ace#?", "--local-dir", out, "--include", "x").ok(t)
		if res.stdout != filepath.Join(out, "README.md")+"\n"+filepath.Join(out, "weights", "sp ace#?")+"\n" {
			t.Errorf("stdout %q", res.stdout)
		}
		if !strings.Contains(res.stderr, "warning: ignoring --include") {
			t.Errorf("stderr %q", res.stderr)
		}
		sameTree(t, readTree(t, out), map[string]string{"README.md": files["README.md"], "weights/sp ace#?": files["weights/sp ace#?"]})
	})
	t.Run("snapshot", func(t *testing.T) {
		out := t.TempDir()
		res := as(t, h, h.Alice, "download", "alice/dl", "--local-dir", out).ok(t)
		if res.stdout != out+"\n" {
			t.Errorf("stdout %q", res.stdout)
		}
		want := map[string]string{".gitattributes": gitattributes}
		for k, v := range files {
			want[k] = v
		}
		sameTree(t, readTree(t, out), want)
	})
	t.Run("snapshot to ./NAME with patterns", func(t *testing.T) {
		t.Chdir(t.TempDir())
		res := as(t, h, h.Alice, "download", "alice/dl", "--include", "weights/", "--include", "*.md", "--exclude", "*.bin").ok(t)
		if res.stdout != "dl\n" {
			t.Errorf("stdout %q", res.stdout)
		}
		sameTree(t, readTree(t, "dl"), map[string]string{"README.md": files["README.md"], "weights/sp ace#?": files["weights/sp ace#?"]})
	})
	t.Run("revision", func(t *testing.T) {
		old := h.Head(t, h.Alice, "alice/dl", "main")
		writeFiles(t, src, map[string]string{"config.json": `{"a": 2}`})
		as(t, h, h.Alice, "upload", "alice/dl", filepath.Join(src, "config.json"), "-q").ok(t)
		out := t.TempDir()
		as(t, h, h.Alice, "download", "alice/dl", "config.json", "--revision", old, "--local-dir", out).ok(t)
		as(t, h, h.Alice, "download", "alice/dl", "config.json", "--local-dir", filepath.Join(out, "new")).ok(t)
		sameTree(t, readTree(t, out), map[string]string{"config.json": `{"a": 1}`, "new/config.json": `{"a": 2}`})
	})
	t.Run("errors", func(t *testing.T) {
		out := t.TempDir()
		as(t, h, h.Alice, "download", "alice/dl", "nope.txt", "--local-dir", out).fails(t, 1, "404 Not Found")
		as(t, h, h.Alice, "download", "alice/missing", "--local-dir", out).fails(t, 1, "404 Not Found")
		as(t, h, h.Alice, "download", "alice/dl", "../escape", "--local-dir", out).fails(t, 2, `invalid file path "../escape"`)
		as(t, h, h.Alice, "download").fails(t, 2, "download: want REPO_ID [FILE]...")
		if got := readTree(t, out); len(got) != 0 {
			t.Errorf("failed downloads left files: %q", got)
		}
	})
}
