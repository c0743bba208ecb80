package repo

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/wire"
)

// ChangeKind says what a Change does.
type ChangeKind int

const (
	// Add writes a regular file.
	Add ChangeKind = iota + 1
	// AddLFS writes an LFS pointer to an object stored and linked to the repo.
	AddLFS
	// Delete removes a file.
	Delete
	// DeleteFolder removes a folder and everything below it.
	DeleteFolder
)

// Change is one operation of a commit.
type Change struct {
	Kind ChangeKind
	Path string
	// Content is the file of an Add. Large payloads come through Open instead.
	Content []byte
	// open, when set, reads the content of an Add from a spool.
	open func() ([]byte, error)
	// Pointer names the LFS object of an AddLFS. Size < 0 means "the size
	// of the stored object" (a copy by reference).
	Pointer wire.Pointer
}

// CommitOptions configures a commit.
type CommitOptions struct {
	Summary      string
	Description  string
	ParentCommit string // optional: the commit the caller based its work on (≥5 hex)
	CreatePR     bool   // commit to a new refs/pr/N opened against the revision
	PRTitle      string // default: Summary
	Author       Author
	// CheckFile, when set, is called by CommitNDJSON with every regular
	// file of the commit before anything is written; an error refuses the
	// commit (the Hub validates README.md metadata this way).
	CheckFile func(path string, content []byte) error
}

// CommitResult describes a new commit.
type CommitResult struct {
	Commit string // 40-hex id
	Parent string
	Ref    string // the ref that moved
	PRNum  int64  // > 0 when CreatePR opened a pull request
}

const maxCommitAttempts = 50

// Commit applies changes on top of the branch (or refs/pr/N) named by rev and
// moves it with a compare-and-swap. Without ParentCommit a commit that loses
// the race is rebuilt on the new head, so concurrent writers never lose each
// other's files; with ParentCommit a moved branch is ErrParentMismatch.
// Nothing is written unless the whole commit succeeds.
func (e *Engine) Commit(ctx context.Context, r *Repo, rev string, opts CommitOptions, changes []Change) (*CommitResult, error) {
	if strings.TrimSpace(opts.Summary) == "" {
		return nil, errorf(wire.ErrInvalid, "commit summary must not be empty")
	}
	if opts.ParentCommit != "" && !wire.IsAbbrevCommitID(opts.ParentCommit) {
		return nil, errorf(wire.ErrInvalid, "invalid parentCommit %q", opts.ParentCommit)
	}
	for i := range changes {
		c := &changes[i]
		switch c.Kind {
		case Add, AddLFS, Delete:
			if _, err := wire.CleanPath(c.Path); err != nil {
				return nil, err
			}
		case DeleteFolder:
			p, err := wire.CleanFolder(c.Path)
			if err != nil {
				return nil, err
			}
			if p == "" {
				return nil, errorf(wire.ErrInvalid, "cannot delete the root folder")
			}
			c.Path = p
		default:
			return nil, errorf(wire.ErrInvalid, "unknown change kind %d", c.Kind)
		}
	}
	if rev == "" {
		rev = DefaultBranch
	}
	for attempt := 0; ; attempt++ {
		var res *CommitResult
		err := e.db.Tx(ctx, func(tx *sql.Tx) error {
			var err error
			res, err = e.commitTx(ctx, tx, r, rev, opts, changes)
			return err
		})
		if errors.Is(err, errRaced) && attempt < maxCommitAttempts {
			continue
		}
		if errors.Is(err, errRaced) {
			return nil, fmt.Errorf("commit to %s: too much contention", rev)
		}
		return res, err
	}
}

var errRaced = errors.New("ref moved during commit")

