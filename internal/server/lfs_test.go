package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/lfs"
	"github.com/wharfhub/wharf/internal/server"
	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/blob/blobtest"
	"github.com/wharfhub/wharf/internal/store/blob/local"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
	"github.com/wharfhub/wharf/wire"
)

const lfsMiB = 1 << 20

// lfsHub is a servertest hub whose server has a known signing key and
// temp dir (multipart staging lives in tmp/lfs-uploads), and which tracks
// server-side connection states so a test can wait for a handler that
// lost its client to finish.
type lfsHub struct {
	*servertest.Hub
	key     []byte
	tmp     string
	blobDir string

	mu     sync.Mutex
	states map[string]http.ConnState // by client address
}

func newLFSHub(t testing.TB, d sqltest.Dialect, tweak func(*server.Config)) *lfsHub {
	t.Helper()
	base := servertest.New(t, d)
	h := &lfsHub{key: []byte("lfs test signing key"), tmp: t.TempDir(), states: map[string]http.ConnState{}}
	h.blobDir = base.Blobs.Backend().(*local.Store).Dir()
	cfg := server.Config{Engine: base.Engine, Auth: base.Auth, Blobs: base.Blobs, TempDir: h.tmp, SigningKey: h.key}
	if tweak != nil {
		tweak(&cfg)
	}
	ts := httptest.NewUnstartedServer(server.New(cfg))
	ts.Config.ConnState = func(c net.Conn, s http.ConnState) {
		h.mu.Lock()
		h.states[c.RemoteAddr().String()] = s
		h.mu.Unlock()
	}
	ts.Start()
	t.Cleanup(ts.Close)
	hub := *base
	hub.URL, hub.Server, hub.Client = ts.URL, ts, ts.Client()
	h.Hub = &hub
	return h
}

// runLFS runs fn as a parallel subtest per SQL dialect.
func runLFS(t *testing.T, fn func(t *testing.T, h *lfsHub)) {
	t.Helper()
	for _, d := range sqltest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, newLFSHub(t, d, nil))
		})
	}
}

// waitClosed waits until the server has closed the connection from
// client address addr, that is until its handler has returned.
func (h *lfsHub) waitClosed(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		h.mu.Lock()
		s := h.states[addr]
		h.mu.Unlock()
		if s == http.StateClosed {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the server did not close the connection from %s", addr)
}

// createRepo creates a repo with an LFS multipart threshold (0: default).
func (h *lfsHub) createRepo(t testing.TB, token, r string, private bool, thresh int64) {
	t.Helper()
	typ, id := servertest.SplitRepo(r)
	ns, name, _ := strings.Cut(id, "/")
	body := map[string]any{"name": name, "organization": ns, "type": string(typ), "private": private}
	if thresh > 0 {
		body["lfsmultipartthresh"] = thresh
	}
	h.JSON(t, http.MethodPost, "/api/repos/create", token, body, http.StatusOK, nil)
}

// lfsClient is the batch request dialect of one client.
type lfsClient struct {
	name      string
	transfers []string
	hashAlgo  string
	ref       string // "" leaves ref out
	gitLFS    bool   // Basic auth with the token as password
	verify    bool   // calls the verify action
}

var (
	lfsPython     = lfsClient{name: "huggingface_hub 0.36", transfers: []string{"basic", "multipart"}, hashAlgo: "sha256", ref: "main", verify: true}
	lfsPython1Xet = lfsClient{name: "huggingface_hub 1.x with hf_xet", transfers: []string{"basic", "multipart", "xet"}, hashAlgo: "sha256", ref: "main", verify: true}
	lfsJS         = lfsClient{name: "huggingface.js", transfers: []string{"basic", "multipart", "xet"}, hashAlgo: "sha_256"}
	lfsGit        = lfsClient{name: "git-lfs", transfers: []string{"lfs-standalone-file", "basic", "ssh"}, hashAlgo: "sha256", ref: "refs/heads/main", gitLFS: true, verify: true}
)

func (c lfsClient) body(op string, objs ...wire.BatchObject) map[string]any {
	list := make([]map[string]any, len(objs))
	for i, o := range objs {
		list[i] = map[string]any{"oid": o.OID, "size": o.Size}
	}
	b := map[string]any{"operation": op, "transfers": c.transfers, "objects": list, "hash_algo": c.hashAlgo}
	if c.ref != "" {
		b["ref"] = map[string]string{"name": c.ref}
	}
	return b
}

// auth returns the Do token and header pairs that authenticate as token.
func (c lfsClient) auth(token string) (string, []string) {
	if c.gitLFS && token != "" {
		return "", []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:"+token))}
	}
	return token, nil
}

func lfsBatchPath(r string) string { return servertest.Web(r) + ".git/info/lfs/objects/batch" }

// batchRaw posts a batch request as client c and returns the response.
func (h *lfsHub) batchRaw(t testing.TB, c lfsClient, token, r string, body any, hdr ...string) *http.Response {
	t.Helper()
	tok, auth := c.auth(token)
	hdr = append(append(auth, "Content-Type", wire.LFSMediaType, "Accept", wire.LFSMediaType), hdr...)
	return h.Do(t, http.MethodPost, lfsBatchPath(r), tok, body, hdr...)
}

// batch posts a batch request and decodes its 200 answer.
func (h *lfsHub) batch(t testing.TB, c lfsClient, token, r, op string, objs []wire.BatchObject, hdr ...string) wire.BatchResponse {
	t.Helper()
	resp := h.batchRaw(t, c, token, r, c.body(op, objs...), hdr...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s batch %s on %s: status %d; body %s", c.name, op, r, resp.StatusCode, servertest.Body(resp))
	}
	if ct := resp.Header.Get("Content-Type"); ct != wire.LFSMediaType {
		t.Errorf("batch answer Content-Type %q, want %q", ct, wire.LFSMediaType)
	}
	var out wire.BatchResponse
	if err := json.Unmarshal(servertest.Body(resp), &out); err != nil {
		t.Fatalf("decode batch answer: %v; body %s", err, servertest.Body(resp))
	}
	if len(out.Objects) != len(objs) {
		t.Fatalf("batch answer has %d objects, want %d", len(out.Objects), len(objs))
	}
	for i, o := range out.Objects {
		if o.OID != objs[i].OID {
			t.Fatalf("answer object %d is %s, want %s", i, o.OID, objs[i].OID)
		}
	}
	return out
}

func lfsObj(data []byte) wire.BatchObject {
	return wire.BatchObject{OID: servertest.SHA256(data), Size: int64(len(data))}
}

// transfer sends a request to a signed transfer URL as the clients do: no
// Authorization. size < 0 sends the body chunked.
func (h *lfsHub) transfer(t testing.TB, method, href string, body io.Reader, size int64, hdr ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, href, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.ContentLength = size
		if size < 0 {
			req.Body = io.NopCloser(body) // hide the length from net/http
			req.ContentLength = -1
		}
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := h.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, href, err)
	}
	servertest.Body(resp)
	return resp
}

