package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/wharfhub/wharf/wire"
)

// PreuploadLFSFiles uploads the LFS content of additions ahead of a
// commit, then drops their content (it is on the Hub now), so a program
// can produce large files one at a time and commit them all at once with
// CreateCommit. Regular files keep their content for the commit.
func (c *Client) PreuploadLFSFiles(ctx context.Context, r Repo, adds []*AddOp, opts *CommitOptions) error {
	if err := r.check(); err != nil {
		return err
	}
	var o CommitOptions
	if opts != nil {
		o = *opts
	}
	for _, a := range adds {
		p, err := normalizePath(a.PathInRepo, false)
		if err != nil {
			return err
		}
		a.PathInRepo = p
	}
	if err := c.preupload(ctx, r, adds, &o); err != nil {
		return err
	}
	if err := c.uploadLFS(ctx, r, adds, &o); err != nil {
		return err
	}
	for _, a := range adds {
		if a.mode == "lfs" && a.uploaded {
			release(a.Content)
			a.Content = nil
		}
	}
	return nil
}

// uploadLFS sends the content of LFS additions that the Hub lacks.
func (c *Client) uploadLFS(ctx context.Context, r Repo, adds []*AddOp, o *CommitOptions) error {
	var todo []*AddOp
	seen := map[string]bool{}
	for _, a := range adds {
		if a.mode != "lfs" || a.shouldIgnore || a.uploaded || a.remoteOID == a.sha256 {
			continue
		}
		if seen[a.sha256] {
			continue // same content twice: one upload
		}
		seen[a.sha256] = true
		todo = append(todo, a)
	}
	if len(todo) == 0 {
		markUploaded(adds)
		return nil
	}
	if c.xetEnabled() && !c.xet.refused.Load() {
		// As huggingface_hub 1.x/2.x with hf_xet: a Hub that hands out
		// CAS write tokens takes LFS content through Xet, without LFS
		// batch requests (files it holds already cost little: their
		// chunks are found by dedup, and registering them again is
		// harmless).
		tok := &casToken{c: c, refresh: c.writeTokenURL(r, o)}
		if _, err := tok.get(ctx); err == nil {
			if err := c.uploadXet(ctx, todo, tok, o); err != nil {
				return err
			}
			markUploaded(adds)
			return nil
		} else if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	transfers := semaphore(make(chan struct{}, c.opts.Workers))
	offer := []string{"basic", "multipart"}
	if c.xetEnabled() {
		offer = append(offer, "xet") // last: servers that pick the first they know still take basic
	}
	// Files the Hub wants through Xet are collected over all batches and
	// sent in one Xet session, so that small files share xorbs.
	var xetAdds []*AddOp
	var xetTok *casToken
	// Batch requests of 256 objects go out Workers at a time, ahead of the
	// uploads of earlier batches but never more than Workers batches ahead
	// of them (their actions' URLs expire).
	type batchCall struct {
		adds []*AddOp
		resp *wire.BatchResponse
		err  error
		done chan struct{}
	}
	var calls []*batchCall
	for start := 0; start < len(todo); start += 256 {
		calls = append(calls, &batchCall{adds: todo[start:min(start+256, len(todo))], done: make(chan struct{})})
	}
	var callers sync.WaitGroup
	defer callers.Wait()
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ahead := make(chan struct{}, c.opts.Workers)
	callers.Add(1)
	go func() {
		defer callers.Done()
		for _, call := range calls {
			select {
			case ahead <- struct{}{}:
			case <-bctx.Done():
				return
			}
			callers.Add(1)
			go func() {
				defer callers.Done()
				defer close(call.done)
				req := wire.BatchRequest{Operation: "upload", Transfers: offer, HashAlgo: "sha256"}
				if !o.CreatePR {
					name := o.Revision
					if name == "" {
						name = "main"
					}
					req.Ref = &wire.BatchRef{Name: name}
				}
				for _, a := range call.adds {
					req.Objects = append(req.Objects, wire.BatchObject{OID: a.sha256, Size: a.size})
				}
				call.resp, call.err = c.batch(bctx, r, &req)
			}()
		}
	}()
	for _, call := range calls {
		select {
		case <-call.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-ahead
		batch, resp, err := call.adds, call.resp, call.err
		if err != nil {
			return err
		}
		byOID := map[string]wire.BatchObject{}
		var errs []string
		for _, obj := range resp.Objects {
			if obj.Error != nil {
				errs = append(errs, fmt.Sprintf("%s: %d %s", obj.OID, obj.Error.Code, obj.Error.Message))
			}
			byOID[obj.OID] = obj
		}
		if len(errs) > 0 {
			return fmt.Errorf("hub: LFS batch API returned errors: %s", strings.Join(errs, "; "))
		}
		if resp.Transfer == "xet" {
			for _, a := range batch {
				obj, ok := byOID[a.sha256]
				if !ok {
					return fmt.Errorf("hub: LFS batch answer does not mention %s (%s)", a.sha256, a.PathInRepo)
				}
				up := obj.Actions["upload"]
				if up == nil {
					a.uploaded = true // already on the Hub
					continue
				}
				if xetTok == nil {
					xetTok = c.xetTokenFromAction(up)
				}
				xetAdds = append(xetAdds, a)
			}
			continue
		}
		if c.xetEnabled() {
			c.xet.refused.Store(true)
		}
		if o.Progress != nil {
			// Announce the whole batch first: g.Go blocks once Workers
			// transfers run, and a caller wants the total up front.
			for _, a := range batch {
				if obj, ok := byOID[a.sha256]; ok && obj.Actions != nil && obj.Actions["upload"] != nil {
					o.Progress(Progress{Path: a.PathInRepo, Total: a.size})
				}
			}
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(c.opts.Workers)
		for _, a := range batch {
			obj, ok := byOID[a.sha256]
			if !ok {
				return fmt.Errorf("hub: LFS batch answer does not mention %s (%s)", a.sha256, a.PathInRepo)
			}
			if obj.Actions == nil || obj.Actions["upload"] == nil {
				a.uploaded = true // already on the Hub
				continue
			}
			g.Go(func() error {
				if err := c.uploadObject(gctx, a, obj.Actions, transfers, o.Progress); err != nil {
					return fmt.Errorf("hub: upload %s: %w", a.PathInRepo, err)
				}
				a.uploaded = true
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
	}
	if len(xetAdds) > 0 {
		if err := c.uploadXet(ctx, xetAdds, xetTok, o); err != nil {
			return err
		}
	}
	markUploaded(adds)
	return nil
}

// markUploaded propagates "uploaded" to additions sharing content.
func markUploaded(adds []*AddOp) {
	done := map[string]bool{}
	for _, a := range adds {
		if a.uploaded || (a.mode == "lfs" && a.remoteOID == a.sha256) {
			done[a.sha256] = true
		}
	}
	for _, a := range adds {
		if a.mode == "lfs" && done[a.sha256] {
			a.uploaded = true
			a.xet, a.streamed = nil, nil // no longer needed
		}
	}
}

func (c *Client) batch(ctx context.Context, r Repo, req *wire.BatchRequest) (*wire.BatchResponse, error) {
	data, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, request{
		method: http.MethodPost, url: c.endpoint + r.webPath() + ".git/info/lfs/objects/batch", auth: true, retry: true,
		size: int64(len(data)), body: func() (io.Reader, error) { return bytes.NewReader(data), nil },
		header: http.Header{
			"Accept": {wire.LFSMediaType}, "Content-Type": {wire.LFSMediaType},
			// Wharf then lists only the parts still missing of an upload in
			// flight; other Hubs ignore it.
			"X-Wharf-Resume": {"1"},
		},
	})
	if err != nil {
		return nil, err
	}
	var out wire.BatchResponse
	if err := decodeJSON(resp, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

type semaphore chan struct{}

func (s semaphore) acquire(ctx context.Context) error {
	select {
	case s <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s semaphore) release() { <-s }

// progressReader reports bytes read.
type progressReader struct {
	r    io.Reader
	n    *atomic.Int64
	path string
	tot  int64
	fn   func(Progress)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 && p.fn != nil {
		p.fn(Progress{Path: p.path, Sent: p.n.Add(int64(n)), Total: p.tot})
	}
	return n, err
}

// uploadObject runs the basic or multipart transfer of one object, then
// its verify action.
func (c *Client) uploadObject(ctx context.Context, a *AddOp, actions map[string]*wire.BatchAction, transfers semaphore, progress func(Progress)) error {
	up := actions["upload"]
	ra, done, err := a.Content.ReaderAt()
	if err != nil {
		return err
	}
	defer done()
	var sent atomic.Int64
	section := func(off, n int64) func() (io.Reader, error) {
		return func() (io.Reader, error) {
			return &progressReader{r: io.NewSectionReader(ra, off, n), n: &sent, path: a.PathInRepo, tot: a.size, fn: progress}, nil
		}
	}
	if cs, ok := up.Header["chunk_size"]; ok {
		chunk, err := strconv.ParseInt(cs, 10, 64)
		if err != nil || chunk <= 0 {
			return fmt.Errorf("invalid chunk_size %q in the LFS batch answer", cs)
		}
		type part struct {
			n   int
			url string
		}
		var parts []part
		for k, v := range up.Header {
			if n, err := strconv.Atoi(k); err == nil && n > 0 {
				parts = append(parts, part{n, v})
			}
		}
		sort.Slice(parts, func(i, j int) bool { return parts[i].n < parts[j].n })
		total := int((a.size + chunk - 1) / chunk)
		if len(parts) > 0 && parts[len(parts)-1].n > total {
			return fmt.Errorf("the LFS batch answer lists part %d but %s has only %d", parts[len(parts)-1].n, a.PathInRepo, total)
		}
		etags := make([]string, len(parts))
		g, gctx := errgroup.WithContext(ctx)
		for i, p := range parts {
			g.Go(func() error {
				if err := transfers.acquire(gctx); err != nil {
					return err
				}
				defer transfers.release()
				off := int64(p.n-1) * chunk
				n := min(chunk, a.size-off)
				resp, err := c.do(gctx, request{method: http.MethodPut, url: p.url, body: section(off, n), size: n, retry: true})
				if err != nil {
					return fmt.Errorf("part %d: %w", p.n, err)
				}
				resp.Body.Close()
				etags[i] = resp.Header.Get("ETag")
				if etags[i] == "" {
					return fmt.Errorf("part %d: the server sent no ETag", p.n)
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		body := map[string]any{"oid": a.sha256}
		list := make([]map[string]any, len(parts))
		for i, p := range parts {
			list[i] = map[string]any{"partNumber": p.n, "etag": etags[i]}
		}
		body["parts"] = list
		data, _ := json.Marshal(body)
		resp, err := c.do(ctx, request{
			method: http.MethodPost, url: up.Href, retry: true, size: int64(len(data)),
			header: http.Header{"Accept": {wire.LFSMediaType}, "Content-Type": {wire.LFSMediaType}},
			body:   func() (io.Reader, error) { return bytes.NewReader(data), nil },
		})
		if err != nil {
			return fmt.Errorf("complete multipart upload: %w", err)
		}
		resp.Body.Close()
	} else {
		if err := transfers.acquire(ctx); err != nil {
			return err
		}
		resp, err := c.do(ctx, request{method: http.MethodPut, url: up.Href, body: func() (io.Reader, error) {
			sent.Store(0)
			return section(0, a.size)()
		}, size: a.size, retry: true})
		transfers.release()
		if err != nil {
			return err
		}
		resp.Body.Close()
	}
	if v := actions["verify"]; v != nil {
		data, _ := json.Marshal(map[string]any{"oid": a.sha256, "size": a.size})
		resp, err := c.do(ctx, request{
			method: http.MethodPost, url: v.Href, auth: true, retry: true, size: int64(len(data)),
			header: http.Header{"Accept": {wire.LFSMediaType}, "Content-Type": {wire.LFSMediaType}},
			body:   func() (io.Reader, error) { return bytes.NewReader(data), nil },
		})
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		resp.Body.Close()
	}
	return nil
}
