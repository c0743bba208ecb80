package gitproto

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"sort"
	"strings"

	"github.com/go-git/go-git/v6/plumbing"
	"github.com/go-git/go-git/v6/plumbing/protocol/packp"
	"github.com/go-git/go-git/v6/plumbing/transport"

	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/wire"
)

// maxAncestorWalk bounds the commits a fast-forward check visits.
const maxAncestorWalk = 200000

// rejection is a refused push. Its Error is the one-line reason git shows
// as "! [remote rejected] main -> main (reason)"; details go to the
// client's progress channel, shown as "remote: …" lines.
type rejection struct {
	reason  string
	details []string
}

func (r *rejection) Error() string { return r.reason }

func reject(format string, args ...any) *rejection {
	return &rejection{reason: fmt.Sprintf(format, args...)}
}

// push is one receive-pack request.
type push struct {
	svc      *Service
	st       *store
	r        *repo.Repo
	pusher   repo.Author
	rejected error
}

// preReceive validates the push and applies it: objects and ref moves in
// one transaction. Any error refuses the whole push.
func (p *push) preReceive(ctx context.Context, info *transport.PreReceiveInfo) error {
	err := p.apply(ctx, info.Commands)
	if err == nil {
		return nil
	}
	var rj *rejection
	var re *repo.Error
	switch {
	case errors.As(err, &rj):
	case errors.As(err, &re):
		rj = reject("%s", re.Msg)
	case errors.Is(err, wire.ErrInvalid):
		rj = reject("%s", err.Error())
	default:
		p.svc.opts.Logger.LogAttrs(ctx, slog.LevelError, "git push", slog.String("repo", p.r.ID.String()), slog.String("err", err.Error()))
		rj = reject("internal error: nothing was changed, try again")
	}
	// The reason travels in one pkt-line of the report.
	rj.reason = strings.Join(strings.Fields(rj.reason), " ")
	if len(rj.reason) > 900 {
		rj.reason = rj.reason[:900] + "…"
	}
	for _, d := range rj.details {
		fmt.Fprintf(info.Progress, "%s\n", d)
	}
	p.rejected = rj
	return rj
}

// refKind classifies the refs a push may name.
type refKind int

const (
	refBranch refKind = iota + 1
	refTag
	refPR
)

func (p *push) apply(ctx context.Context, cmds []*packp.Command) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var updates []repo.RefUpdate
	var tips []plumbing.Hash
	for _, c := range cmds {
		u, err := p.checkCommand(ctx, c)
		if err != nil {
			return err
		}
		updates = append(updates, u)
		if c.Action() != packp.Delete {
			tips = append(tips, c.New)
		}
	}
	objs, err := p.checkObjects(ctx, tips)
	if err != nil {
		return err
	}
	for i := range updates {
		u := &updates[i]
		if _, ok := wire.ParsePRRef(u.Name); ok && u.New != "" {
			if c, err := p.commit(ctx, u.New); err == nil {
				u.Subject = c.Title()
			}
		}
	}
	if err := p.st.eng.ApplyPush(ctx, p.r, objs, updates, p.pusher); err != nil {
		return err
	}
	// Refs moved. go-git now replays the commands against the storer: show
	// it the refs as they were, so its checks pass and it reports success.
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	p.st.applied = true
	for _, c := range cmds {
		if c.Action() == packp.Create {
			delete(p.st.refs, c.Name)
		} else {
			p.st.refs[c.Name] = plumbing.NewHashReference(c.Name, c.Old)
		}
	}
	return nil
}

