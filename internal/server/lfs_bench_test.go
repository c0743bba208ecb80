package server_test

// Memory and throughput of the LFS content path, over a real server on
// loopback with SQLite and a local blob store. These are measurements, not
// timed tests; run each once:
//
//	go test ./internal/server -run '^$' -bench 'LFSUpload' -benchtime 1x -v
//
// Sizes: BenchmarkLFSUploadMemory streams 512 MiB (4 GiB with
// WHARF_BENCH_LARGE=1); BenchmarkLFSUploadThroughput moves 2 GiB. Both
// take WHARF_BENCH_MIB to set the size in MiB. The client generates the
// bytes on the fly: nothing of the object's size is held in memory or
// written to disk on the client side (the throughput benchmark writes one
// file of that size to compare against openssl and cp).

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/server"
	"github.com/wharfhub/wharf/internal/store/blob/blobtest"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
	"github.com/wharfhub/wharf/wire"
)

// benchSize is WHARF_BENCH_MIB MiB, or def.
func benchSize(b *testing.B, def int64) int64 {
	if v := os.Getenv("WHARF_BENCH_MIB"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			b.Fatalf("WHARF_BENCH_MIB=%q", v)
		}
		return n << 20
	}
	return def
}

// lfsGenBlock is what generated objects repeat. Its odd length keeps its
// copies from lining up with any buffer.
var lfsGenBlock = blobtest.Data(42, 1<<20+7)

// lfsGenReader yields n bytes of the endless repetition of lfsGenBlock, starting
// at offset off. It costs a memcpy per byte, and like a network body it
// has no WriterTo.
type lfsGenReader struct {
	off, n int64
}

func (g *lfsGenReader) Read(p []byte) (int, error) {
	if g.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.n {
		p = p[:g.n]
	}
	k := 0
	for k < len(p) {
		c := copy(p[k:], lfsGenBlock[g.off%int64(len(lfsGenBlock)):])
		k += c
		g.off += int64(c)
	}
	g.n -= int64(k)
	return k, nil
}

func lfsGenOID(size int64) string {
	h := sha256.New()
	io.CopyBuffer(h, &lfsGenReader{n: size}, make([]byte, 1<<20))
	return hex.EncodeToString(h.Sum(nil))
}

// lfsMemSampler tracks the peak of the Go runtime's heap and total mapped
// memory, and of the process RSS, above their level at start.
type lfsMemSampler struct {
	stop                chan struct{}
	done                sync.WaitGroup
	baseHeap, baseTotal uint64
	peakHeap, peakTotal atomic.Uint64
	baseRSS             int64
	clearedHWM          bool
}

var lfsMemMetrics = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/total:bytes"}

