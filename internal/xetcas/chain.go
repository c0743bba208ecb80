package xetcas

import (
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"sync"
	"time"

	"github.com/wharfhub/wharf/xet"
)

// Chained sha256 (a Wharf extension; other clients and other Hubs ignore
// it). A shard registers a file only once the server knows the file's
// sha256, which it reads back from the xorbs: for a large file, seconds of
// hashing after the last xorb arrived. A client that sends a large file in
// xorbs of its own, in order, names the previous xorb of the file with
// each one (header ChainHeader; ChainStart for the first). The server then
// hashes each xorb as soon as it can: as it streams in if its predecessor
// is hashed by then, else in the background once it is stored and its
// predecessor is hashed (the xorbs of a chain arrive several at once), so
// that when the shard arrives the sha256 of the chain is (nearly) known.
// The chain is only a hint: the shard uses it for a file whose terms are
// exactly the chain's xorbs, whole and in order, and the sha256 is
// computed by the server from the stored, verified xorbs, so a wrong hint
// costs hashing, never a wrong sha256. Chains live in the memory of one
// server process; a shard that finds none (another replica, a restart, an
// expired chain) reads the file back as before.
const (
	ChainHeader = "X-Wharf-Xorb-Prev"
	ChainStart  = "none"

	chainTTL  = 30 * time.Minute // links are dropped after this
	chainWait = 5 * time.Minute  // background hashing waits this long for a predecessor
	maxChains = 4096             // links kept; older ones are dropped first
)

// chainLink is a xorb of a chain: the sha256 state after hashing every
// xorb of the chain up to and including this one. A link can exist before
// its xorb arrives, as the predecessor a later xorb named (uploads finish
// out of order).
type chainLink struct {
	created    time.Time
	registered bool          // a request for this xorb claimed it (c.mu)
	before     *chainLink    // the predecessor, nil for a first xorb
	done       chan struct{} // closed once the fields below are set
	xorbs      []xet.Hash    // the chain, first xorb first
	state      []byte        // marshaled sha256 state; nil on failure
	raw        int64         // bytes hashed
}

type chains struct {
	mu    sync.Mutex
	links map[xet.Hash]*chainLink
	sem   chan struct{} // bounds the xorbs hashed in the background
}

// link returns the link of h, created if need be. c.mu is held.
func (c *chains) link(h xet.Hash, now time.Time) *chainLink {
	if c.links == nil {
		c.links = map[xet.Hash]*chainLink{}
		c.sem = make(chan struct{}, 2)
	}
	l := c.links[h]
	if l == nil {
		if len(c.links) >= maxChains {
			c.expire(now)
		}
		l = &chainLink{created: now, done: make(chan struct{})}
		c.links[h] = l
	}
	return l
}

// claimLink claims the link of xorb h, which follows prev (ChainStart for
// the first xorb of a file). It returns nil if prev is invalid or another
// request claimed h already.
func (s *Service) claimLink(h xet.Hash, prev string) *chainLink {
	var p xet.Hash
	if prev != ChainStart {
		var err error
		if p, err = xet.ParseHash(prev); err != nil || p == h {
			return nil
		}
	}
	c := &s.chains
	now := s.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.link(h, now)
	if l.registered {
		return nil
	}
	l.registered = true
	if prev != ChainStart {
		l.before = c.link(p, now)
	}
	return l
}

// resume returns a sha256 in the state after the chain up to before (a
// fresh one for nil), which must be done; ok is false if before failed.
func resume(before *chainLink) (d hash.Hash, ok bool) {
	d = sha256.New()
	if before == nil {
		return d, true
	}
	if before.state == nil {
		return nil, false
	}
	if err := d.(encoding.BinaryUnmarshaler).UnmarshalBinary(before.state); err != nil {
		return nil, false
	}
	return d, true
}

// publish sets l's chain and state: its predecessor's, then xorb h of raw
// decoded bytes, hashed into d. On failure l keeps no state.
func (l *chainLink) publish(h xet.Hash, d hash.Hash, raw int64) {
	state, err := d.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return
	}
	var xorbs []xet.Hash
	l.raw = raw
	if l.before != nil {
		xorbs = append(make([]xet.Hash, 0, len(l.before.xorbs)+1), l.before.xorbs...)
		l.raw += l.before.raw
	}
	l.xorbs = append(xorbs, h)
	l.state = state
}

// chainStart returns the sha256 state to hash xorb l with as it streams
// in, if its predecessor is hashed already, or nil if it will be hashed in
// the background once stored (no chain, a broken one, or a predecessor
// still on its way: waiting for it would take the chain's xorbs one at a
// time, slower than hashing this one later).
func (s *Service) chainStart(l *chainLink) hash.Hash {
	if l == nil {
		return nil
	}
	if l.before != nil {
		select {
		case <-l.before.done:
		default:
			return nil
		}
	}
	d, _ := resume(l.before)
	return d
}

// chainHashed publishes l: d after hashing the raw bytes of xorb h as it
// streamed in.
func (s *Service) chainHashed(l *chainLink, h xet.Hash, d hash.Hash, raw int64) {
	l.publish(h, d, raw)
	close(l.done)
}

