package repo

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sort"
	"strings"

	"github.com/wharfhub/wharf/wire"
)

// Entry is a file or directory of a tree, as listings show it.
type Entry struct {
	Path        string
	Dir         bool
	Mode        string
	OID         string // git blob or tree id
	Size        int64  // content size: for LFS files the object's size
	LFS         *wire.Pointer
	PointerSize int64 // size of the pointer blob, for LFS files
}

// CommitTree returns the root tree id of a commit.
func (e *Engine) CommitTree(ctx context.Context, r *Repo, commit string) (string, error) {
	c, err := readCommit(ctx, e.db, r.Key, commit)
	if err != nil {
		return "", err
	}
	return c.Tree, nil
}

// ReadCommit loads a commit of the repo.
func (e *Engine) ReadCommit(ctx context.Context, r *Repo, oid string) (*Commit, error) {
	return readCommit(ctx, e.db, r.Key, oid)
}

// lookupPath walks from a root tree to the entry at p ("" is the root).
func lookupPath(ctx context.Context, q querier, repoKey int64, root, p string) (TreeEntry, bool, error) {
	return lookupPathIn(ctx, q, repoKey, root, p, nil)
}

// lookupPathIn is lookupPath keeping the trees it reads in trees (by oid),
// when not nil: looking up many paths reads each tree once.
func lookupPathIn(ctx context.Context, q querier, repoKey int64, root, p string, trees map[string][]TreeEntry) (TreeEntry, bool, error) {
	cur := TreeEntry{Mode: ModeDir, OID: root}
	if p == "" {
		return cur, true, nil
	}
	for _, name := range strings.Split(p, "/") {
		if !cur.IsDir() {
			return TreeEntry{}, false, nil
		}
		ents, ok := trees[cur.OID]
		if !ok {
			var err error
			if ents, err = readTree(ctx, q, repoKey, cur.OID); err != nil {
				return TreeEntry{}, false, err
			}
			if trees != nil {
				trees[cur.OID] = ents
			}
		}
		found := false
		for _, e := range ents {
			if e.Name == name {
				cur, found = e, true
				break
			}
		}
		if !found {
			return TreeEntry{}, false, nil
		}
	}
	return cur, true, nil
}

func (e *Engine) fillFiles(ctx context.Context, r *Repo, entries []Entry) error {
	var oids []string
	for _, en := range entries {
		if !en.Dir {
			oids = append(oids, en.OID)
		}
	}
	if len(oids) == 0 {
		return nil
	}
	meta, err := readBlobMeta(ctx, e.db, e.db.Dialect, r.Key, oids)
	if err != nil {
		return err
	}
	for i := range entries {
		en := &entries[i]
		if en.Dir {
			continue
		}
		m := meta[en.OID]
		en.Size = m.Size
		if m.LFS != nil {
			en.LFS = m.LFS
			en.PointerSize = m.Size
			en.Size = m.LFS.Size
		}
	}
	return nil
}

func entryOf(dir string, te TreeEntry) Entry {
	p := te.Name
	if dir != "" {
		p = dir + "/" + te.Name
	}
	return Entry{Path: p, Dir: te.IsDir(), Mode: te.Mode, OID: te.OID}
}

// Stat returns the entry at path p of commit, or ErrEntryNotFound.
func (e *Engine) Stat(ctx context.Context, r *Repo, commit, p string) (Entry, error) {
	root, err := e.CommitTree(ctx, r, commit)
	if err != nil {
		return Entry{}, err
	}
	te, ok, err := lookupPath(ctx, e.db, r.Key, root, p)
	if err != nil {
		return Entry{}, err
	}
	if !ok {
		return Entry{}, errorf(ErrEntryNotFound, "Entry not found: %s does not exist at revision %s", p, commit)
	}
	dir := ""
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		dir = p[:i]
	}
	en := entryOf(dir, te)
	if p == "" {
		en.Path = ""
	}
	ents := []Entry{en}
	if err := e.fillFiles(ctx, r, ents); err != nil {
		return Entry{}, err
	}
	return ents[0], nil
}