func (e *Engine) commitTx(ctx context.Context, tx *sql.Tx, r *Repo, rev string, opts CommitOptions, changes []Change) (*CommitResult, error) {
	res := &CommitResult{}
	var head string
	if opts.CreatePR {
		base, err := resolve(ctx, tx, r, rev)
		if err != nil {
			return nil, err
		}
		if !base.IsBranch() {
			return nil, errorf(ErrRevisionNotFound, "Invalid rev id: %s: a pull request needs a branch as its base", rev)
		}
		head = base.Commit
		title := opts.PRTitle
		if title == "" {
			title = opts.Summary
		}
		num, err := e.openDiscussion(ctx, tx, r, title, opts.Author.Name, true, "open", base.Ref, base.Commit)
		if err != nil {
			return nil, err
		}
		res.PRNum = num
		res.Ref = prRef(num)
		if _, err := tx.ExecContext(ctx, `INSERT INTO refs (repo_id, name, target) VALUES ($1, $2, $3)`, r.Key, res.Ref, head); err != nil {
			return nil, err
		}
	} else {
		ref := rev
		if !strings.HasPrefix(ref, "refs/") {
			ref = "refs/heads/" + rev
		}
		if !strings.HasPrefix(ref, "refs/heads/") {
			if _, ok := wire.ParsePRRef(ref); !ok {
				return nil, errorf(ErrRevisionNotFound, "Invalid rev id: %s: commits go to a branch or a pull request ref", rev)
			}
		}
		var err error
		head, err = e.lockRef(ctx, tx, r.Key, ref)
		if err != nil {
			return nil, err
		}
		if head == "" {
			return nil, errorf(ErrRevisionNotFound, "Invalid rev id: %s", rev)
		}
		if num, ok := wire.ParsePRRef(ref); ok {
			if err := checkPROpen(ctx, tx, r, int64(num)); err != nil {
				return nil, err
			}
		}
		res.Ref = ref
	}
	if opts.ParentCommit != "" && !strings.HasPrefix(head, strings.ToLower(opts.ParentCommit)) {
		return nil, errParentMoved()
	}
	parent, err := readCommit(ctx, tx, r.Key, head)
	if err != nil {
		return nil, err
	}
	b := newTreeBuilder(ctx, tx, e.db.Dialect, r.Key, parent.Tree)
	if err := e.applyChanges(ctx, tx, r, b, changes); err != nil {
		return nil, err
	}
	tree, err := b.flush()
	if err != nil {
		return nil, err
	}
	sig := opts.Author.signature(e.now())
	c := &Commit{Tree: tree, Parents: []string{head}, Author: sig, Committer: sig, Message: commitMessage(opts.Summary, opts.Description)}
	oid, err := writeObject(ctx, tx, r.Key, KindCommit, c.Encode(), nil)
	if err != nil {
		return nil, err
	}
	ok, err := casRef(ctx, tx, r.Key, res.Ref, head, oid)
	if err != nil {
		return nil, err
	}
	if !ok {
		if opts.ParentCommit != "" {
			return nil, errParentMoved()
		}
		return nil, errRaced
	}
	if _, err := tx.ExecContext(ctx, `UPDATE repos SET updated_at = $1 WHERE id = $2`, e.now().UnixMilli(), r.Key); err != nil {
		return nil, err
	}
	if num, ok := wire.ParsePRRef(res.Ref); ok {
		if err := e.addEvent(ctx, tx, r, int64(num), "commit", opts.Author.Name, map[string]any{"subject": opts.Summary, "oid": oid}); err != nil {
			return nil, err
		}
	}
	res.Commit = oid
	res.Parent = head
	return res, nil
}

// applyChanges writes blobs and applies every change to the tree builder,
// then makes sure every LFS path is covered by a .gitattributes rule.
func (e *Engine) applyChanges(ctx context.Context, tx *sql.Tx, r *Repo, b *treeBuilder, changes []Change) error {
	var lfsPaths []string
	linked, err := linkedObjects(ctx, tx, e.db.Dialect, r, changes)
	if err != nil {
		return err
	}
	for i := range changes {
		c := &changes[i]
		switch c.Kind {
		case Add:
			data := c.Content
			if c.open != nil {
				var err error
				if data, err = c.open(); err != nil {
					return err
				}
			}
			oid, err := b.objs.write(KindBlob, data, nil)
			if err != nil {
				return err
			}
			if err := b.put(c.Path, ModeFile, oid); err != nil {
				return err
			}
		case AddLFS:
			ptr, err := checkLinked(linked, c.Pointer)
			if err != nil {
				return err
			}
			oid, err := b.objs.write(KindBlob, ptr.Encode(), &ptr)
			if err != nil {
				return err
			}
			if err := b.put(c.Path, ModeFile, oid); err != nil {
				return err
			}
			lfsPaths = append(lfsPaths, c.Path)
		case Delete:
			if err := b.remove(c.Path, b.isFolder(c.Path)); err != nil {
				return err
			}
		case DeleteFolder:
			if err := b.remove(c.Path, true); err != nil {
				return err
			}
		}
	}
	if len(lfsPaths) == 0 {
		return nil
	}
	cur, err := b.readFile(".gitattributes")
	if err != nil {
		return err
	}
	attrs := ParseAttributes(cur)
	var add []string
	for _, p := range lfsPaths {
		if !attrs.IsLFS(p) {
			pat := escapeAttrPath(p)
			add = append(add, pat+" filter=lfs diff=lfs merge=lfs -text")
			attrs.rules = append(attrs.rules, attrRule{pattern: pat, lfs: true})
		}
	}
	if len(add) == 0 {
		return nil
	}
	content := cur
	if len(content) > 0 && !bytes.HasSuffix(content, []byte("\n")) {
		content = append(content, '\n')
	}
	content = append(content, []byte(strings.Join(add, "\n")+"\n")...)
	oid, err := b.objs.write(KindBlob, content, nil)
	if err != nil {
		return err
	}
	return b.put(".gitattributes", ModeFile, oid)
}

