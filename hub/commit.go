package hub

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/wharfhub/wharf/wire"
)

// Operation is one change of a commit: [AddOp], [DeleteOp] or [CopyOp].
type Operation interface{ operation() }

// AddOp adds or replaces a file.
type AddOp struct {
	PathInRepo string  // destination path in the repo
	Content    Content // what to upload; nil once PreuploadLFSFiles has uploaded it

	// Filled by preupload.
	size         int64
	sample       []byte
	mode         string // "regular" or "lfs"
	shouldIgnore bool
	remoteOID    string
	sha256       string
	gitBlob      string
	uploaded     bool // LFS content is on the Hub
	committed    bool
	xet          *xetScan     // chunks, when the content was hashed for Xet
	streamed     *xetStreamed // xorbs sent while it was hashed, if it was streamed
	data         []byte       // content of a small file, kept from its sampling until it is uploaded
}

// Small files are read whole when preupload samples them and kept in
// memory, up to keptMax bytes per commit: hashed from there once the Hub
// said how they are stored (sha256 and Xet chunks for LFS, sha256 and the
// git blob id for regular files), and sent from there: one read for each
// file of a folder of many small files, and no hash that is not needed.
// Files past keptMax are hashed for both modes as they are sampled.
const inlineMax = 64 << 10

var keptMax int64 = 256 << 20

// DeleteOp deletes a file, or a folder when IsFolder is set.
type DeleteOp struct {
	PathInRepo string // file or folder to delete
	IsFolder   bool   // delete the folder PathInRepo and everything below it
}

// CopyOp copies a file of the repo (at SrcRevision, default the commit's
// revision) to another path. LFS files are copied by reference; regular
// files are downloaded and uploaded again, as huggingface_hub does.
type CopyOp struct {
	SrcPath     string // file to copy
	DstPath     string // where the copy goes
	SrcRevision string // revision of SrcPath; default the commit's revision
}

func (*AddOp) operation()    {}
func (*DeleteOp) operation() {}
func (*CopyOp) operation()   {}

// Add returns an operation that writes content to pathInRepo.
func Add(pathInRepo string, content Content) *AddOp {
	return &AddOp{PathInRepo: pathInRepo, Content: content}
}

// Delete returns an operation that deletes pathInRepo; a trailing "/"
// makes it a folder.
func Delete(pathInRepo string) *DeleteOp {
	return &DeleteOp{PathInRepo: pathInRepo, IsFolder: strings.HasSuffix(pathInRepo, "/")}
}

// IsLFS reports whether preupload decided the file goes to LFS.
func (a *AddOp) IsLFS() bool { return a.mode == "lfs" }

// SHA256 is the content's sha256 once it has been hashed.
func (a *AddOp) SHA256() string { return a.sha256 }

