package server

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// README metadata: the YAML block at the top of a repo's README.md
// (https://huggingface.co/docs/hub/model-cards#model-card-metadata).

// splitFrontMatter returns the YAML block of a README: has reports whether
// the file starts a block, closed whether the block ends.
func splitFrontMatter(src []byte) (block []byte, has, closed bool) {
	s := bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	rest, ok := bytes.CutPrefix(s, []byte("---\n"))
	if !ok {
		return nil, false, false
	}
	if bytes.HasPrefix(rest, []byte("---\n")) || bytes.Equal(rest, []byte("---")) {
		return nil, true, true
	}
	if i := bytes.Index(rest, []byte("\n---\n")); i >= 0 {
		return rest[:i], true, true
	}
	if bytes.HasSuffix(rest, []byte("\n---")) {
		return rest[:len(rest)-4], true, true
	}
	return nil, true, false
}

// cardData parses a README's metadata; nil when it has none or it is not
// valid YAML.
func cardData(src []byte) map[string]any {
	block, has, closed := splitFrontMatter(src)
	if !has || !closed {
		return nil
	}
	meta := map[string]any{}
	if err := yaml.Unmarshal(block, &meta); err != nil || len(meta) == 0 {
		return nil
	}
	return meta
}

// cardProblems checks a README's metadata as the Hub does on
// /api/validate-yaml and on commits: errors for metadata the Hub refuses
// (unclosed block, invalid YAML, known keys of the wrong type), warnings
// for a README without metadata.
func cardProblems(src []byte) (errs, warnings []string) {
	block, has, closed := splitFrontMatter(src)
	switch {
	case !has:
		return nil, []string{"empty or missing yaml metadata in repo card (https://huggingface.co/docs/hub/model-cards#model-card-metadata)"}
	case !closed:
		return []string{"YAML metadata block starts with --- but is never closed with ---"}, nil
	}
	var meta any
	if err := yaml.Unmarshal(block, &meta); err != nil {
		return []string{fmt.Sprintf("Invalid YAML in metadata: %v", err)}, nil
	}
	if meta == nil {
		return nil, []string{"empty or missing yaml metadata in repo card (https://huggingface.co/docs/hub/model-cards#model-card-metadata)"}
	}
	m, ok := meta.(map[string]any)
	if !ok {
		return []string{"\"metadata\" must be an object"}, nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if msg := checkCardKey(k, m[k]); msg != "" {
			errs = append(errs, msg)
		}
	}
	return errs, nil
}

// checkCardKey checks the type of a known metadata key.
func checkCardKey(k string, v any) string {
	if v == nil {
		return ""
	}
	stringOrList := func() string {
		switch v := v.(type) {
		case string:
			return ""
		case []any:
			for _, e := range v {
				if _, ok := e.(string); !ok {
					return fmt.Sprintf("%q must be a string or an array of strings", k)
				}
			}
			return ""
		}
		return fmt.Sprintf("%q must be a string or an array of strings", k)
	}
	switch k {
	case "license", "tags", "datasets", "base_model", "language", "metrics", "license_name", "license_link", "new_version", "models":
		return stringOrList()
	case "pipeline_tag", "library_name", "thumbnail", "sdk", "sdk_version", "app_file", "title", "emoji", "pretty_name":
		switch v.(type) {
		case string, int, float64, bool:
			// YAML may type "1.2" or "true"; the Hub reads them as text
			return ""
		}
		return fmt.Sprintf("%q must be a string", k)
	case "model-index":
		list, ok := v.([]any)
		if !ok {
			return `"model-index" must be an array`
		}
		for i, e := range list {
			o, ok := e.(map[string]any)
			if !ok {
				return fmt.Sprintf(`"model-index[%d]" must be an object`, i)
			}
			if _, ok := o["name"].(string); !ok {
				return fmt.Sprintf(`"model-index[%d].name" is required and must be a string`, i)
			}
			if r, ok := o["results"]; ok {
				if _, ok := r.([]any); !ok {
					return fmt.Sprintf(`"model-index[%d].results" must be an array`, i)
				}
			}
		}
	case "widget", "configs":
		if _, ok := v.([]any); !ok {
			return fmt.Sprintf("%q must be an array", k)
		}
	}
	return ""
}

// messagesJSON is the Hub's list of {"message": …} objects.
func messagesJSON(msgs []string) []map[string]string {
	out := make([]map[string]string, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, map[string]string{"message": m})
	}
	return out
}

// checkReadme refuses a commit whose root README.md has metadata the Hub
// refuses, with the text huggingface_hub shows for /api/validate-yaml.
func checkReadme(path string, content []byte) error {
	if path != "README.md" {
		return nil
	}
	errs, _ := cardProblems(content)
	if len(errs) == 0 {
		return nil
	}
	return httpError(http.StatusBadRequest, "", "Invalid metadata in README.md.\n- %s", strings.Join(errs, "\n- "))
}
