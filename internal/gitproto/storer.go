package gitproto

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/go-git/go-git/v6/config"
	"github.com/go-git/go-git/v6/plumbing"
	"github.com/go-git/go-git/v6/plumbing/format/index"
	"github.com/go-git/go-git/v6/plumbing/revlist"
	"github.com/go-git/go-git/v6/plumbing/storer"
	"github.com/go-git/go-git/v6/storage"

	"github.com/wharfhub/wharf/internal/repo"
)

// Read-ahead bounds. Objects are fetched from SQL in batches, in the order
// the pack encoder will ask for them, so a clone of a large repo costs a
// few hundred queries and holds at most one batch of contents at a time.
const (
	infoBatch     = 1000     // ids per kind/size query
	contentBatch  = 500      // ids per content query
	contentBytes  = 8 << 20  // bytes of content per query (one larger object may exceed it)
	maxCacheBytes = 64 << 20 // read-ahead that was never asked for is dropped past this
)

// errRefsByHook is what ref writes answer before a push has been applied:
// refs only move in the pre-receive hook, in one transaction.
var errRefsByHook = errors.New("refs are moved by the push transaction only")

// store is a go-git storage.Storer over one repo of the engine, for one
// request. Objects come from SQL, plus an in-memory overlay for the
// objects a push brings, which reach SQL only once the push is validated.
// Refs are a snapshot taken when the request starts. It is safe for
// concurrent use.
type store struct {
	ctx context.Context
	eng *repo.Engine
	r   *repo.Repo
	cfg *config.Config

	mu sync.Mutex

	refs    map[plumbing.ReferenceName]*plumbing.Reference
	applied bool // the push transaction committed: ref writes are bookkeeping

	// Push overlay.
	added      map[plumbing.Hash]*memObject
	addedBytes int64
	maxAdded   int64

	// Read side: what is known of stored objects, the order they will be
	// read in, and contents read ahead.
	info       map[plumbing.Hash]repo.ObjectInfo
	order      []plumbing.Hash
	pos        map[plumbing.Hash]int
	exactOrder bool // order came from the object walk itself
	cache      map[plumbing.Hash][]byte
	cacheBytes int
}

func newStore(ctx context.Context, eng *repo.Engine, r *repo.Repo, maxPush int64) (*store, error) {
	s := &store{
		ctx:      ctx,
		eng:      eng,
		r:        r,
		cfg:      config.NewConfig(),
		refs:     map[plumbing.ReferenceName]*plumbing.Reference{},
		added:    map[plumbing.Hash]*memObject{},
		maxAdded: maxPush,
		info:     map[plumbing.Hash]repo.ObjectInfo{},
		pos:      map[plumbing.Hash]int{},
		cache:    map[plumbing.Hash][]byte{},
	}
	refs, err := eng.ListRefs(ctx, r)
	if err != nil {
		return nil, err
	}
	for _, ref := range refs {
		h, ok := plumbing.FromHex(ref.Target)
		if !ok {
			continue
		}
		name := plumbing.ReferenceName(ref.Name)
		s.refs[name] = plumbing.NewHashReference(name, h)
	}
	// HEAD names the default branch, as on the Hub.
	s.refs[plumbing.HEAD] = plumbing.NewSymbolicReference(plumbing.HEAD, plumbing.NewBranchReferenceName(repo.DefaultBranch))
	return s, nil
}

func hexOf(h plumbing.Hash) string { return h.String() }

func hashOf(s string) (plumbing.Hash, bool) { return plumbing.FromHex(s) }

// --- objects ---------------------------------------------------------------

// lazyObject is a stored object whose content is read when asked for.
type lazyObject struct {
	s    *store
	h    plumbing.Hash
	kind plumbing.ObjectType
	size int64
}