// normalizePath applies huggingface_hub's path rules for path_in_repo.
func normalizePath(p string, folder bool) (string, error) {
	p = strings.ReplaceAll(p, "\\", "/")
	for strings.HasPrefix(p, "./") {
		p = p[2:]
	}
	p = strings.TrimLeft(p, "/")
	if folder {
		p = strings.TrimRight(p, "/")
	}
	if p == "" || p == "." || p == ".." || strings.HasPrefix(p, "../") {
		return "", fmt.Errorf("hub: invalid path_in_repo %q", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".git" || seg == ".cache" {
			return "", fmt.Errorf("hub: invalid path_in_repo %q: a %s folder cannot be uploaded", p, seg)
		}
	}
	if _, err := wire.CleanPath(p); err != nil {
		return "", fmt.Errorf("hub: %w", err)
	}
	return p, nil
}

// CommitOptions configures a commit.
type CommitOptions struct {
	// Message is the commit summary. Each call has its own default.
	Message     string
	Description string // commit description (body); default empty
	// Revision is the branch (or refs/pr/N) to commit to. Default main.
	Revision string
	// CreatePR opens a pull request against Revision instead.
	CreatePR bool
	// ParentCommit makes the commit fail with ErrPreconditionFailed if the
	// branch head is no longer this commit.
	ParentCommit string
	// GitIgnore, when set, is sent as the .gitignore the Hub applies.
	GitIgnore *string
	// Progress is called as LFS content is uploaded, from several
	// goroutines at once. Before the transfers of a batch start, it is
	// called once with Sent 0 for each file of the batch that will be sent,
	// so that a caller knows the total. With Xet, Sent grows as the xorbs
	// holding a file's new chunks are uploaded and as its chunks are found
	// on the Hub (counted in Deduped too).
	Progress func(Progress)
}

// Progress reports bytes sent for one file.
type Progress struct {
	Path  string // path in the repo
	Sent  int64  // bytes of this file sent so far (with Xet: sent or deduplicated)
	Total int64  // size of the file
	// Deduped is the part of Sent that was not sent because the Hub
	// already had it (Xet only; always 0 for LFS transfers).
	Deduped int64
}

// CommitInfo describes a commit (or, when nothing changed, the head).
type CommitInfo struct {
	URL        string // commit URL
	OID        string // commit id
	PRURL      string // discussion URL of the pull request, if one was opened
	PRNum      int    // number of the pull request, if one was opened
	PRRevision string // refs/pr/N
	Skipped    bool   // nothing changed: no commit was made
}

var prURLPattern = regexp.MustCompile(`/discussions/(\d+)$`)

// CreateCommit uploads the LFS content of the additions and makes one
// atomic commit of all operations. Additions whose content is already on
// the Hub at the same path are dropped; if nothing is left, no commit is
// made and the head is returned with Skipped set.
func (c *Client) CreateCommit(ctx context.Context, r Repo, ops []Operation, opts *CommitOptions) (*CommitInfo, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	var o CommitOptions
	if opts != nil {
		o = *opts
	}
	if strings.TrimSpace(o.Message) == "" {
		return nil, errors.New("hub: a commit needs a message")
	}
	if o.ParentCommit != "" && !wire.IsAbbrevCommitID(o.ParentCommit) {
		return nil, fmt.Errorf("hub: parent commit %q is not a commit id", o.ParentCommit)
	}
	var adds []*AddOp
	for _, op := range ops {
		switch op := op.(type) {
		case *AddOp:
			p, err := normalizePath(op.PathInRepo, false)
			if err != nil {
				return nil, err
			}
			op.PathInRepo = p
			if op.committed {
				return nil, fmt.Errorf("hub: the operation adding %s was already committed; create a new one", p)
			}
			if op.Content == nil && !op.uploaded {
				return nil, fmt.Errorf("hub: the operation adding %s has no content", p)
			}
			adds = append(adds, op)
		case *DeleteOp:
			p, err := normalizePath(op.PathInRepo, true)
			if err != nil {
				return nil, err
			}
			op.PathInRepo = p
		case *CopyOp:
			for _, p := range []*string{&op.SrcPath, &op.DstPath} {
				n, err := normalizePath(*p, false)
				if err != nil {
					return nil, err
				}
				*p = n
			}
		default:
			return nil, fmt.Errorf("hub: unknown operation %T", op)
		}
	}
	// A non-seekable reader's content is spooled to a temp file: remove it
	// when the commit is done, whatever the outcome (the reader cannot be
	// read again anyway).
	defer func() {
		for _, a := range adds {
			if a.Content != nil {
				release(a.Content)
			}
		}
	}()
	for _, a := range adds {
		if a.PathInRepo == "README.md" && a.Content != nil {
			if err := c.validateReadme(ctx, r, a.Content); err != nil {
				return nil, err
			}
		}
	}
	if err := c.preupload(ctx, r, adds, &o); err != nil {
		return nil, err
	}
	if err := c.uploadLFS(ctx, r, adds, &o); err != nil {
		return nil, err
	}
	lines, changed, err := c.commitLines(ctx, r, ops, &o)
	if err != nil {
		return nil, err
	}
	if !changed {
		info, err := c.RepoInfo(ctx, r, &RepoInfoOptions{Revision: o.Revision})
		if err != nil {
			return nil, err
		}
		return &CommitInfo{URL: c.URL(r) + "/commit/" + info.SHA, OID: info.SHA, Skipped: true}, nil
	}
	// Check that regular files still have the size they were hashed with
	// before the commit starts: a failure in the middle of the streamed
	// body would leave the server with a broken request instead.
	for _, l := range lines {
		if l.key == "file" {
			if err := checkSize(l.content); err != nil {
				return nil, err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ci, err := c.postCommit(ctx, r, &o, lines)
	if err != nil {
		return nil, err
	}
	for _, a := range adds {
		a.committed = true
	}
	return ci, nil
}

func (c *Client) validateReadme(ctx context.Context, r Repo, content Content) error {
	ra, done, err := content.ReaderAt()
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.NewSectionReader(ra, 0, min(content.Size(), 10<<20)))
	done()
	if err != nil {
		return err
	}
	var out struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	err = c.sendJSON(ctx, http.MethodPost, c.apiURL("/api/validate-yaml"), map[string]any{"content": string(data), "repoType": string(r.typ())}, &out, true)
	var he *Error
	if errors.As(err, &he) && he.StatusCode == http.StatusBadRequest {
		return fmt.Errorf("hub: invalid metadata in README.md: %s", he.Message)
	}
	return err
}

// preupload asks the Hub how each addition is stored (regular or LFS),
// whether it is ignored, and what is there now.
func (c *Client) preupload(ctx context.Context, r Repo, adds []*AddOp, o *CommitOptions) error {
	var todo []*AddOp
	for _, a := range adds {
		if a.mode == "" {
			todo = append(todo, a)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	gitIgnore := o.GitIgnore
	if gitIgnore == nil {
		for _, a := range adds {
			if a.PathInRepo == ".gitignore" && a.Content != nil && a.Content.Size() < 1<<20 {
				ra, done, err := a.Content.ReaderAt()
				if err != nil {
					return err
				}
				b, err := io.ReadAll(io.NewSectionReader(ra, 0, a.Content.Size()))
				done()
				if err != nil {
					return err
				}
				s := string(b)
				gitIgnore = &s
			}
		}
	}
	u := c.endpoint + r.apiPath() + "/preupload/" + rev(o.Revision)
	if o.CreatePR {
		u += "?create_pr=1"
	}
	// Batches of 256, several at once, each in turn sampled (files opened
	// in parallel; small files read whole and kept, inlineMax), sent to
	// preupload, and its kept files hashed for the mode the Hub gave them:
	// a folder of many small files is many batches, whose steps overlap.
	chunkLFS := c.xetEnabled() && !c.xet.refused.Load()
	var kept atomic.Int64
	pg, pctx := errgroup.WithContext(ctx)
	pg.SetLimit(max(c.opts.Workers, 1))
	for start := 0; start < len(todo); start += 256 {
		batch := todo[start:min(start+256, len(todo))]
		pg.Go(func() error {
			sg, sctx := errgroup.WithContext(pctx)
			sg.SetLimit(max(c.opts.Workers, 1))
			for _, a := range batch {
				sg.Go(func() error {
					if err := sctx.Err(); err != nil {
						return err
					}
					a.size = a.Content.Size()
					if a.size <= inlineMax {
						return c.inline(a, chunkLFS, &kept)
					}
					s, err := sample(a.Content)
					a.sample = s
					return err
				})
			}
			if err := sg.Wait(); err != nil {
				return err
			}
			if err := c.preuploadBatch(pctx, u, batch, gitIgnore); err != nil {
				return err
			}
			for _, a := range batch {
				switch {
				case a.shouldIgnore:
					a.data = nil
				case a.data != nil:
					a.hashKept(chunkLFS)
				}
			}
			return nil
		})
	}
	if err := pg.Wait(); err != nil {
		return err
	}
	// Hash: sha256 for LFS content, the git blob id for regular files (to
	// drop unchanged ones). One read each, in parallel. LFS content is
	// also cut into Xet chunks in the same read when the Hub is likely to
	// take Xet, so that the Xet upload need not read it again but for
	// the chunks it sends.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.Workers)
	for _, a := range todo {
		if a.shouldIgnore || a.data != nil || a.sha256 != "" {
			continue // ignored, hashed with its batch, or hashed before
		}
		g.Go(func() error {
			if gctx.Err() != nil {
				return gctx.Err()
			}
			if a.mode == "lfs" && chunkLFS {
				if a.size >= xetStreamMin {
					if ok, err := c.streamXet(gctx, r, a, o); ok || err != nil {
						return err
					}
				}
				sha, scan, err := c.scanXet(gctx, a.Content)
				a.sha256, a.xet = sha, scan
				return err
			}
			sha, blob, err := hashes(gctx, a.Content, a.mode == "regular")
			a.sha256, a.gitBlob = sha, blob
			return err
		})
	}
	return g.Wait()
}

// commitLines turns the operations into NDJSON value lines. It reports
// whether anything changes.
func (c *Client) commitLines(ctx context.Context, r Repo, ops []Operation, o *CommitOptions) ([]commitLine, bool, error) {
	var lines []commitLine
	changed := false
	copies := map[string]TreeEntry{}
	var copyErr error
	var copyOnce sync.Once
	loadCopies := func() error {
		copyOnce.Do(func() {
			bySrcRev := map[string][]string{}
			for _, op := range ops {
				if cp, ok := op.(*CopyOp); ok {
					rv := cp.SrcRevision
					if rv == "" {
						rv = o.Revision
					}
					bySrcRev[rv] = append(bySrcRev[rv], cp.SrcPath)
				}
			}
			for rv, paths := range bySrcRev {
				ents, err := c.pathsInfo(ctx, r, rv, paths, false)
				if err != nil {
					copyErr = err
					return
				}
				for _, e := range ents {
					copies[rv+"\x00"+e.Path] = e
				}
			}
		})
		return copyErr
	}
	for _, op := range ops {
		switch op := op.(type) {
		case *AddOp:
			if op.shouldIgnore {
				continue
			}
			if op.mode == "lfs" {
				if op.remoteOID == op.sha256 {
					continue
				}
				lines = append(lines, commitLine{key: "lfsFile", path: op.PathInRepo, oid: op.sha256, size: op.size})
			} else {
				if op.remoteOID != "" && op.remoteOID == op.gitBlob {
					continue
				}
				lines = append(lines, commitLine{key: "file", path: op.PathInRepo, content: op.Content})
			}
			changed = true
		case *DeleteOp:
			key := "deletedFile"
			p := op.PathInRepo
			if op.IsFolder {
				key, p = "deletedFolder", p+"/"
			}
			lines = append(lines, commitLine{key: key, path: p})
			changed = true
		case *CopyOp:
			if err := loadCopies(); err != nil {
				return nil, false, err
			}
			rv := op.SrcRevision
			if rv == "" {
				rv = o.Revision
			}
			src, ok := copies[rv+"\x00"+op.SrcPath]
			if !ok || src.IsDir() {
				return nil, false, fmt.Errorf("hub: cannot copy %s at revision %s: the file is missing in %s: %w", op.SrcPath, rv, r.ID, ErrEntryNotFound)
			}
			if src.LFS != nil {
				lines = append(lines, commitLine{key: "lfsFile", path: op.DstPath, oid: src.LFS.OID, size: -1})
			} else {
				data, err := c.download(ctx, r, rv, op.SrcPath)
				if err != nil {
					return nil, false, err
				}
				lines = append(lines, commitLine{key: "file", path: op.DstPath, content: FromBytes(data)})
			}
			changed = true
		}
	}
	return lines, changed, nil
}

type commitLine struct {
	key     string
	path    string
	content Content // "file"
	oid     string  // "lfsFile"
	size    int64   // "lfsFile"; -1: omitted (copy by reference)
}

// postCommit streams the NDJSON body: regular files are base64-encoded as
// they are read, so the body is never held in memory.
func (c *Client) postCommit(ctx context.Context, r Repo, o *CommitOptions, lines []commitLine) (*CommitInfo, error) {
	u := c.endpoint + r.apiPath() + "/commit/" + rev(o.Revision)
	if o.CreatePR {
		u += "?create_pr=1"
	}
	body := func() (io.Reader, error) {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(writeNDJSON(pw, o, lines)) }()
		return pr, nil
	}
	resp, err := c.do(ctx, request{
		method: http.MethodPost, url: u, auth: true, body: body, size: -1,
		header: http.Header{"Content-Type": {"application/x-ndjson"}},
	})
	if err != nil {
		return nil, err
	}
	var out struct {
		CommitOID      string `json:"commitOid"`
		CommitURL      string `json:"commitUrl"`
		PullRequestURL string `json:"pullRequestUrl"`
	}
	if err := decodeJSON(resp, &out); err != nil {
		return nil, err
	}
	ci := &CommitInfo{URL: out.CommitURL, OID: out.CommitOID, PRURL: out.PullRequestURL}
	if m := prURLPattern.FindStringSubmatch(out.PullRequestURL); m != nil {
		ci.PRNum, _ = strconv.Atoi(m[1])
		ci.PRRevision = "refs/pr/" + m[1]
	}
	return ci, nil
}

func writeNDJSON(w io.Writer, o *CommitOptions, lines []commitLine) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	hdr := map[string]any{"summary": o.Message, "description": o.Description}
	if o.ParentCommit != "" {
		hdr["parentCommit"] = o.ParentCommit
	}
	if err := enc.Encode(map[string]any{"key": "header", "value": hdr}); err != nil {
		return err
	}
	for _, l := range lines {
		var err error
		switch l.key {
		case "file":
			err = writeFileLine(w, l)
		case "lfsFile":
			v := map[string]any{"path": l.path, "algo": "sha256", "oid": l.oid}
			if l.size >= 0 {
				v["size"] = l.size
			}
			err = enc.Encode(map[string]any{"key": "lfsFile", "value": v})
		default:
			err = enc.Encode(map[string]any{"key": l.key, "value": map[string]any{"path": l.path}})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeFileLine writes {"key":"file","value":{"content":"<base64>",...}}
// streaming the content through a base64 encoder.
func writeFileLine(w io.Writer, l commitLine) error {
	path, _ := json.Marshal(l.path)
	if _, err := io.WriteString(w, `{"key":"file","value":{"path":`+string(path)+`,"encoding":"base64","content":"`); err != nil {
		return err
	}
	ra, done, err := l.content.ReaderAt()
	if err != nil {
		return err
	}
	defer done()
	enc := base64.NewEncoder(base64.StdEncoding, w)
	n, err := io.Copy(enc, io.NewSectionReader(ra, 0, l.content.Size()+1))
	if err != nil {
		return err
	}
	if n != l.content.Size() {
		return fmt.Errorf("hub: %s changed size while it was being uploaded", l.content.Describe())
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err = io.WriteString(w, "\"}}\n")
	return err
}

// download fetches a small file's content.
func (c *Client) download(ctx context.Context, r Repo, revision, p string) ([]byte, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, url: c.endpoint + r.webPath() + "/resolve/" + rev(revision) + "/" + quotePath(p), auth: true, retry: true})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = io.Copy(&b, resp.Body)
	return b.Bytes(), err
}

// preuploadBatch asks the Hub how to upload one batch of additions and
// records the answers on them.
func (c *Client) preuploadBatch(ctx context.Context, u string, batch []*AddOp, gitIgnore *string) error {
	files := make([]map[string]any, len(batch))
	for i, a := range batch {
		files[i] = map[string]any{"path": a.PathInRepo, "sample": base64.StdEncoding.EncodeToString(a.sample), "size": a.size}
	}
	body := map[string]any{"files": files}
	if gitIgnore != nil {
		body["gitIgnore"] = *gitIgnore
	}
	var out struct {
		Files []struct {
			Path         string `json:"path"`
			UploadMode   string `json:"uploadMode"`
			ShouldIgnore bool   `json:"shouldIgnore"`
			OID          string `json:"oid"`
		} `json:"files"`
	}
	if err := c.sendJSON(ctx, http.MethodPost, u, body, &out, true); err != nil {
		if errors.Is(err, ErrRepoNotFound) {
			return fmt.Errorf("%w (creating a commit assumes the repo exists: create it first)", err)
		}
		return err
	}
	byPath := map[string]int{}
	for i, f := range out.Files {
		byPath[f.Path] = i
	}
	for _, a := range batch {
		i, ok := byPath[a.PathInRepo]
		if !ok {
			return fmt.Errorf("hub: preupload answer does not mention %s", a.PathInRepo)
		}
		f := out.Files[i]
		if f.UploadMode != "regular" && f.UploadMode != "lfs" {
			return fmt.Errorf("hub: preupload answer has an unknown upload mode %q for %s", f.UploadMode, a.PathInRepo)
		}
		a.mode, a.shouldIgnore, a.remoteOID = f.UploadMode, f.ShouldIgnore, f.OID
		if a.size == 0 {
			a.mode = "regular" // the Hub cannot store empty LFS objects
		}
	}
	return nil
}
