package repo

import (
	"context"
	"slices"
	"strings"

	"github.com/wharfhub/wharf/internal/store/sqlstore"
)

// treeBuilder edits a git tree, loading only the directories the edits
// touch and writing only the trees that changed.
type treeBuilder struct {
	ctx     context.Context
	q       querier
	repoKey int64
	root    *dirNode
	// objs queues the new trees, and the blobs callers write with it;
	// flush writes them.
	objs *objectBatch
}

type dirNode struct {
	oid  string      // tree id as loaded; "" for a new directory
	base []TreeEntry // entries as loaded, in git order
	// changes overlays base: name -> new entry, or nil when removed. Only
	// what a commit touches goes through it, and writing merges it into
	// base without sorting what did not change.
	changes  map[string]*TreeEntry
	count    int                 // entries after changes
	children map[string]*dirNode // loaded subdirectories
	loaded   bool
	dirty    bool
}

// findBase returns the index in base of the entry called name.
func (n *dirNode) findBase(name string) (int, bool) {
	// A file sorts by its name and a folder by its name plus "/", and other
	// names may sort in between ("a" < "a-b" < "a/"): look for both.
	for _, mode := range []string{ModeFile, ModeDir} {
		if i, ok := slices.BinarySearchFunc(n.base, TreeEntry{Mode: mode, Name: name}, compareEntries); ok {
			return i, true
		}
	}
	return 0, false
}

func (n *dirNode) get(name string) (TreeEntry, bool) {
	if e, ok := n.changes[name]; ok {
		if e == nil {
			return TreeEntry{}, false
		}
		return *e, true
	}
	if i, ok := n.findBase(name); ok {
		return n.base[i], true
	}
	return TreeEntry{}, false
}

// set adds or replaces the entry with e's name.
func (n *dirNode) set(e TreeEntry) {
	if _, ok := n.get(e.Name); !ok {
		n.count++
	}
	n.changes[e.Name] = &e
}

func (n *dirNode) remove(name string) {
	if _, ok := n.get(name); ok {
		n.count--
		n.changes[name] = nil
	}
}

// entries returns the entries after changes, in git order.
func (n *dirNode) entries() []TreeEntry {
	if len(n.changes) == 0 {
		return n.base
	}
	added := make([]TreeEntry, 0, len(n.changes))
	for _, e := range n.changes {
		if e != nil {
			added = append(added, *e)
		}
	}
	slices.SortFunc(added, compareEntries)
	out := make([]TreeEntry, 0, n.count)
	i, j := 0, 0
	for i < len(n.base) || j < len(added) {
		if i < len(n.base) {
			if _, changed := n.changes[n.base[i].Name]; changed {
				i++
				continue
			}
		}
		if j == len(added) || (i < len(n.base) && compareEntries(n.base[i], added[j]) < 0) {
			out = append(out, n.base[i])
			i++
		} else {
			out = append(out, added[j])
			j++
		}
	}
	return out
}

func newTreeBuilder(ctx context.Context, q querier, d sqlstore.Dialect, repoKey int64, rootTree string) *treeBuilder {
	return &treeBuilder{ctx: ctx, q: q, repoKey: repoKey, root: &dirNode{oid: rootTree}, objs: newObjectBatch(ctx, q, d, repoKey)}
}

func (b *treeBuilder) load(n *dirNode) error {
	if n.loaded {
		return nil
	}
	n.loaded = true
	n.children = map[string]*dirNode{}
	n.changes = map[string]*TreeEntry{}
	if n.oid == "" {
		return nil
	}
	ents, err := readTree(b.ctx, b.q, b.repoKey, n.oid)
	if err != nil {
		return err
	}
	n.base = sortedEntries(ents)
	n.count = len(n.base)
	return nil
}

// dir walks to the directory at parts, creating missing ones when create is
// set. It returns the nodes along the way, root first.
func (b *treeBuilder) dir(parts []string, create bool, full string) ([]*dirNode, error) {
	path := []*dirNode{b.root}
	n := b.root
	if err := b.load(n); err != nil {
		return nil, err
	}
	for i, name := range parts {
		child, ok := n.children[name]
		if !ok {
			e, exists := n.get(name)
			switch {
			case exists && !e.IsDir():
				if create {
					return nil, errorf(ErrConflict, "cannot write %s: %s is a file", full, strings.Join(parts[:i+1], "/"))
				}
				return nil, nil
			case exists:
				child = &dirNode{oid: e.OID}
			case create:
				child = &dirNode{}
				n.set(TreeEntry{Mode: ModeDir, Name: name})
			default:
				return nil, nil
			}
			if err := b.load(child); err != nil {
				return nil, err
			}
			n.children[name] = child
		}
		n = child
		path = append(path, n)
	}
	return path, nil
}