func lfsWantStatus(t testing.TB, what string, resp *http.Response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s: status %d, want %d; body %s", what, resp.StatusCode, want, servertest.Body(resp))
	}
}

func lfsWant4xx(t *testing.T, what string, resp *http.Response) {
	t.Helper()
	if resp.StatusCode < 400 || resp.StatusCode > 499 {
		t.Fatalf("%s: status %d, want 4xx; body %s", what, resp.StatusCode, servertest.Body(resp))
	}
}

// uploadBasic runs the basic transfer of data as client c: PUT, then
// verify when the client does.
func (h *lfsHub) uploadBasic(t *testing.T, c lfsClient, token string, o wire.BatchObject, data []byte) {
	t.Helper()
	up := o.Actions["upload"]
	if up == nil || up.Header["chunk_size"] != "" {
		t.Fatalf("%s: no basic upload action: %+v", o.OID, o.Actions)
	}
	if up.Header["Authorization"] != "" {
		t.Errorf("basic upload action carries an Authorization header: clients ignore it")
	}
	var hdr []string
	if c.name == lfsJS.name {
		hdr = []string{"X-Request-Id", "js-request"}
	}
	lfsWantStatus(t, "PUT "+o.OID, h.transfer(t, http.MethodPut, up.Href, bytes.NewReader(data), int64(len(data)), hdr...), http.StatusOK)
	if c.verify {
		h.verify(t, c, token, o, http.StatusOK)
	}
}

// verify calls the verify action as client c.
func (h *lfsHub) verify(t *testing.T, c lfsClient, token string, o wire.BatchObject, want int) {
	t.Helper()
	v := o.Actions["verify"]
	if v == nil {
		t.Fatalf("%s: no verify action", o.OID)
	}
	body, _ := json.Marshal(map[string]any{"oid": o.OID, "size": o.Size})
	tok, auth := c.auth(token)
	hdr := append(auth, "Accept", wire.LFSMediaType, "Content-Type", wire.LFSMediaType)
	for k, val := range v.Header { // git-lfs sends the action's header
		hdr = append(hdr, k, val)
	}
	lfsWantStatus(t, "verify "+o.OID, h.Do(t, http.MethodPost, v.Href, tok, servertest.Raw{ContentType: wire.LFSMediaType, Data: body}, hdr...), want)
}

// lfsMultipart is a multipart upload action.
type lfsMultipart struct {
	complete  string
	chunkSize int64
	parts     map[int]string
}

func parseLFSMultipart(t testing.TB, o wire.BatchObject) lfsMultipart {
	t.Helper()
	up := o.Actions["upload"]
	if up == nil || up.Header["chunk_size"] == "" {
		t.Fatalf("%s: no multipart upload action: %+v", o.OID, o.Actions)
	}
	m := lfsMultipart{complete: up.Href, parts: map[int]string{}}
	var err error
	if m.chunkSize, err = strconv.ParseInt(up.Header["chunk_size"], 10, 64); err != nil || m.chunkSize <= 0 {
		t.Fatalf("chunk_size %q", up.Header["chunk_size"])
	}
	for k, v := range up.Header {
		if k == "chunk_size" {
			continue
		}
		// As huggingface_hub: keys that are all digits are part numbers.
		n, err := strconv.Atoi(k)
		if err != nil || n < 1 {
			t.Fatalf("multipart header key %q is not a part number", k)
		}
		m.parts[n] = v
	}
	return m
}

