package hub

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/wharfhub/wharf/wire"
	"github.com/wharfhub/wharf/xet"
	"github.com/wharfhub/wharf/xet/shard"
	"github.com/wharfhub/wharf/xet/xorb"
)

// xetTokenFromAction returns the CAS token of an LFS batch "upload" action
// of the xet transfer: the X-Xet-* headers, refreshed from href.
func (c *Client) xetTokenFromAction(act *wire.BatchAction) *casToken {
	t := &casToken{c: c, refresh: act.Href, session: act.Header["X-Xet-Session-Id"]}
	info := xet.TokenInfo{AccessToken: act.Header["X-Xet-Access-Token"], CASURL: trimSlash(act.Header["X-Xet-Cas-Url"])}
	info.Exp, _ = strconv.ParseInt(act.Header["X-Xet-Token-Expiration"], 10, 64)
	if info.AccessToken != "" && info.CASURL != "" {
		t.info, t.valid = info, true
	}
	return t
}

// xetFile is a file of an upload session.
type xetFile struct {
	a     *AddOp
	scan  *xetScan
	terms []xetTerm

	sent    atomic.Int64 // bytes uploaded in xorbs or deduplicated
	deduped atomic.Int64 // bytes deduplicated

	placed bool // terms made already (the file was streamed)

	// chainNext is the chain header (xetChainHeader) of a xorb that starts
	// with the file's next chunk: xetChainStart before its first chunk,
	// the previous xorb's hash while the file's chunks so far fill xorbs
	// of their own from their first chunk on, "" once that is not so.
	chainNext string
}

// Wharf's chained sha256 (internal/xetcas): a xorb that starts with the
// continuation of a file names the file's previous xorb, so that a Wharf
// server hashes the file as its xorbs arrive instead of reading it back
// when the shard comes. Other servers ignore the header.
const (
	xetChainHeader = "X-Wharf-Xorb-Prev"
	xetChainStart  = "none"
)

// xetTerm is a run of chunks of one xorb that holds chunks [lo, hi) of
// its file.
type xetTerm struct {
	ref        int32 // index in xetSession.refs
	start, end uint32
	lo, hi     int
	bytes      uint32
}

// xorbRef is a xorb that terms can point at: one made by this session, or
// one the CAS holds (from the cache or a dedup answer).
type xorbRef struct {
	hash   xet.Hash // for a xorb of this session, known once it is sealed
	local  bool
	chunks []xetChunk // chunks of a xorb of this session
}

// chunkLoc is where a chunk is stored: chunk idx of refs[ref].
type chunkLoc struct {
	ref int32
	idx uint32
}

// xetSession uploads a set of files through Xet: placement of their chunks
// in xorbs, the xorbs, then one shard.
type xetSession struct {
	c     *Client
	tok   *casToken
	o     *CommitOptions
	cache *xetCache
	files []*xetFile

	wanted    map[xet.Hash]struct{} // every chunk of the files
	keyed     map[xet.Hash]map[xet.Hash]xet.Hash
	known     map[xet.Hash]chunkLoc
	refs      []*xorbRef
	refByHash map[xet.Hash]int32

	external   bool         // a term points at a xorb this session did not make
	xorbsSent  atomic.Int64 // serialized bytes of the xorbs POSTed
	xorbsCount atomic.Int64
}

