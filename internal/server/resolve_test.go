package server_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/wire"
)

func TestResolveServesRegularAndLFSFiles(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		const r = "datasets/alice/d"
		h.CreateRepo(t, h.Alice, r, false)
		text := []byte("col1,col2\n1,2\n")
		weights := make([]byte, 300<<10)
		rand.Read(weights)
		oid := h.PutLFS(t, r, weights)
		head := h.Commit(t, h.Alice, r, "main",
			servertest.File("dir/my file #1.txt", text),
			servertest.LFSFile("model.bin", oid, int64(len(weights))))
		files := []struct {
			path    string
			content []byte
			etag    string
			lfs     bool
		}{
			{"dir/my file #1.txt", text, servertest.GitBlobID(text), false},
			{"model.bin", weights, oid, true},
		}
		for _, f := range files {
			url := "/datasets/alice/d/resolve/main/" + servertest.EscapePath(f.path)
			t.Run(f.path, func(t *testing.T) {
				head1 := h.Do(t, http.MethodHead, url, h.Alice, nil, "Accept-Encoding", "identity")
				get := h.Do(t, http.MethodGet, url, h.Alice, nil)
				for _, resp := range []*http.Response{head1, get} {
					m := resp.Request.Method
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("%s: status %d; body %s", m, resp.StatusCode, servertest.Body(resp))
					}
					if got := resp.Header.Get(wire.HeaderRepoCommit); got != head {
						t.Errorf("%s: X-Repo-Commit %q, want %s", m, got, head)
					}
					if got := resp.Header.Get("ETag"); got != `"`+f.etag+`"` {
						t.Errorf("%s: ETag %q, want %q", m, got, `"`+f.etag+`"`)
					}
					if got := resp.Header.Get("Content-Length"); got != strconv.Itoa(len(f.content)) {
						t.Errorf("%s: Content-Length %q, want %d", m, got, len(f.content))
					}
					if f.lfs {
						if got := resp.Header.Get(wire.HeaderLinkedEtag); got != `"`+oid+`"` {
							t.Errorf("%s: X-Linked-Etag %q, want the sha256", m, got)
						}
						if got := resp.Header.Get(wire.HeaderLinkedSize); got != strconv.Itoa(len(f.content)) {
							t.Errorf("%s: X-Linked-Size %q, want %d", m, got, len(f.content))
						}
					}
					if ar := resp.Header.Get("Accept-Ranges"); ar != "bytes" {
						t.Errorf("%s: Accept-Ranges %q", m, ar)
					}
				}
				if len(servertest.Body(head1)) != 0 {
					t.Errorf("HEAD has a body")
				}
				if !bytes.Equal(servertest.Body(get), f.content) {
					t.Errorf("GET: %d bytes downloaded differ from the %d uploaded", len(servertest.Body(get)), len(f.content))
				}
				// By commit id too, and through /raw/.
				byCommit := h.Download(t, h.Alice, r, head, f.path)
				if !bytes.Equal(byCommit, f.content) {
					t.Errorf("download at %s differs", head)
				}
				raw := h.Do(t, http.MethodGet, "/datasets/alice/d/raw/main/"+servertest.EscapePath(f.path), h.Alice, nil)
				if raw.StatusCode != http.StatusOK || !bytes.Equal(servertest.Body(raw), f.content) {
					t.Errorf("raw: status %d", raw.StatusCode)
				}
			})
		}
	})
}

