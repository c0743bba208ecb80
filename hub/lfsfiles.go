package hub

import (
	"context"
	"net/http"
	"time"
)

// LFSFileInfo is LFS content a repo stores (list_lfs_files).
type LFSFileInfo struct {
	FileOID  string    `json:"fileOid"`  // sha256 of the content: what PermanentlyDeleteLFSFiles takes
	OID      string    `json:"oid"`      // git id of the pointer file
	Filename string    `json:"filename"` // a path naming it ("" when no ref does)
	Size     int64     `json:"size"`
	PushedAt time.Time `json:"pushedAt"`
	Ref      string    `json:"ref"`     // the ref Filename is found at
	XetHash  string    `json:"xetHash"` // set for content uploaded through Xet
}

// ListLFSFiles lists the LFS files of r (all pages). It needs write access.
func (c *Client) ListLFSFiles(ctx context.Context, r Repo) ([]LFSFileInfo, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	var out []LFSFileInfo
	for u := c.endpoint + r.apiPath() + "/lfs-files"; u != ""; {
		var page []LFSFileInfo
		h, err := c.getJSON(ctx, u, &page)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		u = nextLink(h)
	}
	return out, nil
}

// PermanentlyDeleteLFSFiles deletes LFS content (by FileOID) from r: it is
// no longer served for r. With rewriteHistory (what huggingface_hub does
// by default) the branches are rewritten so that no commit names it.
func (c *Client) PermanentlyDeleteLFSFiles(ctx context.Context, r Repo, fileOIDs []string, rewriteHistory bool) error {
	if err := r.check(); err != nil {
		return err
	}
	for len(fileOIDs) > 0 {
		n := min(len(fileOIDs), 1000)
		body := map[string]any{"deletions": map[string]any{"sha": fileOIDs[:n], "rewriteHistory": rewriteHistory}}
		if err := c.sendJSON(ctx, http.MethodPost, c.endpoint+r.apiPath()+"/lfs-files/batch", body, nil, false); err != nil {
			return err
		}
		fileOIDs = fileOIDs[n:]
	}
	return nil
}
