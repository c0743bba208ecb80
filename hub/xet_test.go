package hub_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharfhub/wharf/hub"
	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
	"github.com/wharfhub/wharf/wire"
	"github.com/wharfhub/wharf/xet"
)

func TestMain(m *testing.M) {
	// Clients made with hub.New in Examples and benchmarks would otherwise
	// keep their Xet cache under the user's HF_HOME.
	dir, err := os.MkdirTemp("", "hub-xet-cache-*")
	if err != nil {
		panic(err)
	}
	os.Setenv("HF_XET_CACHE", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// xetTap is an http.RoundTripper that counts the Xet traffic of a client
// and can inject faults: fault, if set, sees every request first and may
// answer it instead of the server.
type xetTap struct {
	next  http.RoundTripper
	fault func(req *http.Request) *http.Response
	after func(resp *http.Response) // sees every answer of the server

	mu         sync.Mutex
	xorbPosts  int
	xorbBytes  int64
	shardPosts int
	dedupGets  int
	recons     []string // paths of reconstruction GETs
	fetches    int
	reqs       []string
}

func (x *xetTap) RoundTrip(req *http.Request) (*http.Response, error) {
	p := req.URL.EscapedPath()
	x.mu.Lock()
	x.reqs = append(x.reqs, req.Method+" "+p)
	switch {
	case req.Method == http.MethodPost && strings.Contains(p, "/api/cas/v1/xorbs/"):
		x.xorbPosts++
		x.xorbBytes += req.ContentLength
	case req.Method == http.MethodPost && strings.HasSuffix(p, "/api/cas/v1/shards"):
		x.shardPosts++
	case strings.Contains(p, "/api/cas/v1/chunks/"):
		x.dedupGets++
	case strings.Contains(p, "/reconstructions/"):
		x.recons = append(x.recons, p)
	case strings.Contains(p, "/api/cas/fetch/"):
		x.fetches++
		if req.Header.Get("Authorization") != "" {
			x.mu.Unlock()
			return nil, fmt.Errorf("xorb fetch with an Authorization header")
		}
	}
	fault := x.fault
	x.mu.Unlock()
	if fault != nil {
		if resp := fault(req); resp != nil {
			if req.Body != nil {
				io.Copy(io.Discard, req.Body)
				req.Body.Close()
			}
			resp.Request = req
			return resp, nil
		}
	}
	resp, err := x.next.RoundTrip(req)
	if err == nil && x.after != nil {
		x.after(resp)
	}
	return resp, err
}

func (x *xetTap) stats() (posts int, bytes int64, shards, dedup int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.xorbPosts, x.xorbBytes, x.shardPosts, x.dedupGets
}

func (x *xetTap) count(sub string) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return count(x.reqs, sub)
}

func answer(status int, msg string) *http.Response {
	return &http.Response{
		StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Header: http.Header{"Content-Type": {"application/json"}}, ProtoMajor: 1, ProtoMinor: 1,
		Body: io.NopCloser(strings.NewReader(`{"error":"` + msg + `"}`)),
	}
}

// newXetClient returns a client of h with its own tap and the Xet cache
// in cacheDir ("" for a fresh one).
func newXetClient(t testing.TB, url, token, cacheDir string, disable bool) (*hub.Client, *xetTap) {
	t.Helper()
	if cacheDir == "" {
		cacheDir = t.TempDir()
	}
	tap := &xetTap{next: http.DefaultTransport.(*http.Transport).Clone()}
	c, err := hub.New(&hub.Options{
		Endpoint: url, Token: token, HTTPClient: &http.Client{Transport: tap},
		RetryBaseDelay: 10 * time.Millisecond, RetryMaxDelay: 50 * time.Millisecond,
		XetCacheDir: cacheDir, DisableXet: disable,
	})
	ok(t, err)
	return c, tap
}

// treeXetHashes returns path → xetHash of a revision's tree.
func treeXetHashes(t testing.TB, h *servertest.Hub, repo string) map[string]string {
	t.Helper()
	var ents []struct {
		Path    string `json:"path"`
		XetHash string `json:"xetHash"`
	}
	h.JSON(t, http.MethodGet, "/api/models/"+repo+"/tree/main?recursive=true", h.Alice, nil, http.StatusOK, &ents)
	out := map[string]string{}
	for _, e := range ents {
		out[e.Path] = e.XetHash
	}
	return out
}

func TestXetUploadDownload(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, tap := newXetClient(t, h.URL, h.Alice, "", false)
		r := hub.Repo{ID: "alice/xet"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		// Random bytes, then text that compresses, then random again.
		data := append(randomBytes(1, 3<<20), bytes.Repeat([]byte("wharf speaks xet "), 200_000)...)
		data = append(data, randomBytes(2, 700_000)...)
		var mu sync.Mutex
		last := map[string]hub.Progress{}
		_, err = c.UploadFile(ctx, r, "w/model.bin", hub.FromBytes(data), &hub.CommitOptions{Progress: func(p hub.Progress) {
			mu.Lock()
			last[p.Path] = p
			mu.Unlock()
		}})
		ok(t, err)
		posts, sent, shards, _ := tap.stats()
		equals(t, "shard POSTs", shards, 1)
		equals(t, "LFS PUTs", tap.count("PUT "), 0)
		if posts != 1 || sent >= int64(len(data)) {
			t.Fatalf("%d xorb POSTs of %d bytes for %d bytes of data: want one, compressed", posts, sent, len(data))
		}
		// The text repeats itself: some of its chunks are sent once.
		if p := last["w/model.bin"]; p.Sent != int64(len(data)) || p.Total != int64(len(data)) || p.Deduped == 0 || p.Deduped > 3<<20 {
			t.Fatalf("last progress %+v", p)
		}
		xh := treeXetHashes(t, h, "alice/xet")["w/model.bin"]
		if len(xh) != 64 {
			t.Fatalf("tree has no xetHash for w/model.bin: %q", xh)
		}

		// Xet download.
		if got := download(t, c, r, "", "w/model.bin"); !bytes.Equal(got, data) {
			t.Fatalf("Xet download: %d bytes, want %d", len(got), len(data))
		}
		tap.mu.Lock()
		recons, fetches := len(tap.recons), tap.fetches
		v2 := len(tap.recons) > 0 && strings.Contains(tap.recons[0], "/v2/")
		tap.mu.Unlock()
		if recons != 1 || !v2 || fetches == 0 {
			t.Fatalf("Xet download made %d reconstruction requests (v2: %v) and %d fetches", recons, v2, fetches)
		}
		// The bridge: a client without Xet gets the same bytes.
		plain, ptap := newXetClient(t, h.URL, h.Alice, "", true)
		if got := download(t, plain, r, "", "w/model.bin"); !bytes.Equal(got, data) {
			t.Fatalf("plain download: %d bytes, want %d", len(got), len(data))
		}
		equals(t, "reconstructions without Xet", ptap.count("/reconstructions/"), 0)

		// DownloadFile and SnapshotDownload through Xet.
		dir := t.TempDir()
		_, err = c.DownloadFile(ctx, r, "w/model.bin", filepath.Join(dir, "one", "model.bin"), nil)
		ok(t, err)
		got, err := os.ReadFile(filepath.Join(dir, "one", "model.bin"))
		ok(t, err)
		equals(t, "DownloadFile", bytes.Equal(got, data), true)
		_, err = c.SnapshotDownload(ctx, r, filepath.Join(dir, "snap"), nil)
		ok(t, err)
		got, err = os.ReadFile(filepath.Join(dir, "snap", "w", "model.bin"))
		ok(t, err)
		equals(t, "SnapshotDownload", bytes.Equal(got, data), true)

		// An expired fetch URL (403) makes the client get a new plan.
		var failed atomic.Bool
		tap.fault = func(req *http.Request) *http.Response {
			if strings.Contains(req.URL.Path, "/api/cas/fetch/") && failed.CompareAndSwap(false, true) {
				return answer(http.StatusForbidden, "signature expired")
			}
			return nil
		}
		tap.mu.Lock()
		tap.recons = nil
		tap.mu.Unlock()
		c2, tap2 := newXetClient(t, h.URL, h.Alice, "", false) // empty chunk cache
		tap2.fault = tap.fault
		if got := download(t, c2, r, "", "w/model.bin"); !bytes.Equal(got, data) {
			t.Fatal("download after a 403")
		}
		equals(t, "reconstructions with a 403", tap2.count("/reconstructions/"), 2)

		// A CAS without /v2 reconstructions: /v1, remembered.
		c3, tap3 := newXetClient(t, h.URL, h.Alice, "", false)
		tap3.fault = func(req *http.Request) *http.Response {
			if strings.Contains(req.URL.Path, "/v2/reconstructions/") {
				return answer(http.StatusNotFound, "no v2 here")
			}
			return nil
		}
		for range 2 {
			if got := download(t, c3, r, "", "w/model.bin"); !bytes.Equal(got, data) {
				t.Fatal("download through /v1")
			}
		}
		equals(t, "v2 attempts", tap3.count("/v2/reconstructions/"), 1)
		equals(t, "v1 reconstructions", tap3.count("/v1/reconstructions/"), 2)
	})
}