func lfsStartMemSampler() *lfsMemSampler {
	runtime.GC()
	debug.FreeOSMemory()
	m := &lfsMemSampler{stop: make(chan struct{})}
	s := []metrics.Sample{{Name: lfsMemMetrics[0]}, {Name: lfsMemMetrics[1]}}
	metrics.Read(s)
	m.baseHeap, m.baseTotal = s[0].Value.Uint64(), s[1].Value.Uint64()
	// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux).
	m.clearedHWM = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	m.baseRSS = lfsProcStatus("VmRSS")
	m.done.Add(1)
	go func() {
		defer m.done.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			lfsMaxStore(&m.peakHeap, s[0].Value.Uint64())
			lfsMaxStore(&m.peakTotal, s[1].Value.Uint64())
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func lfsMaxStore(a *atomic.Uint64, v uint64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}

// report stops sampling and returns the growths in MiB: Go heap objects,
// all Go runtime memory, and RSS (-1 if unknown).
func (m *lfsMemSampler) report() (heap, total, rss float64) {
	close(m.stop)
	m.done.Wait()
	grow := func(peak, base uint64) float64 {
		if peak < base {
			return 0
		}
		return float64(peak-base) / (1 << 20)
	}
	rss = -1
	if hwm := lfsProcStatus("VmHWM"); m.clearedHWM && hwm > 0 && m.baseRSS > 0 {
		rss = float64(hwm-m.baseRSS) / (1 << 20)
	}
	return grow(m.peakHeap.Load(), m.baseHeap), grow(m.peakTotal.Load(), m.baseTotal), rss
}

// lfsProcStatus returns a "kB" field of /proc/self/status in bytes, or -1.
func lfsProcStatus(field string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for ln := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(ln, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}

// benchHub is an lfsHub on SQLite for benchmarks, with a repo alice/m
// whose multipart threshold is thresh.
func benchHub(b *testing.B, tweak func(*server.Config), thresh int64) *lfsHub {
	h := newLFSHub(b, sqltest.SQLite, tweak)
	h.createRepo(b, h.Alice, "alice/m", false, thresh)
	return h
}

// benchPut PUTs a generated body of n bytes from offset off to href.
func benchPut(b *testing.B, h *lfsHub, href string, off, n int64) string {
	req, err := http.NewRequest(http.MethodPut, href, &lfsGenReader{off: off, n: n})
	if err != nil {
		b.Fatal(err)
	}
	req.ContentLength = n
	resp, err := h.Client.Do(req)
	if err != nil {
		b.Fatalf("PUT: %v", err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("PUT: status %d: %s", resp.StatusCode, msg)
	}
	return resp.Header.Get("ETag")
}

// uploadGenerated uploads a generated object of size bytes through the
// batch API, basic or multipart (whatever the server answers), with the
// parts in parallel, and verifies it.
func uploadGenerated(b *testing.B, h *lfsHub, oid string, size int64) (parts int, partsTime, completeTime time.Duration) {
	o := wire.BatchObject{OID: oid, Size: size}
	resp := h.batch(b, lfsPython, h.Alice, "alice/m", "upload", []wire.BatchObject{o})
	obj := resp.Objects[0]
	up := obj.Actions["upload"]
	if up == nil {
		b.Fatalf("no upload action: %+v", obj)
	}
	start := time.Now()
	if up.Header["chunk_size"] == "" {
		benchPut(b, h, up.Href, 0, size)
		return 1, time.Since(start), 0
	}
	m := parseLFSMultipart(b, obj)
	etags := make(map[int]string)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, n := range m.numbers() {
		wg.Go(func() {
			off := int64(n-1) * m.chunkSize
			e := benchPut(b, h, m.parts[n], off, min(m.chunkSize, size-off))
			mu.Lock()
			etags[n] = e
			mu.Unlock()
		})
	}
	wg.Wait()
	partsTime = time.Since(start)
	var list []map[string]any
	for n := 1; n <= len(m.parts); n++ {
		list = append(list, map[string]any{"partNumber": n, "etag": etags[n]})
	}
	body, _ := json.Marshal(map[string]any{"oid": oid, "parts": list})
	start = time.Now()
	r := h.transfer(b, http.MethodPost, m.complete, bytes.NewReader(body), int64(len(body)), "Content-Type", wire.LFSMediaType)
	completeTime = time.Since(start)
	if r.StatusCode != http.StatusOK {
		b.Fatalf("completion: status %d", r.StatusCode)
	}
	return len(m.parts), partsTime, completeTime
}

// basicConfig makes an object of size bytes go through a basic upload.
func basicConfig(size int64) func(*server.Config) {
	return func(c *server.Config) { c.LFSMultipartThreshold = size + 1 }
}

// multipart4Config makes an object of size bytes go through a multipart
// upload of 4 parts. (The part size is never above the threshold.)
func multipart4Config(size int64) func(*server.Config) {
	return func(c *server.Config) {
		c.LFSChunkSize = (size + 3) / 4
		c.LFSMultipartThreshold = c.LFSChunkSize
	}
}

// BenchmarkLFSUploadMemory reports how much the process's memory grows
// while a large object streams through a basic upload and through a
// multipart upload (4 parts in parallel, then completion). Target: under
// 64 MiB.
func BenchmarkLFSUploadMemory(b *testing.B) {
	size := benchSize(b, 512<<20)
	if os.Getenv("WHARF_BENCH_LARGE") == "1" && os.Getenv("WHARF_BENCH_MIB") == "" {
		size = 4 << 30
	}
	oid := lfsGenOID(size)
	for _, tc := range []struct {
		name  string
		tweak func(*server.Config)
	}{
		{"basic", basicConfig(size)},
		{"multipart4", multipart4Config(size)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				h := benchHub(b, tc.tweak, 0)
				ms := lfsStartMemSampler()
				start := time.Now()
				parts, _, _ := uploadGenerated(b, h, oid, size)
				elapsed := time.Since(start)
				heap, total, rss := ms.report()
				b.ReportMetric(heap, "heap-MiB")
				b.ReportMetric(total, "goruntime-MiB")
				b.ReportMetric(rss, "rss-MiB")
				b.ReportMetric(float64(size)/(1<<20)/elapsed.Seconds(), "MiB/s")
				b.Logf("%s upload of %d MiB in %d part(s): %.1fs; peak growth: Go heap objects %.1f MiB, Go runtime total %.1f MiB, RSS (VmHWM) %.1f MiB (target < 64 MiB)",
					tc.name, size>>20, parts, elapsed.Seconds(), heap, total, rss)
				if rss > 64 || total > 64 {
					b.Errorf("memory grew by more than 64 MiB")
				}
			}
		})
	}
}

// BenchmarkLFSUploadThroughput moves a 2 GiB object over loopback with a
// basic upload and with a multipart upload of 4 parts in parallel, and
// compares with what this machine does with `openssl dgst -sha256` and
// `cp` on a file of the same size.
func BenchmarkLFSUploadThroughput(b *testing.B) {
	size := benchSize(b, 2<<30)
	mb := float64(size) / 1e6
	oid := lfsGenOID(size)

	// The reference: one file of the same bytes in a temp dir.
	dir := b.TempDir()
	ref := filepath.Join(dir, "object")
	f, err := os.Create(ref)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.CopyBuffer(f, &lfsGenReader{n: size}, make([]byte, 1<<20)); err != nil {
		b.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	run := func(name string, args ...string) float64 {
		start := time.Now()
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			b.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
		}
		return mb / time.Since(start).Seconds()
	}
	run("openssl", "dgst", "-sha256", ref) // warm the page cache
	openssl := run("openssl", "dgst", "-sha256", ref)
	cp := run("cp", ref, filepath.Join(dir, "copy"))
	os.Remove(filepath.Join(dir, "copy"))
	cpSync := run("sh", "-c", `cp "$1" "$2" && sync "$2"`, "sh", ref, filepath.Join(dir, "copy"))
	os.Remove(filepath.Join(dir, "copy"))
	b.Logf("reference on %d MiB: openssl dgst -sha256 %.0f MB/s, cp %.0f MB/s, cp+sync %.0f MB/s", size>>20, openssl, cp, cpSync)
	b.ReportMetric(openssl, "openssl-MB/s")
	b.ReportMetric(cp, "cp-MB/s")

	for _, tc := range []struct {
		name  string
		tweak func(*server.Config)
	}{
		{"basic", basicConfig(size)},
		{"multipart4", multipart4Config(size)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				h := benchHub(b, tc.tweak, 0)
				start := time.Now()
				parts, pt, ct := uploadGenerated(b, h, oid, size)
				rate := mb / time.Since(start).Seconds()
				b.ReportMetric(rate, "MB/s")
				b.ReportMetric(rate/openssl, "x-openssl")
				b.ReportMetric(rate/cp, "x-cp")
				detail := ""
				if parts > 1 {
					detail = fmt.Sprintf(" (parts %.1fs = %.0f MB/s, completion %.1fs = %.0f MB/s)", pt.Seconds(), mb/pt.Seconds(), ct.Seconds(), mb/ct.Seconds())
				}
				b.Logf("%s, %d part(s), %d MiB: %.0f MB/s%s; %.2fx openssl sha256, %.2fx cp, %.2fx cp+sync",
					tc.name, parts, size>>20, rate, detail, rate/openssl, rate/cp, rate/cpSync)
			}
		})
	}
}
