package server_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/wire"
)

type lfsFileItem struct {
	FileOid  string  `json:"fileOid"`
	Oid      string  `json:"oid"`
	Filename string  `json:"filename"`
	Size     int64   `json:"size"`
	PushedAt string  `json:"pushedAt"`
	Ref      *string `json:"ref"`
}

// TestLFSFilesListAndPermanentDelete: list_lfs_files and
// permanently_delete_lfs_files, with and without rewriting history.
func TestLFSFilesListAndPermanentDelete(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		const r = "alice/lfs-files"
		h.CreateRepo(t, h.Alice, r, false)
		a, b := []byte("weights a\x00"), []byte("weights b\x00\x01")
		oa, ob := h.UploadLFS(t, h.Alice, r, a), h.UploadLFS(t, h.Alice, r, b)
		h.Commit(t, h.Alice, r, "main", servertest.LFSFile("w1.bin", oa, int64(len(a))), servertest.LFSFile("dir/w2.bin", ob, int64(len(b))))
		h.Commit(t, h.Alice, r, "main", servertest.File("README.md", []byte("# r\n")))
		h.JSON(t, http.MethodPost, servertest.API(r)+"/tag/main", h.Alice, map[string]any{"tag": "v1"}, http.StatusOK, nil)

		files := servertest.Pages[lfsFileItem](t, h, h.Alice, servertest.API(r)+"/lfs-files?limit=1")
		if len(files) != 2 {
			t.Fatalf("lfs-files: %+v", files)
		}
		byOID := map[string]lfsFileItem{}
		for _, f := range files {
			byOID[f.FileOid] = f
		}
		if f := byOID[oa]; f.Filename != "w1.bin" || f.Size != int64(len(a)) || f.Oid != servertest.GitBlobID(servertest.Pointer(a)) || f.Ref == nil || *f.Ref != "refs/heads/main" || f.PushedAt == "" {
			t.Errorf("w1.bin: %+v", f)
		}
		if f := byOID[ob]; f.Filename != "dir/w2.bin" {
			t.Errorf("w2.bin: %+v", f)
		}
		if resp := h.Do(t, http.MethodGet, servertest.API(r)+"/lfs-files", h.Bob, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("lfs-files listed by a reader: %d", resp.StatusCode)
		}

		// Without rewriting history: the content is no longer served.
		batch := servertest.API(r) + "/lfs-files/batch"
		h.JSON(t, http.MethodPost, batch, h.Alice, map[string]any{"deletions": map[string]any{"sha": []string{ob}, "rewriteHistory": false}}, http.StatusOK, nil)
		servertest.ExpectError(t, h.Do(t, http.MethodGet, servertest.Web(r)+"/resolve/main/dir/w2.bin", h.Alice, nil), http.StatusNotFound, wire.CodeEntryNotFound, "was deleted")
		files = servertest.Pages[lfsFileItem](t, h, h.Alice, servertest.API(r)+"/lfs-files")
		if len(files) != 1 || files[0].FileOid != oa {
			t.Errorf("lfs-files after deleting w2: %+v", files)
		}
		// A commit may not name it again without uploading it.
		resp := h.PostCommit(t, h.Alice, r, "main", "", servertest.Lines(servertest.Header("again", ""), servertest.LFSFile("again.bin", ob, int64(len(b)))))
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("commit naming deleted content: %d %s", resp.StatusCode, servertest.Body(resp))
		}

		// Rewriting history: no commit of a branch names it any more.
		before := len(h.History(t, h.Alice, r, "main"))
		h.JSON(t, http.MethodPost, batch, h.Alice, map[string]any{"deletions": map[string]any{"sha": []string{oa}, "rewriteHistory": true}}, http.StatusOK, nil)
		hist := h.History(t, h.Alice, r, "main")
		if len(hist) != before {
			t.Errorf("history has %d commits after the rewrite, want %d", len(hist), before)
		}
		for _, c := range hist {
			if slices.Contains(h.Files(t, h.Alice, r, c.ID), "w1.bin") {
				t.Errorf("commit %s still names w1.bin", c.ID)
			}
		}
		sameSet(t, "files of main after the rewrite", h.Files(t, h.Alice, r, "main"), []string{".gitattributes", "README.md", "dir/w2.bin"})
		if got := h.Download(t, h.Alice, r, "main", "README.md"); string(got) != "# r\n" {
			t.Errorf("README after the rewrite: %q", got)
		}
		// Tags never move: v1 keeps its commit, whose w1.bin is no longer served.
		servertest.ExpectError(t, h.Do(t, http.MethodGet, servertest.Web(r)+"/resolve/v1/w1.bin", h.Alice, nil), http.StatusNotFound, wire.CodeEntryNotFound, "was deleted")
		if files = servertest.Pages[lfsFileItem](t, h, h.Alice, servertest.API(r)+"/lfs-files"); len(files) != 0 {
			t.Errorf("lfs-files after deleting both: %+v", files)
		}
		servertest.ExpectError(t, h.Do(t, http.MethodPost, batch, h.Alice, map[string]any{"deletions": map[string]any{"sha": []string{"nope"}}}), http.StatusBadRequest, "", "")
	})
}
