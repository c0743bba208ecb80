package wire

import (
	"slices"
	"testing"
)

func TestSegmentsAndSplitRevision(t *testing.T) {
	segs, ok := Segments("/alice/m/resolve/refs%2Fpr%2F1/a%20b.txt")
	if !ok || !slices.Equal(segs, []string{"alice", "m", "resolve", "refs/pr/1", "a b.txt"}) {
		t.Fatalf("Segments: %q %v", segs, ok)
	}
	if _, ok := Segments("/a/%zz"); ok {
		t.Fatal("malformed escape accepted")
	}
	if segs, ok := Segments("/"); !ok || segs != nil {
		t.Fatalf("root: %q %v", segs, ok)
	}
	for _, c := range []struct {
		in   []string
		rev  string
		rest []string
	}{
		{[]string{"main", "a", "b"}, "main", []string{"a", "b"}},
		{[]string{"refs", "pr", "3", "x"}, "refs/pr/3", []string{"x"}},
		{[]string{"refs", "convert", "parquet", "x"}, "refs/convert/parquet", []string{"x"}},
		{[]string{"refs", "heads", "main"}, "refs", []string{"heads", "main"}},
		{nil, "", nil},
	} {
		rev, rest := SplitRevision(c.in)
		if rev != c.rev || !slices.Equal(rest, c.rest) {
			t.Errorf("SplitRevision(%q) = %q %q, want %q %q", c.in, rev, rest, c.rev, c.rest)
		}
	}
}
