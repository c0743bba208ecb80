package repo

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
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

// sortKey is the name git sorts an entry by: trees sort as if followed by "/".
func (e TreeEntry) sortKey() string {
	if e.IsDir() {
		return e.Name + "/"
	}
	return e.Name
}

// EncodeTree serializes entries in git's canonical order.
func EncodeTree(entries []TreeEntry) []byte {
	sorted := append([]TreeEntry(nil), entries...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].sortKey() < sorted[j].sortKey() })
	var b bytes.Buffer
	b.Grow(len(sorted) * 48)
	for _, e := range sorted {
		raw, _ := hex.DecodeString(e.OID)
		b.WriteString(e.Mode)
		b.WriteByte(' ')
		b.WriteString(e.Name)
		b.WriteByte(0)
		b.Write(raw)
	}
	return b.Bytes()
}

var errCorrupt = errors.New("corrupt git object")

// DecodeTree parses a raw git tree. Entries come back in stored order.
func DecodeTree(data []byte) ([]TreeEntry, error) {
	var out []TreeEntry
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		if sp <= 0 {
			return nil, errCorrupt
		}
		mode := string(data[:sp])
		data = data[sp+1:]
		nul := bytes.IndexByte(data, 0)
		if nul <= 0 || len(data) < nul+21 {
			return nil, errCorrupt
		}
		name := string(data[:nul])
		oid := hex.EncodeToString(data[nul+1 : nul+21])
		data = data[nul+21:]
		out = append(out, TreeEntry{Mode: mode, Name: name, OID: oid})
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
		}
	}
	return sig
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
