package server

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/wire"
)

// expandProperties are the names repo info and listings accept in expand,
// per repo type: huggingface_hub's ExpandModelProperty_T,
// ExpandDatasetProperty_T and ExpandSpaceProperty_T (hf_api.py) of 0.36
// and 2.x together (2.x dropped xetEnabled, which 0.30+ still send, and
// added evalResults, mainSize and region), plus gitalyUid, which
// huggingface.js' *_EXPANDABLE_KEYS allow.
var expandProperties = map[wire.RepoType][]string{
	wire.Model: {"author", "baseModels", "cardData", "childrenModelCount", "config", "createdAt", "disabled",
		"downloads", "downloadsAllTime", "evalResults", "gated", "gguf", "gitalyUid", "inference",
		"inferenceProviderMapping", "lastModified", "library_name", "likes", "mask_token", "model-index",
		"pipeline_tag", "private", "resourceGroup", "safetensors", "sha", "siblings", "spaces", "tags",
		"transformersInfo", "trendingScore", "usedStorage", "widgetData", "xetEnabled"},
	wire.Dataset: {"author", "cardData", "citation", "createdAt", "description", "disabled", "downloads",
		"downloadsAllTime", "gated", "gitalyUid", "lastModified", "likes", "mainSize", "paperswithcode_id", "private",
		"resourceGroup", "sha", "siblings", "tags", "trendingScore", "usedStorage", "xetEnabled"},
	wire.Space: {"author", "cardData", "createdAt", "datasets", "disabled", "gitalyUid", "lastModified", "likes",
		"models", "private", "region", "resourceGroup", "runtime", "sdk", "sha", "siblings", "subdomain", "tags",
		"trendingScore", "usedStorage", "xetEnabled"},
}

// parseExpand returns the properties asked for with expand (or expand[]),
// or the Hub's 400 for a name the repo type does not have.
func parseExpand(r *http.Request, t wire.RepoType) ([]string, error) {
	q := r.URL.Query()
	expand := append(q["expand"], q["expand[]"]...)
	valid := expandProperties[t]
	for _, e := range expand {
		if !slices.Contains(valid, e) {
			return nil, httpError(http.StatusBadRequest, "", `"expand" must be one of [%s]`, strings.Join(valid, ", "))
		}
	}
	return expand, nil
}

// expandedFields are the properties repo info shows only when expanded,
// with real data where Wharf has it (README metadata) and the Hub's
// neutral value (0, [], null) where it has none.
func (s *Server) expandedFields(ctx context.Context, rp *repo.Repo, commit string) map[string]func() any {
	var card map[string]any
	loaded := false
	meta := func() map[string]any {
		if !loaded {
			loaded = true
			if e, err := s.engine.Stat(ctx, rp, commit, "README.md"); err == nil && !e.Dir && e.LFS == nil {
				if b, err := s.engine.ReadBlob(ctx, rp, e.OID); err == nil {
					card = cardData(b)
				}
			}
		}
		return card
	}
	fromCard := func(k string) func() any {
		return func() any {
			if v, ok := meta()[k]; ok {
				return v
			}
			return nil
		}
	}
	list := func(k string) func() any {
		return func() any {
			switch v := meta()[k].(type) {
			case []any:
				return v
			case string:
				return []any{v}
			}
			return []any{}
		}
	}
	zero := func() any { return 0 }
	null := func() any { return nil }
	f := map[string]func() any{
		"cardData": func() any {
			if m := meta(); m != nil {
				return m
			}
			return nil
		},
		"tags":               list("tags"),
		"downloadsAllTime":   zero,
		"trendingScore":      zero,
		"resourceGroup":      null,
		"gitalyUid":          null,
		"childrenModelCount": zero,
	}
	switch rp.Type {
	case wire.Model:
		f["library_name"] = fromCard("library_name")
		f["pipeline_tag"] = fromCard("pipeline_tag")
		f["model-index"] = fromCard("model-index")
		f["widgetData"] = fromCard("widget")
		for _, k := range []string{"baseModels", "config", "evalResults", "gguf", "inference", "inferenceProviderMapping", "mask_token", "safetensors", "transformersInfo"} {
			f[k] = null
		}
		f["spaces"] = func() any { return []any{} }
	case wire.Dataset:
		f["paperswithcode_id"] = fromCard("paperswithcode_id")
		for _, k := range []string{"citation", "description", "mainSize"} {
			f[k] = null
		}
	case wire.Space:
		f["datasets"] = list("datasets")
		f["models"] = list("models")
		f["region"] = null
		f["subdomain"] = null
		f["sdk"] = func() any {
			if v, ok := meta()["sdk"].(string); ok {
				return v
			}
			return "gradio"
		}
	}
	return f
}

// expandListed fills the expanded properties of one listed repo: item has
// what the listing knows; the rest is read from the repo's default branch
// (only what was asked for).
func (s *Server) expandListed(ctx context.Context, rp *repo.Repo, item map[string]any, expand []string) (map[string]any, error) {
	out := map[string]any{"_id": item["_id"], "id": item["id"]}
	var head string
	var more map[string]func() any
	for _, k := range expand {
		if v, ok := item[k]; ok && k != "tags" {
			out[k] = v
			continue
		}
		if head == "" {
			res, err := s.engine.Resolve(ctx, rp, "")
			if err != nil {
				return nil, err
			}
			head = res.Commit
			more = s.expandedFields(ctx, rp, head)
		}
		switch k {
		case "sha":
			out[k] = head
		case "xetEnabled":
			out[k] = s.xetEnabled(ctx, rp)
		case "usedStorage":
			out[k] = 0
		case "disabled":
			out[k] = false
		case "runtime":
			out[k] = map[string]any{"stage": "NO_APP_FILE"}
		case "siblings":
			sibs := []map[string]any{}
			after := ""
			for {
				ents, next, err := s.engine.ListTree(ctx, rp, head, repo.ListOptions{Recursive: true, After: after, Limit: 5000})
				if err != nil {
					return nil, err
				}
				for _, e := range ents {
					if !e.Dir {
						sibs = append(sibs, map[string]any{"rfilename": e.Path})
					}
				}
				if next == "" {
					break
				}
				after = next
			}
			out[k] = sibs
		default:
			if f, ok := more[k]; ok {
				out[k] = f()
			} else {
				out[k] = nil
			}
		}
	}
	return out, nil
}

// xetEnabled is the repo's Xet setting (true unless turned off).
func (s *Server) xetEnabled(ctx context.Context, rp *repo.Repo) bool {
	on, err := s.engine.XetEnabled(ctx, rp)
	return err != nil || on
}
