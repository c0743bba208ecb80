package fsck

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/internal/xetcas"
	"github.com/wharfhub/wharf/xet"
)

// Options configure a check. The zero value checks everything.
type Options struct {
	// SkipContentHash checks blob sizes only, without reading content.
	SkipContentHash bool
	// MaxProblems bounds the problems reported (default 1000); counting
	// goes on.
	MaxProblems int
}

// Report is the outcome of a check.
type Report struct {
	Repos      int      `json:"repos"`
	Objects    int64    `json:"objects"`
	Contents   int64    `json:"contents"`
	Bytes      int64    `json:"contentBytes"`
	XetFiles   int64    `json:"xetFiles"`
	Xorbs      int64    `json:"xorbs"`
	Problems   []string `json:"problems"`
	NProblems  int      `json:"problemCount"`
	HashedData bool     `json:"hashedContent"`
}

// OK reports whether the check found nothing wrong.
func (r *Report) OK() bool { return r.NProblems == 0 }

type checker struct {
	db    *sqlstore.DB
	eng   *repo.Engine
	blobs *blob.Store
	xet   *xetcas.Service
	opts  Options
	rep   *Report
}

func (c *checker) problem(format string, args ...any) {
	c.rep.NProblems++
	if len(c.rep.Problems) < c.opts.MaxProblems {
		c.rep.Problems = append(c.rep.Problems, fmt.Sprintf(format, args...))
	}
}

// Run checks the hub behind engine and blobs. It returns an error only
// when the check itself cannot proceed; what it finds is in the Report.
func Run(ctx context.Context, engine *repo.Engine, blobs *blob.Store, opts Options) (*Report, error) {
	if opts.MaxProblems <= 0 {
		opts.MaxProblems = 1000
	}
	c := &checker{db: engine.DB(), eng: engine, blobs: blobs, opts: opts, rep: &Report{Problems: []string{}, HashedData: !opts.SkipContentHash},
		xet: xetcas.New(xetcas.Config{DB: engine.DB(), Blobs: blobs, Key: make([]byte, 32)})}
	for _, step := range []func(context.Context) error{c.objects, c.histories, c.contents, c.xetFiles, c.xorbs, c.pointers} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return c.rep, nil
}

// objects checks that every git object hashes to its id.
func (c *checker) objects(ctx context.Context) error {
	rows, err := c.db.QueryContext(ctx, `SELECT repo_id, oid, kind, data FROM objects`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var key int64
		var oid string
		var kind int
		var data []byte
		if err := rows.Scan(&key, &oid, &kind, &data); err != nil {
			return err
		}
		c.rep.Objects++
		if got := repo.HashObject(repo.Kind(kind), data); got != oid {
			c.problem("repo %d: object %s hashes to %s", key, oid, got)
		}
	}
	return rows.Err()
}