func (m lfsMultipart) numbers() []int {
	ns := make([]int, 0, len(m.parts))
	for n := range m.parts {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}

func (m lfsMultipart) slice(data []byte, n int) []byte {
	off := int64(n-1) * m.chunkSize
	return data[off:min(off+m.chunkSize, int64(len(data)))]
}

// putParts PUTs parts ns of data, all at once, and returns their ETags.
func (h *lfsHub) putParts(t *testing.T, m lfsMultipart, data []byte, ns []int) map[int]string {
	t.Helper()
	etags := map[int]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, len(ns))
	for _, n := range ns {
		wg.Go(func() {
			body := m.slice(data, n)
			req, _ := http.NewRequest(http.MethodPut, m.parts[n], bytes.NewReader(body))
			resp, err := h.Client.Do(req)
			if err != nil {
				errs <- err
				return
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				errs <- fmt.Errorf("part %d: status %d: %s", n, resp.StatusCode, msg)
				return
			}
			etag := resp.Header.Get("ETag")
			if etag == "" {
				errs <- fmt.Errorf("part %d: no ETag", n)
				return
			}
			mu.Lock()
			etags[n] = etag
			mu.Unlock()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return etags
}

// complete POSTs a completion as huggingface_hub does: LFS headers, no
// Authorization, parts in ascending order with the ETags verbatim.
func (h *lfsHub) complete(t *testing.T, m lfsMultipart, oid string, etags map[int]string) *http.Response {
	t.Helper()
	var parts []map[string]any
	for _, n := range slices.Sorted(maps.Keys(etags)) {
		parts = append(parts, map[string]any{"partNumber": n, "etag": etags[n]})
	}
	body, _ := json.Marshal(map[string]any{"oid": oid, "parts": parts})
	return h.transfer(t, http.MethodPost, m.complete, bytes.NewReader(body), int64(len(body)),
		"Accept", wire.LFSMediaType, "Content-Type", wire.LFSMediaType)
}

func (h *lfsHub) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := h.DB.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// files lists the regular files under dir (recursively), "" if none.
func lfsFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wantNothing checks that oid was not published: not in the blob store,
// not recorded, not linked, and no staged data is left.
func (h *lfsHub) wantNothing(t *testing.T, oid string) {
	t.Helper()
	if _, err := h.Blobs.Stat(t.Context(), oid); !errors.Is(err, blob.ErrNotExist) {
		t.Errorf("blob %s: Stat error %v, want ErrNotExist", oid, err)
	}
	if n := h.count(t, `SELECT COUNT(*) FROM lfs_objects WHERE oid = $1`, oid); n != 0 {
		t.Errorf("%s has an lfs_objects row", oid)
	}
	if n := h.count(t, `SELECT COUNT(*) FROM repo_lfs WHERE oid = $1`, oid); n != 0 {
		t.Errorf("%s has a repo_lfs row", oid)
	}
	if f := lfsFiles(t, filepath.Join(h.blobDir, "tmp")); len(f) != 0 {
		t.Errorf("staged blob files left: %v", f)
	}
}

// wantLinked checks that batch sees data as already uploaded to r.
func (h *lfsHub) wantLinked(t *testing.T, token, r string, data []byte) {
	t.Helper()
	resp := h.batch(t, lfsPython, token, r, "upload", []wire.BatchObject{lfsObj(data)})
	if a := resp.Objects[0].Actions; a != nil {
		t.Fatalf("%s in %s: actions %v, want none (already uploaded)", lfsObj(data).OID, r, a)
	}
}

// wantNoStaging checks that no multipart upload holds parts or staged
// data (completed uploads keep their row until they expire).
func (h *lfsHub) wantNoStaging(t *testing.T) {
	t.Helper()
	if n := h.count(t, `SELECT COUNT(*) FROM lfs_upload_parts`); n != 0 {
		t.Errorf("%d multipart part rows left", n)
	}
	if f := lfsFiles(t, filepath.Join(h.tmp, "lfs-uploads")); len(f) != 0 {
		t.Errorf("staging files left: %v", f)
	}
}

// --- 1. Batch request shapes ---

func TestLFSBatchClientDialects(t *testing.T) {
	runLFS(t, func(t *testing.T, h *lfsHub) {
		h.createRepo(t, h.Alice, "alice/m", false, lfsMiB)
		for i, c := range []lfsClient{lfsPython, lfsPython1Xet, lfsJS, lfsGit} {
			small := blobtest.Data(uint64(100+i), 1000+i)
			big := blobtest.Data(uint64(200+i), 2*lfsMiB+i)
			objs := []wire.BatchObject{lfsObj(small), lfsObj(big)}
			resp := h.batch(t, c, h.Alice, "alice/m", "upload", objs)
			if slices.Contains(c.transfers, "xet") {
				// Offered Xet, the client gets it: the write-token endpoint
				// as href and a CAS token in the headers (xet_test.go
				// uploads through it).
				if resp.Transfer != "xet" {
					t.Errorf("%s: transfer %q, want xet", c.name, resp.Transfer)
				}
				for _, o := range resp.Objects {
					up := o.Actions["upload"]
					if up == nil || !strings.HasSuffix(up.Href, "/api/models/alice/m/xet-write-token/main") ||
						up.Header["X-Xet-Access-Token"] == "" || up.Header["X-Xet-Cas-Url"] == "" {
						t.Errorf("%s: upload action %+v, want the xet-write-token href and X-Xet headers", c.name, up)
					}
				}
				continue
			}
			if resp.Transfer != "basic" && resp.Transfer != "multipart" {
				t.Errorf("%s: transfer %q, want basic or multipart (never xet)", c.name, resp.Transfer)
			}
			for _, o := range resp.Objects {
				if o.Error != nil {
					t.Fatalf("%s: object error %+v", c.name, o.Error)
				}
				for name, a := range o.Actions {
					for k := range a.Header {
						if strings.HasPrefix(strings.ToLower(k), "x-xet") {
							t.Errorf("%s: %s action has Xet header %s", c.name, name, k)
						}
					}
				}
			}
			if slices.Contains(c.transfers, "multipart") {
				// One object needs multipart, so the batch is multipart:
				// the small object comes as a single part too.
				if resp.Transfer != "multipart" {
					t.Errorf("%s: transfer %q, want multipart", c.name, resp.Transfer)
				}
				for i, data := range [][]byte{small, big} {
					m := parseLFSMultipart(t, resp.Objects[i])
					etags := h.putParts(t, m, data, m.numbers())
					lfsWantStatus(t, c.name+" completion", h.complete(t, m, objs[i].OID, etags), http.StatusOK)
					if c.verify {
						h.verify(t, c, h.Alice, resp.Objects[i], http.StatusOK)
					}
				}
			} else {
				h.uploadBasic(t, c, h.Alice, resp.Objects[0], small)
				// git-lfs without the custom agent gets basic for any size
				// up to 5 GB.
				h.uploadBasic(t, c, h.Alice, resp.Objects[1], big)
			}
			again := h.batch(t, c, h.Alice, "alice/m", "upload", objs)
			for _, o := range again.Objects {
				if o.Actions != nil {
					t.Errorf("%s: %s uploaded but the batch still has actions", c.name, o.OID)
				}
			}
		}
		h.wantNoStaging(t)
	})
}

func TestLFSBatchLimitsAndErrors(t *testing.T) {
	runLFS(t, func(t *testing.T, h *lfsHub) {
		h.createRepo(t, h.Alice, "alice/m", false, 0)
		objs := func(n int) []wire.BatchObject {
			out := make([]wire.BatchObject, n)
			for i := range out {
				out[i] = wire.BatchObject{OID: fmt.Sprintf("%064x", i+1), Size: int64(i + 1)}
			}
			return out
		}

		// 256 objects: the Python client's batch size.
		resp := h.batch(t, lfsPython, h.Alice, "alice/m", "upload", objs(256))
		for _, o := range resp.Objects {
			if o.Error != nil || o.Actions["upload"] == nil {
				t.Fatalf("object %s: %+v, want an upload action", o.OID, o)
			}
		}

		// Over the limit.
		r := h.batchRaw(t, lfsPython, h.Alice, "alice/m", lfsPython.body("upload", objs(wire.MaxBatchObjects+1)...))
		lfsWantStatus(t, "too many objects", r, http.StatusRequestEntityTooLarge)

		// A bad oid is an error of that object only.
		good := lfsObj([]byte("good"))
		resp = h.batch(t, lfsPython, h.Alice, "alice/m", "upload", []wire.BatchObject{
			{OID: "not-a-sha256", Size: 3}, good, {OID: good.OID, Size: -1}})
		if e := resp.Objects[0].Error; e == nil || e.Code != 422 || resp.Objects[0].Actions != nil {
			t.Errorf("bad oid: %+v, want a 422 object error", resp.Objects[0])
		}
		if resp.Objects[1].Error != nil || resp.Objects[1].Actions["upload"] == nil {
			t.Errorf("good object next to a bad one: %+v", resp.Objects[1])
		}
		if e := resp.Objects[2].Error; e == nil || e.Code != 422 {
			t.Errorf("negative size: %+v, want a 422 object error", resp.Objects[2])
		}

		// Request errors.
		body := lfsPython.body("upload", good)
		body["operation"] = "lock"
		lfsWantStatus(t, "unknown operation", h.batchRaw(t, lfsPython, h.Alice, "alice/m", body), http.StatusBadRequest)
		body = lfsPython.body("upload", good)
		body["hash_algo"] = "md5"
		lfsWantStatus(t, "md5", h.batchRaw(t, lfsPython, h.Alice, "alice/m", body), http.StatusBadRequest)
		lfsWantStatus(t, "not JSON", h.batchRaw(t, lfsPython, h.Alice, "alice/m", servertest.Raw{ContentType: wire.LFSMediaType, Data: []byte("{")}), http.StatusBadRequest)

		// Authentication: git-lfs needs a 401 with LFS-Authenticate to ask
		// for credentials.
		r = h.batchRaw(t, lfsPython, "", "alice/m", lfsPython.body("upload", good))
		lfsWantStatus(t, "anonymous upload", r, http.StatusUnauthorized)
		if r.Header.Get("LFS-Authenticate") == "" {
			t.Errorf("anonymous upload: no LFS-Authenticate header")
		}
		lfsWantStatus(t, "read token upload", h.batchRaw(t, lfsPython, h.Carol, "alice/m", lfsPython.body("upload", good)), http.StatusForbidden)
		lfsWantStatus(t, "wrong Basic password", h.batchRaw(t, lfsGit, "hf_wrong", "alice/m", lfsGit.body("upload", good)), http.StatusUnauthorized)
		r = h.batchRaw(t, lfsGit, "", "alice/m", lfsGit.body("download", good))
		lfsWantStatus(t, "anonymous download on a public repo", r, http.StatusOK)
		lfsWantStatus(t, "missing repo", h.batchRaw(t, lfsPython, h.Alice, "alice/nope", lfsPython.body("upload", good)), http.StatusNotFound)
	})
}

// --- 2. Already uploaded, and what "already" means across repos ---

func TestLFSBatchAlreadyLinked(t *testing.T) {
	runLFS(t, func(t *testing.T, h *lfsHub) {
		h.createRepo(t, h.Alice, "alice/m", false, 0)
		data := []byte("already here")
		h.PutLFS(t, "alice/m", data)
		r := h.batchRaw(t, lfsPython, h.Alice, "alice/m", lfsPython.body("upload", lfsObj(data)))
		lfsWantStatus(t, "batch", r, http.StatusOK)
		// The clients test for a missing (or null) "actions".
		var raw struct {
			Objects []map[string]json.RawMessage `json:"objects"`
		}
		if err := json.Unmarshal(servertest.Body(r), &raw); err != nil {
			t.Fatal(err)
		}
		if a, ok := raw.Objects[0]["actions"]; ok && string(a) != "null" {
			t.Fatalf("stored and linked object has actions %s", a)
		}
	})
}

func TestLFSBatchStoredElsewhere(t *testing.T) {
	runLFS(t, func(t *testing.T, h *lfsHub) {
		h.createRepo(t, h.Alice, "alice/m", false, 0)
		h.createRepo(t, h.Bob, "bob/secret", true, 0)
		data := blobtest.Data(1, 5000)
		o := lfsObj(data)

		// Bob uploads to his private repo.
		resp := h.batch(t, lfsPython, h.Bob, "bob/secret", "upload", []wire.BatchObject{o})
		h.uploadBasic(t, lfsPython, h.Bob, resp.Objects[0], data)
		h.wantLinked(t, h.Bob, "bob/secret", data)

		// To Alice, the object is not there: she must upload it.
		resp = h.batch(t, lfsPython, h.Alice, "alice/m", "upload", []wire.BatchObject{o})
		if resp.Objects[0].Actions["upload"] == nil {
			t.Fatalf("object stored only in a private repo of another user: actions %v, want an upload", resp.Objects[0].Actions)
		}
		dl := h.batch(t, lfsPython, h.Alice, "alice/m", "download", []wire.BatchObject{o})
		if e := dl.Objects[0].Error; e == nil || e.Code != 404 || dl.Objects[0].Actions != nil {
			t.Errorf("download of an object not linked here: %+v, want a 404 object error", dl.Objects[0])
		}
		lfsWantStatus(t, "batch on bob's private repo", h.batchRaw(t, lfsPython, h.Alice, "bob/secret", lfsPython.body("download", o)), http.StatusNotFound)
		r := h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.Lines(servertest.Header("steal", ""), servertest.LFSFile("x.bin", o.OID, o.Size)))
		lfsWant4xx(t, "commit naming an object not uploaded here", r)
		// Knowing the hash is not enough: the PUT must carry the bytes.
		wrong := blobtest.Data(2, len(data))
		up := resp.Objects[0].Actions["upload"].Href
		lfsWantStatus(t, "PUT of other bytes", h.transfer(t, http.MethodPut, up, bytes.NewReader(wrong), int64(len(wrong))), http.StatusUnprocessableEntity)
		h.verify(t, lfsPython, h.Alice, resp.Objects[0], http.StatusNotFound)

		// Once she uploads it, it is linked to her repo too.
		h.uploadBasic(t, lfsPython, h.Alice, resp.Objects[0], data)
		h.wantLinked(t, h.Alice, "alice/m", data)
		h.Commit(t, h.Alice, "alice/m", "main", servertest.LFSFile("x.bin", o.OID, o.Size))
		if got := h.Download(t, h.Alice, "alice/m", "main", "x.bin"); !bytes.Equal(got, data) {
			t.Fatalf("download: %d bytes differ", len(got))
		}
		if n := len(lfsFiles(t, filepath.Join(h.blobDir, "objects"))); n != 1 {
			t.Errorf("%d stored objects, want 1", n)
		}
	})
}

// --- 3. Basic transfer ---

func TestLFSBasicUploadCommitDownload(t *testing.T) {
	runLFS(t, func(t *testing.T, h *lfsHub) {
		h.createRepo(t, h.Alice, "alice/m", false, 0)
		data := blobtest.Data(3, 300_000)
		o := lfsObj(data)
		resp := h.batch(t, lfsPython, h.Alice, "alice/m", "upload", []wire.BatchObject{o})
		if resp.Transfer != "basic" {
			t.Errorf("transfer %q, want basic", resp.Transfer)
		}
		h.uploadBasic(t, lfsPython, h.Alice, resp.Objects[0], data)
		h.Commit(t, h.Alice, "alice/m", "main", servertest.LFSFile("weights/model.bin", o.OID, o.Size))
		if got := h.Download(t, h.Alice, "alice/m", "main", "weights/model.bin"); !bytes.Equal(got, data) {
			t.Fatalf("resolve: %d bytes differ from the %d uploaded", len(got), len(data))
		}
		// A chunked PUT works too (the Python client may stream).
		data2 := blobtest.Data(4, 70_000)
		resp = h.batch(t, lfsPython, h.Alice, "alice/m", "upload", []wire.BatchObject{lfsObj(data2)})
		lfsWantStatus(t, "chunked PUT", h.transfer(t, http.MethodPut, resp.Objects[0].Actions["upload"].Href, bytes.NewReader(data2), -1), http.StatusOK)
		h.wantLinked(t, h.Alice, "alice/m", data2)
	})
}

func TestLFSBasicUploadRejected(t *testing.T) {
	runLFS(t, func(t *testing.T, h *lfsHub) {
		h.createRepo(t, h.Alice, "alice/m", false, 0)
		data := blobtest.Data(5, 100_000)
		o := lfsObj(data)
		resp := h.batch(t, lfsPython, h.Alice, "alice/m", "upload", []wire.BatchObject{o})
		href := resp.Objects[0].Actions["upload"].Href
		long := append(slices.Clone(data), 'x')
		for _, tc := range []struct {
			name string
			body []byte
			size int64 // Content-Length; -1 chunked
			want int   // 0: any 4xx
		}{
			{"wrong hash", blobtest.Data(6, len(data)), int64(len(data)), http.StatusUnprocessableEntity},
			{"wrong hash chunked", blobtest.Data(6, len(data)), -1, http.StatusUnprocessableEntity},
			{"short body", data[:len(data)-1], int64(len(data) - 1), 0},
			{"long body", long, int64(len(long)), 0},
			{"short body chunked", data[:len(data)-1], -1, 0},
			{"long body chunked", long, -1, 0},
			{"empty body", nil, 0, 0},
		} {
			r := h.transfer(t, http.MethodPut, href, bytes.NewReader(tc.body), tc.size)
			if tc.want != 0 {
				lfsWantStatus(t, tc.name, r, tc.want)
			} else {
				lfsWant4xx(t, tc.name, r)
			}
			h.wantNothing(t, o.OID)
		}
		h.verify(t, lfsPython, h.Alice, resp.Objects[0], http.StatusNotFound)
		r := h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.Lines(servertest.Header("c", ""), servertest.LFSFile("x.bin", o.OID, o.Size)))
		lfsWant4xx(t, "commit of a rejected upload", r)
		// The URL still works for the right bytes.
		h.uploadBasic(t, lfsPython, h.Alice, resp.Objects[0], data)
	})
}

func TestLFSSignedURLsRejected(t *testing.T) {
	runLFS(t, func(t *testing.T, h *lfsHub) {
		h.createRepo(t, h.Alice, "alice/m", false, 2*lfsMiB)
		small := blobtest.Data(7, 1000)
		big := blobtest.Data(8, 2*lfsMiB)
		resp := h.batch(t, lfsPython, h.Alice, "alice/m", "upload", []wire.BatchObject{lfsObj(small)})
		up := resp.Objects[0].Actions["upload"].Href
		m := parseLFSMultipart(t, h.batch(t, lfsPython, h.Alice, "alice/m", "upload", []wire.BatchObject{lfsObj(big)}).Objects[0])

		tamper := func(href string, f func(q url.Values, u *url.URL)) string {
			u, _ := url.Parse(href)
			q := u.Query()
			f(q, u)
			u.RawQuery = q.Encode()
			return u.String()
		}
		flipSig := func(q url.Values, _ *url.URL) {
			s := []byte(q.Get("sig"))
			s[0] ^= 1
			q.Set("sig", string(s))
		}
		laterExp := func(q url.Values, _ *url.URL) {
			e, _ := strconv.ParseInt(q.Get("exp"), 10, 64)
			q.Set("exp", strconv.FormatInt(e+3600, 10))
		}
		noSig := func(q url.Values, _ *url.URL) { q.Del("sig") }
		otherSize := func(_ url.Values, u *url.URL) {
			u.Path = strings.TrimSuffix(u.Path, "/1000") + "/999"
		}
		for name, href := range map[string]string{
			"flipped sig":      tamper(up, flipSig),
			"later exp":        tamper(up, laterExp),
			"no sig":           tamper(up, noSig),
			"other size":       tamper(up, otherSize),
			"part flipped sig": tamper(m.parts[1], flipSig),
			"part other part":  tamper(m.parts[1], func(_ url.Values, u *url.URL) { u.Path = strings.TrimSuffix(u.Path, "/1") + "/2" }),
		} {
			body := small
			if strings.HasPrefix(name, "part") {
				body = m.slice(big, 1)
			}
			if name == "other size" {
				body = small[:999]
			}
			r := h.transfer(t, http.MethodPut, href, bytes.NewReader(body), int64(len(body)))
			lfsWantStatus(t, name, r, http.StatusForbidden)
		}
		lfsWantStatus(t, "completion, later exp", h.complete(t, lfsMultipart{complete: tamper(m.complete, laterExp)}, lfsObj(big).OID, nil), http.StatusForbidden)
		vr := resp.Objects[0]
		vr.Actions = map[string]*wire.BatchAction{"verify": {Href: tamper(vr.Actions["verify"].Href, flipSig)}}
		h.verify(t, lfsPython, h.Alice, vr, http.StatusForbidden)
		lfsWantStatus(t, "GET on an upload URL", h.transfer(t, http.MethodGet, up, nil, 0), http.StatusMethodNotAllowed)

		// Expired: a URL signed with the server's key, in the past.
		signer := lfs.New(lfs.Config{Key: h.key})
		u, _ := url.Parse(up)
		expired := h.URL + u.Path + "?" + signer.Sign(http.MethodPut, u.Path, time.Now().Add(-time.Minute))
		r := h.transfer(t, http.MethodPut, expired, bytes.NewReader(small), int64(len(small)))
		lfsWantStatus(t, "expired URL", r, http.StatusForbidden)
		if !strings.Contains(string(servertest.Body(r)), "expired") {
			t.Errorf("expired URL: body %s does not say it expired", servertest.Body(r))
		}
		// The same path signed for the future is accepted: the key is right.
		fresh := h.URL + u.Path + "?" + signer.Sign(http.MethodPut, u.Path, time.Now().Add(time.Minute))
		lfsWantStatus(t, "freshly signed URL", h.transfer(t, http.MethodPut, fresh, bytes.NewReader(small), int64(len(small))), http.StatusOK)
		h.wantNothing(t, lfsObj(big).OID)
	})
}

// A client that disconnects in the middle of a PUT body publishes nothing
// and leaves no staged file.
func TestLFSBasicUploadConnectionCut(t *testing.T) {
	runLFS(t, func(t *testing.T, h *lfsHub) {
		h.createRepo(t, h.Alice, "alice/m", false, 0)
		data := blobtest.Data(9, 4*lfsMiB)
		o := lfsObj(data)
		resp := h.batch(t, lfsPython, h.Alice, "alice/m", "upload", []wire.BatchObject{o})
		href := resp.Objects[0].Actions["upload"].Href

		addr := h.cutPUT(t, href, data, len(data)/2, func() bool { return len(lfsFiles(t, filepath.Join(h.blobDir, "tmp"))) > 0 })
		h.waitClosed(t, addr)
		h.wantNothing(t, o.OID)
		h.verify(t, lfsPython, h.Alice, resp.Objects[0], http.StatusNotFound)

		// The same URL then works.
		h.uploadBasic(t, lfsPython, h.Alice, resp.Objects[0], data)
		h.wantLinked(t, h.Alice, "alice/m", data)
	})
}

// cutPUT sends a PUT of data to href over a raw connection, announcing
// len(data) bytes but sending only send of them; once busy() is true (or
// after a while) it closes the connection. It returns the client address.
func (h *lfsHub) cutPUT(t *testing.T, href string, data []byte, send int, busy func() bool) string {
	t.Helper()
	u, err := url.Parse(href)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nContent-Type: application/octet-stream\r\n\r\n", u.RequestURI(), u.Host, len(data))
	if _, err := conn.Write(data[:send]); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); !busy() && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	return conn.LocalAddr().String()
}

