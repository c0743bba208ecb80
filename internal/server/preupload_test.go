package server_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/wire"
)

type preuploadFile struct {
	Path         string  `json:"path"`
	UploadMode   string  `json:"uploadMode"`
	ShouldIgnore *bool   `json:"shouldIgnore"`
	OID          *string `json:"oid"`
}

type preuploadAnswer struct {
	Files     []preuploadFile `json:"files"`
	CommitOid string          `json:"commitOid"`
}

// sampleOf is what the Python client sends for a file: its first 512 bytes.
func sampleOf(content []byte) string {
	return base64.StdEncoding.EncodeToString(content[:min(512, len(content))])
}

func fileReq(path string, content []byte) map[string]any {
	return map[string]any{"path": path, "sample": sampleOf(content), "size": len(content)}
}

func preupload(t *testing.T, h *servertest.Hub, token, repo, rev string, body map[string]any) map[string]preuploadFile {
	t.Helper()
	var ans preuploadAnswer
	h.JSON(t, http.MethodPost, servertest.API(repo)+"/preupload/"+servertest.Rev(rev), token, body, http.StatusOK, &ans)
	out := map[string]preuploadFile{}
	for _, f := range ans.Files {
		if f.ShouldIgnore == nil {
			t.Errorf("%s: shouldIgnore missing (the client reads it with [...])", f.Path)
		}
		if f.UploadMode != "regular" && f.UploadMode != "lfs" {
			t.Errorf("%s: uploadMode %q", f.Path, f.UploadMode)
		}
		out[f.Path] = f
	}
	if len(ans.Files) != len(out) {
		t.Errorf("preupload answered %d files for %d distinct paths", len(ans.Files), len(out))
	}
	return out
}

func TestPreuploadChoosesUploadMode(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		text := []byte("hello world\n")
		big := bytes.Repeat([]byte("a"), 10<<20)
		almostBig := bytes.Repeat([]byte("a"), 10<<20-1)
		binary := append([]byte("abc\x00def"), text...)
		utf8Split := append(bytes.Repeat([]byte("a"), 511), "é"...) // sample cuts "é" in half
		tests := []struct {
			path    string
			content []byte
			mode    string
		}{
			{"README.md", []byte("# readme\n"), "regular"},
			{"notes/text.txt", text, "regular"},
			{"weights/model.bin", text, "lfs"}, // *.bin is tracked by the default .gitattributes
			{"model.safetensors", text, "lfs"},
			{"nested/deep/x.parquet", text, "lfs"},
			{"big.txt", big, "lfs"},
			{"almost-big.txt", almostBig, "regular"},
			{"blob.dat", binary, "lfs"},
			{"utf8.txt", utf8Split, "regular"},
			{"empty.bin", nil, "regular"}, // empty files cannot go to LFS
			{"empty.txt", nil, "regular"},
			{"with space/ünïcode #1.txt", text, "regular"},
		}
		var files []any
		for _, tc := range tests {
			files = append(files, fileReq(tc.path, tc.content))
		}
		got := preupload(t, h, h.Alice, "alice/m", "main", map[string]any{"files": files})
		for _, tc := range tests {
			f, ok := got[tc.path]
			if !ok {
				t.Errorf("%s: not echoed", tc.path)
				continue
			}
			if f.UploadMode != tc.mode {
				t.Errorf("%s (%d bytes): uploadMode %s, want %s", tc.path, len(tc.content), f.UploadMode, tc.mode)
			}
			if *f.ShouldIgnore {
				t.Errorf("%s: shouldIgnore without any gitignore", tc.path)
			}
			if f.OID != nil {
				t.Errorf("%s: oid %q for a file that is not in the repo", tc.path, *f.OID)
			}
		}
	})
}

func TestPreuploadUsesGitattributesOfRevision(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		h.JSON(t, http.MethodPost, "/api/models/alice/m/branch/custom", h.Alice, map[string]any{}, http.StatusOK, nil)
		h.Commit(t, h.Alice, "alice/m", "custom", servertest.File(".gitattributes", []byte("*.dat filter=lfs diff=lfs merge=lfs -text\n")))
		body := map[string]any{"files": []any{fileReq("a.dat", []byte("x")), fileReq("a.bin", []byte("x"))}}
		main := preupload(t, h, h.Alice, "alice/m", "main", body)
		custom := preupload(t, h, h.Alice, "alice/m", "custom", body)
		if main["a.dat"].UploadMode != "regular" || main["a.bin"].UploadMode != "lfs" {
			t.Errorf("main: a.dat %s a.bin %s, want regular lfs", main["a.dat"].UploadMode, main["a.bin"].UploadMode)
		}
		if custom["a.dat"].UploadMode != "lfs" || custom["a.bin"].UploadMode != "regular" {
			t.Errorf("custom: a.dat %s a.bin %s, want lfs regular", custom["a.dat"].UploadMode, custom["a.bin"].UploadMode)
		}
	})
}

