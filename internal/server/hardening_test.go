package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
)

// TestResolveUnsatisfiableAndTooManyRanges: "bytes=-0" is a 416 (RFC 9110
// §14.1.1); more than a few dozen ranges get the whole file.
func TestResolveUnsatisfiableAndTooManyRanges(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		const r = "alice/ranges"
		h.CreateRepo(t, h.Alice, r, false)
		content := []byte(strings.Repeat("0123456789", 100))
		oid := h.PutLFS(t, r, content)
		h.Commit(t, h.Alice, r, "main", servertest.File("a.txt", content), servertest.LFSFile("w.bin", oid, int64(len(content))))
		for _, f := range []string{"a.txt", "w.bin"} {
			u := servertest.Web(r) + "/resolve/main/" + f
			resp := h.Do(t, http.MethodGet, u, h.Alice, nil, "Range", "bytes=-0")
			if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable || resp.Header.Get("Content-Range") != "bytes */1000" {
				t.Errorf("%s bytes=-0: %d Content-Range %q", f, resp.StatusCode, resp.Header.Get("Content-Range"))
			}
			resp = h.Do(t, http.MethodGet, u, h.Alice, nil, "Range", "bytes=2000-")
			if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
				t.Errorf("%s bytes=2000-: %d", f, resp.StatusCode)
			}
			var specs []string
			for i := range 2000 {
				specs = append(specs, fmt.Sprintf("%d-%d", i%1000, i%1000))
			}
			resp = h.Do(t, http.MethodGet, u, h.Alice, nil, "Range", "bytes="+strings.Join(specs, ","))
			if resp.StatusCode != http.StatusOK || len(servertest.Body(resp)) != len(content) {
				t.Errorf("%s with 2000 ranges: %d, %d bytes", f, resp.StatusCode, len(servertest.Body(resp)))
			}
			resp = h.Do(t, http.MethodGet, u, h.Alice, nil, "Range", "bytes=0-1,5-6")
			if resp.StatusCode != http.StatusPartialContent {
				t.Errorf("%s with 2 ranges: %d", f, resp.StatusCode)
			}
			resp = h.Do(t, http.MethodGet, u, h.Alice, nil, "Range", "bytes=-5")
			if resp.StatusCode != http.StatusPartialContent || string(servertest.Body(resp)) != "56789" {
				t.Errorf("%s bytes=-5: %d %q", f, resp.StatusCode, servertest.Body(resp))
			}
		}
	})
}

// TestDiscussionTextLimits: titles and comments past the limits are a 400.
func TestDiscussionTextLimits(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		const r = "alice/limits"
		h.CreateRepo(t, h.Alice, r, false)
		long := strings.Repeat("t", 201)
		servertest.ExpectError(t, h.Do(t, http.MethodPost, servertest.API(r)+"/discussions", h.Alice, map[string]any{"title": long}), http.StatusBadRequest, "", "title is 201 characters long")
		servertest.ExpectError(t, h.Do(t, http.MethodPost, servertest.API(r)+"/discussions", h.Alice, map[string]any{"title": "ok", "description": strings.Repeat("d", 10<<20)}),
			http.StatusBadRequest, "", "comment is")
		var d struct {
			Num int `json:"num"`
		}
		h.JSON(t, http.MethodPost, servertest.API(r)+"/discussions", h.Alice, map[string]any{"title": strings.Repeat("é", 200)}, http.StatusOK, &d)
		base := fmt.Sprintf("%s/discussions/%d", servertest.API(r), d.Num)
		servertest.ExpectError(t, h.Do(t, http.MethodPost, base+"/comment", h.Alice, map[string]any{"comment": strings.Repeat("c", 65<<10)}), http.StatusBadRequest, "", "comment is")
		servertest.ExpectError(t, h.Do(t, http.MethodPost, base+"/title", h.Alice, map[string]any{"title": long}), http.StatusBadRequest, "", "title is")
		h.JSON(t, http.MethodPost, base+"/comment", h.Alice, map[string]any{"comment": strings.Repeat("c", 64<<10)}, http.StatusOK, nil)
	})
}
