package server_test

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
)

// gitIn runs git in dir with the token as a Bearer header; it returns
// stdout and whether git succeeded (stderr joins stdout on failure).
func gitIn(t *testing.T, dir, token string, args ...string) (string, bool) {
	t.Helper()
	args = append([]string{"-c", "http.extraHeader=Authorization: Bearer " + token, "-c", "user.name=Alice", "-c", "user.email=alice@example.com"}, args...)
	cmd := exec.CommandContext(t.Context(), "git", args...)
	cmd.Dir = dir
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull, "LC_ALL=C", "GIT_TERMINAL_PROMPT=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String() + stderr.String(), false
	}
	return stdout.String(), true
}

func mustGit(t *testing.T, dir, token string, args ...string) string {
	t.Helper()
	out, ok := gitIn(t, dir, token, args...)
	if !ok {
		t.Fatalf("git %s: %s", strings.Join(args, " "), out)
	}
	return strings.TrimSpace(out)
}

// TestAnnotatedTagsRoundTrip: annotated tags pushed by git are kept byte
// for byte, peeled by revisions and refs listings, cloned, deleted by
// git push --delete; create_tag with a message makes one; tags never move.
func TestAnnotatedTagsRoundTrip(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		const r = "alice/tags"
		h.CreateRepo(t, h.Alice, r, false)
		head := h.Commit(t, h.Alice, r, "main", servertest.File("a.txt", []byte("a")))
		h.JSON(t, http.MethodPost, servertest.API(r)+"/tag/main", h.Alice, map[string]any{"tag": "v-api", "message": "Release from the API"}, http.StatusOK, nil)

		work := t.TempDir()
		url := h.URL + "/" + r
		mustGit(t, work, h.Alice, "clone", "--quiet", url, "c1")
		c1 := filepath.Join(work, "c1")
		if got := mustGit(t, c1, h.Alice, "cat-file", "-t", "v-api"); got != "tag" {
			t.Errorf("v-api in a clone is a %s, want tag", got)
		}
		if got := mustGit(t, c1, h.Alice, "cat-file", "-p", "v-api"); !strings.Contains(got, "Release from the API") || !strings.Contains(got, "object "+head) {
			t.Errorf("v-api: %s", got)
		}
		mustGit(t, c1, h.Alice, "tag", "-a", "v1", "-m", "Version 1")
		tagID := mustGit(t, c1, h.Alice, "rev-parse", "v1")
		mustGit(t, c1, h.Alice, "push", "--quiet", "origin", "v1")

		var refs refsAnswer
		h.JSON(t, http.MethodGet, servertest.API(r)+"/refs", h.Alice, nil, http.StatusOK, &refs)
		tags := map[string]string{}
		for _, tg := range refs.Tags {
			tags[tg.Name] = tg.TargetCommit
		}
		if tags["v1"] != head || tags["v-api"] != head {
			t.Errorf("refs listing peels tags to %s: %v", head, tags)
		}
		if got := h.Head(t, h.Alice, r, "v1"); got != head {
			t.Errorf("revision v1 is %s, want %s", got, head)
		}
		if got := h.Download(t, h.Alice, r, "v1", "a.txt"); string(got) != "a" {
			t.Errorf("download at v1: %q", got)
		}
		mustGit(t, work, h.Alice, "clone", "--quiet", url, "c2")
		c2 := filepath.Join(work, "c2")
		if got := mustGit(t, c2, h.Alice, "rev-parse", "v1"); got != tagID {
			t.Errorf("tag object %s after a round trip, want %s", got, tagID)
		}
		mustGit(t, c2, h.Alice, "fsck", "--strict")
		// git fetch follows the peeled tag too.
		mustGit(t, c2, h.Alice, "fetch", "--quiet", "--tags")

		// Tags never move; a tag of a tree is refused.
		mustGit(t, c1, h.Alice, "commit", "--quiet", "--allow-empty", "-m", "next")
		mustGit(t, c1, h.Alice, "tag", "-f", "-a", "v1", "-m", "moved")
		if out, ok := gitIn(t, c1, h.Alice, "push", "--force", "origin", "v1"); ok || !strings.Contains(out, "cannot be moved") {
			t.Errorf("moving v1: ok=%v %s", ok, out)
		}
		mustGit(t, c1, h.Alice, "tag", "-a", "treetag", "-m", "a tree", "HEAD^{tree}")
		if out, ok := gitIn(t, c1, h.Alice, "push", "origin", "treetag"); ok || !strings.Contains(out, "must tag a commit") {
			t.Errorf("pushing a tag of a tree: ok=%v %s", ok, out)
		}
		mustGit(t, c1, h.Alice, "push", "--quiet", "--delete", "origin", "v1")
		h.JSON(t, http.MethodGet, servertest.API(r)+"/refs", h.Alice, nil, http.StatusOK, &refs)
		for _, tg := range refs.Tags {
			if tg.Name == "v1" {
				t.Errorf("v1 still listed after git push --delete")
			}
		}
	})
}
