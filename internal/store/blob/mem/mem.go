package mem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/wharfhub/wharf/internal/store/blob"
)

// Store is a [blob.Backend] that keeps objects in a map. It holds whole
// objects in memory, so it is meant for tests. It is safe for concurrent
// use.
type Store struct {
	mu      sync.RWMutex
	objects map[string][]byte // never modified once stored
}

var _ blob.Backend = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{objects: make(map[string][]byte)}
}

// Create starts a staged object in a private buffer.
func (s *Store) Create(ctx context.Context) (blob.Staged, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &staged{s: s}, nil
}

// Open returns a reader over the stored bytes of oid.
func (s *Store) Open(ctx context.Context, oid string) (blob.Object, error) {
	if err := blob.CheckOID(oid); err != nil {
		return nil, err
	}
	s.mu.RLock()
	b, ok := s.objects[oid]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("blob %s: %w", oid, blob.ErrNotExist)
	}
	return object{bytes.NewReader(b)}, nil
}

// object is an open object; bytes.Reader already has Size.
type object struct{ *bytes.Reader }

// Close does nothing.
func (object) Close() error { return nil }

// Stat returns the size of oid.
func (s *Store) Stat(ctx context.Context, oid string) (int64, error) {
	if err := blob.CheckOID(oid); err != nil {
		return 0, err
	}
	s.mu.RLock()
	b, ok := s.objects[oid]
	s.mu.RUnlock()
	if !ok {
		return 0, fmt.Errorf("blob %s: %w", oid, blob.ErrNotExist)
	}
	return int64(len(b)), nil
}

// Delete forgets oid; a missing oid is not an error. Open objects keep
// reading the old bytes.
func (s *Store) Delete(ctx context.Context, oid string) error {
	if err := blob.CheckOID(oid); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.objects, oid)
	s.mu.Unlock()
	return nil
}

// List calls fn for a snapshot of the stored objects, without holding the
// lock, so fn may call Delete.
func (s *Store) List(ctx context.Context, fn func(oid string, size int64) error) error {
	type entry struct {
		oid  string
		size int64
	}
	s.mu.RLock()
	entries := make([]entry, 0, len(s.objects))
	for oid, b := range s.objects {
		entries = append(entries, entry{oid, int64(len(b))})
	}
	s.mu.RUnlock()
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(e.oid, e.size); err != nil {
			return err
		}
	}
	return nil
}

// staged buffers an object until Commit.
type staged struct {
	s    *Store
	buf  bytes.Buffer
	done bool
}

// Write appends p to the buffer.
func (t *staged) Write(p []byte) (int, error) {
	if t.done {
		return 0, errors.New("write staged blob: already committed or aborted")
	}
	return t.buf.Write(p)
}

// Commit stores the buffer under oid unless oid is already stored.
func (t *staged) Commit(ctx context.Context, oid string) error {
	if t.done {
		return errors.New("commit blob: already committed or aborted")
	}
	t.done = true
	if err := blob.CheckOID(oid); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	t.s.mu.Lock()
	if _, ok := t.s.objects[oid]; !ok {
		t.s.objects[oid] = t.buf.Bytes()
	}
	t.s.mu.Unlock()
	t.buf = bytes.Buffer{}
	return nil
}

// Abort drops the buffer.
func (t *staged) Abort() error {
	t.done = true
	t.buf = bytes.Buffer{}
	return nil
}
