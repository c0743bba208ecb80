package repo

import (
	"cmp"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind is a git object type, with git's own numbering.
type Kind int

const (
	KindCommit Kind = 1
	KindTree   Kind = 2
	KindBlob   Kind = 3
	KindTag    Kind = 4
)

func (k Kind) String() string {
	switch k {
	case KindCommit:
		return "commit"
	case KindTree:
		return "tree"
	case KindBlob:
		return "blob"
	case KindTag:
		return "tag"
	}
	return "unknown"
}

// Git file modes as they appear in trees.
const (
	ModeFile    = "100644"
	ModeExec    = "100755"
	ModeSymlink = "120000"
	ModeDir     = "40000"
	ModeGitlink = "160000"
)

// HashObject returns the git object id (hex SHA-1) of data of kind k.
func HashObject(k Kind, data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "%s %d\x00", k, len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// TreeEntry is one entry of a git tree.
type TreeEntry struct {
	Mode string
	Name string
	OID  string // 40 hex
}

// IsDir reports whether the entry is a subtree.
func (e TreeEntry) IsDir() bool { return e.Mode == ModeDir }

// compareEntries orders entries as git does: by name, a tree sorting as if
// its name ended in "/". It builds no keys: it runs for every entry of
// every tree a commit loads, and the root of a big repo has thousands of
// folders.
func compareEntries(a, b TreeEntry) int {
	n := min(len(a.Name), len(b.Name))
	if c := strings.Compare(a.Name[:n], b.Name[:n]); c != 0 {
		return c
	}
	return cmp.Compare(a.sortByte(n), b.sortByte(n))
}

// sortByte is byte i of the name git sorts the entry by, or -1 past its end.
func (e TreeEntry) sortByte(i int) int {
	switch {
	case i < len(e.Name):
		return int(e.Name[i])
	case i == len(e.Name) && e.IsDir():
		return '/'
	}
	return -1
}

// EncodeTree serializes entries in git's canonical order.
func EncodeTree(entries []TreeEntry) []byte {
	sorted := entries
	if !slices.IsSortedFunc(entries, compareEntries) {
		sorted = slices.Clone(entries)
		slices.SortFunc(sorted, compareEntries)
	}
	n := 0
	for _, e := range sorted {
		n += len(e.Mode) + len(e.Name) + 22
	}
	b := make([]byte, 0, n)
	for _, e := range sorted {
		b = append(b, e.Mode...)
		b = append(b, ' ')
		b = append(b, e.Name...)
		b = append(b, 0)
		b, _ = hex.AppendDecode(b, []byte(e.OID))
	}
	return b
}

var errCorrupt = errors.New("corrupt git object")

// DecodeTree parses a raw git tree. Entries come back in stored order.
func DecodeTree(data []byte) ([]TreeEntry, error) {
	// Trees of big folders are decoded on every commit and listing page
	// that touches them: allocate per tree, not per entry. Modes and names
	// are substrings of one copy of data, ids of one hex buffer.
	s := string(data)
	n := 0
	for i := 0; i < len(s); n++ {
		sp := strings.IndexByte(s[i:], ' ')
		if sp <= 0 {
			return nil, errCorrupt
		}
		i += sp + 1
		nul := strings.IndexByte(s[i:], 0)
		if nul <= 0 || len(s)-i < nul+21 {
			return nil, errCorrupt
		}
		i += nul + 21
	}
	hexIDs := make([]byte, 0, 40*n)
	for i := 0; i < len(s); {
		sp := strings.IndexByte(s[i:], ' ')
		nul := strings.IndexByte(s[i+sp+1:], 0)
		id := i + sp + 1 + nul + 1
		hexIDs = hex.AppendEncode(hexIDs, data[id:id+20])
		i = id + 20
	}
	ids := string(hexIDs)
	out := make([]TreeEntry, 0, n)
	for i := 0; i < len(s); {
		sp := strings.IndexByte(s[i:], ' ')
		mode := s[i : i+sp]
		i += sp + 1
		nul := strings.IndexByte(s[i:], 0)
		k := len(out) * 40
		out = append(out, TreeEntry{Mode: mode, Name: s[i : i+nul], OID: ids[k : k+40]})
		i += nul + 21
	}
	return out, nil
}

// Signature is a git author or committer line.
type Signature struct {
	Name  string
	Email string
	When  time.Time
}

func (s Signature) encode() string {
	_, off := s.When.Zone()
	sign := '+'
	if off < 0 {
		sign = '-'
		off = -off
	}
	return fmt.Sprintf("%s <%s> %d %c%02d%02d", sanitizeSig(s.Name), sanitizeSig(s.Email), s.When.Unix(), sign, off/3600, (off%3600)/60)
}

func sanitizeSig(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '<', '>', '\n', 0:
			return -1
		}
		return r
	}, s)
}