// chainDone ends a request's claim on l: if the xorb was not hashed as it
// streamed in but is stored (it was there already, or its predecessor
// came too late), it is hashed in the background, from body if it is not
// nil; if it is not stored, the claim is dropped so that a retry can take
// it.
func (s *Service) chainDone(l *chainLink, h xet.Hash, body *xorbBody) {
	select {
	case <-l.done: // hashed as it streamed in (only this request closes it)
		s.bodies.release(body)
		return
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	_, ok, err := s.HasXorb(ctx, h)
	cancel()
	if err == nil && ok {
		go s.hashLink(l, h, body)
		return
	}
	s.bodies.release(body)
	s.chains.mu.Lock()
	l.registered = false
	s.chains.mu.Unlock()
}

// expire drops links older than chainTTL, or the oldest half if none is.
// c.mu is held.
func (c *chains) expire(now time.Time) {
	n := len(c.links)
	for h, l := range c.links {
		if now.Sub(l.created) > chainTTL {
			delete(c.links, h)
		}
	}
	if len(c.links) < n {
		return
	}
	var oldest time.Time
	for _, l := range c.links {
		if oldest.IsZero() || l.created.Before(oldest) {
			oldest = l.created
		}
	}
	cut := oldest.Add(now.Sub(oldest) / 2)
	for h, l := range c.links {
		if !l.created.After(cut) {
			delete(c.links, h)
		}
	}
}

// hashLink computes l in the background once its predecessor is hashed:
// the decoded content of stored xorb h (from body if it is not nil) hashed
// on top of the predecessor's state.
func (s *Service) hashLink(l *chainLink, h xet.Hash, body *xorbBody) {
	defer close(l.done)
	defer s.bodies.release(body)
	ctx, cancel := context.WithTimeout(context.Background(), chainWait)
	defer cancel()
	if l.before != nil {
		select {
		case <-l.before.done:
		case <-ctx.Done():
			return
		}
	}
	d, ok := resume(l.before)
	if !ok {
		return
	}
	select {
	case s.chains.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-s.chains.sem }()
	n, err := s.hashXorb(ctx, h, body, d)
	if err != nil {
		return
	}
	l.publish(h, d, n)
}

// hashXorb writes the decoded content of stored xorb h to w: from body,
// which was checked when stored, if it is not nil, else from the blob,
// read whole (one read). Its chunks are decoded in place.
func (s *Service) hashXorb(ctx context.Context, h xet.Hash, body *xorbBody, w io.Writer) (int64, error) {
	var whole *wholeXorb
	if body != nil {
		x, err := s.loadXorb(ctx, h)
		if err != nil {
			return 0, err
		}
		whole = &wholeXorb{x: x, data: body.data}
	} else {
		var err error
		if whole, err = s.readWholeXorb(ctx, h); err != nil {
			return 0, err
		}
		defer whole.release()
	}
	n, err := whole.write(w, 0, whole.x.n())
	if err == nil && uint64(n) != whole.x.rawOff[whole.x.n()] {
		err = fmt.Errorf("xorb %s: read back %d bytes, want %d", h, n, whole.x.rawOff[whole.x.n()])
	}
	return n, err
}

// chainSHA256 returns the sha256 of f if a chain covers it: its terms are
// the chain's xorbs, whole and in order, but for the last term, which may
// instead be the start of another xorb (the file ended in the middle of a
// xorb shared with the next file): that term is read back. It waits for the
// chain to be hashed. ok is false if there is no such chain.
func (s *Service) chainSHA256(ctx context.Context, f *File) (string, bool) {
	n := len(f.Terms)
	if n == 0 {
		return "", false
	}
	whole := func(t FileTerm) bool {
		x, err := s.loadXorb(ctx, t.Xorb)
		return err == nil && t.Start == 0 && int(t.End) == x.n()
	}
	k := n // terms covered by the chain
	if !whole(f.Terms[n-1]) {
		if f.Terms[n-1].Start != 0 || n == 1 {
			return "", false
		}
		k = n - 1
	}
	for _, t := range f.Terms[:k] {
		if !whole(t) {
			return "", false
		}
	}
	c := &s.chains
	c.mu.Lock()
	l := c.links[f.Terms[k-1].Xorb]
	registered := l != nil && l.registered
	c.mu.Unlock()
	if !registered {
		return "", false
	}
	t := time.NewTimer(chainWait)
	defer t.Stop()
	select {
	case <-l.done:
	case <-t.C:
		return "", false
	case <-ctx.Done():
		return "", false
	}
	if l.state == nil || len(l.xorbs) != k {
		return "", false
	}
	for i, t := range f.Terms[:k] {
		if t.Xorb != l.xorbs[i] {
			return "", false
		}
	}
	d, ok := resume(l)
	if !ok {
		return "", false
	}
	raw := l.raw
	if k < n {
		t := f.Terms[n-1]
		m, err := s.readBack(ctx, []FileTerm{t}, d)
		if err != nil || m != int64(t.Unpacked) {
			return "", false
		}
		raw += m
	}
	if raw != f.Size {
		return "", false
	}
	return hex.EncodeToString(d.Sum(nil)), true
}
