package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
)

// hubExpand are huggingface_hub's Expand*Property_T names (0.36 and 2.x
// together) and huggingface.js' gitalyUid.
var hubExpand = map[string][]string{
	"alice/m": {"author", "baseModels", "cardData", "childrenModelCount", "config", "createdAt", "disabled",
		"downloads", "downloadsAllTime", "evalResults", "gated", "gguf", "gitalyUid", "inference",
		"inferenceProviderMapping", "lastModified", "library_name", "likes", "mask_token", "model-index",
		"pipeline_tag", "private", "resourceGroup", "safetensors", "sha", "siblings", "spaces", "tags",
		"transformersInfo", "trendingScore", "usedStorage", "widgetData", "xetEnabled"},
	"datasets/alice/d": {"author", "cardData", "citation", "createdAt", "description", "disabled", "downloads",
		"downloadsAllTime", "gated", "gitalyUid", "lastModified", "likes", "mainSize", "paperswithcode_id", "private",
		"resourceGroup", "sha", "siblings", "tags", "trendingScore", "usedStorage", "xetEnabled"},
	"spaces/alice/s": {"author", "cardData", "createdAt", "datasets", "disabled", "gitalyUid", "lastModified", "likes",
		"models", "private", "region", "resourceGroup", "runtime", "sdk", "sha", "siblings", "subdomain", "tags",
		"trendingScore", "usedStorage", "xetEnabled"},
}

func expandQuery(props ...string) string {
	q := url.Values{"expand": props}
	return "?" + q.Encode()
}

// TestExpandAcceptsExactlyTheHubProperties: every listed property is
// answered (and only those, with _id and id); any other name is the Hub's
// 400 listing the valid ones, in repo info and listings.
func TestExpandAcceptsExactlyTheHubProperties(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		readme := []byte("---\nlicense: mit\ntags:\n- vision\nlibrary_name: timm\npipeline_tag: image-classification\ndatasets: [imagenet]\n---\n# card\n")
		for r, props := range hubExpand {
			h.CreateRepo(t, h.Alice, r, false)
			h.Commit(t, h.Alice, r, "main", servertest.File("README.md", readme))
			var m map[string]json.RawMessage
			h.JSON(t, http.MethodGet, servertest.API(r)+expandQuery(props...), h.Alice, nil, http.StatusOK, &m)
			var keys []string
			for k := range m {
				keys = append(keys, k)
			}
			sameSet(t, r+" expanded keys", keys, append([]string{"_id", "id"}, props...))
			if got := string(m["cardData"]); !strings.Contains(got, `"license":"mit"`) {
				t.Errorf("%s cardData %s", r, got)
			}
			if got := string(m["tags"]); got != `["vision"]` {
				t.Errorf("%s tags %s", r, got)
			}
			resp := h.Do(t, http.MethodGet, servertest.API(r)+"?expand=does_not_exist", h.Alice, nil)
			servertest.ExpectError(t, resp, http.StatusBadRequest, "", `"expand" must be one of [`+strings.Join(props, ", ")+`]`)
			typ, _ := servertest.SplitRepo(r)
			resp = h.Do(t, http.MethodGet, "/api/"+typ.Plural()+"?author=alice&expand=does_not_exist", h.Alice, nil)
			servertest.ExpectError(t, resp, http.StatusBadRequest, "", `"expand" must be one of [`)
		}
		var m map[string]any
		h.JSON(t, http.MethodGet, "/api/models/alice/m?expand=library_name&expand=pipeline_tag", h.Alice, nil, http.StatusOK, &m)
		if m["library_name"] != "timm" || m["pipeline_tag"] != "image-classification" {
			t.Errorf("model card fields: %v", m)
		}
		servertest.ExpectError(t, h.Do(t, http.MethodGet, "/api/datasets/alice/d?expand=pipeline_tag", h.Alice, nil), http.StatusBadRequest, "", `"expand" must be one of`)
		var list []map[string]any
		h.JSON(t, http.MethodGet, "/api/models?author=alice&expand=sha&expand=cardData&expand=gated", h.Alice, nil, http.StatusOK, &list)
		if len(list) != 1 || len(list[0]) != 5 || list[0]["gated"] != false || len(list[0]["sha"].(string)) != 40 || list[0]["cardData"] == nil {
			t.Errorf("expanded listing: %v", list)
		}
	})
}
