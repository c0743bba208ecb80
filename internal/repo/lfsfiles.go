package repo

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wharfhub/wharf/wire"
)

// LFSFile is LFS (or Xet) content a repo's history names and still links.
type LFSFile struct {
	OID        string // sha256 of the content
	PointerOID string // git id of a pointer blob naming it
	Size       int64
	PushedAt   time.Time
	XetHash    string // "" unless uploaded through Xet
	Filename   string // a path naming it at Ref, "" when no ref does
	Ref        string
}

// ListLFSFiles lists the LFS content of a repo by sha256, after the
// sha256 after, at most limit; next is the resume key ("" at the end).
func (e *Engine) ListLFSFiles(ctx context.Context, r *Repo, after string, limit int) (files []LFSFile, next string, err error) {
	rows, err := e.db.QueryContext(ctx, `SELECT o.lfs_oid, MIN(o.oid), MAX(o.lfs_size), MIN(l.created_at), MAX(x.xet_hash)
		FROM objects o JOIN repo_lfs l ON l.repo_id = o.repo_id AND l.oid = o.lfs_oid
		LEFT JOIN lfs_objects x ON x.oid = o.lfs_oid
		WHERE o.repo_id = $1 AND o.lfs_oid IS NOT NULL AND o.lfs_oid > $2
		GROUP BY o.lfs_oid ORDER BY o.lfs_oid LIMIT $3`, r.Key, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	for rows.Next() {
		var f LFSFile
		var pushed int64
		var xh sql.NullString
		if err := rows.Scan(&f.OID, &f.PointerOID, &f.Size, &pushed, &xh); err != nil {
			return nil, "", err
		}
		f.PushedAt = time.UnixMilli(pushed).UTC()
		f.XetHash = xh.String
		files = append(files, f)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	if len(files) > limit {
		files = files[:limit]
		next = files[limit-1].OID
	}
	return files, next, e.nameLFSFiles(ctx, r, files)
}

// nameLFSFiles finds a path for each file in the trees of the repo's refs:
// the default branch first, then the other branches, tags and PRs.
func (e *Engine) nameLFSFiles(ctx context.Context, r *Repo, files []LFSFile) error {
	want := map[string]int{}
	for i, f := range files {
		want[f.OID] = i
	}
	refs, err := e.ListRefs(ctx, r)
	if err != nil {
		return err
	}
	rank := func(n string) int {
		switch {
		case n == "refs/heads/"+DefaultBranch:
			return 0
		case strings.HasPrefix(n, "refs/heads/"):
			return 1
		case strings.HasPrefix(n, "refs/tags/"):
			return 2
		}
		return 3
	}
	sort.SliceStable(refs, func(i, j int) bool { return rank(refs[i].Name) < rank(refs[j].Name) })
	for _, ref := range refs {
		if len(want) == 0 {
			return nil
		}
		commit, err := e.Peel(ctx, r, ref.Target)
		if err != nil {
			return err
		}
		after := ""
		for {
			ents, next, err := e.ListTree(ctx, r, commit, ListOptions{Recursive: true, After: after, Limit: 5000})
			if err != nil {
				return err
			}
			for _, en := range ents {
				if en.LFS == nil {
					continue
				}
				if i, ok := want[string(en.LFS.OID)]; ok {
					files[i].Filename, files[i].Ref = en.Path, ref.Name
					delete(want, string(en.LFS.OID))
				}
			}
			if next == "" || len(want) == 0 {
				break
			}
			after = next
		}
	}
	return nil
}

// DeleteLFSFiles stops repo r from using the LFS content shas: the links
// go, so the content is no longer served for r (nor may r name it again
// without uploading it). With rewrite, every branch and pull request ref
// is rewritten so no commit they reach names the content (tags never
// move and keep their commits). The bytes stay in the blob store until
// garbage collection finds no repo using them.
func (e *Engine) DeleteLFSFiles(ctx context.Context, r *Repo, shas []string, rewrite bool) error {
	for _, s := range shas {
		if _, err := wire.ParseOID(s); err != nil {
			return err
		}
	}
	return e.db.Tx(ctx, func(tx *sql.Tx) error {
		gone := map[string]bool{}
		for _, s := range shas {
			if _, err := tx.ExecContext(ctx, `DELETE FROM repo_lfs WHERE repo_id = $1 AND oid = $2`, r.Key, s); err != nil {
				return err
			}
			rows, err := tx.QueryContext(ctx, `SELECT oid FROM objects WHERE repo_id = $1 AND lfs_oid = $2`, r.Key, s)
			if err != nil {
				return err
			}
			for rows.Next() {
				var oid string
				if err := rows.Scan(&oid); err != nil {
					rows.Close()
					return err
				}
				gone[oid] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		if !rewrite || len(gone) == 0 {
			return nil
		}
		rw := &historyRewrite{ctx: ctx, tx: tx, key: r.Key, gone: gone, commits: map[string]string{}, trees: map[string]string{}}
		refs, err := listRefs(ctx, tx, r.Key)
		if err != nil {
			return err
		}
		for _, ref := range refs {
			if !strings.HasPrefix(ref.Name, "refs/heads/") && !strings.HasPrefix(ref.Name, "refs/pr/") {
				continue
			}
			head, err := rw.commit(ref.Target)
			if err != nil {
				return err
			}
			if head == ref.Target {
				continue
			}
			moved, err := casRef(ctx, tx, r.Key, ref.Name, ref.Target, head)
			if err != nil {
				return err
			}
			if !moved {
				return fmt.Errorf("rewrite %s: %w", ref.Name, ErrConflict)
			}
		}
		return nil
	})
}

// historyRewrite rewrites commits and trees without the pointer blobs in
// gone; unchanged objects keep their ids.
type historyRewrite struct {
	ctx     context.Context
	tx      *sql.Tx
	key     int64
	gone    map[string]bool
	commits map[string]string
	trees   map[string]string
}

func (h *historyRewrite) commit(oid string) (string, error) {
	if n, ok := h.commits[oid]; ok {
		return n, nil
	}
	c, err := readCommit(h.ctx, h.tx, h.key, oid)
	if err != nil {
		return "", err
	}
	changed := false
	tree, err := h.tree(c.Tree)
	if err != nil {
		return "", err
	}
	if tree != c.Tree {
		c.Tree, changed = tree, true
	}
	for i, p := range c.Parents {
		np, err := h.commit(p)
		if err != nil {
			return "", err
		}
		if np != p {
			c.Parents[i], changed = np, true
		}
	}
	out := oid
	if changed {
		if out, err = writeObject(h.ctx, h.tx, h.key, KindCommit, c.Encode(), nil); err != nil {
			return "", err
		}
	}
	h.commits[oid] = out
	return out, nil
}

func (h *historyRewrite) tree(oid string) (string, error) {
	if n, ok := h.trees[oid]; ok {
		return n, nil
	}
	ents, err := readTree(h.ctx, h.tx, h.key, oid)
	if err != nil {
		return "", err
	}
	changed := false
	kept := ents[:0:0]
	for _, e := range ents {
		switch {
		case e.IsDir():
			n, err := h.tree(e.OID)
			if err != nil {
				return "", err
			}
			if n != e.OID {
				e.OID, changed = n, true
			}
		case h.gone[e.OID]:
			changed = true
			continue
		}
		kept = append(kept, e)
	}
	out := oid
	if changed {
		if out, err = writeObject(h.ctx, h.tx, h.key, KindTree, EncodeTree(kept), nil); err != nil {
			return "", err
		}
	}
	h.trees[oid] = out
	return out, nil
}

// listRefs reads the refs of a repo inside a transaction.
func listRefs(ctx context.Context, q querier, repoKey int64) ([]Ref, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, target FROM refs WHERE repo_id = $1 ORDER BY name`, repoKey)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Ref
	for rows.Next() {
		var ref Ref
		if err := rows.Scan(&ref.Name, &ref.Target); err != nil {
			return nil, err
		}
		out = append(out, ref)
	}
	return out, rows.Err()
}
