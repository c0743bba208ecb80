package server_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
)

type expandedEntry struct {
	Path       string `json:"path"`
	LastCommit *struct {
		ID    string `json:"id"`
		Title string `json:"title"`
		Date  string `json:"date"`
	} `json:"lastCommit"`
}

func TestTreeAndPathsInfoExpandLastCommit(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		r := "alice/expand"
		h.CreateRepo(t, h.Alice, r, false)
		c1 := h.Commit(t, h.Alice, r, "main", servertest.Header("first", ""), servertest.File("one.txt", []byte("1")))
		c2 := h.Commit(t, h.Alice, r, "main", servertest.Header("second", ""), servertest.File("dir/two.txt", []byte("2")))
		h.Commit(t, h.Alice, r, "main", servertest.Header("third", ""), servertest.File("dir/three.txt", []byte("3")))
		want := map[string]string{"one.txt": c1, "dir/two.txt": c2}

		var tree []expandedEntry
		h.JSON(t, http.MethodGet, servertest.API(r)+"/tree/main?recursive=true&expand=true", h.Alice, nil, http.StatusOK, &tree)
		got := map[string]string{}
		for _, e := range tree {
			if e.LastCommit == nil {
				t.Fatalf("tree entry %s has no lastCommit", e.Path)
			}
			got[e.Path] = e.LastCommit.ID
		}
		for p, c := range want {
			if got[p] != c {
				t.Errorf("lastCommit of %s = %s, want %s", p, got[p], c)
			}
		}
		var plain []expandedEntry
		h.JSON(t, http.MethodGet, servertest.API(r)+"/tree/main?recursive=true&expand=false", h.Alice, nil, http.StatusOK, &plain)
		for _, e := range plain {
			if e.LastCommit != nil {
				t.Errorf("expand=false: %s has a lastCommit", e.Path)
			}
		}

		form := url.Values{"paths": {"one.txt", "dir/two.txt"}, "expand": {"True"}}
		var infos []expandedEntry
		h.JSON(t, http.MethodPost, servertest.API(r)+"/paths-info/main", h.Alice, form, http.StatusOK, &infos)
		if len(infos) != 2 || infos[0].LastCommit == nil || infos[0].LastCommit.ID != c1 || infos[0].LastCommit.Title != "first" {
			t.Errorf("paths-info expand = %+v, want one.txt last changed by %s", infos, c1)
		}
	})
}

func TestCommitsTotalCount(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		r := "alice/count"
		h.CreateRepo(t, h.Alice, r, false)
		for i := 0; i < 3; i++ {
			h.Commit(t, h.Alice, r, "main", servertest.Header("c"+strconv.Itoa(i), ""), servertest.File("f.txt", []byte(strconv.Itoa(i))))
		}
		for _, limit := range []string{"1", "50"} {
			resp := h.Do(t, http.MethodGet, servertest.API(r)+"/commits/main?limit="+limit, h.Alice, nil)
			resp.Body.Close()
			if got := resp.Header.Get("X-Total-Count"); got != "4" {
				t.Errorf("limit %s: X-Total-Count = %q, want 4", limit, got)
			}
		}
	})
}