// histories walks every repo from its refs and reports missing objects.
func (c *checker) histories(ctx context.Context) error {
	rows, err := c.db.QueryContext(ctx, `SELECT r.id, r.type, r.namespace, r.name, f.name, f.target FROM repos r LEFT JOIN refs f ON f.repo_id = r.id ORDER BY r.id`)
	if err != nil {
		return err
	}
	type repoRefs struct {
		key  int64
		name string
		refs map[string]string
	}
	var repos []*repoRefs
	for rows.Next() {
		var key int64
		var typ, ns, name string
		var ref, target sql.NullString
		if err := rows.Scan(&key, &typ, &ns, &name, &ref, &target); err != nil {
			rows.Close()
			return err
		}
		if len(repos) == 0 || repos[len(repos)-1].key != key {
			repos = append(repos, &repoRefs{key: key, name: typ + " " + ns + "/" + name, refs: map[string]string{}})
		}
		if ref.Valid {
			repos[len(repos)-1].refs[ref.String] = target.String
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, rr := range repos {
		c.rep.Repos++
		if err := c.walk(ctx, rr.key, rr.name, rr.refs); err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) walk(ctx context.Context, key int64, name string, refs map[string]string) error {
	r := &repo.Repo{Key: key}
	seen := map[string]bool{}
	from := map[string]string{} // object -> what names it, for the report
	var queue, blobs []string
	add := func(oid, by string) {
		if !seen[oid] {
			seen[oid] = true
			from[oid] = by
			queue = append(queue, oid)
		}
	}
	for n, t := range refs {
		add(t, "ref "+n)
	}
	for len(queue) > 0 {
		batch := queue[:min(1000, len(queue))]
		queue = queue[len(batch):]
		got := map[string]bool{}
		err := c.eng.ReadObjects(ctx, r, batch, func(oid string, k repo.Kind, data []byte) error {
			got[oid] = true
			switch k {
			case repo.KindCommit:
				cm, err := repo.DecodeCommit(data)
				if err != nil {
					c.problem("%s: commit %s: %v", name, oid, err)
					return nil
				}
				add(cm.Tree, "commit "+oid)
				for _, p := range cm.Parents {
					add(p, "commit "+oid)
				}
			case repo.KindTree:
				ents, err := repo.DecodeTree(data)
				if err != nil {
					c.problem("%s: tree %s: %v", name, oid, err)
					return nil
				}
				for _, e := range ents {
					switch {
					case e.Mode == repo.ModeGitlink:
					case e.IsDir():
						add(e.OID, "tree "+oid)
					case !seen[e.OID]:
						seen[e.OID] = true
						from[e.OID] = "tree " + oid
						blobs = append(blobs, e.OID)
					}
				}
			case repo.KindTag:
				if rest, ok := bytes.CutPrefix(data, []byte("object ")); ok && len(rest) >= 40 {
					add(string(rest[:40]), "tag "+oid)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, oid := range batch {
			if !got[oid] {
				c.problem("%s: object %s named by %s is missing", name, oid, from[oid])
			}
		}
	}
	for i := 0; i < len(blobs); i += 1000 {
		batch := blobs[i:min(i+1000, len(blobs))]
		infos, err := c.eng.ObjectInfos(ctx, r, batch)
		if err != nil {
			return err
		}
		for _, oid := range batch {
			if _, ok := infos[oid]; !ok {
				c.problem("%s: blob %s named by %s is missing", name, oid, from[oid])
			}
		}
	}
	return nil
}

// contents checks every registered LFS content: a blob of the right size
// and sha256, or a registered Xet file.
func (c *checker) contents(ctx context.Context) error {
	rows, err := c.db.QueryContext(ctx, `SELECT oid, size, xet_hash FROM lfs_objects`)
	if err != nil {
		return err
	}
	type content struct {
		oid  string
		size int64
		xet  sql.NullString
	}
	var all []content
	for rows.Next() {
		var ct content
		if err := rows.Scan(&ct.oid, &ct.size, &ct.xet); err != nil {
			rows.Close()
			return err
		}
		all = append(all, ct)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, ct := range all {
		if ct.size < 0 {
			continue // a gc claim in progress
		}
		c.rep.Contents++
		c.rep.Bytes += ct.size
		size, err := c.blobs.Stat(ctx, ct.oid)
		switch {
		case errors.Is(err, blob.ErrNotExist) && ct.xet.Valid:
			var n int
			if err := c.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM xet_files WHERE hash = $1`, ct.xet.String).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				c.problem("content %s: Xet file %s is not registered", ct.oid, ct.xet.String)
			}
			continue
		case errors.Is(err, blob.ErrNotExist):
			c.problem("content %s (%d bytes): blob missing", ct.oid, ct.size)
			continue
		case err != nil:
			return err
		case size != ct.size:
			c.problem("content %s: blob has %d bytes, %d registered", ct.oid, size, ct.size)
			continue
		}
		if !c.opts.SkipContentHash {
			if got, err := c.hashBlob(ctx, ct.oid); err != nil {
				return err
			} else if got != ct.oid {
				c.problem("content %s: blob content has sha256 %s", ct.oid, got)
			}
		}
	}
	return nil
}

func (c *checker) hashBlob(ctx context.Context, oid string) (string, error) {
	obj, err := c.blobs.Open(ctx, oid)
	if err != nil {
		return "", err
	}
	defer obj.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, obj, make([]byte, 1<<20)); err != nil {
		return "", fmt.Errorf("read %s: %w", oid, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// xetFiles checks that the terms of every Xet file name stored xorbs and
// chunk ranges within them.
func (c *checker) xetFiles(ctx context.Context) error {
	var hashes []string
	rows, err := c.db.QueryContext(ctx, `SELECT hash FROM xet_files`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return err
		}
		hashes = append(hashes, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, hs := range hashes {
		c.rep.XetFiles++
		h, err := xet.ParseHash(hs)
		if err != nil {
			c.problem("Xet file %q: %v", hs, err)
			continue
		}
		f, err := c.xet.LoadFile(ctx, h)
		if err != nil {
			c.problem("Xet file %s: %v", hs, err)
			continue
		}
		for i, t := range f.Terms {
			var n int64
			err := c.db.QueryRowContext(ctx, `SELECT nchunks FROM xet_xorbs WHERE hash = $1`, t.Xorb.String()).Scan(&n)
			if errors.Is(err, sql.ErrNoRows) {
				c.problem("Xet file %s term %d: xorb %s is not stored", hs, i, t.Xorb)
				continue
			}
			if err != nil {
				return err
			}
			if int64(t.End) > n || t.Start >= t.End {
				c.problem("Xet file %s term %d: chunks [%d, %d) outside xorb %s of %d chunks", hs, i, t.Start, t.End, t.Xorb, n)
			}
		}
	}
	return nil
}

// xorbs checks that every xorb's blob exists with its size (and sha256).
func (c *checker) xorbs(ctx context.Context) error {
	rows, err := c.db.QueryContext(ctx, `SELECT hash, blob_oid, size FROM xet_xorbs`)
	if err != nil {
		return err
	}
	type xb struct {
		hash, oid string
		size      int64
	}
	var all []xb
	for rows.Next() {
		var x xb
		if err := rows.Scan(&x.hash, &x.oid, &x.size); err != nil {
			rows.Close()
			return err
		}
		all = append(all, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, x := range all {
		c.rep.Xorbs++
		size, err := c.blobs.Stat(ctx, x.oid)
		if errors.Is(err, blob.ErrNotExist) {
			c.problem("xorb %s: blob %s missing", x.hash, x.oid)
			continue
		}
		if err != nil {
			return err
		}
		if size != x.size {
			c.problem("xorb %s: blob has %d bytes, %d registered", x.hash, size, x.size)
			continue
		}
		if !c.opts.SkipContentHash {
			h, err := xet.ParseHash(x.hash)
			if err != nil {
				c.problem("xorb %s: invalid hash", x.hash)
				continue
			}
			obj, err := c.blobs.Open(ctx, x.oid)
			if err != nil {
				return err
			}
			err = xetcas.CopyStoredXorb(h, x.oid, bufio.NewReaderSize(obj, 1<<20), io.Discard)
			obj.Close()
			if errors.Is(err, xetcas.ErrInvalid) {
				c.problem("%v", err)
			} else if err != nil {
				return fmt.Errorf("read %s: %w", x.oid, err)
			}
		}
	}
	return nil
}

// pointers checks that the content every stored LFS pointer names is
// registered.
func (c *checker) pointers(ctx context.Context) error {
	rows, err := c.db.QueryContext(ctx, `SELECT DISTINCT u.oid FROM repo_usage_oids u WHERE NOT EXISTS (SELECT 1 FROM lfs_objects o WHERE o.oid = u.oid AND o.size >= 0)`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var oid string
		if err := rows.Scan(&oid); err != nil {
			return err
		}
		c.problem("content %s is named by an LFS pointer but not registered", oid)
	}
	return rows.Err()
}
