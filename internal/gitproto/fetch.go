package gitproto

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/go-git/go-git/v6/plumbing"
	"github.com/go-git/go-git/v6/plumbing/format/pktline"
	"github.com/go-git/go-git/v6/plumbing/protocol/capability"
	"github.com/go-git/go-git/v6/plumbing/protocol/packp"
	"github.com/go-git/go-git/v6/plumbing/revlist"

	"github.com/wharfhub/wharf/internal/repo"
)

// The protocol v2 fetch command for the common requests (clone, fetch,
// shallow clone), and clones over protocol v0/v1: go-git's
// transport.UploadPack computes the same answer,
// but sends the pack through a writer that starts a goroutine and clears a
// 32 KiB buffer for each of the several small writes per object, which
// made a clone of 100,000 files ten times slower than git. Here the object
// walk is still go-git's (revlist), and the pack is streamed from SQL in
// batches through one buffered sideband writer. Requests this path does not
// cover (deepening a shallow clone, deepen-since, deepen-not, filters) go to
// transport.UploadPack.

// maxObjectBatch and maxBatchBytes bound one read of object contents.
const (
	maxObjectBatch  = 500
	maxBatchBytes   = 8 << 20
	maxInlineObject = 16 << 10 // 500 of them make one 8 MiB batch
)

// parseFetchV2 reads a v2 command=fetch request. It returns nil args when
// the request is another command or needs go-git's general implementation.
func parseFetchV2(body []byte) *packp.FetchArgs {
	br := bufio.NewReader(bytes.NewReader(body))
	_, line, err := pktline.PeekLine(br)
	if err != nil || strings.TrimSpace(string(line)) != "command=fetch" {
		return nil
	}
	req := &packp.CommandRequest{Args: &packp.FetchArgs{}}
	if err := req.Decode(br); err != nil {
		return nil
	}
	args := req.Args.(*packp.FetchArgs)
	switch {
	case len(args.Wants) == 0,
		len(args.Shallows) > 0,
		args.DeepenRelative,
		!args.DeepenSince.IsZero(),
		len(args.DeepenNot) > 0,
		args.Filter != "",
		args.WaitForDone,
		args.Deepen > 0 && len(args.Haves) > 0:
		return nil
	}
	return args
}

// fetchV2 answers a v2 fetch: acknowledgments while negotiating, then the
// shallow boundary and the pack.
func (s *Service) fetchV2(ctx context.Context, st *store, args *packp.FetchArgs, w io.Writer) error {
	out := &packp.FetchOutput{}
	if !args.Done && len(args.Haves) > 0 {
		common, err := s.commonHaves(ctx, st, args.Haves)
		if err != nil {
			return err
		}
		out.Acknowledgments = &packp.Acknowledgments{ACKs: common}
		ready, err := s.wantsReachable(ctx, st, args.Wants, common)
		if err != nil {
			return err
		}
		if !ready {
			// Stateless: the client asks again with more haves.
			return out.Encode(w)
		}
		out.Acknowledgments.Ready = true
	}
	var shallows []plumbing.Hash
	if args.Deepen > 0 {
		var err error
		if shallows, err = shallowBoundary(st, args.Wants, args.Deepen); err != nil {
			return err
		}
		if len(shallows) > 0 {
			out.ShallowInfo = &packp.ShallowInfo{Shallows: shallows}
		}
	}
	var objs []oid
	if len(args.Haves) == 0 {
		// A clone: our own walk, with batched reads and compact ids.
		var err error
		if objs, err = s.walkAll(ctx, st, args.Wants, shallows); err != nil {
			return fmt.Errorf("list objects: %w", err)
		}
	} else {
		hs, err := revlist.Objects(plainStorer{st}, args.Wants, args.Haves)
		if err != nil {
			return fmt.Errorf("list objects: %w", err)
		}
		objs = make([]oid, len(hs))
		for i, h := range hs {
			objs[i] = oidOf(h)
		}
	}
	out.Packfile = true
	if err := out.Encode(w); err != nil {
		return err
	}
	if err := s.writePack(ctx, st, objs, &sidebandWriter{w: w}); err != nil {
		return err
	}
	return pktline.WriteFlush(w)
}

// cloneRound says how far a v0/v1 clone request goes.
type cloneRound int

