package hub_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharfhub/wharf/hub"
)

// The benchmarks upload to an in-process Wharf server (SQLite, local blob
// store, loopback HTTP), so they measure the client and the server
// together on one machine. Next to the upload rate they report, for the
// same data in the same run, the rate of `openssl dgst -sha256` (hashing
// is the floor of any upload: client and server both hash) and of `cp`.
//
// Sizes above 256 MiB run only with WHARF_BENCH_LARGE=1:
//
//	go test -run '^$' -bench . -benchtime 1x ./hub/
//	WHARF_BENCH_LARGE=1 go test -run '^$' -bench . -benchtime 1x -timeout 1h ./hub/

const benchLargeLimit = 256 << 20

func benchLarge() bool { return os.Getenv("WHARF_BENCH_LARGE") == "1" }

// writeRandomFile writes size pseudo-random bytes to path: binary, or
// text (lowercase letters and spaces in lines of 64) if text is set.
func writeRandomFile(b *testing.B, path string, size int64, seed uint64, text bool) {
	b.Helper()
	ok(b, os.MkdirAll(filepath.Dir(path), 0o755))
	f, err := os.Create(path)
	ok(b, err)
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	var src io.Reader = rand.NewChaCha8(s)
	if text {
		src = textReader{src}
	}
	w := bufio.NewWriterSize(f, 1<<20)
	_, err = io.CopyN(w, src, size)
	ok(b, err)
	ok(b, w.Flush())
	ok(b, f.Close())
}

// textReader maps random bytes to text.
type textReader struct{ r io.Reader }

func (t textReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	const letters = "abcdefghijklmnopqrstuvwxyz    "
	for i := range p[:n] {
		if i%64 == 63 {
			p[i] = '\n'
		} else {
			p[i] = letters[int(p[i])%len(letters)]
		}
	}
	return n, err
}

// benchUpload runs upload against a fresh hub and repo per iteration
// (content the Hub already has would not be sent again), timing only the
// upload, and reports MB/s, files/s and the openssl and cp figures.
func benchUpload(b *testing.B, dir string, files int, bytes int64, upload func(ctx context.Context, c *hub.Client, r hub.Repo) error) {
	b.Helper()
	ctx := context.Background()
	var total time.Duration
	b.ResetTimer() // the data was generated with the timer running
	for range b.N {
		b.StopTimer()
		h, err := startLocalHub(nil)
		ok(b, err)
		// The LFS transfers: BenchmarkXetUpload measures Xet.
		c, err := hub.New(&hub.Options{Endpoint: h.URL, Token: h.Alice, DisableXet: true})
		ok(b, err)
		r := hub.Repo{ID: "alice/bench"}
		_, err = c.CreateRepo(ctx, r, nil)
		ok(b, err)
		b.StartTimer()
		start := time.Now()
		if err := upload(ctx, c, r); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		b.StopTimer()
		h.Close()
	}
	per := total.Seconds() / float64(b.N)
	b.SetBytes(bytes)
	b.ReportMetric(float64(files)/per, "files/s")
	sslDur := timeCommand(b, dir, "sh", "-c", "find . -type f -exec openssl dgst -sha256 {} + > /dev/null")
	cpDir := b.TempDir()
	cpDur := timeCommand(b, dir, "cp", "-r", ".", cpDir)
	mb := float64(bytes) / 1e6
	b.ReportMetric(mb/sslDur.Seconds(), "openssl-MB/s")
	b.ReportMetric(mb/cpDur.Seconds(), "cp-MB/s")
	b.Logf("%d files, %.1f MB: upload %.2fs (%.1f MB/s, %.0f files/s); openssl dgst -sha256 %.2fs (%.1f MB/s); cp -r %.2fs (%.1f MB/s)",
		files, mb, per, mb/per, float64(files)/per, sslDur.Seconds(), mb/sslDur.Seconds(), cpDur.Seconds(), mb/cpDur.Seconds())
}

func timeCommand(b *testing.B, dir string, name string, args ...string) time.Duration {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s: %v: %s", name, err, out)
	}
	return time.Since(start)
}

// BenchmarkUploadLargeFile uploads one large file with UploadFile (LFS;
// multipart above the server's 500 MiB threshold).
func BenchmarkUploadLargeFile(b *testing.B) {
	for _, size := range []int64{256 << 20, 2 << 30} {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			if size > benchLargeLimit && !benchLarge() {
				b.Skip("set WHARF_BENCH_LARGE=1 for sizes above 256 MiB")
			}
			dir := b.TempDir()
			path := filepath.Join(dir, "model.safetensors")
			writeRandomFile(b, path, size, 1, false)
			benchUpload(b, dir, 1, size, func(ctx context.Context, c *hub.Client, r hub.Repo) error {
				content, err := hub.FromPath(path)
				if err != nil {
					return err
				}
				_, err = c.UploadFile(ctx, r, "model.safetensors", content, nil)
				return err
			})
		})
	}
}

// BenchmarkUploadFolderSmallFiles uploads 10,000 files of 1–10 KiB in one
// UploadFolder commit: text files (regular, sent inline in the commit), and
// binary ones (the server stores binary-looking content in LFS, so each is
// a basic transfer of its own).
func BenchmarkUploadFolderSmallFiles(b *testing.B) {
	for _, kind := range []string{"text", "binary"} {
		b.Run(kind, func(b *testing.B) {
			dir := b.TempDir()
			rng := rand.New(rand.NewPCG(1, 2))
			const n = 10000
			var total int64
			for i := range n {
				size := int64(1024 + rng.IntN(9*1024+1))
				total += size
				name := fmt.Sprintf("file-%05d.txt", i)
				if kind == "binary" {
					name = fmt.Sprintf("file-%05d.dat", i)
				}
				writeRandomFile(b, filepath.Join(dir, fmt.Sprintf("shard-%02d", i%50), name), size, uint64(i), kind == "text")
			}
			benchUpload(b, dir, n, total, func(ctx context.Context, c *hub.Client, r hub.Repo) error {
				_, err := c.UploadFolder(ctx, r, dir, nil)
				return err
			})
		})
	}
}

// BenchmarkUploadFolderLargeFiles uploads a folder of 20 LFS files in one
// UploadFolder commit: 20 × 8 MiB, or 20 × 100 MiB with WHARF_BENCH_LARGE=1.
func BenchmarkUploadFolderLargeFiles(b *testing.B) {
	size := int64(8 << 20)
	if benchLarge() {
		size = 100 << 20
	}
	b.Run(fmt.Sprintf("20x%dMiB", size>>20), func(b *testing.B) {
		dir := b.TempDir()
		for i := range 20 {
			writeRandomFile(b, filepath.Join(dir, fmt.Sprintf("model-%05d-of-00020.safetensors", i+1)), size, uint64(100+i), false)
		}
		benchUpload(b, dir, 20, 20*size, func(ctx context.Context, c *hub.Client, r hub.Repo) error {
			_, err := c.UploadFolder(ctx, r, dir, nil)
			return err
		})
	})
}