func TestResolveRangeRequests(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		text := []byte("0123456789abcdefghij")
		weights := make([]byte, 100<<10)
		rand.Read(weights)
		oid := h.PutLFS(t, "alice/m", weights)
		h.Commit(t, h.Alice, "alice/m", "main", servertest.File("t.txt", text), servertest.LFSFile("w.safetensors", oid, int64(len(weights))))
		for _, f := range []struct {
			path    string
			content []byte
		}{{"t.txt", text}, {"w.safetensors", weights}} {
			n := len(f.content)
			tests := []struct {
				rng        string
				start, end int // inclusive
			}{
				{"bytes=0-0", 0, 0},
				{"bytes=5-", 5, n - 1},           // resume
				{"bytes=3-9", 3, 9},              // middle
				{"bytes=-4", n - 4, n - 1},       // suffix
				{"bytes=10-99999999", 10, n - 1}, // past the end is clipped
			}
			for _, tc := range tests {
				resp := h.Do(t, http.MethodGet, "/alice/m/resolve/main/"+f.path, h.Alice, nil, "Range", tc.rng)
				if resp.StatusCode != http.StatusPartialContent {
					t.Errorf("%s %s: status %d, want 206", f.path, tc.rng, resp.StatusCode)
					continue
				}
				want := fmt.Sprintf("bytes %d-%d/%d", tc.start, tc.end, n)
				if got := resp.Header.Get("Content-Range"); got != want {
					t.Errorf("%s %s: Content-Range %q, want %q", f.path, tc.rng, got, want)
				}
				if !bytes.Equal(servertest.Body(resp), f.content[tc.start:tc.end+1]) {
					t.Errorf("%s %s: wrong bytes", f.path, tc.rng)
				}
				if resp.Header.Get(wire.HeaderRepoCommit) == "" {
					t.Errorf("%s %s: no X-Repo-Commit", f.path, tc.rng)
				}
			}
			resp := h.Do(t, http.MethodGet, "/alice/m/resolve/main/"+f.path, h.Alice, nil, "Range", fmt.Sprintf("bytes=%d-", n+10))
			if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
				t.Errorf("%s: range past the end: status %d, want 416", f.path, resp.StatusCode)
			}
		}
	})
}

func TestResolveMissingFileOrRevision(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "spaces/alice/s", false)
		head := h.Commit(t, h.Alice, "spaces/alice/s", "main", servertest.File("app.py", []byte("print(1)")), servertest.File("dir/x.txt", []byte("x")))
		for _, p := range []string{"missing.txt", "dir", "dir/missing.txt", "app.py/x"} {
			for _, m := range []string{http.MethodHead, http.MethodGet} {
				resp := h.Do(t, m, "/spaces/alice/s/resolve/main/"+p, h.Alice, nil)
				servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeEntryNotFound, "")
				// The client caches the miss under .no_exist/<commit>/.
				if got := resp.Header.Get(wire.HeaderRepoCommit); got != head {
					t.Errorf("%s %s: X-Repo-Commit %q, want %s", m, p, got, head)
				}
			}
		}
		for _, rev := range []string{"nope", "refs%2Fpr%2F7", "0000000000000000000000000000000000000000"} {
			resp := h.Do(t, http.MethodHead, "/spaces/alice/s/resolve/"+rev+"/app.py", h.Alice, nil)
			servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "")
		}
		resp := h.Do(t, http.MethodGet, "/spaces/alice/nope/resolve/main/app.py", h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRepoNotFound, "")
		// A model of the same name is another repo.
		resp = h.Do(t, http.MethodGet, "/alice/s/resolve/main/app.py", h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRepoNotFound, "")
	})
}

func TestLFSUploadThroughBatchThenCommitAndDownload(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		content := make([]byte, 1<<20+17)
		rand.Read(content)
		oid := h.UploadLFS(t, h.Alice, "alice/m", content)
		// A second upload of the same content needs no transfer.
		if again := h.UploadLFS(t, h.Alice, "alice/m", content); again != oid {
			t.Fatalf("oid changed")
		}
		got := preupload(t, h, h.Alice, "alice/m", "main", map[string]any{"files": []any{fileReq("model.safetensors", content)}})
		if got["model.safetensors"].UploadMode != "lfs" {
			t.Errorf("uploadMode %s", got["model.safetensors"].UploadMode)
		}
		head := h.Commit(t, h.Alice, "alice/m", "main", servertest.LFSFile("model.safetensors", oid, int64(len(content))))
		if !bytes.Equal(h.Download(t, h.Alice, "alice/m", head, "model.safetensors"), content) {
			t.Errorf("downloaded bytes differ from uploaded bytes")
		}
		// Uploading to alice/m does not let bob's repo use the object.
		h.CreateRepo(t, h.Bob, "bob/b", false)
		resp := h.PostCommit(t, h.Bob, "bob/b", "main", "", servertest.Lines(servertest.Header("steal", ""), servertest.LFSFile("w.safetensors", oid, int64(len(content)))))
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("committing another repo's LFS object: status %d, want 4xx", resp.StatusCode)
		}
		// Unless bob uploads the bytes himself.
		h.UploadLFS(t, h.Bob, "bob/b", content)
		h.Commit(t, h.Bob, "bob/b", "main", servertest.LFSFile("w.safetensors", oid, -1))
		if !bytes.Equal(h.Download(t, h.Bob, "bob/b", "main", "w.safetensors"), content) {
			t.Errorf("bob's download differs")
		}
	})
}
