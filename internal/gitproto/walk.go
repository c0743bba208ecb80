package gitproto

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/go-git/go-git/v6/plumbing"

	"github.com/wharfhub/wharf/internal/repo"
)

// oid is a git object id in binary: a third of the memory of a
// plumbing.Hash in the sets and lists a clone of a large repo builds.
type oid [20]byte

func (o oid) String() string { return hex.EncodeToString(o[:]) }

func oidOf(h plumbing.Hash) oid {
	var o oid
	copy(o[:], h.Bytes())
	return o
}

func parseOID(s string) (oid, bool) {
	var o oid
	if len(s) != 40 {
		return o, false
	}
	_, err := hex.Decode(o[:], []byte(s))
	return o, err == nil
}

// Tree reads of a walk: trees per query, and the size up to which a tree
// comes with the query (larger ones are read one by one).
const (
	walkBatch      = 200
	walkInlineSize = 128 << 10
)

// walkAll lists every object reachable from wants, stopping the history at
// the shallow commits (which are included, with their trees): what a
// clone or a shallow clone needs. Objects are read from SQL a batch of
// commits or trees at a time, and the walk keeps only binary ids.
func (s *Service) walkAll(ctx context.Context, st *store, wants []plumbing.Hash, shallow []plumbing.Hash) ([]oid, error) {
	stop := make(map[oid]bool, len(shallow))
	for _, h := range shallow {
		stop[oidOf(h)] = true
	}
	seen := make(map[oid]struct{}, 1024)
	var out []oid
	add := func(o oid) bool {
		if _, ok := seen[o]; ok {
			return false
		}
		seen[o] = struct{}{}
		out = append(out, o)
		return true
	}
	var commits, trees []oid
	for _, w := range wants {
		if o := oidOf(w); add(o) {
			commits = append(commits, o)
		}
	}
	// Commits, a generation at a time.
	for len(commits) > 0 {
		batch := commits[:min(walkBatch, len(commits))]
		commits = commits[len(batch):]
		err := s.readWalkBatch(ctx, st, batch, func(o oid, k repo.Kind, data []byte) error {
			switch k {
			case repo.KindCommit:
			case repo.KindTree:
				// A wanted tree: walk it like a commit's.
				trees = append(trees, o)
				return nil
			case repo.KindBlob:
				return nil
			case repo.KindTag:
				// An annotated tag: send it and what it tags.
				target, _, err := repo.DecodeTagTarget(data)
				if err != nil {
					return fmt.Errorf("tag %s: %w", o, err)
				}
				if to, ok := parseOID(target); ok && add(to) {
					commits = append(commits, to)
				}
				return nil
			default:
				return fmt.Errorf("object %s: unexpected %s", o, k)
			}
			c, err := repo.DecodeCommit(data)
			if err != nil {
				return fmt.Errorf("commit %s: %w", o, err)
			}
			if t, ok := parseOID(c.Tree); ok && add(t) {
				trees = append(trees, t)
			}
			if stop[o] {
				return nil
			}
			for _, p := range c.Parents {
				if po, ok := parseOID(p); ok && add(po) {
					commits = append(commits, po)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	// Trees, breadth first; blobs are listed, never read.
	for len(trees) > 0 {
		batch := trees[:min(walkBatch, len(trees))]
		trees = trees[len(batch):]
		err := s.readWalkBatch(ctx, st, batch, func(o oid, k repo.Kind, data []byte) error {
			if k != repo.KindTree {
				return fmt.Errorf("object %s is a %s, not a tree", o, k)
			}
			ents, err := repo.DecodeTree(data)
			if err != nil {
				return fmt.Errorf("tree %s: %w", o, err)
			}
			for _, e := range ents {
				if e.Mode == repo.ModeGitlink {
					continue
				}
				eo, ok := parseOID(e.OID)
				if ok && add(eo) && e.Mode == repo.ModeDir {
					trees = append(trees, eo)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readWalkBatch reads the objects of ids and calls fn for each, in the
// order of ids. Every one of them must exist.
func (s *Service) readWalkBatch(ctx context.Context, st *store, ids []oid, fn func(oid, repo.Kind, []byte) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	hexIDs := make([]string, len(ids))
	for i, o := range ids {
		hexIDs[i] = o.String()
	}
	got := make(map[string]packObject, len(ids))
	err := s.eng.ReadSmallObjects(ctx, st.r, hexIDs, walkInlineSize, func(id string, k repo.Kind, _ int64, data []byte) error {
		got[id] = packObject{kind: k, data: data}
		return nil
	})
	if err != nil {
		return err
	}
	for i, id := range hexIDs {
		o, ok := got[id]
		if !ok {
			return fmt.Errorf("object %s: %w", id, plumbing.ErrObjectNotFound)
		}
		if o.data == nil {
			err := s.eng.ReadObjects(ctx, st.r, []string{id}, func(_ string, k repo.Kind, data []byte) error {
				o = packObject{kind: k, data: data}
				return nil
			})
			if err != nil {
				return err
			}
			if o.data == nil {
				return fmt.Errorf("object %s: %w", id, plumbing.ErrObjectNotFound)
			}
		}
		if err := fn(ids[i], o.kind, o.data); err != nil {
			return err
		}
		delete(got, id)
	}
	return nil
}