func (o *lazyObject) Hash() plumbing.Hash         { return o.h }
func (o *lazyObject) Type() plumbing.ObjectType   { return o.kind }
func (o *lazyObject) SetType(plumbing.ObjectType) {}
func (o *lazyObject) Size() int64                 { return o.size }
func (o *lazyObject) SetSize(int64)               {}
func (o *lazyObject) Writer() (io.WriteCloser, error) {
	return nil, errors.New("stored objects are read-only")
}

func (o *lazyObject) Reader() (io.ReadCloser, error) {
	data, err := o.s.content(o.h)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

func gitKind(k repo.Kind) plumbing.ObjectType {
	switch k {
	case repo.KindCommit:
		return plumbing.CommitObject
	case repo.KindTree:
		return plumbing.TreeObject
	case repo.KindBlob:
		return plumbing.BlobObject
	case repo.KindTag:
		return plumbing.TagObject
	}
	return plumbing.InvalidObject
}

func repoKind(t plumbing.ObjectType) repo.Kind {
	switch t {
	case plumbing.CommitObject:
		return repo.KindCommit
	case plumbing.TreeObject:
		return repo.KindTree
	case plumbing.BlobObject:
		return repo.KindBlob
	case plumbing.TagObject:
		return repo.KindTag
	}
	return 0
}

// objectInfo returns the kind and size of a stored object, fetching those
// of the objects that follow it in read order along with it.
func (s *store) objectInfo(h plumbing.Hash) (repo.ObjectInfo, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in, ok := s.info[h]; ok {
		return in, true, nil
	}
	ids := []string{hexOf(h)}
	if p, ok := s.pos[h]; ok {
		for i := p + 1; i < len(s.order) && len(ids) < infoBatch; i++ {
			if _, known := s.info[s.order[i]]; !known {
				ids = append(ids, hexOf(s.order[i]))
			}
		}
	}
	got, err := s.eng.ObjectInfos(s.ctx, s.r, ids)
	if err != nil {
		return repo.ObjectInfo{}, false, err
	}
	for oid, in := range got {
		if k, ok := hashOf(oid); ok {
			s.info[k] = in
		}
	}
	in, ok := s.info[h]
	return in, ok, nil
}

// content returns the raw content of a stored object. A miss reads the
// object and the ones that follow it in read order in one query; what was
// read ahead is handed out once and then forgotten.
func (s *store) content(h plumbing.Hash) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if data, ok := s.cache[h]; ok {
		delete(s.cache, h)
		s.cacheBytes -= len(data)
		return data, nil
	}
	ids := []string{hexOf(h)}
	if p, ok := s.pos[h]; ok {
		budget := int64(contentBytes)
		for i := p + 1; i < len(s.order) && len(ids) < contentBatch; i++ {
			next := s.order[i]
			if _, cached := s.cache[next]; cached {
				continue
			}
			in, known := s.info[next]
			if !known || in.Size > budget {
				break
			}
			budget -= in.Size
			ids = append(ids, hexOf(next))
		}
	}
	if s.cacheBytes > maxCacheBytes {
		clear(s.cache)
		s.cacheBytes = 0
	}
	var want []byte
	var wantKind repo.Kind
	found := false
	err := s.eng.ReadObjects(s.ctx, s.r, ids, func(oid string, k repo.Kind, data []byte) error {
		oh, ok := hashOf(oid)
		if !ok {
			return nil
		}
		if _, known := s.info[oh]; !known {
			s.info[oh] = repo.ObjectInfo{Kind: k, Size: int64(len(data))}
		}
		if oh == h {
			want, wantKind, found = data, k, true
			return nil
		}
		s.cache[oh] = data
		s.cacheBytes += len(data)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("object %s: %w", h, plumbing.ErrObjectNotFound)
	}
	if wantKind == repo.KindTree && !s.exactOrder {
		s.learnOrder(want)
	}
	return want, nil
}

// learnOrder appends the subtrees of a tree to the read order: a walk
// over trees reads them soon after it. Blobs are left out: walks do not
// read them, and reading them ahead would only fill the cache.
func (s *store) learnOrder(tree []byte) {
	ents, err := repo.DecodeTree(tree)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.Mode != repo.ModeDir {
			continue
		}
		h, ok := hashOf(e.OID)
		if !ok {
			continue
		}
		if _, seen := s.pos[h]; !seen {
			s.pos[h] = len(s.order)
			s.order = append(s.order, h)
		}
	}
}

