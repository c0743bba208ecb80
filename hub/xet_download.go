package hub

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/wharfhub/wharf/xet"
	"github.com/wharfhub/wharf/xet/xorb"
)

// xetFileInfoType is what Hubs answer resolve requests with for Xet files
// when the client accepts it (huggingface.js): small JSON instead of the
// bytes. Any Hub may also ignore it and send the bytes.
const xetFileInfoType = "application/vnd.xet-fileinfo+json"

// linkRel returns the URL of the first link with relation rel in Link
// headers (RFC 8288), or "".
func linkRel(values []string, rel string) string {
	for _, v := range values {
		for len(v) > 0 {
			i := strings.IndexByte(v, '<')
			if i < 0 {
				break
			}
			j := strings.IndexByte(v[i:], '>')
			if j < 0 {
				break
			}
			u := v[i+1 : i+j]
			v = v[i+j+1:]
			params := v
			if k := strings.Index(v, "<"); k >= 0 {
				params, v = v[:k], v[k:]
			} else {
				v = ""
			}
			for _, p := range strings.Split(params, ";") {
				name, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(name), "rel") {
					for _, r := range strings.Fields(strings.Trim(strings.TrimSpace(val), `",`)) {
						if r == rel {
							return u
						}
					}
				}
			}
		}
	}
	return ""
}

// xetSource returns the Xet file hash and the read-token URL of a resolve
// answer, or ok false if the file is not served through Xet.
func (c *Client) xetSource(h http.Header) (xet.Hash, string, bool) {
	xh := h.Get("X-Xet-Hash")
	if xh == "" {
		return xet.Hash{}, "", false
	}
	fh, err := xet.ParseHash(xh)
	if err != nil {
		return xet.Hash{}, "", false
	}
	auth := linkRel(h.Values("Link"), "xet-auth")
	if auth == "" {
		auth = h.Get("X-Xet-Refresh-Route")
	}
	if auth == "" {
		return xet.Hash{}, "", false
	}
	if strings.HasPrefix(auth, "/") {
		auth = c.endpoint + auth
	}
	return fh, auth, true
}

// xetDownload reconstructs one file from the CAS.
type xetDownload struct {
	c    *Client
	tok  *casToken
	file xet.Hash
	size int64

	mu   sync.Mutex
	gen  int                 // bumped by every refresh of the plan
	urls map[fetchKey]string // current URL of each fetch range
}

type fetchKey struct {
	xorb       xet.Hash
	start, end uint64 // bytes, inclusive
}

// fetchUnit is one ranged GET of a xorb and the chunks it decodes to.
type fetchUnit struct {
	key      fetchKey
	chunks   xet.ChunkRange
	firstUse int
	lastUse  int
	done     chan struct{}
	parts    [][]byte     // decoded chunks
	bufs     []*[]byte    // fetchBuffers holding them
	refs     atomic.Int32 // the writer and the hasher, once the last term is sent
	err      error
}

// downloadXet writes the file with Xet hash fh, whose read tokens come from
// authURL, to w, and checks its size and sha256 against md.
func (c *Client) downloadXet(ctx context.Context, authURL string, fh xet.Hash, md *FileMetadata, w io.Writer) error {
	d := &xetDownload{c: c, tok: &casToken{c: c, refresh: authURL}, file: fh, size: md.Size}
	sum := sha256.New()
	n, err := d.run(ctx, w, sum)
	if err != nil {
		return err
	}
	if n != md.Size {
		return fmt.Errorf("got %d bytes, want %d", n, md.Size)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); len(md.ETag) == 64 && got != md.ETag {
		return fmt.Errorf("content hash %s does not match the ETag %s", got, md.ETag)
	}
	return nil
}