// --- 4. Multipart transfer ---

func TestLFSMultipartUpload(t *testing.T) {
	runLFS(t, func(t *testing.T, h *lfsHub) {
		h.createRepo(t, h.Alice, "alice/m", false, lfsMiB)
		data := blobtest.Data(10, 7*lfsMiB+lfsMiB/2)
		o := lfsObj(data)
		resp := h.batch(t, lfsPython, h.Alice, "alice/m", "upload", []wire.BatchObject{o})
		if resp.Transfer != "multipart" {
			t.Errorf("transfer %q, want multipart", resp.Transfer)
		}
		m := parseLFSMultipart(t, resp.Objects[0])
		if m.chunkSize != lfsMiB || !slices.Equal(m.numbers(), []int{1, 2, 3, 4, 5, 6, 7, 8}) {
			t.Fatalf("chunk %d, parts %v; want 1 MiB and 1..8", m.chunkSize, m.numbers())
		}
		if resp.Objects[0].Actions["verify"] == nil {
			t.Errorf("no verify action")
		}
		ns := m.numbers()
		slices.Reverse(ns)
		etags := h.putParts(t, m, data, ns)
		lfsWantStatus(t, "completion", h.complete(t, m, o.OID, etags), http.StatusOK)
		h.verify(t, lfsPython, h.Alice, resp.Objects[0], http.StatusOK)
		h.wantNoStaging(t)
		h.Commit(t, h.Alice, "alice/m", "main", servertest.LFSFile("big.bin", o.OID, o.Size))
		if got := h.Download(t, h.Alice, "alice/m", "main", "big.bin"); !bytes.Equal(got, data) {
			t.Fatalf("resolve: %d bytes differ from the %d uploaded", len(got), len(data))
		}
	})
}

