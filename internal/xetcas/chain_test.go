package xetcas

import (
	"testing"
	"time"

	"github.com/wharfhub/wharf/xet"
)

// TestChainsExpire: links past chainTTL go first; when none is, the older
// half goes, so memory stays bounded by maxChains.
func TestChainsExpire(t *testing.T) {
	c := &chains{}
	t0 := time.Unix(1_000_000, 0)
	hash := func(i int) xet.Hash { return xet.Hash{byte(i), byte(i >> 8), byte(i >> 16), 1} }
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range maxChains {
		c.link(hash(i), t0.Add(time.Duration(i)*time.Millisecond))
	}
	if len(c.links) != maxChains {
		t.Fatalf("%d links, want %d", len(c.links), maxChains)
	}
	// None expired: the older half goes.
	now := t0.Add(time.Duration(maxChains) * time.Millisecond)
	c.link(hash(maxChains), now)
	if n := len(c.links); n > maxChains/2+2 || n < maxChains/2-2 {
		t.Fatalf("%d links after a full map, want about %d", n, maxChains/2)
	}
	if c.links[hash(0)] != nil || c.links[hash(maxChains-1)] == nil || c.links[hash(maxChains)] == nil {
		t.Fatal("the oldest link stayed or a recent one went")
	}
	// Past chainTTL: all old links go, the new one stays.
	for i := len(c.links); i < maxChains; i++ {
		c.link(hash(maxChains+1+i), now)
	}
	later := now.Add(chainTTL + time.Second)
	c.link(hash(3*maxChains), later)
	if len(c.links) != 1 || c.links[hash(3*maxChains)] == nil {
		t.Fatalf("%d links after chainTTL, want only the new one", len(c.links))
	}
}
