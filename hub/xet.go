package hub

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharfhub/wharf/xet"
)

// Xet transfers (huggingface/hub-docs docs/xet, hf_xet).
//
// Uploads: when the LFS batch answer picks the "xet" transfer, the files
// to send are split into content-defined chunks, which are hashed on all
// cores while the file's sha256 is computed in the same read. Chunks the
// CAS already holds are found in this upload, in the local cache of
// earlier uploads and dedup answers (Options.XetCacheDir), and by global
// dedup queries (the first chunk of files of 1 MiB or more and eligible
// chunks, at most one query per 4 MiB of a file); runs shorter than
// xetMinDedupRun chunks are sent again rather than fragmenting the file.
// New chunks are packed, across files, into xorbs of at most 64 MiB and
// 8192 chunks, compressed per chunk with LZ4 or BG4+LZ4 when the first
// chunks of the xorb show that it pays off, and POSTed concurrently. One
// shard then registers every file (split only above 64 MiB of shard), and
// the commit names the files by sha256 as for LFS.
//
// Memory of an upload is bounded by the xorbs: one being filled and at most
// xetXorbUploads being sent, each up to 64 MiB plus 8 bytes per chunk
// (about 257 MiB with 3 uploads), plus the scan buffers (3 × 4.1 MiB for
// each file being hashed, Workers files at a time; one 4.1 MiB read buffer
// while packing) and about 100 bytes per 64 KiB chunk of the files being
// uploaded (their chunk lists and the dedup maps, about 0.15 %), and the
// small files kept in memory since preupload sampled them (keptMax, 256
// MiB). Cached shards are read one at a time.
//
// Downloads: a file whose resolve answer carries X-Xet-Hash and a xet-auth
// link is reconstructed from xorb ranges fetched in parallel into pooled
// buffers (uncompressed chunks are used where they lie, compressed ones
// decoded beside them), written in order by one goroutine while another
// computes the sha256 it is checked against. Each download keeps at most
// xetDownloadAhead bytes of fetched ranges that are not yet both written
// and hashed (plus the range the writer waits for, if the budget is
// spent: up to 64 MiB more, decoded size), and the client keeps an LRU of
// decoded chunks (xetChunkCacheBytes).

// Tuning constants of the Xet transfers.
const (
	xetXorbUploads     = 3        // xorbs POSTed at once
	xetMinDedupRun     = 4        // shorter runs of known chunks are sent again
	xetDedupSpacing    = 4 << 20  // bytes of a file between two global dedup queries
	xetDedupMinFile    = 1 << 20  // smaller files get no global dedup query
	xetProbeChunks     = 8        // chunks of a xorb compressed both ways to choose
	xetDownloadAhead   = 64 << 20 // decoded bytes fetched ahead by one download
	xetChunkCacheBytes = 32 << 20 // decoded chunks kept by a client
	xetTokenMargin     = 30 * time.Second
)

// xetState is what a client remembers about Xet across calls.
type xetState struct {
	// refused is set once a Hub answered an upload batch that offered
	// "xet" with another transfer: files are then no longer chunked while
	// they are hashed.
	refused atomic.Bool
	// v1 is set once the CAS answered 404 or 501 to /v2/reconstructions
	// and /v1 worked (as hf_xet does).
	v1 atomic.Bool

	cacheOnce sync.Once
	chunks    *chunkLRU

	cacheMu sync.Mutex // serializes writes to the disk cache of this client

	streamMu sync.Mutex // one streamed upload at a time (xet_stream.go)
}

// xetEnabled reports whether the client may use Xet.
func (c *Client) xetEnabled() bool { return !c.opts.DisableXet }

// chunkCache returns the client's cache of decoded chunks.
func (c *Client) chunkCache() *chunkLRU {
	c.xet.cacheOnce.Do(func() { c.xet.chunks = newChunkLRU(xetChunkCacheBytes) })
	return c.xet.chunks
}

// casToken is a CAS access token that refreshes itself from the Hub.
type casToken struct {
	c       *Client
	refresh string // Hub URL answering xet.TokenInfo; "" if none
	session string // X-Xet-Session-Id, if the Hub gave one

	mu    sync.Mutex
	info  xet.TokenInfo
	valid bool
}

// get returns the CAS URL and a token valid for at least xetTokenMargin.
func (t *casToken) get(ctx context.Context) (xet.TokenInfo, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.valid && (t.info.Exp == 0 || time.Until(time.Unix(t.info.Exp, 0)) > xetTokenMargin || t.refresh == "") {
		return t.info, nil
	}
	if t.refresh == "" {
		return xet.TokenInfo{}, fmt.Errorf("hub: xet: no CAS token and no URL to get one")
	}
	var info xet.TokenInfo
	h, err := t.c.getJSON(ctx, t.refresh, &info)
	if err != nil {
		return xet.TokenInfo{}, fmt.Errorf("hub: xet: get a CAS token: %w", err)
	}
	// huggingface_hub 0.30–1.18 read the headers; take them when the
	// body lacks a field.
	if info.AccessToken == "" {
		info.AccessToken = h.Get("X-Xet-Access-Token")
	}
	if info.CASURL == "" {
		info.CASURL = h.Get("X-Xet-Cas-Url")
	}
	if info.Exp == 0 {
		info.Exp, _ = strconv.ParseInt(h.Get("X-Xet-Token-Expiration"), 10, 64)
	}
	if info.AccessToken == "" || info.CASURL == "" {
		return xet.TokenInfo{}, fmt.Errorf("hub: xet: the token endpoint %s gave no token or CAS URL", stripQuery(t.refresh))
	}
	info.CASURL = trimSlash(info.CASURL)
	t.info, t.valid = info, true
	return info, nil
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

// casDo sends a request to the CAS: path is appended to the CAS URL, the
// CAS token goes in Authorization (never the Hub token). Transient
// failures are retried as hf_xet does (connection errors, 408, 429, 5xx
// but 501); body must be rewindable.
func (t *casToken) do(ctx context.Context, method, path string, body []byte, ok func(int) bool, header http.Header) (*http.Response, error) {
	info, err := t.get(ctx)
	if err != nil {
		return nil, err
	}
	h := http.Header{"Authorization": {"Bearer " + info.AccessToken}}
	if t.session != "" {
		h.Set("X-Xet-Session-Id", t.session)
	}
	for k, v := range header {
		h[k] = v
	}
	r := request{method: method, url: info.CASURL + path, header: h, retry: true, ok: ok, size: -1}
	if body != nil {
		r.size = int64(len(body))
		r.body = func() (io.Reader, error) { return bytes.NewReader(body), nil }
		h.Set("Content-Type", "application/octet-stream")
	}
	return t.c.do(ctx, r)
}