func markDirty(path []*dirNode) {
	for _, n := range path {
		n.dirty = true
	}
}

// put sets the file at p to the blob oid. A replaced executable file stays
// executable.
func (b *treeBuilder) put(p, mode, oid string) error {
	return b.setFile(p, mode, oid, true)
}

// setFile sets the file at p to the blob oid with mode, or with the mode of
// the file it replaces if that is executable and keepExec is set.
func (b *treeBuilder) setFile(p, mode, oid string, keepExec bool) error {
	parts := strings.Split(p, "/")
	path, err := b.dir(parts[:len(parts)-1], true, p)
	if err != nil {
		return err
	}
	n := path[len(path)-1]
	name := parts[len(parts)-1]
	if e, ok := n.get(name); ok {
		if e.IsDir() {
			return errorf(ErrConflict, "cannot write %s: it is a folder", p)
		}
		if keepExec && e.Mode == ModeExec {
			mode = ModeExec // keep the executable bit of a file that is replaced
		}
	}
	n.set(TreeEntry{Mode: mode, Name: name, OID: oid})
	markDirty(path)
	return nil
}

// remove deletes the file (or, with folder, the folder or file) at p.
func (b *treeBuilder) remove(p string, folder bool) error {
	parts := strings.Split(p, "/")
	path, err := b.dir(parts[:len(parts)-1], false, p)
	if err != nil {
		return err
	}
	var n *dirNode
	if path != nil {
		n = path[len(path)-1]
	}
	name := parts[len(parts)-1]
	var e TreeEntry
	ok := false
	if n != nil {
		e, ok = n.get(name)
	}
	switch {
	case !ok && folder:
		return errorf(ErrEntryNotFound, "Cannot delete %s: no such folder in the repository", p)
	case !ok || (e.IsDir() && !folder):
		return errorf(ErrEntryNotFound, "Cannot delete %s: A file with this name doesn't exist", p)
	}
	n.remove(name)
	delete(n.children, name)
	markDirty(path)
	return nil
}

// readFile returns the content of the regular file at p, or nil if absent.
func (b *treeBuilder) readFile(p string) ([]byte, error) {
	parts := strings.Split(p, "/")
	path, err := b.dir(parts[:len(parts)-1], false, p)
	if err != nil || path == nil {
		return nil, err
	}
	e, ok := path[len(path)-1].get(parts[len(parts)-1])
	if !ok || e.IsDir() {
		return nil, nil
	}
	if err := b.objs.flush(); err != nil { // the blob may be queued
		return nil, err
	}
	return readObject(b.ctx, b.q, b.repoKey, e.OID, KindBlob)
}

// flush writes every changed tree bottom-up, and every queued object, and
// returns the root tree id. Directories left empty disappear, as in git.
func (b *treeBuilder) flush() (string, error) {
	if err := b.load(b.root); err != nil {
		return "", err
	}
	oid, err := b.write(b.root)
	if err != nil {
		return "", err
	}
	return oid, b.objs.flush()
}

func (b *treeBuilder) write(n *dirNode) (string, error) {
	if !n.dirty {
		return n.oid, nil
	}
	for name, child := range n.children {
		if !child.dirty {
			continue
		}
		oid, err := b.write(child)
		if err != nil {
			return "", err
		}
		if child.count == 0 {
			n.remove(name)
			delete(n.children, name)
			continue
		}
		n.set(TreeEntry{Mode: ModeDir, Name: name, OID: oid})
	}
	if n.count == 0 && n != b.root {
		// An empty directory disappears: its parent drops it, so its
		// tree need not be stored.
		n.dirty = false
		return "", nil
	}
	n.base = n.entries()
	clear(n.changes)
	oid, err := b.objs.write(KindTree, EncodeTree(n.base), nil)
	if err != nil {
		return "", err
	}
	n.oid = oid
	n.dirty = false
	return oid, nil
}
