package hub_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharfhub/wharf/hub"
)

// BenchmarkUploadLargeFolder uploads a folder of many small files and a
// mix of large ones with UploadLargeFolder, interrupted twice (after a
// number of commits) and resumed, against an in-process Hub (SQLite, local
// blobs). It reports the commits made (the target: < 300 for
// 100,000 files), files/s and MB/s.
//
// By default the folder is small (2,000 files, 64 MiB of large files).
// WHARF_BENCH_LARGE=1 makes it the mix: 100,000 small files and
// 20 GiB of large files. WHARF_BENCH_FILES and WHARF_BENCH_LARGE_BYTES
// (bytes, or with a K/M/G suffix) set the sizes; WHARF_BENCH_WORKERS the
// workers (default 4); WHARF_BENCH_DIR where the folder is written. Run it
// once:
//
//	WHARF_BENCH_FILES=100000 WHARF_BENCH_LARGE_BYTES=2G \
//	  go test ./hub -run '^$' -bench UploadLargeFolder -benchtime 1x -timeout 2h
func BenchmarkUploadLargeFolder(b *testing.B) {
	nFiles, largeBytes := 2000, int64(64<<20)
	if os.Getenv("WHARF_BENCH_LARGE") == "1" {
		nFiles, largeBytes = 100_000, 20<<30
	}
	if v := os.Getenv("WHARF_BENCH_FILES"); v != "" {
		n, err := strconv.Atoi(v)
		ok(b, err)
		nFiles = n
	}
	if v := os.Getenv("WHARF_BENCH_LARGE_BYTES"); v != "" {
		largeBytes = parseBytes(b, v)
	}
	workers := 4
	if v := os.Getenv("WHARF_BENCH_WORKERS"); v != "" {
		n, err := strconv.Atoi(v)
		ok(b, err)
		workers = n
	}
	base := os.Getenv("WHARF_BENCH_DIR")
	dir, err := os.MkdirTemp(base, "bench-large-*")
	ok(b, err)
	b.Cleanup(func() { os.RemoveAll(dir) })
	start := time.Now()
	nLarge, total := writeBenchFolder(b, dir, nFiles, largeBytes)
	b.Logf("folder: %d small files + %d large files, %s in all, written in %v", nFiles, nLarge, fmtBytes(total), time.Since(start).Round(time.Millisecond))

	h, err := startLocalHub(nil)
	ok(b, err)
	b.Cleanup(h.Close)
	// Counts the commits that went through.
	var commits atomic.Int64
	tr := &commitCounter{next: http.DefaultTransport.(*http.Transport).Clone(), n: &commits}
	c, err := hub.New(&hub.Options{Endpoint: h.URL, Token: h.Alice, HTTPClient: &http.Client{Transport: tr}})
	ok(b, err)

	for i := 0; b.Loop(); i++ {
		os.RemoveAll(filepath.Join(dir, ".cache"))
		commits.Store(0)
		r := hub.Repo{ID: fmt.Sprintf("alice/bench-%d", i), Type: hub.Dataset}
		opts := &hub.LargeFolderOptions{NumWorkers: workers}
		if os.Getenv("WHARF_BENCH_REPORT") != "" {
			opts.Report, opts.ReportEvery = os.Stderr, 30*time.Second
		}
		// Interrupted twice: after 1/3 and 2/3 of the expected commits.
		expected := int64(max(3, (nFiles+nLarge)/1000+10))
		runs := 0
		t0 := time.Now()
		for cut := 1; ; cut++ {
			ctx, cancel := context.WithCancel(context.Background())
			if cut <= 2 {
				stopAt := commits.Load() + expected/3
				go func() {
					for ctx.Err() == nil && commits.Load() < stopAt {
						time.Sleep(20 * time.Millisecond)
					}
					cancel()
				}()
			}
			runs++
			err := c.UploadLargeFolder(ctx, r, dir, opts)
			cancel()
			if err == nil {
				break
			}
			if ctx.Err() == nil || cut > 2 {
				b.Fatal(err)
			}
			b.Logf("run %d interrupted after %v, %d commits so far", runs, time.Since(t0).Round(time.Millisecond), commits.Load())
		}
		el := time.Since(t0)
		files, err := c.ListRepoFiles(context.Background(), r, "")
		ok(b, err)
		if len(files) != nFiles+nLarge+1 {
			b.Fatalf("%d files in the repo, want %d", len(files), nFiles+nLarge+1)
		}
		b.ReportMetric(float64(commits.Load()), "commits")
		b.ReportMetric(float64(runs), "runs")
		b.ReportMetric(float64(nFiles+nLarge)/el.Seconds(), "files/s")
		b.ReportMetric(float64(total)/el.Seconds()/1e6, "MB/s")
		b.Logf("%d files (%s) in %v over %d runs: %d commits", nFiles+nLarge, fmtBytes(total), el.Round(time.Millisecond), runs, commits.Load())
	}
}

type commitCounter struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c *commitCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err == nil && req.Method == http.MethodPost && strings.Contains(req.URL.Path, "/commit/") && resp.StatusCode == http.StatusOK {
		c.n.Add(1)
	}
	return resp, err
}

func parseBytes(b *testing.B, s string) int64 {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	}
	n, err := strconv.ParseFloat(s, 64)
	ok(b, err)
	return int64(n * float64(mult))
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d B", n)
}

// writeBenchFolder writes nFiles small files (100 B to 8 KiB, 1,000 per
// folder) and large files of 1 GiB, 512, 256, 64 and 16 MiB in turn (the
// last one cut) up to largeBytes. It returns the number of large files and
// the total size.
func writeBenchFolder(b *testing.B, dir string, nFiles int, largeBytes int64) (int, int64) {
	rng := rand.New(rand.NewPCG(1, 2))
	var total int64
	buf := make([]byte, 8<<10)
	for i := range nFiles {
		sub := filepath.Join(dir, "small", fmt.Sprintf("%03d", i/1000))
		if i%1000 == 0 {
			ok(b, os.MkdirAll(sub, 0o755))
		}
		n := 100 + rng.IntN(8<<10-100)
		for k := 0; k < n; k += 8 {
			v := rng.Uint64()
			for j := 0; j < 8 && k+j < n; j++ {
				buf[k+j] = 'a' + byte(v>>(8*j))%26
			}
		}
		ok(b, os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%06d.txt", i)), buf[:n], 0o644))
		total += int64(n)
	}
	sizes := []int64{1 << 30, 512 << 20, 256 << 20, 64 << 20, 16 << 20}
	nLarge := 0
	var seed [32]byte
	for left := largeBytes; left > 0; nLarge++ {
		size := min(sizes[nLarge%len(sizes)], left)
		left -= size
		seed[0], seed[1] = byte(nLarge), byte(nLarge>>8)
		src := rand.NewChaCha8(seed)
		ok(b, os.MkdirAll(filepath.Join(dir, "large"), 0o755))
		f, err := os.Create(filepath.Join(dir, "large", fmt.Sprintf("shard-%03d.bin", nLarge)))
		ok(b, err)
		chunk := make([]byte, 4<<20)
		for w := int64(0); w < size; {
			n := min(int64(len(chunk)), size-w)
			src.Read(chunk[:n])
			_, err := f.Write(chunk[:n])
			ok(b, err)
			w += n
		}
		ok(b, f.Close())
		total += size
	}
	return nLarge, total
}