// PathsInfo returns the entries of the paths that exist at commit, in the
// order asked; missing paths are left out.
func (e *Engine) PathsInfo(ctx context.Context, r *Repo, commit string, paths []string) ([]Entry, error) {
	root, err := e.CommitTree(ctx, r, commit)
	if err != nil {
		return nil, err
	}
	var out []Entry
	trees := map[string][]TreeEntry{}
	for _, p := range paths {
		p = strings.Trim(p, "/")
		if p == "" {
			continue
		}
		te, ok, err := lookupPathIn(ctx, e.db, r.Key, root, p, trees)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		dir := ""
		if i := strings.LastIndexByte(p, '/'); i >= 0 {
			dir = p[:i]
		}
		out = append(out, entryOf(dir, te))
	}
	return out, e.fillFiles(ctx, r, out)
}

// ListOptions configures ListTree.
type ListOptions struct {
	Path      string // folder to list; "" is the root
	Recursive bool
	After     string // resume after this entry key (from a previous page)
	Limit     int    // entries per page; <= 0 means 1000
}

// errPageFull stops a walk once a page is complete.
var errPageFull = errors.New("page full")

// ListTree lists the entries under a folder of commit in git order,
// directories before their contents when recursive. It returns one page
// and the key to resume after ("" when the listing is complete). Paging
// costs the entries returned plus the depth of the tree, whatever the page.
func (e *Engine) ListTree(ctx context.Context, r *Repo, commit string, opts ListOptions) ([]Entry, string, error) {
	if opts.Limit <= 0 {
		opts.Limit = 1000
	}
	root, err := e.CommitTree(ctx, r, commit)
	if err != nil {
		return nil, "", err
	}
	te, ok, err := lookupPath(ctx, e.db, r.Key, root, opts.Path)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", errorf(ErrEntryNotFound, "Entry not found: %s does not exist at revision %s", opts.Path, commit)
	}
	if !te.IsDir() {
		// Listing a file lists that file, as the Hub does.
		dir := ""
		if i := strings.LastIndexByte(opts.Path, '/'); i >= 0 {
			dir = opts.Path[:i]
		}
		out := []Entry{entryOf(dir, te)}
		return out, "", e.fillFiles(ctx, r, out)
	}
	var out []Entry
	next := ""
	// key orders entries exactly as the walk emits them: a directory's key
	// ends in "/", so its contents sort right after it.
	key := func(en Entry) string {
		if en.Dir {
			return en.Path + "/"
		}
		return en.Path
	}
	var walk func(dir, oid string) error
	walk = func(dir, oid string) error {
		ents, err := readTree(ctx, e.db, r.Key, oid)
		if err != nil {
			return err
		}
		ents = sortedEntries(ents)
		start := 0
		if opts.After != "" {
			// Find the resume point by binary search: a folder of 100,000
			// files is skipped without touching the entries before it.
			prefix := ""
			if dir != "" {
				prefix = dir + "/"
			}
			rest, inside := strings.CutPrefix(opts.After, prefix)
			switch {
			case inside:
				start = sort.Search(len(ents), func(i int) bool { return compareKey(ents[i], rest) > 0 })
				// The resume point may be inside the folder just before.
				if p := start - 1; opts.Recursive && p >= 0 && ents[p].IsDir() && strings.HasPrefix(rest, ents[p].Name+"/") {
					if err := walk(prefix+ents[p].Name, ents[p].OID); err != nil {
						return err
					}
				}
			case opts.After > prefix:
				return nil // the whole folder sorts before the resume point
			}
		}
		for _, te := range ents[start:] {
			if len(out) == opts.Limit {
				next = key(out[len(out)-1])
				return errPageFull
			}
			en := entryOf(dir, te)
			out = append(out, en)
			if en.Dir && opts.Recursive {
				if err := walk(en.Path, en.OID); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(opts.Path, te.OID); err != nil && !errors.Is(err, errPageFull) {
		return nil, "", err
	}
	return out, next, e.fillFiles(ctx, r, out)
}

// compareKey compares the name git sorts te by (its name, plus "/" for a
// folder) with s.
func compareKey(te TreeEntry, s string) int {
	n := min(len(te.Name), len(s))
	if c := strings.Compare(te.Name[:n], s[:n]); c != 0 {
		return c
	}
	b := -1
	if n < len(s) {
		b = int(s[n])
	}
	if c := cmp.Compare(te.sortByte(n), b); c != 0 || b != '/' {
		return c
	}
	// te is a folder and its key "name/" is a prefix of s.
	if len(s) == n+1 {
		return 0
	}
	return -1
}

func sortedEntries(ents []TreeEntry) []TreeEntry {
	// Stored trees are already in git order; trees written by other tools
	// might not be, so check cheaply and sort only if needed.
	if slices.IsSortedFunc(ents, compareEntries) {
		return ents
	}
	out := slices.Clone(ents)
	slices.SortFunc(out, compareEntries)
	return out
}

// LogEntry is one commit of a history listing.
type LogEntry struct {
	OID    string
	Commit *Commit
}

// walkHistory calls fn for every commit reachable from commit, newest
// first (by committer time, ties in discovery order), until fn returns
// false. Each commit is read once.
func (e *Engine) walkHistory(ctx context.Context, r *Repo, commit string, fn func(LogEntry) bool) error {
	c, err := readCommit(ctx, e.db, r.Key, commit)
	if err != nil {
		return err
	}
	seen := map[string]bool{commit: true}
	queue := []LogEntry{{OID: commit, Commit: c}}
	for len(queue) > 0 {
		// Histories are mostly linear: the queue holds one or two commits.
		best := 0
		for i := range queue {
			if queue[i].Commit.Committer.When.After(queue[best].Commit.Committer.When) {
				best = i
			}
		}
		cur := queue[best]
		queue = append(queue[:best], queue[best+1:]...)
		if !fn(cur) {
			return nil
		}
		for _, p := range cur.Commit.Parents {
			if seen[p] {
				continue
			}
			seen[p] = true
			pc, err := readCommit(ctx, e.db, r.Key, p)
			if err != nil {
				return err
			}
			queue = append(queue, LogEntry{OID: p, Commit: pc})
		}
	}
	return nil
}

// Log lists the history of commit, newest first, skipping skip commits and
// returning at most limit. It follows every parent, ordered by commit time.
// It reports whether more commits follow.
func (e *Engine) Log(ctx context.Context, r *Repo, commit string, skip, limit int) ([]LogEntry, bool, error) {
	var out []LogEntry
	n, more := 0, false
	err := e.walkHistory(ctx, r, commit, func(le LogEntry) bool {
		if n < skip {
			n++
			return true
		}
		if len(out) == limit {
			more = true
			return false
		}
		out = append(out, le)
		return true
	})
	return out, more, err
}

// CountCommits returns how many commits the history of commit has.
func (e *Engine) CountCommits(ctx context.Context, r *Repo, commit string) (int, error) {
	n := 0
	err := e.walkHistory(ctx, r, commit, func(LogEntry) bool { n++; return true })
	return n, err
}

// maxLastCommitWalk bounds how far LastCommits looks back.
const maxLastCommitWalk = 10000

// LastCommits finds, for each path, the newest commit of commit's
// first-parent history that changed it. Trees read along the way are
// cached by id, so folders that did not change cost nothing to walk again.
// Paths still unresolved after
// maxLastCommitWalk commits, or at the root commit, get the oldest commit
// seen.
func (e *Engine) LastCommits(ctx context.Context, r *Repo, commit string, paths []string) (map[string]LogEntry, error) {
	out := make(map[string]LogEntry, len(paths))
	trees := map[string][]TreeEntry{}
	lookup := func(root, p string) (string, error) {
		cur := root
		for _, name := range strings.Split(p, "/") {
			ents, ok := trees[cur]
			if !ok {
				var err error
				if ents, err = readTree(ctx, e.db, r.Key, cur); err != nil {
					return "", err
				}
				trees[cur] = ents
			}
			next := ""
			for _, en := range ents {
				if en.Name == name {
					next = en.OID
					break
				}
			}
			if next == "" {
				return "", nil
			}
			cur = next
		}
		return cur, nil
	}
	pending := append([]string(nil), paths...)
	oid := commit
	c, err := readCommit(ctx, e.db, r.Key, oid)
	if err != nil {
		return nil, err
	}
	for steps := 0; len(pending) > 0; steps++ {
		cur := LogEntry{OID: oid, Commit: c}
		if len(c.Parents) == 0 || steps >= maxLastCommitWalk {
			for _, p := range pending {
				out[p] = cur
			}
			break
		}
		parent, err := readCommit(ctx, e.db, r.Key, c.Parents[0])
		if err != nil {
			return nil, err
		}
		if parent.Tree != c.Tree {
			var still []string
			for _, p := range pending {
				a, err := lookup(c.Tree, p)
				if err != nil {
					return nil, err
				}
				b, err := lookup(parent.Tree, p)
				if err != nil {
					return nil, err
				}
				if a != b {
					out[p] = cur
				} else {
					still = append(still, p)
				}
			}
			pending = still
		}
		oid, c = c.Parents[0], parent
	}
	return out, nil
}
