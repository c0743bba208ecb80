package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
)

type yamlAnswer struct {
	Errors []struct {
		Message string `json:"message"`
	} `json:"errors"`
	Warnings []struct {
		Message string `json:"message"`
	} `json:"warnings"`
}

// TestValidateYAMLChecksKnownKeys: invalid YAML and wrongly typed known
// keys are errors (400); a README without metadata is a warning (200).
func TestValidateYAMLChecksKnownKeys(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		tests := []struct {
			name, content    string
			status           int
			errors, warnings int
			contains         string
		}{
			{"valid", "---\nlicense: mit\ntags: [a, b]\ndatasets:\n- d\nbase_model: x/y\nmodel-index:\n- name: m\n  results: []\n---\n# T\n", 200, 0, 0, ""},
			{"no metadata", "# T\n", 200, 0, 1, "empty or missing yaml metadata"},
			{"empty metadata", "---\n---\n# T\n", 200, 0, 1, "empty or missing yaml metadata"},
			{"model-index not a list", "---\nmodel-index: foo\n---\n", 400, 1, 0, `"model-index" must be an array`},
			{"tags a mapping", "---\ntags:\n  a: b\n---\n", 400, 1, 0, `"tags" must be a string or an array of strings`},
			{"license a number list", "---\nlicense: [1, 2]\n---\n", 400, 1, 0, `"license"`},
			{"invalid yaml", "---\nlicense: [mit\n---\n", 400, 1, 0, "Invalid YAML"},
			{"not a mapping", "---\n- a\n- b\n---\n", 400, 1, 0, "must be an object"},
			{"unclosed", "---\nlicense: mit\n", 400, 1, 0, "never closed"},
		}
		for _, tc := range tests {
			var ans yamlAnswer
			h.JSON(t, http.MethodPost, "/api/validate-yaml", h.Alice, map[string]any{"content": tc.content, "repoType": "model"}, tc.status, &ans)
			if len(ans.Errors) != tc.errors || len(ans.Warnings) != tc.warnings {
				t.Errorf("%s: %+v", tc.name, ans)
				continue
			}
			all := ""
			for _, e := range append(ans.Errors, ans.Warnings...) {
				all += e.Message + "\n"
			}
			if !strings.Contains(all, tc.contains) {
				t.Errorf("%s: %q does not contain %q", tc.name, all, tc.contains)
			}
		}
	})
}

// TestCommitRefusesInvalidReadmeMetadata: a commit whose root README.md
// has metadata the Hub refuses stores nothing.
func TestCommitRefusesInvalidReadmeMetadata(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		const r = "alice/card"
		h.CreateRepo(t, h.Alice, r, false)
		head := h.Head(t, h.Alice, r, "main")
		resp := h.PostCommit(t, h.Alice, r, "main", "", servertest.Lines(servertest.Header("card", ""),
			servertest.File("a.txt", []byte("a")), servertest.File("README.md", []byte("---\nmodel-index: foo\n---\n# card\n"))))
		servertest.ExpectError(t, resp, http.StatusBadRequest, "", "Invalid metadata in README.md.")
		if got := h.Head(t, h.Alice, r, "main"); got != head {
			t.Errorf("a refused commit moved main")
		}
		// Below the root, and without metadata, README.md is not refused.
		h.Commit(t, h.Alice, r, "main", servertest.File("docs/README.md", []byte("---\nmodel-index: foo\n---\n")), servertest.File("README.md", []byte("# plain\n")))
	})
}