// TestXetDedupAcrossSessions re-uploads a 16 MiB file with 1% changed from
// a new client: it sends only the changed chunks and their neighbours,
// knowing the rest from the cache of the first upload (same cache dir) or,
// with an empty cache, from a global dedup query.
func TestXetDedupAcrossSessions(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		cacheDir := t.TempDir()
		c1, tap1 := newXetClient(t, h.URL, h.Alice, cacheDir, false)
		r := hub.Repo{ID: "alice/dedup"}
		_, err := c1.CreateRepo(ctx, r, nil)
		ok(t, err)
		const size = 16 << 20
		data := randomBytes(3, size)
		_, err = c1.UploadFile(ctx, r, "big.bin", hub.FromBytes(data), nil)
		ok(t, err)
		_, sent1, _, _ := tap1.stats()
		if sent1 < size {
			t.Fatalf("first upload sent %d bytes of %d", sent1, size)
		}

		// 1% changed: 164 KiB in the middle.
		changed := bytes.Clone(data)
		copy(changed[size/2:], randomBytes(4, size/100))
		c2, tap2 := newXetClient(t, h.URL, h.Alice, cacheDir, false)
		var deduped atomic.Int64
		_, err = c2.UploadFile(ctx, r, "big.bin", hub.FromBytes(changed), &hub.CommitOptions{Progress: func(p hub.Progress) {
			deduped.Store(p.Deduped)
		}})
		ok(t, err)
		posts, sent, _, queries := tap2.stats()
		t.Logf("from the cache: %d xorb POST(s) of %d bytes (%.2f %%), %d dedup queries, %d bytes deduplicated", posts, sent, 100*float64(sent)/size, queries, deduped.Load())
		if sent > size/20 {
			t.Fatalf("re-upload sent %d bytes, more than 5%% of %d", sent, size)
		}
		if deduped.Load() < size*9/10 {
			t.Fatalf("progress reports %d bytes deduplicated", deduped.Load())
		}
		if got := download(t, c2, r, "", "big.bin"); !bytes.Equal(got, changed) {
			t.Fatal("download of the changed file")
		}

		// Another change, from a client with an empty cache: the CAS's
		// dedup answers do the same.
		changed2 := bytes.Clone(changed)
		copy(changed2[size/4:], randomBytes(5, size/100))
		c3, tap3 := newXetClient(t, h.URL, h.Alice, "", false)
		_, err = c3.UploadFile(ctx, r, "big.bin", hub.FromBytes(changed2), nil)
		ok(t, err)
		posts, sent, _, queries = tap3.stats()
		t.Logf("from dedup queries: %d xorb POST(s) of %d bytes (%.2f %%), %d dedup queries", posts, sent, 100*float64(sent)/size, queries)
		if sent > size/20 || queries == 0 {
			t.Fatalf("re-upload without cache sent %d bytes after %d queries", sent, queries)
		}
		if got := download(t, c1, r, "", "big.bin"); !bytes.Equal(got, changed2) {
			t.Fatal("download of the changed file")
		}
	})
}