func TestLFSMultipartCompletionErrors(t *testing.T) {
	runLFS(t, func(t *testing.T, h *lfsHub) {
		h.createRepo(t, h.Alice, "alice/m", false, lfsMiB)
		data := blobtest.Data(11, 5*lfsMiB+17)
		o := lfsObj(data)
		m := parseLFSMultipart(t, h.batch(t, lfsPython, h.Alice, "alice/m", "upload", []wire.BatchObject{o}).Objects[0])
		etags := h.putParts(t, m, data, []int{1, 2, 4, 5, 6})

		r := h.complete(t, m, o.OID, etags)
		lfsWant4xx(t, "completion with part 3 missing", r)
		if !strings.Contains(string(servertest.Body(r)), "3") {
			t.Errorf("completion with part 3 missing: %s does not name it", servertest.Body(r))
		}
		// A part of the wrong size is refused.
		short := m.slice(data, 3)[:100]
		lfsWant4xx(t, "short part", h.transfer(t, http.MethodPut, m.parts[3], bytes.NewReader(short), int64(len(short))))
		long := append(slices.Clone(m.slice(data, 6)), 0)
		lfsWant4xx(t, "long last part", h.transfer(t, http.MethodPut, m.parts[6], bytes.NewReader(long), int64(len(long))))
		lfsWant4xx(t, "completion after refused parts", h.complete(t, m, o.OID, etags))
		for n, e := range h.putParts(t, m, data, []int{3, 6}) {
			etags[n] = e
		}
		// A wrong ETag.
		bad := maps.Clone(etags)
		bad[2] = `"00000000000000000000000000000000"`
		lfsWant4xx(t, "completion with a wrong etag", h.complete(t, m, o.OID, bad))
		// Another oid.
		lfsWant4xx(t, "completion naming another oid", h.complete(t, m, servertest.SHA256(nil), etags))
		h.wantNothing(t, o.OID)

		lfsWantStatus(t, "completion", h.complete(t, m, o.OID, etags), http.StatusOK)
		h.wantLinked(t, h.Alice, "alice/m", data)
		h.wantNoStaging(t)
		// Completing again (a retry whose answer was lost) succeeds, and a
		// late part is taken without being stored.
		lfsWantStatus(t, "completion again", h.complete(t, m, o.OID, etags), http.StatusOK)
		r = h.transfer(t, http.MethodPut, m.parts[1], bytes.NewReader(m.slice(data, 1)), m.chunkSize)
		lfsWantStatus(t, "part after completion", r, http.StatusOK)
		if r.Header.Get("ETag") != etags[1] {
			t.Errorf("part after completion: ETag %q, want %q", r.Header.Get("ETag"), etags[1])
		}
		h.wantNoStaging(t)
	})
}

