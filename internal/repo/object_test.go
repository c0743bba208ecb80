package repo

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func oidOf(s string) string { return HashObject(KindBlob, []byte(s)) }

// orderingEntries are names whose git order differs from plain name order:
// a tree sorts as if its name ended in "/".
var orderingEntries = []TreeEntry{
	{Mode: ModeFile, Name: "b", OID: oidOf("b")},
	{Mode: ModeFile, Name: "a0", OID: oidOf("a0")},
	{Mode: ModeDir, Name: "a", OID: HashObject(KindTree, nil)},
	{Mode: ModeFile, Name: "a.txt", OID: oidOf("a.txt")},
	{Mode: ModeExec, Name: "a-b", OID: oidOf("a-b")},
	{Mode: ModeSymlink, Name: "link", OID: oidOf("target")},
	{Mode: ModeDir, Name: "a0b", OID: HashObject(KindTree, nil)},
	{Mode: ModeFile, Name: "é.bin", OID: oidOf("é")},
}

func TestTreeRoundTripInGitOrder(t *testing.T) {
	got, err := DecodeTree(EncodeTree(orderingEntries))
	ok(t, err)
	var names []string
	for _, e := range got {
		names = append(names, e.Name)
	}
	equals(t, "order", []string{"a-b", "a.txt", "a", "a0", "a0b", "b", "link", "é.bin"}, names)
	byName := map[string]TreeEntry{}
	for _, e := range orderingEntries {
		byName[e.Name] = e
	}
	for _, e := range got {
		equals(t, "entry "+e.Name, byName[e.Name], e)
	}
	// Encoding is canonical: the input order does not matter.
	equals(t, "re-encode", EncodeTree(orderingEntries), EncodeTree(got))
}

func TestDecodeTreeRejectsCorrupt(t *testing.T) {
	good := EncodeTree(orderingEntries[:1])
	for name, data := range map[string][]byte{
		"no space":    []byte("100644"),
		"no nul":      []byte("100644 a"),
		"short oid":   append([]byte("100644 a\x00"), make([]byte, 19)...),
		"empty name":  append([]byte("100644 \x00"), make([]byte, 20)...),
		"truncated":   good[:len(good)-1],
		"leading sep": append([]byte(" a\x00"), make([]byte, 20)...),
	} {
		if _, err := DecodeTree(data); err == nil {
			t.Errorf("%s: DecodeTree accepted %q", name, data)
		}
	}
	ents, err := DecodeTree(nil)
	ok(t, err)
	equals(t, "empty tree", 0, len(ents))
}

func TestHashObjectMatchesGit(t *testing.T) {
	dir := gitRepo(t)
	commit := (&Commit{
		Tree:      HashObject(KindTree, nil),
		Parents:   []string{oidOf("p1"), oidOf("p2")},
		Author:    Signature{Name: "Ann Author", Email: "ann@example.com", When: time.Unix(1700000000, 0).In(time.FixedZone("", 2*3600))},
		Committer: Signature{Name: "Carl", Email: "carl@example.com", When: time.Unix(1700000100, 0).In(time.FixedZone("", -(5*3600 + 30*60)))},
		Message:   "title\n\nbody line\n",
	}).Encode()
	cases := []struct {
		name string
		kind Kind
		data []byte
	}{
		{"empty blob", KindBlob, nil},
		{"text blob", KindBlob, []byte("hello\n")},
		{"binary blob", KindBlob, []byte{0, 1, 2, 0xff, '\n', 0}},
		{"empty tree", KindTree, nil},
		{"tree", KindTree, EncodeTree(orderingEntries)},
		{"commit", KindCommit, commit},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Without --literally git also checks that trees and commits
			// are well formed.
			want := strings.TrimSpace(string(runGit(t, dir, c.data, "hash-object", "-t", c.kind.String(), "--stdin")))
			equals(t, "oid", want, HashObject(c.kind, c.data))
		})
	}
}

func TestEncodeTreeMatchesGitMktree(t *testing.T) {
	dir := gitRepo(t)
	var in strings.Builder
	for _, e := range orderingEntries {
		typ := "blob"
		if e.IsDir() {
			typ = "tree"
		}
		mode := e.Mode
		if e.IsDir() {
			mode = "040000"
		}
		fmt.Fprintf(&in, "%s %s %s\t%s\n", mode, typ, e.OID, e.Name)
	}
	want := strings.TrimSpace(string(runGit(t, dir, []byte(in.String()), "mktree", "--missing")))
	equals(t, "tree oid", want, HashObject(KindTree, EncodeTree(orderingEntries)))
}

func TestCommitRoundTripWithGit(t *testing.T) {
	dir := gitRepo(t)
	tree := strings.TrimSpace(string(runGit(t, dir, nil, "mktree")))
	p1 := strings.TrimSpace(string(runGit(t, dir, []byte("first\n"), "commit-tree", tree)))
	p2 := strings.TrimSpace(string(runGit(t, dir, []byte("second\n"), "commit-tree", tree, "-p", p1)))
	msgs := []string{
		"one line\n",
		"title\n\nbody\n\nmore body\n",
		"no trailing newline",
	}
	for i, msg := range msgs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			out := runGitEnv(t, dir, []byte(msg), []string{
				"GIT_AUTHOR_NAME=Ann Author", "GIT_AUTHOR_EMAIL=ann@example.com", "GIT_AUTHOR_DATE=1700000000 +0200",
				"GIT_COMMITTER_NAME=Carl", "GIT_COMMITTER_EMAIL=carl@example.com", "GIT_COMMITTER_DATE=1700000100 -0530",
			}, "commit-tree", tree, "-p", p1, "-p", p2, "-F", "-")
			oid := strings.TrimSpace(string(out))
			raw := runGit(t, dir, nil, "cat-file", "commit", oid)
			c, err := DecodeCommit(raw)
			ok(t, err)
			equals(t, "tree", tree, c.Tree)
			equals(t, "parents", []string{p1, p2}, c.Parents)
			equals(t, "author", "Ann Author", c.Author.Name)
			equals(t, "author email", "ann@example.com", c.Author.Email)
			equals(t, "author time", int64(1700000000), c.Author.When.Unix())
			equals(t, "committer", "Carl", c.Committer.Name)
			equals(t, "message", string(raw[strings.Index(string(raw), "\n\n")+2:]), c.Message)
			equals(t, "re-encoded", string(raw), string(c.Encode()))
			equals(t, "oid", oid, HashObject(KindCommit, c.Encode()))
		})
	}
}

func TestDecodeCommitRejectsCorrupt(t *testing.T) {
	for _, s := range []string{"", "tree abc\n\nmsg", "parent " + oidOf("x") + "\n\nmsg"} {
		if _, err := DecodeCommit([]byte(s)); err == nil {
			t.Errorf("DecodeCommit accepted %q", s)
		}
	}
}

func TestCommitMessage(t *testing.T) {
	equals(t, "summary only", "Add file\n", commitMessage("  Add file ", ""))
	equals(t, "with description", "Add file\n\nLonger text\nhere\n", commitMessage("Add file", "\nLonger text\nhere\n\n"))
	c := &Commit{Message: commitMessage("Add file", "Longer text")}
	equals(t, "title", "Add file", c.Title())
	equals(t, "body", "Longer text", c.Body())
}
