package web

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/wire"
)

// Bounds of a diff page: how many changed files are listed, how many of
// them get a text diff, and the largest file diffed.
const (
	maxDiffFiles     = 1000
	maxDiffTexts     = 200
	maxDiffFileBytes = 512 << 10
	maxDiffCells     = 4_000_000 // LCS table cells; larger changes show as replaced
	diffContext      = 3
)

type diffView struct {
	Files     []fileDiff
	Truncated bool
	Adds      int
	Dels      int
}

type fileDiff struct {
	Path     string
	Status   string // added, deleted, modified
	Binary   bool
	OldLFS   *wire.Pointer
	NewLFS   *wire.Pointer
	OldSize  int64
	NewSize  int64
	TooLarge bool
	Hunks    []hunk
	Adds     int
	Dels     int
}

// LFS reports whether either side is an LFS file.
func (f fileDiff) LFS() bool { return f.OldLFS != nil || f.NewLFS != nil }

type hunk struct {
	Header string
	Lines  []diffLine
}

type diffLine struct {
	Op   string // " ", "+", "-"
	Old  int    // line number on the old side, 0 for additions
	New  int    // line number on the new side, 0 for deletions
	Text string
}

// change is a file that differs between two trees; an empty oid is absent.
type change struct {
	path     string
	old, new string
}

// treeDiff lists the files that differ between two trees (either may be
// "", the empty tree), skipping identical subtrees, at most limit of them.
func (u *UI) treeDiff(q *request, rp *repo.Repo, a, b, prefix string, out *[]change, limit int) (bool, error) {
	if a == b {
		return true, nil
	}
	load := func(oid string) (map[string]repo.TreeEntry, error) {
		m := map[string]repo.TreeEntry{}
		if oid == "" {
			return m, nil
		}
		k, data, err := u.engine.ReadObject(q.ctx, rp, oid)
		if err != nil {
			return nil, err
		}
		if k != repo.KindTree {
			return nil, fmt.Errorf("object %s is a %s, not a tree", oid, k)
		}
		ents, err := repo.DecodeTree(data)
		for _, e := range ents {
			m[e.Name] = e
		}
		return m, err
	}
	am, err := load(a)
	if err != nil {
		return false, err
	}
	bm, err := load(b)
	if err != nil {
		return false, err
	}
	names := make([]string, 0, len(am)+len(bm))
	for n := range am {
		names = append(names, n)
	}
	for n := range bm {
		if _, ok := am[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		ea, ina := am[n]
		eb, inb := bm[n]
		if ina && inb && ea.OID == eb.OID && ea.Mode == eb.Mode {
			continue
		}
		p := prefix + n
		subA, subB, fileA, fileB := "", "", "", ""
		if ina {
			if ea.IsDir() {
				subA = ea.OID
			} else {
				fileA = ea.OID
			}
		}
		if inb {
			if eb.IsDir() {
				subB = eb.OID
			} else {
				fileB = eb.OID
			}
		}
		if fileA != fileB {
			if len(*out) >= limit {
				return false, nil
			}
			*out = append(*out, change{path: p, old: fileA, new: fileB})
		}
		if subA != "" || subB != "" {
			complete, err := u.treeDiff(q, rp, subA, subB, p+"/", out, limit)
			if err != nil || !complete {
				return complete, err
			}
		}
	}
	return true, nil
}

// diff renders the changes between two trees.
func (u *UI) diff(q *request, rp *repo.Repo, oldTree, newTree string) (*diffView, error) {
	if err := u.gate(q, rp); err != nil {
		return nil, err
	}
	var changes []change
	complete, err := u.treeDiff(q, rp, oldTree, newTree, "", &changes, maxDiffFiles)
	if err != nil {
		return nil, err
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].path < changes[j].path })
	dv := &diffView{Truncated: !complete}
	var oids []string
	for _, c := range changes {
		for _, o := range []string{c.old, c.new} {
			if o != "" {
				oids = append(oids, o)
			}
		}
	}
	infos, err := u.engine.ObjectInfos(q.ctx, rp, oids)
	if err != nil {
		return nil, err
	}
	// Read the contents worth diffing (and every LFS pointer) in one go.
	var want []string
	for i, c := range changes {
		for _, o := range []string{c.old, c.new} {
			if o == "" {
				continue
			}
			size := infos[o].Size
			if size < wire.MaxPointerSize || (i < maxDiffTexts && size <= maxDiffFileBytes) {
				want = append(want, o)
			}
		}
	}
	data := map[string][]byte{}
	if err := u.engine.ReadObjects(q.ctx, rp, want, func(oid string, _ repo.Kind, b []byte) error {
		data[oid] = bytes.Clone(b)
		return nil
	}); err != nil {
		return nil, err
	}
	for i, c := range changes {
		f := fileDiff{Path: c.path, Status: "modified"}
		switch {
		case c.old == "":
			f.Status = "added"
		case c.new == "":
			f.Status = "deleted"
		}
		var oldData, newData []byte
		oldOK, newOK := c.old == "", c.new == ""
		if c.old != "" {
			f.OldSize = infos[c.old].Size
			oldData, oldOK = data[c.old]
			if p, ok := wire.ParsePointer(oldData); ok {
				f.OldLFS, f.OldSize = &p, p.Size
			}
		}
		if c.new != "" {
			f.NewSize = infos[c.new].Size
			newData, newOK = data[c.new]
			if p, ok := wire.ParsePointer(newData); ok {
				f.NewLFS, f.NewSize = &p, p.Size
			}
		}
		switch {
		case f.LFS():
		case i >= maxDiffTexts || !oldOK || !newOK:
			f.TooLarge = true
		case isBinary(oldData) || isBinary(newData):
			f.Binary = true
		default:
			f.Hunks, f.Adds, f.Dels = textDiff(string(oldData), string(newData))
			if f.Hunks == nil && f.Adds+f.Dels > 0 {
				f.TooLarge = true
			}
		}
		dv.Adds += f.Adds
		dv.Dels += f.Dels
		dv.Files = append(dv.Files, f)
	}
	return dv, nil
}

