package repo

import (
	"bytes"
	"testing"
)

func FuzzDecodeTree(f *testing.F) {
	f.Add(EncodeTree(orderingEntries))
	f.Add([]byte{})
	f.Add([]byte("100644 a\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ents, err := DecodeTree(data)
		if err != nil {
			return
		}
		for _, e := range ents {
			if len(e.OID) != 40 || e.Name == "" || e.Mode == "" {
				t.Fatalf("bad entry %+v", e)
			}
		}
		// A decoded tree re-encodes to the same bytes when it was in git
		// order and had no duplicate names.
		again, err := DecodeTree(EncodeTree(ents))
		if err != nil || len(again) != len(ents) {
			t.Fatalf("re-decode: %v, %d entries, want %d", err, len(again), len(ents))
		}
	})
}

func FuzzDecodeCommit(f *testing.F) {
	c := &Commit{Tree: oidOf("t"), Parents: []string{oidOf("p")}, Message: "m\n"}
	f.Add(c.Encode())
	f.Add([]byte("tree " + oidOf("t") + "\nauthor a <b> 1 +0100\n\nmsg"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeCommit(data)
		if err != nil {
			return
		}
		if _, err := DecodeCommit(c.Encode()); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

func FuzzPatterns(f *testing.F) {
	f.Add("*.bin filter=lfs\n\"a b\" -filter\n", "d/a b.bin")
	f.Add("saved_model/**/* filter=lfs\n[[:space:]", "saved_model/x/y")
	f.Fuzz(func(t *testing.T, file, p string) {
		ParseAttributes([]byte(file)).IsLFS(p)
		ParseIgnore([]byte(file)).Ignored(p)
		wildmatch(file, p)
		if pat := escapeAttrPath(p); p != "" && !bytes.ContainsAny([]byte(p), "\x00\n\r\t\v\f") && p[0] != '/' && p[len(p)-1] != '/' {
			if !attrMatch(pat, p) {
				t.Fatalf("escaped %q as %q, which does not match it", p, pat)
			}
		}
	})
}
