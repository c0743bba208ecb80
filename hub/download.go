package hub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/wharfhub/wharf/wire"
)

// FileMetadata is what a HEAD of a file's resolve URL says.
type FileMetadata struct {
	Commit string // X-Repo-Commit
	ETag   string // sha256 for LFS files, git blob id otherwise
	Size   int64  // size of the file (X-Linked-Size for LFS files)
}

// DownloadOptions configures Download.
type DownloadOptions struct {
	Revision string // branch, tag or commit; default the default branch
}

// Download writes a file of the repo to w and checks what arrived: its
// size, and its sha256 (LFS files) or git blob id (regular files) against
// the ETag the Hub announced. A file stored through Xet (the answer names
// its Xet hash and a xet-auth link) is reconstructed from the Xet CAS with
// parallel ranged GETs, unless Options.DisableXet is set; the check then
// happens once all bytes are written to w.
func (c *Client) Download(ctx context.Context, r Repo, pathInRepo string, w io.Writer, opts *DownloadOptions) (*FileMetadata, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	revision := ""
	if opts != nil {
		revision = opts.Revision
	}
	u := c.endpoint + r.webPath() + "/resolve/" + rev(revision) + "/" + quotePath(pathInRepo)
	req := request{method: http.MethodGet, url: u, auth: true, retry: true}
	if c.xetEnabled() {
		// A Hub then answers for a Xet file with its Xet hash and a small
		// JSON body instead of the bytes (as for huggingface.js).
		req.header = http.Header{"Accept": {xetFileInfoType + ", */*"}}
	}
	resp, err := c.do(ctx, req)
	if err != nil {
		return nil, err
	}
	defer func() { resp.Body.Close() }()
	// The Hub's own answer: the first response, when the download was
	// redirected to storage (whose ETag is not the file's).
	hub := resp
	for hub.Request != nil && hub.Request.Response != nil {
		hub = hub.Request.Response
	}
	md := &FileMetadata{Commit: hub.Header.Get("X-Repo-Commit"), Size: resp.ContentLength}
	etag := hub.Header.Get("X-Linked-Etag")
	if etag == "" {
		etag = hub.Header.Get("ETag")
	}
	md.ETag = strings.Trim(strings.TrimPrefix(etag, "W/"), `"`)
	if s := hub.Header.Get("X-Linked-Size"); s != "" {
		md.Size, _ = strconv.ParseInt(s, 10, 64)
	}
	if c.xetEnabled() {
		if fh, auth, ok := c.xetSource(resp.Header); ok && md.Size >= 0 {
			resp.Body.Close()
			if err := c.downloadXet(ctx, auth, fh, md, w); err != nil {
				return nil, fmt.Errorf("hub: download %s through Xet: %w", pathInRepo, err)
			}
			return md, nil
		}
		if strings.HasPrefix(resp.Header.Get("Content-Type"), xetFileInfoType) {
			// File info we cannot use: ask for the bytes.
			resp.Body.Close()
			if resp, err = c.do(ctx, request{method: http.MethodGet, url: u, auth: true, retry: true}); err != nil {
				return nil, err
			}
		}
	}
	var h hash.Hash
	switch len(md.ETag) {
	case 64:
		h = sha256.New()
	case 40:
		h = sha1.New()
		if md.Size >= 0 {
			io.WriteString(h, "blob "+strconv.FormatInt(md.Size, 10)+"\x00")
		}
	}
	dst := w
	if h != nil {
		dst = io.MultiWriter(w, h)
	}
	n, err := io.CopyBuffer(dst, resp.Body, make([]byte, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("hub: download %s: %w", pathInRepo, err)
	}
	if md.Size >= 0 && n != md.Size {
		return nil, fmt.Errorf("hub: download %s: got %d bytes, want %d", pathInRepo, n, md.Size)
	}
	if h != nil && md.Size >= 0 {
		if got := hex.EncodeToString(h.Sum(nil)); got != md.ETag {
			return nil, fmt.Errorf("hub: download %s: content hash %s does not match the ETag %s", pathInRepo, got, md.ETag)
		}
	}
	return md, nil
}

// DownloadFile downloads a file of the repo to localPath (written to a
// temp file beside it, then renamed).
func (c *Client) DownloadFile(ctx context.Context, r Repo, pathInRepo, localPath string, opts *DownloadOptions) (*FileMetadata, error) {
	if err := os.MkdirAll(filepath.Dir(localPath), 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(localPath), "."+filepath.Base(localPath)+".*.incomplete")
	if err != nil {
		return nil, err
	}
	md, err := c.Download(ctx, r, pathInRepo, f, opts)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), localPath)
	}
	if err != nil {
		os.Remove(f.Name())
		return nil, err
	}
	return md, nil
}

// SnapshotOptions configures SnapshotDownload.
type SnapshotOptions struct {
	Revision       string   // branch, tag or commit; default the default branch
	AllowPatterns  []string // download only matching files (fnmatch, as in UploadFolderOptions)
	IgnorePatterns []string // skip matching files
}

// SnapshotDownload downloads every file of a revision into dir (pinned to
// the commit the revision resolves to when it starts) and returns that
// commit id.
func (c *Client) SnapshotDownload(ctx context.Context, r Repo, dir string, opts *SnapshotOptions) (string, error) {
	var o SnapshotOptions
	if opts != nil {
		o = *opts
	}
	info, err := c.RepoInfo(ctx, r, &RepoInfoOptions{Revision: o.Revision})
	if err != nil {
		return "", err
	}
	files, err := c.ListRepoFiles(ctx, r, info.SHA)
	if err != nil {
		return "", err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, p := range files {
		if len(o.AllowPatterns) > 0 && !MatchAny(o.AllowPatterns, p) {
			continue
		}
		if MatchAny(o.IgnorePatterns, p) {
			continue
		}
		if _, err := wire.CleanPath(p); err != nil {
			return "", fmt.Errorf("hub: refusing to write %q: %w", p, err)
		}
		g.Go(func() error {
			_, err := c.DownloadFile(gctx, r, p, filepath.Join(dir, filepath.FromSlash(p)), &DownloadOptions{Revision: info.SHA})
			return err
		})
	}
	return info.SHA, g.Wait()
}