// checkCommand applies the ref rules: branches may be created, deleted
// (not the default one) and fast-forwarded; tags created and deleted, never
// moved; refs/pr/N only fast-forwarded while the pull request is open (the
// transaction checks that), never created or deleted by a push.
func (p *push) checkCommand(ctx context.Context, c *packp.Command) (repo.RefUpdate, error) {
	name := c.Name.String()
	act := c.Action()
	u := repo.RefUpdate{Name: name}
	if act != packp.Create {
		u.Old = c.Old.String()
	}
	if act != packp.Delete {
		u.New = c.New.String()
	}
	if act == packp.Invalid {
		return u, reject("invalid command for %s", name)
	}
	var kind refKind
	switch {
	case strings.HasPrefix(name, "refs/heads/"):
		kind = refBranch
		short := strings.TrimPrefix(name, "refs/heads/")
		if act == packp.Create {
			if err := wire.ValidateBranchName(short); err != nil {
				return u, err
			}
		}
		if act == packp.Delete && short == repo.DefaultBranch {
			return u, reject("the default branch %s cannot be deleted", short)
		}
	case strings.HasPrefix(name, "refs/tags/"):
		kind = refTag
		short := strings.TrimPrefix(name, "refs/tags/")
		switch act {
		case packp.Create:
			if err := wire.ValidateTagName(short); err != nil {
				return u, err
			}
		case packp.Update:
			return u, reject("tag %s already exists and tags cannot be moved: delete it first (git push origin :%s)", short, name)
		}
	default:
		if _, ok := wire.ParsePRRef(name); !ok {
			return u, reject("only refs/heads/*, refs/tags/* and refs/pr/* can be pushed")
		}
		kind = refPR
		switch act {
		case packp.Create:
			return u, reject("%s does not exist: pull request refs are created by opening a pull request, not by a push", name)
		case packp.Delete:
			return u, reject("pull request refs cannot be deleted")
		}
	}
	if err := c.Name.Validate(); err != nil {
		return u, reject("invalid ref name %s", name)
	}
	if act == packp.Delete {
		return u, nil
	}
	k, err := p.kindOf(ctx, c.New)
	if err != nil {
		return u, err
	}
	if k == plumbing.TagObject && kind == refTag {
		// An annotated (or signed) tag: it must tag a commit.
		if k, err = p.peeledKind(ctx, c.New); err != nil {
			return u, err
		}
	}
	if k != plumbing.CommitObject {
		if kind == refTag {
			return u, reject("%s must tag a commit, not a %s", name, k)
		}
		return u, reject("%s must point to a commit, not a %s", name, k)
	}
	if act == packp.Update && (kind == refBranch || kind == refPR) {
		ok, err := p.st.eng.IsAncestor(ctx, p.r, u.Old, u.New, p.overlayCommit, maxAncestorWalk)
		if err != nil {
			return u, err
		}
		if !ok {
			return u, &rejection{
				reason: fmt.Sprintf("non-fast-forward update of %s refused: fetch, then merge or rebase, and push again (force pushes are not allowed)", name),
			}
		}
	}
	return u, nil
}

// kindOf returns the type of an object of the push or of the repo, or
// rejects the push when it is missing.
func (p *push) kindOf(ctx context.Context, h plumbing.Hash) (plumbing.ObjectType, error) {
	if o, ok := p.st.overlay(h); ok {
		return o.kind, nil
	}
	infos, err := p.st.eng.ObjectInfos(ctx, p.r, []string{h.String()})
	if err != nil {
		return 0, err
	}
	in, ok := infos[h.String()]
	if !ok {
		return 0, reject("object %s is missing: the push is incomplete", h)
	}
	return gitKind(in.Kind), nil
}

func (p *push) overlayCommit(oid string) (*repo.Commit, bool) {
	h, ok := hashOf(oid)
	if !ok {
		return nil, false
	}
	o, ok := p.st.overlay(h)
	if !ok || o.kind != plumbing.CommitObject {
		return nil, false
	}
	c, err := repo.DecodeCommit(o.data)
	return c, err == nil
}

func (p *push) commit(ctx context.Context, oid string) (*repo.Commit, error) {
	if c, ok := p.overlayCommit(oid); ok {
		return c, nil
	}
	return p.st.eng.ReadCommit(ctx, p.r, oid)
}

// walkItem is an object reached from a pushed ref, with the type its
// referrer expects and, for tree entries, its path.
type walkItem struct {
	h    plumbing.Hash
	kind plumbing.ObjectType
	path string
}

type bigFile struct {
	path string
	size int64
}

type lfsRef struct {
	ptr  wire.Pointer
	path string
}

