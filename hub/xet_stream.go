package hub

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/wharfhub/wharf/xet"
	"github.com/wharfhub/wharf/xet/chunk"
	"github.com/wharfhub/wharf/xet/shard"
)

// Streamed uploads. Files are hashed before anything is sent (the sha256
// names them in the commit, and an unchanged file is not sent again), so a
// large file would be read and hashed, then read again to be sent. A file
// of xetStreamMin bytes or more whose first chunk the CAS does not know
// (new content, so dedup has nothing to offer: the CAS indexes the first
// chunk of every file) is instead cut into chunks, packed into xorbs and
// sent while it is hashed, with a CAS token from the repo's
// xet-write-token endpoint; the upload's shard then names the xorbs sent.
// A Wharf CAS computes the sha256 of a shard's files and returns it
// (xet.FeatureFileSHA256): the file is then not hashed here at all but
// registered at once with a shard of its own, whose answer gives its
// sha256 (computed from content the CAS verified against the chunk hashes
// computed here). Chunks repeated within the file are sent once. If the
// upload does not go through Xet after all, the xorbs sent were for
// nothing (the server's garbage collection takes them back); any failure
// to get a token or to look up the first chunk falls back to reading the
// file twice.

// xetStreamMin is the size from which files are streamed.
var xetStreamMin int64 = 64 << 20

// xetStreamed is what streaming a file left for its shard: the xorbs sent
// (all of this upload) and the file's terms over them.
type xetStreamed struct {
	cas   string // CAS URL the xorbs went to
	refs  []*xorbRef
	terms []xetTerm
	// registered: a shard of its own named the file and its xorbs to the
	// CAS already (to learn its sha256); the upload's shard leaves them
	// out.
	registered bool
}

// writeTokenURL is the xet-write-token endpoint of the commit o makes.
func (c *Client) writeTokenURL(r Repo, o *CommitOptions) string {
	u := c.endpoint + r.apiPath() + "/xet-write-token/" + rev(o.Revision)
	if o.CreatePR {
		u += "?create_pr=1"
	}
	return u
}

// streamXet streams a's content to the CAS (see above) and fills
// a.sha256, a.xet and a.streamed. It returns false, with a untouched, when
// the file should rather be hashed first.
func (c *Client) streamXet(ctx context.Context, r Repo, a *AddOp, o *CommitOptions) (bool, error) {
	// One file at a time: a stream keeps xorbs in memory, and uses all
	// cores already.
	c.xet.streamMu.Lock()
	defer c.xet.streamMu.Unlock()
	if err := ctx.Err(); err != nil {
		return false, err
	}
	tok := &casToken{c: c, refresh: c.writeTokenURL(r, o)}
	info, err := tok.get(ctx)
	if err != nil {
		c.log.LogAttrs(ctx, slog.LevelDebug, "xet: no write token to stream with", slog.String("err", err.Error()))
		return false, nil
	}
	first, err := firstChunk(a.Content)
	if err != nil {
		return false, err
	}
	// The CAS indexes the first chunk of every file it holds: a chunk it
	// does not know starts new content.
	resp, err := tok.doOnce(ctx, http.MethodGet, "/v1/chunks/default/"+first.String())
	if err != nil {
		return false, nil
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, shard.MaxUploadSize))
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		return false, nil // known, or no answer we understand
	}
	// A Wharf CAS computes the sha256 of the files of a shard itself
	// (from the content it verified against the chunk hashes computed
	// here) and returns it: the file is then read without hashing it.
	serverSHA256 := slices.Contains(strings.Split(resp.Header.Get(xet.FeaturesHeader), ","), xet.FeatureFileSHA256)

	f := &xetFile{a: a, scan: &xetScan{size: a.size}, chainNext: xetChainStart}
	s := &xetSession{c: c, tok: tok, o: o, files: []*xetFile{f}, cache: c.xetCacheFor(info.CASURL),
		known: map[xet.Hash]chunkLoc{}, refByHash: map[xet.Hash]int32{}}
	if o.Progress != nil {
		o.Progress(Progress{Path: a.PathInRepo, Total: a.size})
	}
	var sum string
	err = s.packing(ctx, a.size, func(ctx context.Context, p *packer) error {
		var err error
		sum, err = c.streamFile(ctx, s, f, p, !serverSHA256)
		return err
	})
	if err != nil {
		return true, err
	}
	a.sha256, a.xet = sum, f.scan
	registered := false
	if a.sha256 == "" {
		// Register the file now (a shard without its sha256, kept in
		// the local cache like the upload's) to learn its sha256, which
		// the commit names it by.
		if err := s.sendShards(ctx); err != nil {
			return true, err
		}
		registered = a.sha256 != ""
		if !registered {
			// The upload's shard names it again, with its sha256.
			c.log.LogAttrs(ctx, slog.LevelDebug, "xet: the CAS did not return the sha256 of a streamed file; hashing it", slog.String("path", a.PathInRepo))
			if a.sha256, _, err = hashes(ctx, a.Content, false); err != nil {
				return true, err
			}
		}
	}
	a.streamed = &xetStreamed{cas: info.CASURL, refs: s.refs, terms: f.terms, registered: registered}
	return true, nil
}

// firstChunk returns the hash of the first chunk of content.
func firstChunk(content Content) (xet.Hash, error) {
	ra, done, err := content.ReaderAt()
	if err != nil {
		return xet.Hash{}, err
	}
	defer done()
	buf := make([]byte, min(content.Size(), chunk.MaxSize))
	n, err := ra.ReadAt(buf, 0)
	if n < len(buf) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return xet.Hash{}, err
	}
	k := chunk.Next(buf, int64(len(buf)) == content.Size())
	return xet.ChunkHash(buf[:k]), nil
}

// streamFile reads f once (readChunks): each segment's chunks are placed
// (packed into p's xorbs, or referenced if seen earlier in the file) while
// the next one is read and hashed. It returns the hex sha256 ("" unless
// withSHA256).
func (c *Client) streamFile(ctx context.Context, s *xetSession, f *xetFile, p *packer, withSHA256 bool) (string, error) {
	idx := 0 // index in the file of the next chunk to place
	return c.readChunks(ctx, f.a.Content, withSHA256, func(sg *segment) error {
		f.scan.chunks = append(f.scan.chunks, sg.chunks...)
		for k, ch := range sg.chunks {
			data := sg.data[sg.starts[k] : sg.starts[k]+int(ch.size)]
			if loc, ok := s.known[ch.hash]; ok {
				s.addKnown(f, loc, idx, idx+1, int64(ch.size))
				p.remaining -= int64(ch.size)
			} else if err := s.addNew(f, p, idx, ch.hash, data); err != nil {
				return err
			}
			idx++
		}
		return ctx.Err()
	})
}