func TestXetManySmallFiles(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, tap := newXetClient(t, h.URL, h.Alice, "", false)
		r := hub.Repo{ID: "alice/small"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		files := map[string][]byte{}
		var ops []hub.Operation
		for i := range 2000 {
			b := randomBytes(uint64(1000+i), 1024+(i*7919)%(9*1024))
			p := fmt.Sprintf("d%02d/f%04d.bin", i%20, i)
			files[p] = b
			ops = append(ops, hub.Add(p, hub.FromBytes(b)))
		}
		_, err = c.CreateCommit(ctx, r, ops, &hub.CommitOptions{Message: "2000 files"})
		ok(t, err)
		posts, sent, shards, queries := tap.stats()
		t.Logf("%d xorb POST(s), %d bytes, %d shard(s), %d dedup queries", posts, sent, shards, queries)
		if posts > 3 || shards != 1 || queries != 0 {
			t.Fatalf("2000 small files: %d xorb POSTs, %d shards, %d dedup queries", posts, shards, queries)
		}
		ents, err := c.ListRepoTree(ctx, r, &hub.ListTreeOptions{Recursive: true})
		ok(t, err)
		xh := map[string]string{}
		for _, e := range ents {
			if e.XetHash != "" {
				xh[e.Path] = e.XetHash
			}
		}
		equals(t, "files with a xetHash", len(xh), 2000)
		for _, p := range []string{"d00/f0000.bin", "d07/f1007.bin", "d19/f1999.bin"} {
			if xh[p] == "" {
				t.Fatalf("%s has no xetHash", p)
			}
			if got := download(t, c, r, "", p); !bytes.Equal(got, files[p]) {
				t.Fatalf("%s: %d bytes, want %d", p, len(got), len(files[p]))
			}
		}
	})
}