// setOrder makes hs the read order: the pack encoder reads objects in the
// order the object walk listed them.
func (s *store) setOrder(hs []plumbing.Hash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.order = hs
	s.pos = make(map[plumbing.Hash]int, len(hs))
	for i, h := range hs {
		s.pos[h] = i
	}
	s.exactOrder = true
}

// RevListObjects lists the objects reachable from wants and not from haves
// with go-git's own walk, and remembers their order for read-ahead.
func (s *store) RevListObjects(wants, haves []plumbing.Hash) ([]plumbing.Hash, error) {
	hs, err := revlist.Objects(plainStorer{s}, wants, haves)
	if err != nil {
		return nil, err
	}
	s.setOrder(hs)
	return hs, nil
}

// plainStorer hides RevListObjects, so revlist runs its own walk.
type plainStorer struct{ storer.EncodedObjectStorer }

// memObject is an object of a push, held in memory until it is written.
type memObject struct {
	kind  plumbing.ObjectType
	size  int64
	sized bool // SetSize was called; otherwise the size is len(data)
	data  []byte
	h     plumbing.Hash
}

func (o *memObject) Hash() plumbing.Hash {
	if o.h.IsZero() && int64(len(o.data)) == o.Size() {
		o.h, _ = hashOf(repo.HashObject(repoKind(o.kind), o.data))
	}
	return o.h
}

func (o *memObject) Size() int64 {
	if o.sized {
		return o.size
	}
	return int64(len(o.data))
}

func (o *memObject) Type() plumbing.ObjectType     { return o.kind }
func (o *memObject) SetType(t plumbing.ObjectType) { o.kind = t }
func (o *memObject) SetSize(n int64)               { o.size, o.sized = n, true }
func (o *memObject) Reader() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(o.data)), nil
}
func (o *memObject) Writer() (io.WriteCloser, error) { return o, nil }
func (o *memObject) Close() error                    { return nil }

func (o *memObject) Write(p []byte) (int, error) {
	o.data = append(o.data, p...)
	return len(p), nil
}

func (s *store) NewEncodedObject() plumbing.EncodedObject { return &memObject{} }

// SetEncodedObject adds an object to the overlay (objects of a push).
func (s *store) SetEncodedObject(obj plumbing.EncodedObject) (plumbing.Hash, error) {
	mo, ok := obj.(*memObject)
	if !ok {
		mo = &memObject{kind: obj.Type()}
		r, err := obj.Reader()
		if err != nil {
			return plumbing.ZeroHash, err
		}
		_, err = io.Copy(mo, r)
		r.Close()
		if err != nil {
			return plumbing.ZeroHash, err
		}
	}
	if repoKind(mo.kind) == 0 {
		return plumbing.ZeroHash, fmt.Errorf("unsupported object type %s", mo.kind)
	}
	if int64(len(mo.data)) != mo.Size() {
		return plumbing.ZeroHash, fmt.Errorf("object of %d bytes announced as %d", len(mo.data), mo.Size())
	}
	h := mo.Hash()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.added[h]; ok {
		return h, nil
	}
	s.addedBytes += int64(len(mo.data))
	if s.maxAdded > 0 && s.addedBytes > s.maxAdded {
		return plumbing.ZeroHash, fmt.Errorf("push is too large: over %d MiB of objects (store large files with git-lfs)", s.maxAdded>>20)
	}
	s.added[h] = mo
	return h, nil
}

// rawWriter collects an object written through RawObjectWriter.
type rawWriter struct {
	s   *store
	obj *memObject
}

func (w *rawWriter) Write(p []byte) (int, error) { return w.obj.Write(p) }