// plan fetches the reconstruction of the whole file: /v2, or /v1 once the
// CAS answered 404 or 501 to /v2 and /v1 worked (remembered by the
// client). It also records the URL of every fetch range.
func (d *xetDownload) plan(ctx context.Context) (*xet.ReconstructionV2, error) {
	hdr := http.Header{"Range": {fmt.Sprintf("bytes=0-%d", d.size-1)}}
	path := "/reconstructions/" + d.file.String()
	var plan *xet.ReconstructionV2
	if !d.c.xet.v1.Load() {
		resp, err := d.tok.do(ctx, http.MethodGet, "/v2"+path, nil, func(s int) bool {
			return s == http.StatusOK || s == http.StatusNotFound || s == http.StatusNotImplemented
		}, hdr)
		if err != nil {
			return nil, fmt.Errorf("reconstruction: %w", err)
		}
		if resp.StatusCode == http.StatusOK {
			plan = new(xet.ReconstructionV2)
			if err := decodeJSON(resp, plan); err != nil {
				return nil, err
			}
		} else {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
	}
	if plan == nil {
		resp, err := d.tok.do(ctx, http.MethodGet, "/v1"+path, nil, nil, hdr)
		if err != nil {
			return nil, fmt.Errorf("reconstruction: %w", err)
		}
		var v1 xet.Reconstruction
		if err := decodeJSON(resp, &v1); err != nil {
			return nil, err
		}
		d.c.xet.v1.Store(true)
		plan = &xet.ReconstructionV2{OffsetIntoFirstRange: v1.OffsetIntoFirstRange, Terms: v1.Terms, Xorbs: map[xet.Hash][]xet.XorbFetchV2{}}
		for x, fis := range v1.FetchInfo {
			for _, fi := range fis {
				plan.Xorbs[x] = append(plan.Xorbs[x], xet.XorbFetchV2{URL: fi.URL, Ranges: []xet.XorbRangeV2{{Chunks: fi.Range, Bytes: fi.URLRange}}})
			}
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	d.urls = map[fetchKey]string{}
	for x, fetches := range plan.Xorbs {
		for _, f := range fetches {
			for _, r := range f.Ranges {
				d.urls[fetchKey{x, r.Bytes.Start, r.Bytes.End}] = f.URL
			}
		}
	}
	return plan, nil
}

// refresh gets a new plan (fresh signed URLs) unless one was fetched since
// generation gen.
func (d *xetDownload) refresh(ctx context.Context, gen int) error {
	d.mu.Lock()
	cur := d.gen
	d.mu.Unlock()
	if cur != gen {
		return nil
	}
	_, err := d.plan(ctx)
	return err
}

func (d *xetDownload) url(k fetchKey) (string, int, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, ok := d.urls[k]
	return u, d.gen, ok
}

// run writes the file to w, and to sum, and returns the number of bytes
// written. Terms are written in order; the ranges they need are fetched by
// up to Workers parallel GETs, at most xetDownloadAhead bytes ahead of the
// writer. w and sum are fed by two goroutines of their own, so that the
// sha256, the writes (kernel time: page cache) and the fetches overlap.
func (d *xetDownload) run(ctx context.Context, w io.Writer, sum io.Writer) (int64, error) {
	if d.size == 0 {
		return 0, nil
	}
	plan, err := d.plan(ctx)
	if err != nil {
		return 0, err
	}
	cache := d.c.chunkCache()
	// Each term is served by the chunk cache or by one fetch range that
	// covers it.
	var units []*fetchUnit
	byKey := map[fetchKey]int{}
	termUnit := make([]int, len(plan.Terms))
	cached := make([][][]byte, len(plan.Terms))
	for k, t := range plan.Terms {
		if t.Range.End <= t.Range.Start {
			return 0, fmt.Errorf("reconstruction term %d has an empty chunk range", k)
		}
		if parts, ok := cache.getRange(t.Hash, t.Range); ok {
			termUnit[k], cached[k] = -1, parts
			continue
		}
		var key fetchKey
		var chunks xet.ChunkRange
		found := false
		for _, f := range plan.Xorbs[t.Hash] {
			for _, r := range f.Ranges {
				if r.Chunks.Start <= t.Range.Start && t.Range.End <= r.Chunks.End && r.Bytes.End >= r.Bytes.Start {
					key, chunks, found = fetchKey{t.Hash, r.Bytes.Start, r.Bytes.End}, r.Chunks, true
					break
				}
			}
			if found {
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("no xorb fetch entry found for reconstruction term %d (xorb %s, chunks %d-%d)", k, t.Hash, t.Range.Start, t.Range.End)
		}
		i, ok := byKey[key]
		if !ok {
			i = len(units)
			byKey[key] = i
			units = append(units, &fetchUnit{key: key, chunks: chunks, firstUse: k, done: make(chan struct{})})
		}
		units[i].lastUse = k
		termUnit[k] = i
	}

	// Deferred in this order so that an early return cancels the fetches
	// and the writers before waiting for them.
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var ahead atomic.Int64 // bytes of ranges started and not yet written and hashed
	est := func(u *fetchUnit) int64 { return int64(u.key.end - u.key.start + 1) }
	release := func(u *fetchUnit) {
		if u.refs.Add(-1) == 0 {
			for _, bp := range u.bufs {
				fetchBuffers.Put(bp)
			}
			u.parts, u.bufs = nil, nil
			ahead.Add(-est(u))
		}
	}
	var werr error // of w, read once the writer is done
	writeCh, hashCh := make(chan xetPiece, 64), make(chan xetPiece, 64)
	var consumers sync.WaitGroup
	consumers.Add(2)
	go func() {
		defer consumers.Done()
		for p := range writeCh {
			for _, b := range p.data {
				if werr != nil {
					break
				}
				if _, werr = w.Write(b); werr != nil {
					cancel()
				}
			}
			if p.unit != nil {
				release(p.unit)
			}
		}
	}()
	go func() {
		defer consumers.Done()
		for p := range hashCh {
			for _, b := range p.data {
				sum.Write(b)
			}
			if p.unit != nil {
				release(p.unit)
			}
		}
	}()
	closed := false
	finish := func() error {
		if !closed {
			closed = true
			close(writeCh)
			close(hashCh)
			consumers.Wait()
		}
		return werr
	}
	defer finish()
	send := func(p xetPiece) error {
		for _, ch := range []chan xetPiece{writeCh, hashCh} {
			select {
			case ch <- p:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}

	sem := make(chan struct{}, d.c.opts.Workers)
	next := 0
	var written int64
	skip := plan.OffsetIntoFirstRange
	err = func() error {
		for k, t := range plan.Terms {
			// Start the ranges this term needs, and more while the
			// budget allows.
			for next < len(units) && (units[next].firstUse <= k || ahead.Load()+est(units[next]) <= xetDownloadAhead) {
				u := units[next]
				next++
				ahead.Add(est(u))
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer close(u.done)
					select {
					case sem <- struct{}{}:
					case <-ctx.Done():
						u.err = ctx.Err()
						return
					}
					defer func() { <-sem }()
					u.err = d.fetch(ctx, u, cache)
				}()
			}
			var parts [][]byte
			var last *fetchUnit
			if termUnit[k] < 0 {
				parts = cached[k]
			} else {
				u := units[termUnit[k]]
				select {
				case <-u.done:
				case <-ctx.Done():
					return ctx.Err()
				}
				if u.err != nil {
					return u.err
				}
				parts = u.parts[t.Range.Start-u.chunks.Start : t.Range.End-u.chunks.Start]
				if k == u.lastUse {
					last = u
					u.refs.Store(2)
				}
			}
			total := 0
			for _, p := range parts {
				total += len(p)
			}
			if total != int(t.UnpackedLength) {
				return fmt.Errorf("reconstruction term %d: %d bytes decoded, unpacked_length %d", k, total, t.UnpackedLength)
			}
			out := make([][]byte, 0, len(parts))
			for _, p := range parts {
				if skip > 0 {
					s := min(skip, uint64(len(p)))
					p, skip = p[s:], skip-s
				}
				p = p[:min(int64(len(p)), d.size-written)]
				if len(p) == 0 {
					continue
				}
				out = append(out, p)
				written += int64(len(p))
			}
			if err := send(xetPiece{data: out, unit: last}); err != nil {
				return err
			}
		}
		return nil
	}()
	if werr := finish(); werr != nil {
		return written, werr
	}
	return written, err
}

// xetPiece is what the writer and the hasher of a download get: the bytes
// of one term, and the range to release once both are done with it (nil
// if later terms still use it).
type xetPiece struct {
	data [][]byte
	unit *fetchUnit
}

// fetchBuffers keeps the buffers of fetched ranges (*[]byte): reusing them
// spares the page faults of fresh memory on every range.
var fetchBuffers sync.Pool

func fetchBuffer(n int) *[]byte {
	if bp, _ := fetchBuffers.Get().(*[]byte); bp != nil && cap(*bp) >= n {
		*bp = (*bp)[:n]
		return bp
	}
	b := make([]byte, n)
	return &b
}

// fetch downloads and decodes one range. Its signed URL carries its own
// authorization (no Authorization header); a 403 means it expired: the
// plan is fetched again and the range retried. Uncompressed chunks are
// used where they lie in the fetched bytes; compressed ones are decoded
// into a second buffer.
func (d *xetDownload) fetch(ctx context.Context, u *fetchUnit, cache *chunkLRU) error {
	want := int64(u.key.end - u.key.start + 1)
	if want > int64(xorb.MaxSerialized) {
		return fmt.Errorf("fetch xorb %s: range %d-%d is larger than a xorb", u.key.xorb, u.key.start, u.key.end)
	}
	bp := fetchBuffer(int(want))
	u.bufs = append(u.bufs, bp)
	body := *bp
	for attempt := 0; ; attempt++ {
		url, gen, ok := d.url(u.key)
		if !ok {
			return fmt.Errorf("the refreshed reconstruction has no range %d-%d of xorb %s", u.key.start, u.key.end, u.key.xorb)
		}
		resp, err := d.c.do(ctx, request{method: http.MethodGet, url: url, retry: true,
			header: http.Header{"Range": {fmt.Sprintf("bytes=%d-%d", u.key.start, u.key.end)}}})
		var he *Error
		if errors.As(err, &he) && he.StatusCode == http.StatusForbidden && attempt < 2 {
			if err := d.refresh(ctx, gen); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("fetch xorb %s: %w", u.key.xorb, err)
		}
		if resp.StatusCode == http.StatusOK {
			// The whole xorb: Range ignored.
			_, err = io.CopyN(io.Discard, resp.Body, int64(u.key.start))
		}
		var n int
		if err == nil {
			n, err = io.ReadFull(resp.Body, body)
		}
		if err == nil && resp.StatusCode != http.StatusOK {
			// A partial answer must end here.
			var one [1]byte
			if k, _ := resp.Body.Read(one[:]); k > 0 {
				err = fmt.Errorf("more than the %d bytes asked for", want)
			}
		}
		resp.Body.Close()
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			err = fmt.Errorf("got %d bytes, want %d", n, want)
		}
		if err != nil {
			return fmt.Errorf("fetch xorb %s: %w", u.key.xorb, err)
		}
		break
	}
	n := int(u.chunks.End - u.chunks.Start)
	u.parts = make([][]byte, n)
	type packed struct {
		i       int
		scheme  uint8
		payload []byte
		raw     int
	}
	var compressed []packed
	rawTotal := 0
	p := 0
	for i := range n {
		if len(body)-p < xorb.HeaderSize {
			return fmt.Errorf("xorb %s: range %d-%d ends after %d of %d chunks", u.key.xorb, u.key.start, u.key.end, i, n)
		}
		h, err := xorb.ParseHeader(body[p : p+xorb.HeaderSize])
		if err != nil {
			return fmt.Errorf("xorb %s chunk %d: %w", u.key.xorb, int(u.chunks.Start)+i, err)
		}
		p += xorb.HeaderSize
		if len(body)-p < int(h.StoredLen) {
			return fmt.Errorf("xorb %s chunk %d: truncated", u.key.xorb, int(u.chunks.Start)+i)
		}
		payload := body[p : p+int(h.StoredLen) : p+int(h.StoredLen)]
		p += int(h.StoredLen)
		if h.Scheme == xorb.SchemeNone {
			if len(payload) != int(h.RawLen) {
				return fmt.Errorf("xorb %s chunk %d: %w", u.key.xorb, int(u.chunks.Start)+i, xorb.ErrInvalid)
			}
			u.parts[i] = payload
			continue
		}
		compressed = append(compressed, packed{i, h.Scheme, payload, int(h.RawLen)})
		rawTotal += int(h.RawLen)
	}
	if len(compressed) > 0 {
		dp := fetchBuffer(rawTotal)
		u.bufs = append(u.bufs, dp)
		dst := *dp
		off := 0
		for _, c := range compressed {
			raw, err := xorb.Decompress(c.scheme, c.payload, c.raw, dst[off:off:off+c.raw])
			if err != nil {
				return fmt.Errorf("xorb %s chunk %d: %w", u.key.xorb, int(u.chunks.Start)+c.i, err)
			}
			u.parts[c.i] = raw
			off += c.raw
		}
	}
	if n > 16 {
		return nil // a long range is streaming, not a repeated piece: do not churn the cache
	}
	for i := range n {
		cache.put(chunkKey{u.key.xorb, u.chunks.Start + uint32(i)}, u.parts[i])
	}
	return nil
}

// chunkKey names a decoded chunk: chunk idx of a xorb.
type chunkKey struct {
	xorb xet.Hash
	idx  uint32
}

// chunkLRU keeps decoded chunks, least recently used out first, up to max
// bytes. It is safe for concurrent use.
type chunkLRU struct {
	mu   sync.Mutex
	max  int
	size int
	ll   *list.List
	m    map[chunkKey]*list.Element
}

type lruEntry struct {
	key  chunkKey
	data []byte
}

func newChunkLRU(max int) *chunkLRU {
	return &chunkLRU{max: max, ll: list.New(), m: map[chunkKey]*list.Element{}}
}

// put keeps a copy of data.
func (c *chunkLRU) put(k chunkKey, data []byte) {
	if len(data) > c.max/16 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[k]; ok {
		c.ll.MoveToFront(e)
		return
	}
	c.m[k] = c.ll.PushFront(&lruEntry{k, append([]byte(nil), data...)})
	c.size += len(data)
	for c.size > c.max {
		e := c.ll.Back()
		ent := e.Value.(*lruEntry)
		c.ll.Remove(e)
		delete(c.m, ent.key)
		c.size -= len(ent.data)
	}
}

// getRange returns the chunks r of xorb x if all are cached.
func (c *chunkLRU) getRange(x xet.Hash, r xet.ChunkRange) ([][]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.End-r.Start > 64 {
		return nil, false
	}
	parts := make([][]byte, 0, r.End-r.Start)
	for i := r.Start; i < r.End; i++ {
		e, ok := c.m[chunkKey{x, i}]
		if !ok {
			return nil, false
		}
		parts = append(parts, e.Value.(*lruEntry).data)
	}
	for i := r.Start; i < r.End; i++ {
		c.ll.MoveToFront(c.m[chunkKey{x, i}])
	}
	return parts, true
}