// checkObjects walks the objects of the push that the new ref values
// reach, and validates them as an API commit would be: well-formed commits
// and trees, valid entry names and modes, every LFS pointer naming an
// object stored and linked to the repo, no regular file of MaxFileSize or
// more, and every object they name either in the push or in the repo. It
// returns the objects to write; unreachable objects of the pack are
// dropped.
func (p *push) checkObjects(ctx context.Context, tips []plumbing.Hash) ([]repo.PushObject, error) {
	var (
		out      []repo.PushObject
		external = map[plumbing.Hash]plumbing.ObjectType{}
		visited  = map[plumbing.Hash]bool{}
		big      []bigFile
		pointers []lfsRef
		stack    []walkItem
	)
	for _, t := range tips {
		k := plumbing.CommitObject
		if o, ok := p.st.overlay(t); ok && o.kind == plumbing.TagObject {
			k = plumbing.TagObject // an annotated tag (checkCommand allowed it)
		}
		stack = append(stack, walkItem{h: t, kind: k})
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if visited[it.h] {
			continue
		}
		visited[it.h] = true
		o, ok := p.st.overlay(it.h)
		if !ok {
			external[it.h] = it.kind
			continue
		}
		if o.kind != it.kind {
			return nil, reject("object %s is a %s where a %s is expected", it.h, o.kind, it.kind)
		}
		po := repo.PushObject{Kind: repoKind(o.kind), Data: o.data}
		switch o.kind {
		case plumbing.CommitObject:
			c, err := repo.DecodeCommit(o.data)
			if err != nil {
				return nil, reject("commit %s is malformed", it.h)
			}
			th, ok := hashOf(c.Tree)
			if !ok {
				return nil, reject("commit %s is malformed", it.h)
			}
			stack = append(stack, walkItem{h: th, kind: plumbing.TreeObject})
			for _, par := range c.Parents {
				ph, ok := hashOf(par)
				if !ok {
					return nil, reject("commit %s is malformed", it.h)
				}
				stack = append(stack, walkItem{h: ph, kind: plumbing.CommitObject})
			}
		case plumbing.TreeObject:
			ents, err := repo.DecodeTree(o.data)
			if err != nil {
				return nil, reject("tree %s is malformed", it.h)
			}
			for _, e := range ents {
				ep := e.Name
				if it.path != "" {
					ep = it.path + "/" + e.Name
				}
				if rule := checkEntryName(e.Name); rule != "" {
					return nil, reject("invalid path %q: %s", ep, rule)
				}
				if len(ep) > wire.MaxPathLen {
					return nil, reject("invalid path %q: longer than %d bytes", ep[:64]+"…", wire.MaxPathLen)
				}
				eh, ok := hashOf(e.OID)
				if !ok {
					return nil, reject("tree %s is malformed", it.h)
				}
				switch e.Mode {
				case repo.ModeDir:
					stack = append(stack, walkItem{h: eh, kind: plumbing.TreeObject, path: ep})
				case repo.ModeFile, repo.ModeExec, repo.ModeSymlink:
					stack = append(stack, walkItem{h: eh, kind: plumbing.BlobObject, path: ep})
				case repo.ModeGitlink:
					return nil, reject("submodules are not supported: %s", ep)
				default:
					return nil, reject("invalid file mode %s of %s", e.Mode, ep)
				}
			}
		case plumbing.BlobObject:
			size := int64(len(o.data))
			if ptr, ok := wire.ParsePointer(o.data); ok {
				po.Pointer = &ptr
				pointers = append(pointers, lfsRef{ptr: ptr, path: it.path})
			} else if size >= p.svc.opts.MaxFileSize {
				big = append(big, bigFile{path: it.path, size: size})
			}
		case plumbing.TagObject:
			target, typ, err := repo.DecodeTagTarget(o.data)
			th, ok := hashOf(target)
			if err != nil || !ok {
				return nil, reject("tag %s is malformed", it.h)
			}
			switch typ {
			case "commit":
				stack = append(stack, walkItem{h: th, kind: plumbing.CommitObject})
			case "tag":
				stack = append(stack, walkItem{h: th, kind: plumbing.TagObject})
			default:
				return nil, reject("tag %s tags a %s: only commits may be tagged", it.h, typ)
			}
		}
		out = append(out, po)
	}
	if len(big) > 0 {
		return nil, tooLarge(big, p.svc.opts.MaxFileSize)
	}
	if err := p.checkExternal(ctx, external); err != nil {
		return nil, err
	}
	if err := p.checkLFS(ctx, pointers); err != nil {
		return nil, err
	}
	return out, nil
}

// checkEntryName returns the rule a tree entry name breaks, or "".
func checkEntryName(name string) string {
	if strings.Contains(name, "/") {
		return "a file name must not contain \"/\""
	}
	if _, err := wire.CleanPath(name); err != nil {
		var msg string
		if _, rule, ok := strings.Cut(err.Error(), ": "); ok {
			msg = rule
		} else {
			msg = err.Error()
		}
		return msg
	}
	return ""
}

