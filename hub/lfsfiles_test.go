package hub_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/wharfhub/wharf/hub"
	"github.com/wharfhub/wharf/internal/server/servertest"
)

func TestListAndPermanentlyDeleteLFSFiles(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, _ := newClient(t, h.URL, h.Alice)
		r := hub.Repo{ID: "alice/lfs-files"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		weights := bytes.Repeat([]byte{0, 1, 2}, 1000)
		_, err = c.UploadFile(ctx, r, "w.bin", hub.FromBytes(weights), nil)
		ok(t, err)
		files, err := c.ListLFSFiles(ctx, r)
		ok(t, err)
		if len(files) != 1 || files[0].Filename != "w.bin" || files[0].Size != int64(len(weights)) || files[0].PushedAt.IsZero() {
			t.Fatalf("ListLFSFiles: %+v", files)
		}
		ok(t, c.PermanentlyDeleteLFSFiles(ctx, r, []string{files[0].FileOID}, true))
		files, err = c.ListLFSFiles(ctx, r)
		ok(t, err)
		equals(t, "LFS files after the delete", len(files), 0)
		var buf bytes.Buffer
		if _, err := c.Download(ctx, r, "w.bin", &buf, nil); !errors.Is(err, hub.ErrEntryNotFound) {
			t.Fatalf("download after the delete: %v, want ErrEntryNotFound", err)
		}
	})
}
