package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// lfs-enable-largefiles and lfs-multipart-upload: git-lfs pushes of files
// above the Hub's multipart threshold (5 GB on the Hub) go through wharf as
// a git-lfs custom transfer agent speaking the Hub's multipart protocol
// (PROTOCOL.md §9.1, git-lfs docs/custom-transfers.md).

// cmdLFSEnableLargefiles configures the clone at PATH to use this binary as
// the "multipart" custom transfer agent.
func cmdLFSEnableLargefiles(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("lfs-enable-largefiles", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: wharf lfs-enable-largefiles PATH\n\nConfigure the git clone at PATH to push LFS files larger than 5GB through wharf.")
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("expected one PATH, the git clone to configure: %w", errUsage)
	}
	dir, err := filepath.Abs(pos[0])
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("locate the wharf binary: %w", err)
	}
	if p, err := filepath.EvalSymlinks(self); err == nil {
		self = p
	}
	for _, kv := range [][2]string{
		{"lfs.customtransfer.multipart.path", self},
		{"lfs.customtransfer.multipart.args", "lfs-multipart-upload"},
	} {
		cmd := exec.CommandContext(ctx, "git", "config", kv[0], kv[1])
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			if errors.Is(err, exec.ErrNotFound) {
				return errors.New("git is not installed: install it (apt-get install git, brew install git, https://git-scm.com)")
			}
			return fmt.Errorf("git config %s in %s: %v: %s", kv[0], dir, err, strings.TrimSpace(string(out)))
		}
	}
	fmt.Fprintf(stdout, "Local repo %s set up for large files\n", dir)
	return nil
}

// Agent messages (git-lfs custom transfer protocol).
type lfsEvent struct {
	Event     string          `json:"event"`
	Operation string          `json:"operation,omitempty"`
	OID       string          `json:"oid,omitempty"`
	Size      int64           `json:"size,omitempty"`
	Path      string          `json:"path,omitempty"`
	Action    *lfsEventAction `json:"action,omitempty"`
}

type lfsEventAction struct {
	Href   string          `json:"href"`
	Header json.RawMessage `json:"header,omitempty"`
}

type lfsAgentError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// agent is one lfs-multipart-upload process. git-lfs sends it one event at
// a time on stdin and reads its answers on stdout.
type agent struct {
	ctx    context.Context
	client *http.Client
	out    *json.Encoder
	mu     sync.Mutex // serializes writes to out
	// parallel is the number of parts uploaded at once.
	parallel int
}

func (a *agent) send(v any) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.out.Encode(v)
}

// cmdLFSMultipartUpload is the custom transfer agent itself (hidden: git-lfs
// runs it, users don't).
func cmdLFSMultipartUpload(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	a := &agent{
		ctx:      ctx,
		client:   &http.Client{Transport: http.DefaultTransport},
		out:      json.NewEncoder(stdout),
		parallel: 4,
	}
	if v, err := strconv.Atoi(os.Getenv("WHARF_LFS_PARALLEL")); err == nil && v > 0 {
		a.parallel = v
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64<<10), 64<<20) // part URLs of a huge file make long lines
	initialized := false
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var ev lfsEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			return fmt.Errorf("lfs-multipart-upload: invalid message from git-lfs: %v", err)
		}
		switch ev.Event {
		case "init":
			if ev.Operation != "upload" {
				a.send(map[string]any{"error": lfsAgentError{Code: 32, Message: "Wrong lfs init operation"}})
				return fmt.Errorf("lfs-multipart-upload: only uploads are supported, not %q", ev.Operation)
			}
			initialized = true
			if err := a.send(struct{}{}); err != nil {
				return err
			}
		case "upload":
			if !initialized {
				return errors.New("lfs-multipart-upload: upload before init")
			}
			if err := a.upload(&ev); err != nil {
				// Report it for this object; git-lfs fails the push and
				// prints the message.
				if serr := a.send(map[string]any{"event": "complete", "oid": ev.OID, "error": lfsAgentError{Code: 2, Message: err.Error()}}); serr != nil {
					return serr
				}
				continue
			}
			if err := a.send(map[string]any{"event": "complete", "oid": ev.OID}); err != nil {
				return err
			}
		case "terminate":
			return nil
		default:
			return fmt.Errorf("lfs-multipart-upload: unexpected event %q", ev.Event)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("lfs-multipart-upload: read from git-lfs: %w", err)
	}
	return nil
}

type partETag struct {
	PartNumber int    `json:"partNumber"`
	ETag       string `json:"etag"`
}