// uploadXet uploads the content of adds (distinct sha256 each) through
// the Xet CAS reached with tok, and marks them uploaded.
func (c *Client) uploadXet(ctx context.Context, adds []*AddOp, tok *casToken, o *CommitOptions) error {
	files := make([]*xetFile, len(adds))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.Workers)
	for i, a := range adds {
		files[i] = &xetFile{a: a, scan: a.xet}
		if a.xet != nil {
			continue
		}
		g.Go(func() error {
			sha, scan, err := c.scanXet(gctx, a.Content)
			if err != nil {
				return err
			}
			if sha != a.sha256 {
				return fmt.Errorf("hub: %s changed since it was hashed (sha256 %s, now %s)", a.Content.Describe(), a.sha256, sha)
			}
			files[i].scan = scan
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	info, err := tok.get(ctx)
	if err != nil {
		return err
	}
	for _, f := range files {
		if st := f.a.streamed; st != nil && st.cas != info.CASURL {
			f.a.streamed = nil // sent to another CAS: send again
		}
		if f.a.streamed != nil {
			f.sent.Store(f.scan.size)
		}
	}
	if o.Progress != nil {
		for _, f := range files {
			o.Progress(Progress{Path: f.a.PathInRepo, Sent: f.sent.Load(), Total: f.scan.size})
		}
	}
	cache := c.xetCacheFor(info.CASURL)
	s, err := c.runXetSession(ctx, tok, o, cache, files, true)
	var he *Error
	if err != nil && s != nil && s.external && cache != nil && errors.As(err, &he) && he.StatusCode == http.StatusBadRequest {
		// The cache may name xorbs this CAS does not hold (a server
		// that lost its data, or another one on the same URL): forget
		// it and send again without it.
		c.log.LogAttrs(ctx, slog.LevelDebug, "xet: shard refused, retrying without the local cache", slog.String("err", err.Error()))
		cache.drop()
		for _, f := range files {
			if f.a.streamed == nil {
				f.sent.Store(0)
				f.deduped.Store(0)
			}
		}
		_, err = c.runXetSession(ctx, tok, o, cache, files, false)
	}
	if err != nil {
		return err
	}
	for _, f := range files {
		f.a.uploaded = true
		f.a.xet, f.a.streamed, f.a.data = nil, nil, nil
	}
	return nil
}

func (c *Client) runXetSession(ctx context.Context, tok *casToken, o *CommitOptions, cache *xetCache, files []*xetFile, useCache bool) (*xetSession, error) {
	s := &xetSession{
		c: c, tok: tok, o: o, cache: cache, files: files,
		wanted:    map[xet.Hash]struct{}{},
		keyed:     map[xet.Hash]map[xet.Hash]xet.Hash{},
		known:     map[xet.Hash]chunkLoc{},
		refByHash: map[xet.Hash]int32{},
	}
	for _, f := range files {
		f.terms = f.terms[:0]
		f.chainNext = xetChainStart
		f.placed = false
		if st := f.a.streamed; st != nil {
			f.placed = true
			if st.registered {
				continue // its own shard named it (sendShards skips it)
			}
			// Sent while it was hashed: its xorbs and terms join the
			// session's.
			base := int32(len(s.refs))
			s.refs = append(s.refs, st.refs...)
			for _, t := range st.terms {
				t.ref += base
				f.terms = append(f.terms, t)
			}
			continue
		}
		for _, ch := range f.scan.chunks {
			s.wanted[ch.hash] = struct{}{}
		}
	}
	if useCache && cache != nil {
		cache.each(time.Now(), s.apply)
	}
	s.globalDedup(ctx)
	s.keyed = nil
	if err := s.place(ctx); err != nil {
		return s, err
	}
	return s, s.sendShards(ctx)
}

// ref returns the index of the external xorb h in s.refs.
func (s *xetSession) ref(h xet.Hash) int32 {
	if i, ok := s.refByHash[h]; ok {
		return i
	}
	i := int32(len(s.refs))
	s.refs = append(s.refs, &xorbRef{hash: h})
	s.refByHash[h] = i
	return i
}

// apply learns where the CAS holds chunks of the files from a shard: an
// earlier upload of this client (raw chunk hashes) or a dedup answer
// (hashes keyed with the footer's key). Earlier knowledge wins.
func (s *xetSession) apply(sh *shard.Shard, keyed bool) {
	var index map[xet.Hash]xet.Hash // keyed hash -> raw hash
	if keyed && sh.Footer != nil && !sh.Footer.HMACKey.IsZero() {
		key := sh.Footer.HMACKey
		if index = s.keyed[key]; index == nil {
			index = make(map[xet.Hash]xet.Hash, len(s.wanted))
			for h := range s.wanted {
				index[xet.KeyedChunkHash(key, h)] = h
			}
			s.keyed[key] = index
		}
	}
	for _, x := range sh.Xorbs {
		r := int32(-1)
		for i, ch := range x.Chunks {
			h := ch.Hash
			if index != nil {
				raw, ok := index[h]
				if !ok {
					continue
				}
				h = raw
			}
			if _, ok := s.wanted[h]; !ok {
				continue
			}
			if _, ok := s.known[h]; ok {
				continue
			}
			if r < 0 {
				r = s.ref(x.Hash)
			}
			s.known[h] = chunkLoc{ref: r, idx: uint32(i)}
		}
	}
}

// globalDedup asks the CAS about chunks not known yet: first the first
// chunk of each file of xetDedupMinFile bytes or more, then (knowing the
// answers) chunks eligible for dedup, at most one per xetDedupSpacing bytes
// of a file. Any failure only means no dedup.
func (s *xetSession) globalDedup(ctx context.Context) {
	var first []xet.Hash
	for _, f := range s.files {
		if f.placed || f.scan.size < xetDedupMinFile || len(f.scan.chunks) == 0 {
			continue
		}
		if _, ok := s.known[f.scan.chunks[0].hash]; !ok {
			first = append(first, f.scan.chunks[0].hash)
		}
	}
	s.query(ctx, first)
	var more []xet.Hash
	for _, f := range s.files {
		if f.placed || f.scan.size < xetDedupMinFile {
			continue
		}
		var off, last int64
		for i, ch := range f.scan.chunks {
			if i > 0 && off-last >= xetDedupSpacing && xet.DedupEligible(ch.hash) {
				if _, ok := s.known[ch.hash]; !ok {
					more = append(more, ch.hash)
					last = off
				}
			}
			off += int64(ch.size)
		}
	}
	s.query(ctx, more)
}

// query sends global dedup queries for hashes, in parallel, and applies
// the answers.
func (s *xetSession) query(ctx context.Context, hashes []xet.Hash) {
	seen := map[xet.Hash]bool{}
	answers := make([][]byte, len(hashes))
	var g errgroup.Group
	g.SetLimit(s.c.opts.Workers)
	for i, h := range hashes {
		if seen[h] {
			continue
		}
		seen[h] = true
		g.Go(func() error {
			resp, err := s.tok.doOnce(ctx, http.MethodGet, "/v1/chunks/default/"+h.String())
			if err != nil {
				return nil
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
				return nil
			}
			body, err := io.ReadAll(io.LimitReader(resp.Body, shard.MaxUploadSize+1))
			if err == nil && len(body) <= shard.MaxUploadSize {
				answers[i] = body
			}
			return nil
		})
	}
	g.Wait()
	for _, body := range answers {
		if body == nil {
			continue
		}
		sh, err := shard.Parse(body)
		if err != nil {
			continue
		}
		keyed := sh.Footer != nil && !sh.Footer.HMACKey.IsZero()
		s.apply(sh, keyed)
		if s.cache != nil && keyed && sh.Footer.KeyExpiry > uint64(time.Now().Unix()) {
			s.c.xet.cacheMu.Lock()
			s.cache.saveDedup(body)
			s.c.xet.cacheMu.Unlock()
		}
	}
}

// doOnce sends a GET to the CAS without retries, whatever the status.
func (t *casToken) doOnce(ctx context.Context, method, path string) (*http.Response, error) {
	info, err := t.get(ctx)
	if err != nil {
		return nil, err
	}
	h := http.Header{"Authorization": {"Bearer " + info.AccessToken}}
	if t.session != "" {
		h.Set("X-Xet-Session-Id", t.session)
	}
	return t.c.once(ctx, request{method: method, url: info.CASURL + path, header: h})
}

// sessXorb is a xorb being filled by the placement.
type sessXorb struct {
	ref    int32
	buf    *[]byte // serialized chunks
	chunks []xetChunk
	raw    uint64

	scheme     uint8
	misses     int // chunks in a row that did not compress
	sinceProbe int // chunks stored without trying compression

	contrib map[*xetFile]int64 // bytes of each file in this xorb

	chainFile *xetFile // the file of the first chunk
	chainPrev string   // its chain header, "" for none

	hash xet.Hash // set when sealed (s.refs grows while xorbs are posted)
}

func (x *sessXorb) fits(n int) bool {
	return len(x.chunks) < xorb.MaxChunks && x.raw+uint64(n) <= xorb.MaxRawBytes
}

// add appends a chunk and returns its index. Compression is tried on every
// chunk until xetProbeChunks chunks in a row did not compress; then chunks
// are stored as they are, trying again every 64 chunks, so that data that
// does not compress costs no compression attempts.
func (x *sessXorb) add(h xet.Hash, data []byte) uint32 {
	scheme := x.scheme
	if scheme == xorb.SchemeNone {
		if x.sinceProbe++; x.sinceProbe >= 64 {
			scheme, x.sinceProbe = xorb.SchemeAuto, 0
		}
	}
	start := len(*x.buf)
	*x.buf = xorb.AppendChunk(*x.buf, data, scheme)
	if scheme == xorb.SchemeAuto {
		if (*x.buf)[start+4] == xorb.SchemeNone {
			if x.misses++; x.misses >= xetProbeChunks {
				x.scheme = xorb.SchemeNone
			}
		} else {
			x.misses, x.scheme = 0, xorb.SchemeAuto
		}
	}
	x.chunks = append(x.chunks, xetChunk{hash: h, size: uint32(len(data))})
	x.raw += uint64(len(data))
	return uint32(len(x.chunks) - 1)
}

var xorbBuffers sync.Pool

// place walks the files in order, makes their terms, and packs the chunks
// the CAS lacks into xorbs, which xetXorbUploads goroutines POST as they
// fill. Files placed already (streamed) are skipped.
func (s *xetSession) place(ctx context.Context) error {
	var remaining int64
	for _, f := range s.files {
		if !f.placed {
			remaining += f.scan.size
		}
	}
	return s.packing(ctx, remaining, func(ctx context.Context, p *packer) error {
		for _, f := range s.files {
			if f.placed {
				continue
			}
			if err := s.placeFile(ctx, f, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// packer is the xorb being filled by a placement, and how to seal it.
type packer struct {
	s         *xetSession
	ctx       context.Context
	cur       *sessXorb
	sealed    chan<- *sessXorb
	remaining int64 // bytes still to place: the first xorb's buffer is sized to it
}

// seal closes the current xorb and hands it to the uploads.
func (p *packer) seal() error {
	cur := p.cur
	if cur == nil || len(cur.chunks) == 0 {
		return nil
	}
	leaves := make([]xet.Leaf, len(cur.chunks))
	for i, ch := range cur.chunks {
		leaves[i] = xet.Leaf{Hash: ch.hash, Size: uint64(ch.size)}
	}
	r := p.s.refs[cur.ref]
	r.hash, r.chunks = xet.XorbHash(leaves), cur.chunks
	cur.hash = r.hash
	if cur.chainPrev != "" && cur.chainFile != nil {
		cur.chainFile.chainNext = r.hash.String()
	}
	p.cur = nil
	select {
	case p.sealed <- cur:
		return nil
	case <-p.ctx.Done():
		return p.ctx.Err()
	}
}

// packing runs fill, which places chunks with a packer, while
// xetXorbUploads goroutines POST the xorbs it seals; the last xorb is
// sealed when fill returns. remaining is the number of bytes fill will
// place, at most.
func (s *xetSession) packing(ctx context.Context, remaining int64, fill func(context.Context, *packer) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	sealed := make(chan *sessXorb)
	for range xetXorbUploads {
		g.Go(func() error {
			for x := range sealed {
				err := s.postXorb(gctx, x)
				*x.buf = (*x.buf)[:0]
				xorbBuffers.Put(x.buf)
				if err != nil {
					for range sealed { // let the placement finish
					}
					return err
				}
			}
			return nil
		})
	}
	p := &packer{s: s, ctx: gctx, sealed: sealed, remaining: remaining}
	err := fill(gctx, p)
	if err == nil {
		err = p.seal()
	}
	if err != nil {
		cancel() // stop the uploads in flight too
	}
	close(sealed)
	// An upload that failed cancelled the placement: its error is the
	// cause. A placement that failed cancelled the uploads.
	gerr := g.Wait()
	if gerr != nil && !errors.Is(gerr, context.Canceled) {
		return gerr
	}
	if err != nil {
		return err
	}
	return gerr
}

// addNew packs a chunk the CAS lacks, chunk i of f, into the current xorb
// (a new one when it is full) and adds it to f's terms.
func (s *xetSession) addNew(f *xetFile, p *packer, i int, h xet.Hash, data []byte) error {
	if p.cur != nil && !p.cur.fits(len(data)) {
		if err := p.seal(); err != nil {
			return err
		}
	}
	if p.cur == nil {
		bp, _ := xorbBuffers.Get().(*[]byte)
		if bp == nil {
			b := make([]byte, 0, min(p.remaining+int64(xorb.HeaderSize)*(p.remaining/4096+1), xorb.MaxRawBytes+xorb.HeaderSize*xorb.MaxChunks))
			bp = &b
		}
		ref := int32(len(s.refs))
		s.refs = append(s.refs, &xorbRef{local: true})
		p.cur = &sessXorb{ref: ref, buf: bp, scheme: xorb.SchemeAuto, contrib: map[*xetFile]int64{}}
	}
	x := p.cur
	if len(x.chunks) == 0 {
		x.chainFile, x.chainPrev = f, f.chainNext
	} else if x.chainFile != f {
		f.chainNext = "" // the file starts in the middle of a xorb
	}
	idx := x.add(h, data)
	s.known[h] = chunkLoc{ref: x.ref, idx: idx}
	s.addTerm(f, x.ref, idx, idx+1, i, i+1, int64(len(data)))
	x.contrib[f] += int64(len(data))
	p.remaining -= int64(len(data))
	return nil
}

// placeFile makes the terms of f. Chunks already packed in this session
// are referenced; runs of chunks the CAS holds (known from the cache or a
// dedup answer) become terms when they are at least xetMinDedupRun chunks
// long or the whole file, so that a file is not cut into many small terms
// of other xorbs; other chunks go into the current xorb.
func (s *xetSession) placeFile(ctx context.Context, f *xetFile, p *packer) error {
	var rd *chunkReader
	defer func() {
		if rd != nil {
			rd.close()
		}
	}()
	chunks := f.scan.chunks
	n := len(chunks)
	var off int64
	for i := 0; i < n; {
		if err := ctx.Err(); err != nil {
			return err
		}
		if loc, ok := s.known[chunks[i].hash]; ok {
			j, bytes := i+1, int64(chunks[i].size)
			for ; j < n; j++ {
				l, ok := s.known[chunks[j].hash]
				if !ok || l.ref != loc.ref || l.idx != loc.idx+uint32(j-i) {
					break
				}
				bytes += int64(chunks[j].size)
			}
			if j-i >= xetMinDedupRun || (i == 0 && j == n) || s.refs[loc.ref].local {
				s.addKnown(f, loc, i, j, bytes)
				p.remaining -= bytes
				off += bytes
				i = j
				continue
			}
		}
		ch := chunks[i]
		var data []byte
		if f.a.data != nil { // kept in memory since preupload
			data = f.a.data[off : off+int64(ch.size)]
		} else {
			var err error
			if rd == nil {
				if rd, err = newChunkReader(f.a.Content); err != nil {
					return err
				}
			}
			if data, err = rd.get(off, int(ch.size)); err != nil {
				return err
			}
		}
		if err := s.addNew(f, p, i, ch.hash, data); err != nil {
			return err
		}
		off += int64(ch.size)
		i++
	}
	return nil
}

// addKnown adds chunks [i, j) of f, bytes long, which the CAS or this
// session holds from loc on, to f's terms.
func (s *xetSession) addKnown(f *xetFile, loc chunkLoc, i, j int, bytes int64) {
	f.chainNext = ""
	s.addTerm(f, loc.ref, loc.idx, loc.idx+uint32(j-i), i, j, bytes)
	if !s.refs[loc.ref].local {
		s.external = true
	}
	f.deduped.Add(bytes)
	s.progress(f, f.sent.Add(bytes))
}

// addTerm appends chunks [start, end) of xorb ref, which hold chunks [lo,
// hi) of f, to f's terms, extending the last term when it continues it.
func (s *xetSession) addTerm(f *xetFile, ref int32, start, end uint32, lo, hi int, bytes int64) {
	if k := len(f.terms) - 1; k >= 0 {
		t := &f.terms[k]
		if t.ref == ref && t.end == start && t.hi == lo && uint64(t.bytes)+uint64(bytes) <= 1<<32-1 {
			t.end, t.hi, t.bytes = end, hi, t.bytes+uint32(bytes)
			return
		}
	}
	f.terms = append(f.terms, xetTerm{ref: ref, start: start, end: end, lo: lo, hi: hi, bytes: uint32(bytes)})
}

func (s *xetSession) progress(f *xetFile, sent int64) {
	if s.o.Progress != nil {
		s.o.Progress(Progress{Path: f.a.PathInRepo, Sent: sent, Total: f.scan.size, Deduped: f.deduped.Load()})
	}
}

// postXorb uploads a sealed xorb.
func (s *xetSession) postXorb(ctx context.Context, x *sessXorb) error {
	h := x.hash
	var hdr http.Header
	if x.chainPrev != "" {
		hdr = http.Header{xetChainHeader: {x.chainPrev}}
	}
	resp, err := s.tok.do(ctx, http.MethodPost, "/v1/xorbs/default/"+h.String(), *x.buf, nil, hdr)
	if err != nil {
		return fmt.Errorf("hub: xet: upload xorb %s: %w", h, err)
	}
	var out xet.UploadXorbResponse
	if err := decodeJSON(resp, &out); err != nil {
		return fmt.Errorf("hub: xet: upload xorb %s: %w", h, err)
	}
	s.xorbsSent.Add(int64(len(*x.buf)))
	s.xorbsCount.Add(1)
	for f, n := range x.contrib {
		s.progress(f, f.sent.Add(n))
	}
	return nil
}

// sendShards registers the files and the session's xorbs with the CAS,
// in one shard unless it would exceed shard.MaxUploadSize, then keeps the
// shards in the cache.
func (s *xetSession) sendShards(ctx context.Context) error {
	const budget = shard.MaxUploadSize - 64<<10
	var shards []*shard.Shard
	cur, size := &shard.Shard{}, 3*shard.RecordSize
	push := func(n int) {
		if size+n > budget && (len(cur.Files) > 0 || len(cur.Xorbs) > 0) {
			shards = append(shards, cur)
			cur, size = &shard.Shard{}, 3*shard.RecordSize
		}
		size += n
	}
	for _, r := range s.refs {
		if !r.local {
			continue
		}
		x := shard.Xorb{Hash: r.hash, Chunks: make([]shard.XorbChunk, len(r.chunks))}
		var off uint32
		for i, ch := range r.chunks {
			x.Chunks[i] = shard.XorbChunk{Hash: ch.hash, Offset: off, Size: ch.size}
			off += ch.size
		}
		x.RawBytes = off
		push(shard.RecordSize * (1 + len(x.Chunks)))
		cur.Xorbs = append(cur.Xorbs, x)
	}
	noSHA := map[string]*xetFile{} // files sent without their sha256, by file hash
	for _, f := range s.files {
		if st := f.a.streamed; st != nil && st.registered {
			continue
		}
		sf, err := s.shardFile(f)
		if err != nil {
			return err
		}
		if !sf.HasSHA256 {
			noSHA[sf.Hash.String()] = f
		}
		push(shard.RecordSize * (2 + 2*len(sf.Terms)))
		cur.Files = append(cur.Files, sf)
	}
	if len(cur.Files) > 0 || len(cur.Xorbs) > 0 {
		shards = append(shards, cur)
	}
	for _, sh := range shards {
		body := sh.AppendUpload(nil)
		resp, err := s.tok.do(ctx, http.MethodPost, "/v1/shards", body, nil, nil)
		if err != nil {
			return fmt.Errorf("hub: xet: upload shard: %w", err)
		}
		var out xet.UploadShardResponse
		if err := decodeJSON(resp, &out); err != nil {
			return fmt.Errorf("hub: xet: upload shard: %w", err)
		}
		for _, sf := range sh.Files {
			if f := noSHA[sf.Hash.String()]; f != nil {
				if oid, err := wire.ParseOID(out.FileSHA256[sf.Hash.String()]); err == nil {
					f.a.sha256 = oid.String()
				}
			}
		}
		if s.cache != nil && len(sh.Xorbs) > 0 {
			s.c.xet.cacheMu.Lock()
			if err := s.cache.saveUpload(body); err != nil {
				s.c.log.LogAttrs(ctx, slog.LevelDebug, "xet: cache", slog.String("err", err.Error()))
			}
			s.c.xet.cacheMu.Unlock()
		}
	}
	return nil
}

// shardFile describes f for the shard: its file hash, its terms with
// their range hashes (over f's own chunk hashes, which are the xorbs'
// chunks) and its sha256, if known.
func (s *xetSession) shardFile(f *xetFile) (shard.File, error) {
	chunks := f.scan.chunks
	leaves := make([]xet.Leaf, len(chunks))
	for i, ch := range chunks {
		leaves[i] = xet.Leaf{Hash: ch.hash, Size: uint64(ch.size)}
	}
	sf := shard.File{Hash: xet.FileHash(leaves), Verified: true, Terms: make([]shard.Term, len(f.terms))}
	if f.a.sha256 != "" {
		// Left out only by a streamed file, for a CAS that computes it
		// (xet.FeatureFileSHA256).
		sum, err := hex.DecodeString(f.a.sha256)
		if err != nil || len(sum) != 32 {
			return sf, fmt.Errorf("hub: xet: invalid sha256 %q of %s", f.a.sha256, f.a.PathInRepo)
		}
		sf.HasSHA256 = true
		copy(sf.SHA256[:], sum)
	}
	hashes := make([]xet.Hash, 0, 64)
	next := 0
	for i, t := range f.terms {
		if t.lo != next {
			return sf, fmt.Errorf("hub: xet: terms of %s do not tile the file (chunk %d, want %d)", f.a.PathInRepo, t.lo, next)
		}
		next = t.hi
		hashes = hashes[:0]
		for _, ch := range chunks[t.lo:t.hi] {
			hashes = append(hashes, ch.hash)
		}
		sf.Terms[i] = shard.Term{Xorb: s.refs[t.ref].hash, UnpackedBytes: t.bytes, Start: t.start, End: t.end, RangeHash: xet.RangeHash(hashes)}
	}
	if next != len(chunks) {
		return sf, fmt.Errorf("hub: xet: terms of %s stop at chunk %d of %d", f.a.PathInRepo, next, len(chunks))
	}
	return sf, nil
}

// chunkReader reads the chunks of a file that must be sent, in file
// order, 4 MiB at a time.
type chunkReader struct {
	content Content
	ra      io.ReaderAt
	done    func() error
	buf     *[]byte
	off     int64 // file offset of buf[0]
	n       int
}

func newChunkReader(c Content) (*chunkReader, error) {
	ra, done, err := c.ReaderAt()
	if err != nil {
		return nil, err
	}
	return &chunkReader{content: c, ra: ra, done: done, buf: scanBuffers.Get().(*[]byte)}, nil
}

// get returns n bytes at off, valid until the next call.
func (r *chunkReader) get(off int64, n int) ([]byte, error) {
	if off >= r.off && off+int64(n) <= r.off+int64(r.n) {
		return (*r.buf)[off-r.off : off-r.off+int64(n)], nil
	}
	want := int(min(int64(scanSegment), r.content.Size()-off))
	want = max(want, n)
	k, err := r.ra.ReadAt((*r.buf)[:want], off)
	if k < n {
		if err == nil || err == io.EOF {
			err = fmt.Errorf("hub: %s shrank while it was being uploaded", r.content.Describe())
		}
		return nil, err
	}
	r.off, r.n = off, k
	return (*r.buf)[:n], nil
}

func (r *chunkReader) close() {
	r.done()
	scanBuffers.Put(r.buf)
}