// stripXet rewrites LFS batch requests so that they do not offer "xet", as
// a Hub without Xet would ignore it.
func stripXet(req *http.Request) *http.Response {
	if strings.Contains(req.URL.Path, "/xet-write-token/") {
		return &http.Response{StatusCode: http.StatusNotFound, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"error":"not found"}`)), Request: req}
	}
	if !strings.HasSuffix(req.URL.Path, "/info/lfs/objects/batch") || req.Body == nil {
		return nil
	}
	var body map[string]any
	data, _ := io.ReadAll(req.Body)
	req.Body.Close()
	if json.Unmarshal(data, &body) == nil {
		body["transfers"] = []string{"basic", "multipart"}
		data, _ = json.Marshal(body)
	}
	req.Body = io.NopCloser(bytes.NewReader(data))
	req.ContentLength = int64(len(data))
	return nil
}

func TestXetNotOffered(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, tap := newXetClient(t, h.URL, h.Alice, "", false)
		tap.fault = stripXet
		r := hub.Repo{ID: "alice/lfs"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		data := randomBytes(6, 2<<20)
		for i, name := range []string{"a.bin", "b.bin"} {
			_, err = c.UploadFile(ctx, r, name, hub.FromBytes(append(data, byte(i))), nil)
			ok(t, err)
		}
		posts, _, shards, _ := tap.stats()
		equals(t, "xorb POSTs", posts, 0)
		equals(t, "shard POSTs", shards, 0)
		equals(t, "LFS PUTs", tap.count("PUT /lfs-upload/"), 2)
		equals(t, "xetHash", treeXetHashes(t, h, "alice/lfs")["a.bin"], "")
		if got := download(t, c, r, "", "b.bin"); !bytes.Equal(got, append(data, 1)) {
			t.Fatal("download of an LFS file")
		}
		equals(t, "reconstructions for an LFS file", tap.count("/reconstructions/"), 0)
	})
}

func TestXetDisabled(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, tap := newXetClient(t, h.URL, h.Alice, "", true)
		r := hub.Repo{ID: "alice/noxet"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		_, err = c.UploadFile(ctx, r, "a.bin", hub.FromBytes(randomBytes(7, 1<<20)), nil)
		ok(t, err)
		equals(t, "LFS PUTs", tap.count("PUT /lfs-upload/"), 1)
		equals(t, "CAS requests", tap.count("/api/cas/"), 0)
	})
}

func TestXetXorbRetried(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, tap := newXetClient(t, h.URL, h.Alice, "", false)
		var failed atomic.Bool
		tap.fault = func(req *http.Request) *http.Response {
			if strings.Contains(req.URL.Path, "/api/cas/v1/xorbs/") && failed.CompareAndSwap(false, true) {
				return answer(http.StatusServiceUnavailable, "busy")
			}
			return nil
		}
		r := hub.Repo{ID: "alice/retry"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		data := randomBytes(8, 1<<20)
		_, err = c.UploadFile(ctx, r, "a.bin", hub.FromBytes(data), nil)
		ok(t, err)
		posts, _, _, _ := tap.stats()
		equals(t, "xorb POST attempts", posts, 2)
		if got := download(t, c, r, "", "a.bin"); !bytes.Equal(got, data) {
			t.Fatal("download")
		}
	})
}

func TestXetShardRefused(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, tap := newXetClient(t, h.URL, h.Alice, "", false)
		tap.fault = func(req *http.Request) *http.Response {
			if strings.HasSuffix(req.URL.Path, "/api/cas/v1/shards") {
				return answer(http.StatusBadRequest, "invalid shard: the shard is refused by this test")
			}
			return nil
		}
		r := hub.Repo{ID: "alice/refused"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		_, err = c.UploadFile(ctx, r, "a.bin", hub.FromBytes(randomBytes(9, 1<<20)), nil)
		if err == nil || !strings.Contains(err.Error(), "the shard is refused by this test") || !strings.Contains(err.Error(), "shard") {
			t.Fatalf("upload with a refused shard: %v", err)
		}
		_, _, shards, _ := tap.stats()
		equals(t, "shard POSTs (400 is not retried)", shards, 1)
		equals(t, "commit POSTs", tap.count("/commit/"), 0)
		equals(t, "files", len(sortedFiles(t, c, r, "")), 1) // .gitattributes
	})
}

// TestXetStaleCache: a cache that names xorbs the CAS does not hold (a
// cache filled against another server that had the same URL) costs one
// refused shard, then the upload goes through without it.
func TestXetStaleCache(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		cacheDir := t.TempDir()
		other := servertest.New(t, h.Dialect)
		// c0 believes it talks to h.URL but reaches the other server,
		// which answers with h.URL's CAS URL: the cache of h.URL then
		// names xorbs that only the other server holds.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, strings.TrimPrefix(other.URL, "http://"))
		}
		c0, err := hub.New(&hub.Options{Endpoint: h.URL, Token: other.Alice, HTTPClient: &http.Client{Transport: tr}, XetCacheDir: cacheDir})
		ok(t, err)
		r := hub.Repo{ID: "alice/stale"}
		_, err = c0.CreateRepo(ctx, r, nil)
		ok(t, err)
		data := randomBytes(10, 2<<20)
		_, err = c0.UploadFile(ctx, r, "a.bin", hub.FromBytes(data), nil)
		ok(t, err)

		c, tap := newXetClient(t, h.URL, h.Alice, cacheDir, false)
		_, err = c.CreateRepo(ctx, r, nil)
		ok(t, err)
		_, err = c.UploadFile(ctx, r, "a.bin", hub.FromBytes(data), nil)
		ok(t, err)
		posts, _, shards, _ := tap.stats()
		equals(t, "shard POSTs (refused, then without the cache)", shards, 2)
		equals(t, "xorb POSTs", posts, 1)
		if got := download(t, c, r, "", "a.bin"); !bytes.Equal(got, data) {
			t.Fatal("download")
		}
	})
}

func TestXetCacheDirFromEnv(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HF_HOME", home)
	t.Setenv("HF_XET_CACHE", "")
	h := newLocalHub(t, nil)
	c, err := hub.New(&hub.Options{Endpoint: h.URL, Token: h.Alice})
	ok(t, err)
	ctx := context.Background()
	r := hub.Repo{ID: "alice/env"}
	_, err = c.CreateRepo(ctx, r, nil)
	ok(t, err)
	_, err = c.UploadFile(ctx, r, "a.bin", hub.FromBytes(randomBytes(13, 200_000)), nil)
	ok(t, err)
	des, err := os.ReadDir(filepath.Join(home, "xet"))
	ok(t, err)
	if len(des) != 1 || !strings.HasPrefix(des[0].Name(), "http___127.0.0.1_") {
		t.Fatalf("cache under $HF_HOME/xet: %v", des)
	}
	shards, _ := filepath.Glob(filepath.Join(home, "xet", des[0].Name(), "shards", "*.mdb"))
	equals(t, "cached shards", len(shards), 1)

	t.Setenv("HF_HUB_DISABLE_XET", "1")
	c, err = hub.New(&hub.Options{Endpoint: h.URL, Token: h.Alice})
	ok(t, err)
	_, err = c.UploadFile(ctx, r, "b.bin", hub.FromBytes(randomBytes(14, 200_000)), nil)
	ok(t, err)
	shards, _ = filepath.Glob(filepath.Join(home, "xet", des[0].Name(), "shards", "*.mdb"))
	equals(t, "cached shards with HF_HUB_DISABLE_XET=1", len(shards), 1)
}

// TestXetTokenRefresh: a CAS token about to expire is refreshed from the
// action's href (the xet-write-token URL) before it is used.
func TestXetTokenRefresh(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, tap := newXetClient(t, h.URL, h.Alice, "", false)
		tap.after = func(resp *http.Response) {
			if !strings.HasSuffix(resp.Request.URL.Path, "/info/lfs/objects/batch") {
				return
			}
			var br wire.BatchResponse
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if json.Unmarshal(data, &br) == nil && br.Transfer == "xet" {
				for _, o := range br.Objects {
					if up := o.Actions["upload"]; up != nil {
						up.Header["X-Xet-Token-Expiration"] = strconv.FormatInt(time.Now().Add(10*time.Second).Unix(), 10)
					}
				}
				data, _ = json.Marshal(br)
			}
			resp.Body = io.NopCloser(bytes.NewReader(data))
			resp.ContentLength = int64(len(data))
			resp.Header.Del("Content-Length")
		}
		r := hub.Repo{ID: "alice/refresh"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		data := randomBytes(15, 1<<20)
		_, err = c.UploadFile(ctx, r, "a.bin", hub.FromBytes(data), nil)
		ok(t, err)
		equals(t, "token refreshes", tap.count("/xet-write-token/"), 1)
		if got := download(t, c, r, "", "a.bin"); !bytes.Equal(got, data) {
			t.Fatal("download")
		}
	})
}

// TestXetReadErrorFailsUpload: content that cannot be read again when its
// chunks are packed fails the upload before anything is committed.
func TestXetReadErrorFailsUpload(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, tap := newXetClient(t, h.URL, h.Alice, "", false)
		r := hub.Repo{ID: "alice/fire"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		// ReaderAt calls: sample, hash and chunk, pack (fails).
		_, err = c.UploadFile(ctx, r, "w.bin", &shiftyContent{data: randomBytes(16, 300<<10), from: 3}, nil)
		if err == nil || !strings.Contains(err.Error(), "disk on fire") {
			t.Fatalf("got %v", err)
		}
		posts, _, shards, _ := tap.stats()
		equals(t, "xorb POSTs", posts, 0)
		equals(t, "shard POSTs", shards, 0)
		equals(t, "commits", tap.count("/commit/"), 0)
	})
}

// TestXetRepeatedContent: chunks that repeat within an upload are sent once.
func TestXetRepeatedContent(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := t.Context()
		c, tap := newXetClient(t, h.URL, h.Alice, "", false)
		r := hub.Repo{ID: "alice/repeat"}
		_, err := c.CreateRepo(ctx, r, nil)
		ok(t, err)
		block := randomBytes(17, 100<<10)
		data := bytes.Repeat(block, 80) // 8 MB, random within 100 KiB
		_, err = c.UploadFile(ctx, r, "r.bin", hub.FromBytes(data), nil)
		ok(t, err)
		_, sent, _, _ := tap.stats()
		t.Logf("%d bytes sent for %d bytes of repeated content", sent, len(data))
		if sent > 1<<20 {
			t.Fatalf("%d bytes sent for %d bytes of content repeating every 100 KiB", sent, len(data))
		}
		if got := download(t, c, r, "", "r.bin"); !bytes.Equal(got, data) {
			t.Fatal("download")
		}
	})
}

// TestXetStreamedAndChained: a new file of 64 MiB or more is sent while
// it is hashed (xorb POSTs before the LFS batch), and the server takes the
// sha256 of files spanning xorbs from the chain of xorbs hashed as they
// arrived, even when the file ends in a xorb it shares with the next file
// (not streamed here), whose sha256 is read back. A file whose first chunk
// the cache knows is not streamed but deduplicated.
func TestXetStreamedAndChained(t *testing.T) {
	h := servertest.New(t, sqltest.SQLite)
	ctx := t.Context()
	cacheDir := t.TempDir()
	c, tap := newXetClient(t, h.URL, h.Alice, cacheDir, false)
	r := hub.Repo{ID: "alice/chain"}
	_, err := c.CreateRepo(ctx, r, nil)
	ok(t, err)
	sources := func(wantChain, wantReadBack int64) {
		t.Helper()
		if chain, readBack := h.Srv.Xet().SHA256Sources(); chain != wantChain || readBack != wantReadBack {
			t.Fatalf("sha256 of the new files: %d from a chain, %d read back; want %d and %d", chain, readBack, wantChain, wantReadBack)
		}
	}
	// commit adds files (path, content, path, content...) in this order.
	commit := func(files ...any) {
		t.Helper()
		var ops []hub.Operation
		for i := 0; i < len(files); i += 2 {
			ops = append(ops, &hub.AddOp{PathInRepo: files[i].(string), Content: hub.FromBytes(files[i+1].([]byte))})
		}
		_, err := c.CreateCommit(ctx, r, ops, &hub.CommitOptions{Message: "add"})
		ok(t, err)
		for i := 0; i < len(files); i += 2 {
			p, want := files[i].(string), files[i+1].([]byte)
			if got := download(t, c, r, "", p); !bytes.Equal(got, want) {
				t.Fatalf("%s: %d bytes differ from the %d uploaded", p, len(got), len(want))
			}
		}
	}

	// streamed commits a streamed file, checks that the repo names it by
	// the sha256 of its bytes (which may come from the server) and that
	// its upload sent wantShards shards (why says why).
	streamed := func(path string, content []byte, wantShards int, why string) {
		t.Helper()
		_, _, shards0, _ := tap.stats()
		commit(path, content)
		infos, err := c.PathsInfo(ctx, r, "", []string{path}, false)
		ok(t, err)
		sum := sha256.Sum256(content)
		if len(infos) != 1 || infos[0].LFS == nil || infos[0].LFS.OID != hex.EncodeToString(sum[:]) {
			t.Fatalf("%s: %+v, want LFS oid %x", path, infos, sum)
		}
		if _, _, shards, _ := tap.stats(); shards-shards0 != wantShards {
			t.Fatalf("%s: %d shards, want %d (%s)", path, shards-shards0, wantShards, why)
		}
	}

	// Streamed: its xorbs go out while it is read (not hashed: the
	// server returns its sha256 from a shard sent at once), before the
	// upload asks for its own CAS token (the second one).
	big := randomBytes(5, 70<<20)
	streamed("a/big.bin", big, 1, "its own, which gives its sha256; the upload's would name nothing new")
	if cached, _ := filepath.Glob(filepath.Join(cacheDir, "*", "shards", "*.mdb")); len(cached) != 1 {
		t.Fatalf("local cache after a streamed file: shards %v, want its own", cached)
	}
	tap.mu.Lock()
	firstXorb, tokens := -1, []int{}
	for i, req := range tap.reqs {
		if firstXorb < 0 && strings.Contains(req, "/api/cas/v1/xorbs/") {
			firstXorb = i
		}
		if strings.Contains(req, "/xet-write-token/") {
			tokens = append(tokens, i)
		}
	}
	tap.mu.Unlock()
	if firstXorb < 0 || len(tokens) != 2 || firstXorb > tokens[1] {
		t.Fatalf("xorb POST at request %d, CAS tokens at %v: want the xorbs between the two tokens (streamed)", firstXorb, tokens)
	}
	sources(1, 0)

	// Not streamed: the large file ends in the xorb of the small one.
	defer hub.SetXetStreamMin(1 << 40)()
	commit("b/big.bin", randomBytes(7, 70<<20), "b/small.bin", randomBytes(8, 3<<20))
	sources(2, 1)

	// The first chunk is known to the CAS: deduplicated, not streamed.
	hub.SetXetStreamMin(64 << 20)
	changed := append(append([]byte(nil), big[:69<<20]...), randomBytes(9, 1<<20)...)
	_, before, _, _ := tap.stats()
	commit("c/big.bin", changed)
	if _, after, _, _ := tap.stats(); after-before > 4<<20 {
		t.Fatalf("re-upload with the last MiB changed sent %d bytes of xorbs", after-before)
	}

	// A CAS that does not offer to compute the sha256: the file is
	// hashed as it streams, one shard.
	tap.mu.Lock()
	tap.after = func(resp *http.Response) { resp.Header.Del(xet.FeaturesHeader) }
	tap.mu.Unlock()
	streamed("d/big.bin", randomBytes(10, 65<<20), 1, "without the feature: the upload's")
	// One that offers it but does not return it: the file is hashed
	// after all.
	tap.mu.Lock()
	tap.after = func(resp *http.Response) {
		if resp.Request.Method == http.MethodPost && strings.HasSuffix(resp.Request.URL.Path, "/v1/shards") {
			resp.Body.Close()
			resp.Body = io.NopCloser(strings.NewReader(`{"result":1}`))
			resp.ContentLength = -1
			resp.Header.Del("Content-Length")
		}
	}
	tap.mu.Unlock()
	streamed("e/big.bin", randomBytes(11, 65<<20), 2, "the CAS did not return the sha256: its own, then the upload's naming it with its sha256")
}