func TestLFSMultipartHashMismatch(t *testing.T) {
	runLFS(t, func(t *testing.T, h *lfsHub) {
		h.createRepo(t, h.Alice, "alice/m", false, lfsMiB)
		data := blobtest.Data(12, 3*lfsMiB+5)
		o := lfsObj(data)
		m := parseLFSMultipart(t, h.batch(t, lfsPython, h.Alice, "alice/m", "upload", []wire.BatchObject{o}).Objects[0])
		other := blobtest.Data(13, len(data))
		etags := h.putParts(t, m, other, m.numbers())
		lfsWantStatus(t, "completion of other bytes", h.complete(t, m, o.OID, etags), http.StatusUnprocessableEntity)
		h.wantNothing(t, o.OID)
		h.wantNoStaging(t)
		if n := h.count(t, `SELECT COUNT(*) FROM lfs_uploads`); n != 0 {
			t.Errorf("the failed upload is still there")
		}
		lfsWantStatus(t, "completion again", h.complete(t, m, o.OID, etags), http.StatusNotFound)
	})
}

func TestLFSMultipartResume(t *testing.T) {
	runLFS(t, func(t *testing.T, h *lfsHub) {
		h.createRepo(t, h.Alice, "alice/m", false, lfsMiB)
		data := blobtest.Data(14, 6*lfsMiB+1)
		o := lfsObj(data)
		objs := []wire.BatchObject{o}
		m := parseLFSMultipart(t, h.batch(t, lfsPython, h.Alice, "alice/m", "upload", objs).Objects[0])
		etags := h.putParts(t, m, data, []int{1, 3, 4})

		r := parseLFSMultipart(t, h.batch(t, lfsPython, h.Alice, "alice/m", "upload", objs, "X-Wharf-Resume", "1").Objects[0])
		if r.complete != m.complete {
			t.Errorf("resumed completion URL %s, want %s", r.complete, m.complete)
		}
		if !slices.Equal(r.numbers(), []int{2, 5, 6, 7}) {
			t.Fatalf("resumed parts %v, want [2 5 6 7]", r.numbers())
		}
		for n, u := range r.parts {
			if u != m.parts[n] {
				t.Errorf("resumed part %d URL %s, want %s", n, u, m.parts[n])
			}
		}
		// Official clients do not send the header and need all parts.
		all := parseLFSMultipart(t, h.batch(t, lfsPython, h.Alice, "alice/m", "upload", objs).Objects[0])
		if !slices.Equal(all.numbers(), []int{1, 2, 3, 4, 5, 6, 7}) {
			t.Fatalf("parts without X-Wharf-Resume %v, want all 7", all.numbers())
		}

		for n, e := range h.putParts(t, r, data, r.numbers()) {
			etags[n] = e
		}
		lfsWantStatus(t, "completion of the resumed upload", h.complete(t, r, o.OID, etags), http.StatusOK)
		h.wantLinked(t, h.Alice, "alice/m", data)
	})
}

