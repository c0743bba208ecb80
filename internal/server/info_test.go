package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/wire"
)

func TestRepoInfoDescribesRevision(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		weights := []byte("\x00\x01 pretend weights \xff")
		oid := h.PutLFS(t, "alice/m", weights)
		first := h.Commit(t, h.Alice, "alice/m", "main",
			servertest.File("config.json", []byte(`{"a": 1}`)),
			servertest.File("sub/dir/notes.txt", []byte("notes")),
			servertest.LFSFile("model.bin", oid, int64(len(weights))))
		h.JSON(t, http.MethodPost, "/api/models/alice/m/branch/dev", h.Alice, map[string]any{}, http.StatusOK, nil)
		second := h.Commit(t, h.Alice, "alice/m", "main", servertest.File("later.txt", []byte("later")))

		var info servertest.Info
		h.JSON(t, http.MethodGet, "/api/models/alice/m", h.Alice, nil, http.StatusOK, &info)
		if info.ID != "alice/m" || info.SHA != second {
			t.Errorf("id %q sha %q, want alice/m %s", info.ID, info.SHA, second)
		}
		if info.Private == nil || *info.Private {
			t.Errorf("private %v, want false", info.Private)
		}
		if info.XetEnabled == nil || !*info.XetEnabled {
			t.Errorf("xetEnabled %v, want true", info.XetEnabled)
		}
		if lm, err := time.Parse(wire.TimeFormat, info.LastModified); err != nil || time.Since(lm) > time.Hour || time.Until(lm) > time.Minute {
			t.Errorf("lastModified %q (err %v), want the time of the last commit", info.LastModified, err)
		}
		var names []string
		for _, s := range info.Siblings {
			names = append(names, s.RFilename)
			if s.Size != nil || s.LFS != nil || s.BlobID != "" {
				t.Errorf("sibling %s has blob metadata without blobs=true", s.RFilename)
			}
		}
		sameSet(t, "siblings", names, []string{".gitattributes", "config.json", "sub/dir/notes.txt", "model.bin", "later.txt"})

		// An older revision: a branch, a commit id, an abbreviated commit id.
		for _, rev := range []string{"dev", first, first[:7]} {
			h.JSON(t, http.MethodGet, "/api/models/alice/m/revision/"+servertest.Rev(rev), h.Alice, nil, http.StatusOK, &info)
			if info.SHA != first {
				t.Errorf("revision %s: sha %s, want %s", rev, info.SHA, first)
			}
			names = names[:0]
			for _, s := range info.Siblings {
				names = append(names, s.RFilename)
			}
			if slices.Contains(names, "later.txt") {
				t.Errorf("revision %s lists later.txt, added after it", rev)
			}
		}

		// blobs=true adds size, blobId and lfs.
		h.JSON(t, http.MethodGet, "/api/models/alice/m/revision/main?blobs=True", h.Alice, nil, http.StatusOK, &info)
		for _, s := range info.Siblings {
			switch s.RFilename {
			case "config.json":
				if s.Size == nil || *s.Size != 8 || s.BlobID != servertest.GitBlobID([]byte(`{"a": 1}`)) || s.LFS != nil {
					t.Errorf("config.json sibling: size %v blobId %s lfs %v", s.Size, s.BlobID, s.LFS)
				}
			case "model.bin":
				ptr := servertest.Pointer(weights)
				if s.Size == nil || *s.Size != int64(len(weights)) || s.BlobID != servertest.GitBlobID(ptr) {
					t.Errorf("model.bin sibling: size %v blobId %s", s.Size, s.BlobID)
				}
				if s.LFS == nil || s.LFS.SHA256 != oid || s.LFS.Size != int64(len(weights)) || s.LFS.PointerSize != int64(len(ptr)) {
					t.Errorf("model.bin sibling lfs: %+v, want sha256 %s size %d pointerSize %d", s.LFS, oid, len(weights), len(ptr))
				}
			}
		}
	})
}

func TestRepoInfoExpandReturnsOnlyAskedFields(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "spaces/alice/s", false)
		tests := []struct {
			query string
			keys  []string
		}{
			{"?expand=xetEnabled", []string{"_id", "id", "xetEnabled"}},
			{"?expand=sha&expand=private", []string{"_id", "id", "sha", "private"}},
			{"?expand[]=lastModified&expand[]=siblings", []string{"_id", "id", "lastModified", "siblings"}},
		}
		for _, tc := range tests {
			for _, p := range []string{"/api/spaces/alice/s", "/api/spaces/alice/s/revision/main"} {
				var m map[string]json.RawMessage
				h.JSON(t, http.MethodGet, p+tc.query, h.Alice, nil, http.StatusOK, &m)
				var keys []string
				for k := range m {
					keys = append(keys, k)
				}
				sameSet(t, p+tc.query, keys, tc.keys)
				if x, ok := m["xetEnabled"]; ok && string(x) != "true" {
					t.Errorf("%s: xetEnabled %s", p+tc.query, x)
				}
			}
		}
	})
}

func TestRepoInfoOfMissingRevisionIsRevisionNotFound(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "datasets/alice/d", false)
		for _, rev := range []string{"nope", "refs/pr/1", "0123456789abcdef0123456789abcdef01234567", "feature/x"} {
			resp := h.Do(t, http.MethodGet, "/api/datasets/alice/d/revision/"+servertest.Rev(rev), h.Alice, nil)
			servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, rev)
		}
		// A commit of another repo is not a revision of this one.
		h.CreateRepo(t, h.Bob, "datasets/bob/other", false)
		foreign := h.Commit(t, h.Bob, "datasets/bob/other", "main", servertest.File("x", []byte("x")))
		resp := h.Do(t, http.MethodGet, "/api/datasets/alice/d/revision/"+foreign, h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "")
		resp = h.Do(t, http.MethodGet, "/datasets/alice/d/resolve/"+foreign+"/x", h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "")
		resp = h.Do(t, http.MethodGet, "/api/datasets/alice/nope", h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRepoNotFound, "not found")
		resp = h.Do(t, http.MethodGet, "/api/datasets/alice/nope", "", nil)
		servertest.ExpectError(t, resp, http.StatusUnauthorized, wire.CodeRepoNotFound, "not found")
		// A model of that name does not make the dataset exist.
		h.CreateRepo(t, h.Alice, "alice/only-model", false)
		resp = h.Do(t, http.MethodGet, "/api/datasets/alice/only-model", h.Alice, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRepoNotFound, "not found")
	})
}
