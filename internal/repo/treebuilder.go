package repo

import (
	"context"
	"strings"
)

// treeBuilder edits a git tree, loading only the directories the edits
// touch and writing only the trees that changed.
type treeBuilder struct {
	ctx     context.Context
	q       querier
	repoKey int64
	root    *dirNode
}

type dirNode struct {
	oid      string // tree id as loaded; "" for a new directory
	entries  map[string]TreeEntry
	children map[string]*dirNode // loaded subdirectories
	dirty    bool
}

func newTreeBuilder(ctx context.Context, q querier, repoKey int64, rootTree string) *treeBuilder {
	return &treeBuilder{ctx: ctx, q: q, repoKey: repoKey, root: &dirNode{oid: rootTree}}
}

func (b *treeBuilder) load(n *dirNode) error {
	if n.entries != nil {
		return nil
	}
	n.entries = map[string]TreeEntry{}
	n.children = map[string]*dirNode{}
	if n.oid == "" {
		return nil
	}
	ents, err := readTree(b.ctx, b.q, b.repoKey, n.oid)
	if err != nil {
		return err
	}
	for _, e := range ents {
		n.entries[e.Name] = e
	}
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
			e, exists := n.entries[name]
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
				n.entries[name] = TreeEntry{Mode: ModeDir, Name: name}
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

// put sets the file at p to the blob oid.
func (b *treeBuilder) put(p, mode, oid string) error {
	parts := strings.Split(p, "/")
	path, err := b.dir(parts[:len(parts)-1], true, p)
	if err != nil {
		return err
	}
	n := path[len(path)-1]
	name := parts[len(parts)-1]
	if e, ok := n.entries[name]; ok {
		if e.IsDir() {
			return errorf(ErrConflict, "cannot write %s: it is a folder", p)
		}
		if e.Mode == ModeExec {
			mode = ModeExec // keep the executable bit of a file that is replaced
		}
	}
	n.entries[name] = TreeEntry{Mode: mode, Name: name, OID: oid}
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
		e, ok = n.entries[name]
	}
	switch {
	case !ok && folder:
		return errorf(ErrEntryNotFound, "Cannot delete %s: no such folder in the repository", p)
	case !ok || (e.IsDir() && !folder):
		return errorf(ErrEntryNotFound, "Cannot delete %s: A file with this name doesn't exist", p)
	}
	delete(n.entries, name)
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
	e, ok := path[len(path)-1].entries[parts[len(parts)-1]]
	if !ok || e.IsDir() {
		return nil, nil
	}
	return readObject(b.ctx, b.q, b.repoKey, e.OID, KindBlob)
}

// flush writes every changed tree bottom-up and returns the root tree id.
// Directories left empty disappear, as in git.
func (b *treeBuilder) flush() (string, error) {
	if err := b.load(b.root); err != nil {
		return "", err
	}
	return b.write(b.root)
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
		if len(child.entries) == 0 {
			delete(n.entries, name)
			delete(n.children, name)
			continue
		}
		n.entries[name] = TreeEntry{Mode: ModeDir, Name: name, OID: oid}
	}
	ents := make([]TreeEntry, 0, len(n.entries))
	for _, e := range n.entries {
		ents = append(ents, e)
	}
	oid, err := writeObject(b.ctx, b.q, b.repoKey, KindTree, EncodeTree(ents), nil)
	if err != nil {
		return "", err
	}
	n.oid = oid
	n.dirty = false
	return oid, nil
}