func tooLarge(big []bigFile, limit int64) error {
	sort.Slice(big, func(i, j int) bool { return big[i].path < big[j].path })
	rj := &rejection{}
	names := make([]string, 0, len(big))
	pattern := path.Base(big[0].path)
	if ext := path.Ext(pattern); ext != "" && ext != pattern {
		pattern = "*" + ext
	}
	rj.details = append(rj.details,
		"-------------------------------------------------------------------------",
		fmt.Sprintf("Your push was rejected because it contains files of %s or more.", mib(limit)),
		"Please use git-lfs (https://git-lfs.com) to store large files:",
		fmt.Sprintf(`  git lfs install && git lfs track %q   (a pattern that matches them)`, pattern),
		"  git add .gitattributes, then add and commit the files again",
		fmt.Sprintf(`  (git lfs migrate import --include=%q rewrites commits you already made)`, pattern),
		"",
		"Offending files:")
	for _, b := range big {
		rj.details = append(rj.details, fmt.Sprintf("  - %s (%s)", b.path, mib(b.size)))
		names = append(names, b.path)
	}
	rj.details = append(rj.details, "-------------------------------------------------------------------------")
	if len(names) > 5 {
		names = append(names[:5], fmt.Sprintf("and %d more", len(big)-5))
	}
	rj.reason = fmt.Sprintf("files of %s or more must be stored with git-lfs (git lfs track): %s", mib(limit), strings.Join(names, ", "))
	return rj
}

func mib(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// checkExternal makes sure the objects the push names but does not carry
// are in the repo, with the expected types.
func (p *push) checkExternal(ctx context.Context, external map[plumbing.Hash]plumbing.ObjectType) error {
	if len(external) == 0 {
		return nil
	}
	ids := make([]string, 0, len(external))
	for h := range external {
		ids = append(ids, h.String())
	}
	infos, err := p.st.eng.ObjectInfos(ctx, p.r, ids)
	if err != nil {
		return err
	}
	sort.Strings(ids)
	for _, id := range ids {
		h, _ := hashOf(id)
		in, ok := infos[id]
		if !ok {
			return reject("object %s is missing: the push is incomplete", id)
		}
		if k := gitKind(in.Kind); k != external[h] {
			return reject("object %s is a %s where a %s is expected", id, k, external[h])
		}
	}
	return nil
}

// checkLFS makes sure every pointer names an LFS object stored and linked
// to the repo, with the pointer's size.
func (p *push) checkLFS(ctx context.Context, refs []lfsRef) error {
	if len(refs) == 0 {
		return nil
	}
	oids := make([]string, 0, len(refs))
	for _, r := range refs {
		oids = append(oids, string(r.ptr.OID))
	}
	linked, err := p.st.eng.LinkedLFS(ctx, p.r, oids)
	if err != nil {
		return err
	}
	var missing, names []string
	rj := &rejection{}
	seen := map[string]bool{}
	for _, r := range refs {
		oid := string(r.ptr.OID)
		size, ok := linked[oid]
		switch {
		case !ok:
			if !seen[oid] {
				missing = append(missing, oid)
				names = append(names, r.path)
				rj.details = append(rj.details, fmt.Sprintf("LFS object %s (%s) is not stored in this repository", oid, r.path))
			}
			seen[oid] = true
		case size != r.ptr.Size:
			return reject("LFS pointer %s names object %s of size %d, but the stored object has size %d", r.path, oid, r.ptr.Size, size)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	list := make([]string, 0, len(missing))
	for i, oid := range missing {
		if i == 5 {
			list = append(list, fmt.Sprintf("and %d more", len(missing)-5))
			break
		}
		list = append(list, oid+" ("+names[i]+")")
	}
	rj.reason = fmt.Sprintf("LFS objects missing on the server: %s; upload them with git-lfs (git lfs push --all origin) and push again", strings.Join(list, ", "))
	rj.details = append(rj.details, "Upload LFS content before pushing pointers: is git-lfs installed (git lfs install)?")
	return rj
}

// peeledKind follows the tag object h (of the push or of the repo) to
// the object it finally tags and returns that object's type.
func (p *push) peeledKind(ctx context.Context, h plumbing.Hash) (plumbing.ObjectType, error) {
	for range 8 {
		var data []byte
		if o, ok := p.st.overlay(h); ok {
			if o.kind != plumbing.TagObject {
				return o.kind, nil
			}
			data = o.data
		} else {
			var kind repo.Kind
			err := p.st.eng.ReadObjects(ctx, p.r, []string{h.String()}, func(_ string, k repo.Kind, d []byte) error {
				kind, data = k, d
				return nil
			})
			if err != nil {
				return 0, err
			}
			if data == nil {
				return 0, reject("object %s is missing: the push is incomplete", h)
			}
			if kind != repo.KindTag {
				return gitKind(kind), nil
			}
		}
		target, _, err := repo.DecodeTagTarget(data)
		th, ok := hashOf(target)
		if err != nil || !ok {
			return 0, reject("tag %s is malformed", h)
		}
		h = th
	}
	return 0, reject("tag %s: too many tags of tags", h)
}