// Two clients upload one object at the same time, to one repo and to two
// repos: both succeed and one copy is stored.
func TestLFSMultipartParallelClients(t *testing.T) {
	for _, tc := range []struct {
		name  string
		repos [2]string
		hdr   []string
	}{
		{"same repo", [2]string{"alice/m", "alice/m"}, nil},
		{"same repo resuming", [2]string{"alice/m", "alice/m"}, []string{"X-Wharf-Resume", "1"}},
		{"two repos", [2]string{"alice/m", "alice/n"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runLFS(t, func(t *testing.T, h *lfsHub) {
				h.createRepo(t, h.Alice, "alice/m", false, lfsMiB)
				h.createRepo(t, h.Alice, "alice/n", false, lfsMiB)
				data := blobtest.Data(15, 5*lfsMiB+3)
				o := lfsObj(data)
				var ms [2]lfsMultipart
				for i, r := range tc.repos {
					ms[i] = parseLFSMultipart(t, h.batch(t, lfsPython, h.Alice, r, "upload", []wire.BatchObject{o}, tc.hdr...).Objects[0])
				}
				// Both upload all their parts at once, then one completes
				// before the other.
				var wg sync.WaitGroup
				var etags [2]map[int]string
				for i := range ms {
					wg.Go(func() {
						ns := ms[i].numbers()
						if i == 1 {
							slices.Reverse(ns)
						}
						etags[i] = h.putParts(t, ms[i], data, ns)
					})
				}
				wg.Wait()
				for i := range ms {
					if r := h.complete(t, ms[i], o.OID, etags[i]); r.StatusCode/100 != 2 {
						t.Errorf("client %d: completion status %d: %s", i, r.StatusCode, servertest.Body(r))
					}
				}
				for _, r := range tc.repos {
					h.wantLinked(t, h.Alice, r, data)
				}
				if n := len(lfsFiles(t, filepath.Join(h.blobDir, "objects"))); n != 1 {
					t.Errorf("%d stored objects, want 1", n)
				}
				h.wantNoStaging(t)
			})
		})
	}
}