func parseSignature(s string) Signature {
	var sig Signature
	lt := strings.IndexByte(s, '<')
	gt := strings.LastIndexByte(s, '>')
	if lt < 0 || gt < lt {
		sig.Name = s
		return sig
	}
	sig.Name = strings.TrimSpace(s[:lt])
	sig.Email = s[lt+1 : gt]
	rest := strings.Fields(s[gt+1:])
	if len(rest) >= 1 {
		if sec, err := strconv.ParseInt(rest[0], 10, 64); err == nil {
			sig.When = time.Unix(sec, 0).UTC()
			// Keep the zone: it is part of the commit's bytes and so of its id.
			if len(rest) >= 2 {
				if loc := parseTZ(rest[1]); loc != nil {
					sig.When = sig.When.In(loc)
				}
			}
		}
	}
	return sig
}

// parseTZ parses a git zone offset such as "+0200" or "-0530".
func parseTZ(z string) *time.Location {
	if len(z) != 5 || (z[0] != '+' && z[0] != '-') {
		return nil
	}
	hh, err1 := strconv.Atoi(z[1:3])
	mm, err2 := strconv.Atoi(z[3:5])
	if err1 != nil || err2 != nil {
		return nil
	}
	off := hh*3600 + mm*60
	if z[0] == '-' {
		off = -off
	}
	if off == 0 {
		return time.UTC
	}
	return time.FixedZone("", off)
}

// Commit is a parsed git commit.
type Commit struct {
	Tree      string
	Parents   []string
	Author    Signature
	Committer Signature
	Message   string
}

// Title is the first line of the message.
func (c *Commit) Title() string {
	t, _, _ := strings.Cut(c.Message, "\n")
	return t
}

// Body is the message after the title and the blank line that follows it.
func (c *Commit) Body() string {
	_, rest, _ := strings.Cut(c.Message, "\n")
	return strings.TrimSpace(rest)
}

// Encode serializes the commit in git's format.
func (c *Commit) Encode() []byte {
	var b strings.Builder
	b.WriteString("tree " + c.Tree + "\n")
	for _, p := range c.Parents {
		b.WriteString("parent " + p + "\n")
	}
	b.WriteString("author " + c.Author.encode() + "\n")
	b.WriteString("committer " + c.Committer.encode() + "\n")
	b.WriteString("\n")
	b.WriteString(c.Message)
	return []byte(b.String())
}

// DecodeCommit parses a raw git commit.
func DecodeCommit(data []byte) (*Commit, error) {
	c := &Commit{}
	s := string(data)
	hdr, msg, ok := strings.Cut(s, "\n\n")
	if !ok {
		hdr = strings.TrimSuffix(s, "\n")
	}
	c.Message = msg
	for _, line := range strings.Split(hdr, "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "tree":
			c.Tree = v
		case "parent":
			c.Parents = append(c.Parents, v)
		case "author":
			c.Author = parseSignature(v)
		case "committer":
			c.Committer = parseSignature(v)
		}
	}
	if len(c.Tree) != 40 {
		return nil, errCorrupt
	}
	return c, nil
}

// commitMessage joins a summary and a description the way git stores them.
func commitMessage(summary, description string) string {
	msg := strings.TrimSpace(summary) + "\n"
	if d := strings.TrimSpace(description); d != "" {
		msg += "\n" + d + "\n"
	}
	return msg
}