func isBinary(b []byte) bool {
	return bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b)
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	s = strings.TrimSuffix(s, "\n")
	return strings.Split(s, "\n")
}

// textDiff diffs two texts by lines and groups the result into hunks with
// diffContext lines of context. A change too large for the LCS table
// returns nil hunks with its counts.
func textDiff(a, b string) ([]hunk, int, int) {
	al, bl := splitLines(a), splitLines(b)
	ops := lineDiff(al, bl)
	adds, dels := 0, 0
	for _, op := range ops {
		switch op.Op {
		case "+":
			adds++
		case "-":
			dels++
		}
	}
	if ops == nil {
		return nil, len(bl), len(al)
	}
	var hunks []hunk
	for i := 0; i < len(ops); {
		if ops[i].Op == " " {
			i++
			continue
		}
		start := max(i-diffContext, 0)
		end := i
		// Extend while the next change is within 2*context lines.
		for j := i; j < len(ops); j++ {
			if ops[j].Op != " " {
				end = j
				continue
			}
			if j-end > 2*diffContext {
				break
			}
		}
		stop := min(end+diffContext+1, len(ops))
		h := hunk{Lines: ops[start:stop]}
		oldStart, newStart := 0, 0
		oldN, newN := 0, 0
		for _, l := range h.Lines {
			if l.Op != "+" {
				if oldStart == 0 {
					oldStart = l.Old
				}
				oldN++
			}
			if l.Op != "-" {
				if newStart == 0 {
					newStart = l.New
				}
				newN++
			}
		}
		h.Header = fmt.Sprintf("@@ -%d,%d +%d,%d @@", oldStart, oldN, newStart, newN)
		hunks = append(hunks, h)
		i = stop
	}
	return hunks, adds, dels
}

// lineDiff returns the edit script from a to b (common prefix and suffix
// first, then a longest common subsequence), or nil when the middle is
// too large to compare.
func lineDiff(a, b []string) []diffLine {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	am, bm := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if int64(len(am)+1)*int64(len(bm)+1) > maxDiffCells {
		return nil
	}
	out := make([]diffLine, 0, len(a)+len(b))
	oi, ni := 1, 1
	for i := 0; i < pre; i++ {
		out = append(out, diffLine{Op: " ", Old: oi, New: ni, Text: a[i]})
		oi++
		ni++
	}
	// lcs[i][j] is the LCS length of am[i:] and bm[j:].
	n, m := len(am), len(bm)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if am[i] == bm[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && am[i] == bm[j]:
			out = append(out, diffLine{Op: " ", Old: oi, New: ni, Text: am[i]})
			oi, ni, i, j = oi+1, ni+1, i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, diffLine{Op: "-", Old: oi, Text: am[i]})
			oi, i = oi+1, i+1
		default:
			out = append(out, diffLine{Op: "+", New: ni, Text: bm[j]})
			ni, j = ni+1, j+1
		}
	}
	for k := len(a) - suf; k < len(a); k++ {
		out = append(out, diffLine{Op: " ", Old: oi, New: ni, Text: a[k]})
		oi++
		ni++
	}
	return out
}
