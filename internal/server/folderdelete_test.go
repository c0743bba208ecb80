package server_test

import (
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
)

// TestCommitDeletedFileNamingAFolderDeletesIt: as on the Hub, a
// deletedFile line naming a folder deletes the folder.
func TestCommitDeletedFileNamingAFolderDeletesIt(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		const r = "alice/folders"
		h.CreateRepo(t, h.Alice, r, false)
		h.Commit(t, h.Alice, r, "main", servertest.File("dir/a.txt", []byte("a")), servertest.File("dir/sub/b.txt", []byte("b")),
			servertest.File("dirty.txt", []byte("keep")), servertest.File("other/c.txt", []byte("c")))
		h.Commit(t, h.Alice, r, "main", servertest.Header("delete dir", ""), servertest.DeleteFile("dir"), servertest.DeleteFile("other/c.txt"))
		sameSet(t, "files after deleting folder dir", h.Files(t, h.Alice, r, "main"), []string{".gitattributes", "dirty.txt"})
	})
}