func TestPreuploadShouldIgnore(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		files := []any{
			fileReq("logs/run.txt", []byte("x")),
			fileReq("a.tmp", []byte("x")),
			fileReq("sub/b.tmp", []byte("x")),
			fileReq("keep.txt", []byte("x")),
			fileReq("cache/x.bin", []byte("x")),
		}
		// From the request's gitIgnore.
		got := preupload(t, h, h.Alice, "alice/m", "main", map[string]any{"files": files, "gitIgnore": "logs/\n*.tmp\n"})
		want := map[string]bool{"logs/run.txt": true, "a.tmp": true, "sub/b.tmp": true, "keep.txt": false, "cache/x.bin": false}
		for p, w := range want {
			if f := got[p]; f.ShouldIgnore == nil || *f.ShouldIgnore != w {
				t.Errorf("gitIgnore in request: %s shouldIgnore %v, want %v", p, f.ShouldIgnore, w)
			}
		}
		// From the repo's root .gitignore.
		h.Commit(t, h.Alice, "alice/m", "main", servertest.File(".gitignore", []byte("cache/\n# comment\n*.tmp\n!sub/b.tmp\n")))
		got = preupload(t, h, h.Alice, "alice/m", "main", map[string]any{"files": files})
		want = map[string]bool{"logs/run.txt": false, "a.tmp": true, "sub/b.tmp": false, "keep.txt": false, "cache/x.bin": true}
		for p, w := range want {
			if f := got[p]; f.ShouldIgnore == nil || *f.ShouldIgnore != w {
				t.Errorf("repo .gitignore: %s shouldIgnore %v, want %v", p, f.ShouldIgnore, w)
			}
		}
		// A gitIgnore in the request replaces the repo's.
		got = preupload(t, h, h.Alice, "alice/m", "main", map[string]any{"files": files, "gitIgnore": ""})
		for p, f := range got {
			if *f.ShouldIgnore {
				t.Errorf("empty gitIgnore in request: %s still ignored", p)
			}
		}
		// A nested .gitignore does not count.
		h.Commit(t, h.Alice, "alice/m", "main", servertest.DeleteFile(".gitignore"), servertest.File("sub/.gitignore", []byte("*\n")))
		got = preupload(t, h, h.Alice, "alice/m", "main", map[string]any{"files": files})
		for p, f := range got {
			if *f.ShouldIgnore {
				t.Errorf("nested .gitignore only: %s ignored", p)
			}
		}
	})
}

func TestPreuploadReturnsOidOfExistingFiles(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		text := []byte("some text\n")
		weights := []byte("weights\x00\x01")
		oid := h.PutLFS(t, "alice/m", weights)
		head := h.Commit(t, h.Alice, "alice/m", "main",
			servertest.File("dir/a.txt", text),
			servertest.LFSFile("dir/w.bin", oid, int64(len(weights))))
		var ans preuploadAnswer
		h.JSON(t, http.MethodPost, "/api/models/alice/m/preupload/main", h.Alice, map[string]any{"files": []any{
			fileReq("dir/a.txt", text), fileReq("dir/w.bin", weights), fileReq("dir/new.txt", text), fileReq("dir", text),
		}}, http.StatusOK, &ans)
		if ans.CommitOid != head {
			t.Errorf("commitOid %s, want %s", ans.CommitOid, head)
		}
		got := map[string]preuploadFile{}
		for _, f := range ans.Files {
			got[f.Path] = f
		}
		if f := got["dir/a.txt"]; f.OID == nil || *f.OID != servertest.GitBlobID(text) || f.UploadMode != "regular" {
			t.Errorf("dir/a.txt: oid %v mode %s, want git blob id %s regular", f.OID, f.UploadMode, servertest.GitBlobID(text))
		}
		if f := got["dir/w.bin"]; f.OID == nil || *f.OID != oid || f.UploadMode != "lfs" {
			t.Errorf("dir/w.bin: oid %v mode %s, want sha256 %s lfs", f.OID, f.UploadMode, oid)
		}
		if f := got["dir/new.txt"]; f.OID != nil {
			t.Errorf("dir/new.txt: oid %v for a missing file", *f.OID)
		}
		if f := got["dir"]; f.OID != nil {
			t.Errorf("dir: oid %v for a folder", *f.OID)
		}
	})
}

func TestPreuploadErrors(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		body := map[string]any{"files": []any{fileReq("a.txt", []byte("a"))}}
		resp := h.Do(t, http.MethodPost, "/api/models/alice/m/preupload/nope", h.Alice, body)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRevisionNotFound, "nope")
		resp = h.Do(t, http.MethodPost, "/api/models/alice/nope/preupload/main", h.Alice, body)
		servertest.ExpectError(t, resp, http.StatusNotFound, wire.CodeRepoNotFound, "not found")
		resp = h.Do(t, http.MethodPost, "/api/models/alice/m/preupload/main", h.Alice, map[string]any{"files": []any{fileReq("../x", []byte("a"))}})
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("preupload of ../x: status %d, want 4xx", resp.StatusCode)
		}
		resp = h.Do(t, http.MethodPost, "/api/models/alice/m/preupload/main", h.Alice, servertest.Raw{ContentType: "application/json", Data: []byte("[")})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("malformed preupload body: status %d, want 400", resp.StatusCode)
		}
		// Anyone who can read may ask (PRs from read-only users).
		preupload(t, h, h.Carol, "alice/m", "main", body)
	})
}