// A part whose connection is cut is not recorded; sent again, it is.
func TestLFSMultipartPartConnectionCut(t *testing.T) {
	runLFS(t, func(t *testing.T, h *lfsHub) {
		h.createRepo(t, h.Alice, "alice/m", false, lfsMiB)
		data := blobtest.Data(16, 3*lfsMiB)
		o := lfsObj(data)
		m := parseLFSMultipart(t, h.batch(t, lfsPython, h.Alice, "alice/m", "upload", []wire.BatchObject{o}).Objects[0])
		etags := h.putParts(t, m, data, []int{1, 3})
		addr := h.cutPUT(t, m.parts[2], m.slice(data, 2), lfsMiB/2, func() bool { return false })
		h.waitClosed(t, addr)
		r := h.complete(t, m, o.OID, etags)
		lfsWant4xx(t, "completion after a cut part", r)
		for n, e := range h.putParts(t, m, data, []int{2}) {
			etags[n] = e
		}
		lfsWantStatus(t, "completion", h.complete(t, m, o.OID, etags), http.StatusOK)
		h.wantLinked(t, h.Alice, "alice/m", data)
	})
}

// --- 5. Download ---

func TestLFSDownload(t *testing.T) {
	runLFS(t, func(t *testing.T, h *lfsHub) {
		h.createRepo(t, h.Alice, "alice/m", false, 0)
		h.createRepo(t, h.Alice, "alice/p", true, 0)
		data := blobtest.Data(17, 100_000)
		h.PutLFS(t, "alice/m", data)
		h.PutLFS(t, "alice/p", data)
		stored := []byte("stored but linked nowhere")
		h.StoreLFS(t, stored)
		missing := lfsObj([]byte("never uploaded"))

		resp := h.batch(t, lfsGit, "", "alice/m", "download", []wire.BatchObject{lfsObj(data), lfsObj(stored), missing})
		for i, o := range resp.Objects[1:] {
			if o.Error == nil || o.Error.Code != 404 || o.Actions != nil {
				t.Errorf("object %d not linked here: %+v, want a 404 object error", i+1, o)
			}
		}
		dl := resp.Objects[0].Actions["download"]
		if dl == nil || resp.Objects[0].Size != int64(len(data)) {
			t.Fatalf("linked object: %+v, want a download action", resp.Objects[0])
		}
		r := h.transfer(t, http.MethodGet, dl.Href, nil, 0)
		lfsWantStatus(t, "download", r, http.StatusOK)
		if !bytes.Equal(servertest.Body(r), data) {
			t.Fatalf("downloaded %d bytes differ", len(servertest.Body(r)))
		}
		r = h.transfer(t, http.MethodGet, dl.Href, nil, 0, "Range", "bytes=1000-1999")
		lfsWantStatus(t, "ranged download", r, http.StatusPartialContent)
		if !bytes.Equal(servertest.Body(r), data[1000:2000]) {
			t.Errorf("ranged download: wrong bytes")
		}
		if cr := r.Header.Get("Content-Range"); cr != fmt.Sprintf("bytes 1000-1999/%d", len(data)) {
			t.Errorf("Content-Range %q", cr)
		}
		r = h.transfer(t, http.MethodGet, dl.Href, nil, 0, "Range", "bytes=-10")
		lfsWantStatus(t, "suffix range", r, http.StatusPartialContent)
		if !bytes.Equal(servertest.Body(r), data[len(data)-10:]) {
			t.Errorf("suffix range: wrong bytes")
		}
		r = h.transfer(t, http.MethodHead, dl.Href, nil, 0)
		lfsWantStatus(t, "HEAD", r, http.StatusOK)
		if r.ContentLength != int64(len(data)) {
			t.Errorf("HEAD Content-Length %d, want %d", r.ContentLength, len(data))
		}
		u, _ := url.Parse(dl.Href)
		lfsWantStatus(t, "download without signature", h.transfer(t, http.MethodGet, h.URL+u.Path, nil, 0), http.StatusForbidden)

		// Private repo: anonymous git-lfs gets a 401 it can answer.
		r = h.batchRaw(t, lfsGit, "", "alice/p", lfsGit.body("download", lfsObj(data)))
		lfsWantStatus(t, "anonymous download from a private repo", r, http.StatusUnauthorized)
		if r.Header.Get("LFS-Authenticate") == "" {
			t.Errorf("no LFS-Authenticate header")
		}
		lfsWantStatus(t, "bob downloading from alice's private repo", h.batchRaw(t, lfsGit, h.Bob, "alice/p", lfsGit.body("download", lfsObj(data))), http.StatusNotFound)
		resp = h.batch(t, lfsGit, h.Alice, "alice/p", "download", []wire.BatchObject{lfsObj(data)})
		r = h.transfer(t, http.MethodGet, resp.Objects[0].Actions["download"].Href, nil, 0)
		lfsWantStatus(t, "download from a private repo", r, http.StatusOK)
		if !bytes.Equal(servertest.Body(r), data) {
			t.Fatalf("private download: bytes differ")
		}
	})
}