// linkedObjects returns the size of every LFS object the AddLFS changes
// name that is stored and linked to the repo, in batched queries (a commit
// of a folder of small files names thousands).
func linkedObjects(ctx context.Context, q sqlstore.Querier, d sqlstore.Dialect, r *Repo, changes []Change) (map[string]int64, error) {
	seen := map[string]bool{}
	var oids []string
	for i := range changes {
		if changes[i].Kind == AddLFS {
			if oid := string(changes[i].Pointer.OID); !seen[oid] {
				seen[oid] = true
				oids = append(oids, oid)
			}
		}
	}
	sizes := make(map[string]int64, len(oids))
	err := d.QueryIn(ctx, q, `SELECT o.oid, o.size FROM repo_lfs l JOIN lfs_objects o ON o.oid = l.oid WHERE l.repo_id = $1 AND l.oid IN (%s)`,
		[]any{r.Key}, oids, func(rows *sql.Rows) error {
			var oid string
			var size int64
			if err := rows.Scan(&oid, &size); err != nil {
				return err
			}
			sizes[oid] = size
			return nil
		})
	return sizes, err
}

// checkLinked checks that the LFS object of p is among linked (stored and
// linked to the repo), and fills in its size for copies by reference.
func checkLinked(linked map[string]int64, p wire.Pointer) (wire.Pointer, error) {
	size, ok := linked[string(p.OID)]
	if !ok {
		return p, errorf(ErrLFSObjectMissing, "LFS object %s is not stored in this repository: upload it through the LFS batch API before committing", p.OID)
	}
	if p.Size >= 0 && p.Size != size {
		return p, errorf(wire.ErrInvalid, "LFS object %s has size %d, not %d", p.OID, size, p.Size)
	}
	p.Size = size
	return p, nil
}

// spool holds the decoded content of "file" lines of one commit in a temp
// file, so a commit body is never held in memory whole.
type spool struct {
	f   *os.File
	off int64
}

func (s *spool) add(data []byte) (func() ([]byte, error), error) {
	if s.f == nil {
		return nil, errors.New("spool closed")
	}
	off, n := s.off, len(data)
	if _, err := s.f.Write(data); err != nil {
		return nil, fmt.Errorf("spool commit payload: %w", err)
	}
	s.off += int64(n)
	f := s.f
	return func() ([]byte, error) {
		buf := make([]byte, n)
		if _, err := f.ReadAt(buf, off); err != nil && !(err == io.EOF && n == 0) {
			return nil, fmt.Errorf("read spooled payload: %w", err)
		}
		return buf, nil
	}, nil
}

func (s *spool) close() {
	if s.f != nil {
		s.f.Close()
		os.Remove(s.f.Name())
	}
}

// limitedReader counts bytes and fails past a limit.
type limitedReader struct {
	r     io.Reader
	left  int64
	limit int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if l.left <= 0 {
		// A body of exactly the limit is fine: fail only if more follows.
		var one [1]byte
		for {
			n, err := l.r.Read(one[:])
			if n > 0 {
				return 0, fmt.Errorf("commit body is larger than %d bytes: %w", l.limit, wire.ErrTooLarge)
			}
			if err != nil {
				return 0, err
			}
		}
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// CommitNDJSON reads a commit in the Hub's NDJSON format (header line, then
// file, lfsFile, deletedFile and deletedFolder lines) and applies it like
// Commit. opts supplies the author and CreatePR; the header supplies the
// message and parent. The body is parsed and validated completely before
// anything is written.
func (e *Engine) CommitNDJSON(ctx context.Context, r *Repo, rev string, body io.Reader, opts CommitOptions) (*CommitResult, error) {
	dec := wire.NewCommitDecoder(&limitedReader{r: body, left: e.opts.MaxCommitBytes, limit: e.opts.MaxCommitBytes}, e.opts.MaxLine)
	hdr, err := dec.Header()
	if err != nil {
		return nil, err
	}
	opts.Summary, opts.Description, opts.ParentCommit = hdr.Summary, hdr.Description, hdr.ParentCommit
	f, err := os.CreateTemp(e.opts.TempDir, "commit-*.spool")
	if err != nil {
		return nil, fmt.Errorf("spool commit: %w", err)
	}
	sp := &spool{f: f}
	defer sp.close()
	var changes []Change
	for {
		op, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch op.Kind {
		case wire.OpFile:
			if opts.CheckFile != nil {
				if err := opts.CheckFile(op.Path, op.Content); err != nil {
					return nil, err
				}
			}
			open, err := sp.add(op.Content)
			if err != nil {
				return nil, err
			}
			if op.OldPath != "" {
				changes = append(changes, Change{Kind: Delete, Path: op.OldPath})
			}
			changes = append(changes, Change{Kind: Add, Path: op.Path, open: open})
		case wire.OpLFSFile:
			if op.OldPath != "" {
				changes = append(changes, Change{Kind: Delete, Path: op.OldPath})
			}
			changes = append(changes, Change{Kind: AddLFS, Path: op.Path, Pointer: wire.Pointer{OID: op.OID, Size: op.Size}})
		case wire.OpDeletedFile:
			changes = append(changes, Change{Kind: Delete, Path: op.Path})
		case wire.OpDeletedFolder:
			changes = append(changes, Change{Kind: DeleteFolder, Path: op.Path})
		}
	}
	return e.Commit(ctx, r, rev, opts, changes)
}