func (w *rawWriter) Close() error {
	_, err := w.s.SetEncodedObject(w.obj)
	return err
}

func (s *store) RawObjectWriter(typ plumbing.ObjectType, sz int64) (io.WriteCloser, error) {
	obj := &memObject{kind: typ}
	obj.SetSize(sz)
	if sz > 0 && sz <= 64<<20 {
		obj.data = make([]byte, 0, sz)
	}
	return &rawWriter{s: s, obj: obj}, nil
}

func (s *store) overlay(h plumbing.Hash) (*memObject, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.added[h]
	return o, ok
}

func (s *store) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	if o, ok := s.overlay(h); ok {
		if t != plumbing.AnyObject && o.Type() != t {
			return nil, plumbing.ErrObjectNotFound
		}
		return o, nil
	}
	in, ok, err := s.objectInfo(h)
	if err != nil {
		return nil, err
	}
	kind := gitKind(in.Kind)
	if !ok || (t != plumbing.AnyObject && kind != t) {
		return nil, plumbing.ErrObjectNotFound
	}
	return &lazyObject{s: s, h: h, kind: kind, size: in.Size}, nil
}

func (s *store) HasEncodedObject(h plumbing.Hash) error {
	_, err := s.EncodedObject(plumbing.AnyObject, h)
	return err
}

func (s *store) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	o, err := s.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return 0, err
	}
	return o.Size(), nil
}

// IterEncodedObjects iterates over the overlay only: listing every stored
// object is never needed to serve git.
func (s *store) IterEncodedObjects(t plumbing.ObjectType) (storer.EncodedObjectIter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var objs []plumbing.EncodedObject
	for _, o := range s.added {
		if t == plumbing.AnyObject || o.Type() == t {
			objs = append(objs, o)
		}
	}
	return storer.NewEncodedObjectSliceIter(objs), nil
}

func (s *store) AddAlternate(string) error { return errors.New("alternates are not supported") }

// --- refs ------------------------------------------------------------------

func (s *store) Reference(n plumbing.ReferenceName) (*plumbing.Reference, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.refs[n]; ok {
		return r, nil
	}
	return nil, plumbing.ErrReferenceNotFound
}

func (s *store) IterReferences() (storer.ReferenceIter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	refs := make([]*plumbing.Reference, 0, len(s.refs))
	for _, r := range s.refs {
		refs = append(refs, r)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].Name() < refs[j].Name() })
	return storer.NewReferenceSliceIter(refs), nil
}

// SetReference, CheckAndSetReference and RemoveReference only record what
// the push transaction already did (see ReceivePack); before it ran they
// refuse.
func (s *store) SetReference(r *plumbing.Reference) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.applied {
		return errRefsByHook
	}
	s.refs[r.Name()] = r
	return nil
}

func (s *store) CheckAndSetReference(r, _ *plumbing.Reference) error { return s.SetReference(r) }

func (s *store) RemoveReference(n plumbing.ReferenceName) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.applied {
		return errRefsByHook
	}
	delete(s.refs, n)
	return nil
}

func (s *store) CountLooseRefs() (int, error) { return 0, nil }
func (s *store) PackRefs() error              { return nil }

// --- the rest of storage.Storer ----------------------------------------------

func (s *store) SetShallow([]plumbing.Hash) error {
	return errors.New("repositories are never shallow")
}
func (s *store) Shallow() ([]plumbing.Hash, error) { return nil, nil }
func (s *store) SetIndex(*index.Index) error       { return errors.New("bare repository has no index") }
func (s *store) Index() (*index.Index, error)      { return nil, errors.New("bare repository has no index") }
func (s *store) Config() (*config.Config, error)   { return s.cfg, nil }
func (s *store) SetConfig(*config.Config) error    { return errors.New("configuration is read-only") }
func (s *store) Module(string) (storage.Storer, error) {
	return nil, errors.New("submodules are not supported")
}

var _ storage.Storer = (*store)(nil)