// upload sends one object: in parts when the action carries chunk_size
// (HF multipart), otherwise with a single PUT of the whole file.
func (a *agent) upload(ev *lfsEvent) error {
	if ev.Action == nil || ev.Action.Href == "" {
		return errors.New("no upload action for " + ev.OID)
	}
	// The header is a JSON object: keep its keys, sort part numbers
	// numerically (git-lfs may reorder keys; the server zero-pads them).
	header := map[string]string{}
	if len(ev.Action.Header) > 0 {
		if err := json.Unmarshal(ev.Action.Header, &header); err != nil {
			return fmt.Errorf("invalid action header: %v", err)
		}
	}
	f, err := os.Open(ev.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	// Tell git-lfs the transfer started, so it starts other workers.
	a.send(map[string]any{"event": "progress", "oid": ev.OID, "bytesSoFar": 1, "bytesSinceLast": 0})

	cs, multipart := header["chunk_size"]
	if !multipart {
		if err := a.put(ev.Action.Href, header, io.NewSectionReader(f, 0, ev.Size), ev.Size, nil); err != nil {
			return err
		}
		return a.send(map[string]any{"event": "progress", "oid": ev.OID, "bytesSoFar": ev.Size, "bytesSinceLast": ev.Size})
	}
	chunk, err := strconv.ParseInt(cs, 10, 64)
	if err != nil || chunk <= 0 {
		return fmt.Errorf("invalid chunk_size %q", cs)
	}
	type part struct {
		n   int
		url string
	}
	var parts []part
	for k, v := range header {
		if n, err := strconv.Atoi(k); err == nil && n > 0 && isDigits(k) {
			parts = append(parts, part{n: n, url: v})
		}
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].n < parts[j].n })
	if want := int((ev.Size + chunk - 1) / chunk); len(parts) != want || (want > 0 && parts[len(parts)-1].n != want) {
		return fmt.Errorf("invalid server response to upload large LFS file: %d part URLs for %d parts", len(parts), want)
	}

	ctx, cancel := context.WithCancel(a.ctx)
	defer cancel()
	etags := make([]partETag, len(parts))
	var (
		mu       sync.Mutex
		firstErr error
		sent     int64
		wg       sync.WaitGroup
		sem      = make(chan struct{}, a.parallel)
	)
	for i, p := range parts {
		off := int64(p.n-1) * chunk
		size := min(chunk, ev.Size-off)
		sem <- struct{}{}
		if ctx.Err() != nil {
			<-sem
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			var etag string
			err := a.put(p.url, nil, io.NewSectionReader(f, off, size), size, &etag)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("part %d: %w", p.n, err)
					cancel()
				}
				return
			}
			etags[i] = partETag{PartNumber: p.n, ETag: etag}
			sent += size
			a.send(map[string]any{"event": "progress", "oid": ev.OID, "bytesSoFar": sent, "bytesSinceLast": size})
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	body, _ := json.Marshal(map[string]any{"oid": ev.OID, "parts": etags})
	return a.post(ev.Action.Href, body)
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// put uploads body with retries on transient failures; with etag set it
// requires and returns the ETag of the answer.
func (a *agent) put(url string, header map[string]string, body *io.SectionReader, size int64, etag *string) error {
	return a.retry(func() (bool, error) {
		req, err := http.NewRequestWithContext(a.ctx, http.MethodPut, url, io.NewSectionReader(body, 0, size))
		if err != nil {
			return false, err
		}
		req.ContentLength = size
		for k, v := range header {
			if !strings.EqualFold(k, "chunk_size") {
				req.Header.Set(k, v)
			}
		}
		resp, err := a.client.Do(req)
		if err != nil {
			return true, err
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		if resp.StatusCode/100 != 2 {
			return retryable(resp.StatusCode), fmt.Errorf("PUT: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
		}
		if etag != nil {
			*etag = resp.Header.Get("ETag")
			if *etag == "" {
				return false, errors.New("PUT: the answer has no ETag header")
			}
		}
		return false, nil
	})
}

// post sends the completion request.
func (a *agent) post(url string, body []byte) error {
	return a.retry(func() (bool, error) {
		req, err := http.NewRequestWithContext(a.ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return false, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := a.client.Do(req)
		if err != nil {
			return true, err
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		if resp.StatusCode/100 != 2 {
			return retryable(resp.StatusCode), fmt.Errorf("completing the upload: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
		}
		return false, nil
	})
}

func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}

// retry runs fn up to 4 times while it reports a transient failure.
func (a *agent) retry(fn func() (bool, error)) error {
	delay := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		again, err := fn()
		if err == nil || !again || attempt == 4 || a.ctx.Err() != nil {
			return err
		}
		select {
		case <-a.ctx.Done():
			return a.ctx.Err()
		case <-time.After(delay):
		}
		delay *= 2
	}
}