const (
	roundShallow cloneRound = iota // wants only: answer the shallow list
	roundNAK                       // wants, then a flush without "done": shallow list and NAK
	roundDone                      // "done": shallow list, NAK and the pack
)

// parseCloneV0 reads a protocol v0/v1 upload-pack request and returns it
// when it is a clone: wants (and maybe a plain depth) and no haves. A
// shallow clone over stateless HTTP first sends its wants alone, to learn
// the shallow list, then again with "done". Other requests (fetches that
// negotiate, deepening a shallow clone) return ok false.
func parseCloneV0(body []byte) (req *packp.UploadRequest, round cloneRound, ok bool) {
	br := bufio.NewReader(bytes.NewReader(body))
	req = &packp.UploadRequest{}
	if err := req.Decode(br); err != nil {
		return nil, 0, false
	}
	if len(req.Wants) == 0 || len(req.Shallows) > 0 ||
		!req.Depth.DeepenSince.IsZero() || len(req.Depth.DeepenNot) > 0 || req.Filter != "" {
		return nil, 0, false
	}
	if _, err := br.Peek(1); err == io.EOF {
		return req, roundShallow, true
	}
	var haves packp.UploadHaves
	if err := haves.Decode(br); err != nil || len(haves.Haves) > 0 {
		return nil, 0, false
	}
	if haves.Done {
		return req, roundDone, true
	}
	return req, roundNAK, true
}

// cloneV0 answers a v0/v1 clone as git upload-pack --stateless-rpc does:
// the shallow update when a depth was asked for, NAK, then the pack, in
// the sideband the client asked for.
func (s *Service) cloneV0(ctx context.Context, st *store, req *packp.UploadRequest, round cloneRound, w io.Writer) error {
	var shallows []plumbing.Hash
	if req.Depth.Deepen > 0 {
		var err error
		if shallows, err = shallowBoundary(st, req.Wants, req.Depth.Deepen); err != nil {
			return err
		}
		upd := &packp.ShallowUpdate{Shallows: shallows}
		if err := upd.Encode(w); err != nil {
			return err
		}
	}
	switch round {
	case roundShallow:
		return nil
	case roundNAK:
		return (&packp.ServerResponse{}).Encode(w)
	}
	objs, err := s.walkAll(ctx, st, req.Wants, shallows)
	if err != nil {
		return fmt.Errorf("list objects: %w", err)
	}
	if err := (&packp.ServerResponse{}).Encode(w); err != nil { // NAK
		return err
	}
	switch {
	case req.Capabilities.Supports(capability.Sideband64k):
		err = s.writePack(ctx, st, objs, &sidebandWriter{w: w})
	case req.Capabilities.Supports(capability.Sideband):
		err = s.writePack(ctx, st, objs, &sidebandWriter{w: w, max: 1000})
	default:
		return s.writePack(ctx, st, objs, rawSink{w})
	}
	if err != nil {
		return err
	}
	return pktline.WriteFlush(w)
}

// commonHaves returns the haves the repo holds.
func (s *Service) commonHaves(ctx context.Context, st *store, haves []plumbing.Hash) ([]plumbing.Hash, error) {
	ids := make([]string, len(haves))
	for i, h := range haves {
		ids[i] = h.String()
	}
	infos, err := s.eng.ObjectInfos(ctx, st.r, ids)
	if err != nil {
		return nil, err
	}
	var common []plumbing.Hash
	for i, h := range haves {
		if _, ok := infos[ids[i]]; ok {
			common = append(common, h)
		}
	}
	return common, nil
}

// wantsReachable reports whether every want has a common have among its
// ancestors (git's ok_to_give_up): then the pack can be sent.
func (s *Service) wantsReachable(ctx context.Context, st *store, wants, common []plumbing.Hash) (bool, error) {
	if len(common) == 0 {
		return false, nil
	}
	targets := make(map[string]bool, len(common))
	for _, h := range common {
		targets[h.String()] = true
	}
	for _, want := range wants {
		ok, err := s.eng.ReachesAny(ctx, st.r, want.String(), targets, nil, maxAncestorWalk)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// shallowBoundary returns the commits at depth from the wants (the wants
// are at depth 1), as git's get_shallow_commits does.
func shallowBoundary(st *store, wants []plumbing.Hash, depth int) ([]plumbing.Hash, error) {
	type item struct {
		h     plumbing.Hash
		level int
	}
	seen := map[plumbing.Hash]bool{}
	var queue []item
	for _, w := range wants {
		if !seen[w] {
			seen[w] = true
			queue = append(queue, item{w, 1})
		}
	}
	var out []plumbing.Hash
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		o, err := st.EncodedObject(plumbing.CommitObject, it.h)
		if err != nil {
			continue // not a commit: nothing to bound
		}
		if it.level >= depth {
			out = append(out, it.h)
			continue
		}
		data, err := readAll(o)
		if err != nil {
			return nil, err
		}
		c, err := repo.DecodeCommit(data)
		if err != nil {
			return nil, fmt.Errorf("commit %s: %w", it.h, err)
		}
		for _, p := range c.Parents {
			ph, ok := hashOf(p)
			if ok && !seen[ph] {
				seen[ph] = true
				queue = append(queue, item{ph, it.level + 1})
			}
		}
	}
	return out, nil
}

func readAll(o plumbing.EncodedObject) ([]byte, error) {
	r, err := o.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// packObject is an object read for the pack.
type packObject struct {
	kind repo.Kind
	data []byte
}

// packChunk is a run of consecutive objects of the pack, read by one
// reader and sent to the writer in batches of bounded size.
type packChunk struct {
	objs []oid
	out  chan []packObject
}

// packReaders is the number of chunks read from SQL at once.
const packReaders = 2

// writePack streams a pack of objs, in that order, inside sideband-64k
// band 1 packets. Readers fetch the contents of the next chunks from SQL
// while the writer compresses and sends the current one; memory stays
// bounded by a few batches whatever the size of the repo.
func (s *Service) writePack(ctx context.Context, st *store, objs []oid, sb packSink) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		cancel()
	}
	chunks := make(chan *packChunk, packReaders) // in pack order, for the writer
	work := make(chan *packChunk)                // for the readers
	go func() {
		defer close(chunks)
		defer close(work)
		for i := 0; i < len(objs); i += maxObjectBatch {
			c := &packChunk{objs: objs[i:min(i+maxObjectBatch, len(objs))], out: make(chan []packObject, 1)}
			select {
			case chunks <- c:
			case <-ctx.Done():
				return
			}
			select {
			case work <- c:
			case <-ctx.Done():
				close(c.out)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range packReaders {
		wg.Go(func() {
			for c := range work {
				if err := s.readChunk(ctx, st, c.objs, c.out); err != nil {
					fail(err)
				}
				close(c.out)
			}
		})
	}
	defer wg.Wait()

	h := sha1.New()
	pw := io.MultiWriter(sb, h)
	var hdr [12]byte
	copy(hdr[:4], "PACK")
	binary.BigEndian.PutUint32(hdr[4:8], 2)
	binary.BigEndian.PutUint32(hdr[8:12], uint32(len(objs)))
	if _, err := pw.Write(hdr[:]); err != nil {
		return err
	}
	// Small objects are stored, not compressed: building Huffman tables
	// for a hundred bytes costs more than the bytes it saves.
	zFast, _ := zlib.NewWriterLevel(pw, zlib.BestSpeed)
	zStore, _ := zlib.NewWriterLevel(pw, zlib.NoCompression)
	var oh [16]byte
	written := 0
	for c := range chunks {
		for batch := range c.out {
			for _, o := range batch {
				n := objectHeader(oh[:], o.kind, int64(len(o.data)))
				if _, err := pw.Write(oh[:n]); err != nil {
					fail(err)
					return err
				}
				zw := zFast
				if len(o.data) < storeBelow {
					zw = zStore
				}
				zw.Reset(pw)
				if _, err := zw.Write(o.data); err != nil {
					fail(err)
					return err
				}
				if err := zw.Close(); err != nil {
					fail(err)
					return err
				}
				written++
			}
		}
	}
	cancel()
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if written != len(objs) {
		return fmt.Errorf("pack: wrote %d objects of %d", written, len(objs))
	}
	if _, err := sb.Write(h.Sum(nil)); err != nil {
		return err
	}
	return sb.flush()
}

// packSink is where a pack goes: a sideband stream or the raw response.
type packSink interface {
	io.Writer
	flush() error
}

// rawSink sends the pack without sideband framing (clients that did not
// ask for side-band).
type rawSink struct{ io.Writer }

func (rawSink) flush() error { return nil }

// storeBelow is the size under which objects are stored uncompressed.
const storeBelow = 512

// readChunk reads the contents of objs and sends them in order, in batches
// of at most maxBatchBytes (or one larger object): one query gives the
// sizes and the contents of the small objects, the larger ones follow in
// groups of bounded size.
func (s *Service) readChunk(ctx context.Context, st *store, objs []oid, out chan<- []packObject) error {
	ids := make([]string, len(objs))
	for j, h := range objs {
		ids[j] = h.String()
	}
	got := make(map[string]packObject, len(ids))
	sizes := make(map[string]int64)
	err := s.eng.ReadSmallObjects(ctx, st.r, ids, maxInlineObject, func(oid string, k repo.Kind, size int64, data []byte) error {
		got[oid] = packObject{kind: k, data: data}
		if data == nil {
			sizes[oid] = size
		}
		return nil
	})
	if err != nil {
		return err
	}
	send := func(batch []packObject) error {
		select {
		case out <- batch:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var batch []packObject
	var batchBytes int64
	for j, id := range ids {
		o, ok := got[id]
		if !ok {
			return fmt.Errorf("object %s: %w", id, plumbing.ErrObjectNotFound)
		}
		if o.data == nil {
			// A large object: read it with the next large ones, up to
			// maxBatchBytes in all.
			var group []string
			var groupBytes int64
			for _, id2 := range ids[j:] {
				if sz, large := sizes[id2]; large && got[id2].data == nil {
					if len(group) > 0 && groupBytes+sz > maxBatchBytes {
						break
					}
					group = append(group, id2)
					groupBytes += sz
				}
			}
			err := s.eng.ReadObjects(ctx, st.r, group, func(oid string, k repo.Kind, data []byte) error {
				got[oid] = packObject{kind: k, data: data}
				return nil
			})
			if err != nil {
				return err
			}
			if o = got[id]; o.data == nil {
				return fmt.Errorf("object %s: %w", id, plumbing.ErrObjectNotFound)
			}
		}
		delete(got, id)
		batch = append(batch, o)
		batchBytes += int64(len(o.data))
		if batchBytes >= maxBatchBytes {
			if err := send(batch); err != nil {
				return err
			}
			batch, batchBytes = nil, 0
		}
	}
	if len(batch) > 0 {
		return send(batch)
	}
	return nil
}

// objectHeader encodes a pack entry header: type and size.
func objectHeader(b []byte, k repo.Kind, size int64) int {
	c := byte(k)<<4 | byte(size&0x0f)
	size >>= 4
	n := 0
	for size > 0 {
		b[n] = c | 0x80
		n++
		c = byte(size & 0x7f)
		size >>= 7
	}
	b[n] = c
	return n + 1
}

// sidebandWriter frames data in band-1 pkt-lines of the largest size the
// negotiated sideband allows (65520 bytes for side-band-64k, 1000 for
// side-band).
type sidebandWriter struct {
	w   io.Writer
	max int // pkt-line size; 0 means side-band-64k
	buf [pktline.MaxSize]byte
	n   int // payload bytes in buf after the 5-byte header
}

func (s *sidebandWriter) Write(p []byte) (int, error) {
	if s.max == 0 {
		s.max = pktline.MaxSize
	}
	payload := s.max - 5
	total := len(p)
	for len(p) > 0 {
		c := copy(s.buf[5+s.n:5+payload], p)
		s.n += c
		p = p[c:]
		if s.n == payload {
			if err := s.flush(); err != nil {
				return total - len(p), err
			}
		}
	}
	return total, nil
}

func (s *sidebandWriter) flush() error {
	if s.n == 0 {
		return nil
	}
	size := s.n + 5
	const hex = "0123456789abcdef"
	s.buf[0], s.buf[1], s.buf[2], s.buf[3] = hex[size>>12&15], hex[size>>8&15], hex[size>>4&15], hex[size&15]
	s.buf[4] = 1
	_, err := s.w.Write(s.buf[:size])
	s.n = 0
	return err
}
