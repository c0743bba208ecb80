package hub_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharfhub/wharf/hub"
)

// BenchmarkXetUpload uploads one 256 MiB file through Xet (random bytes,
// which do not compress, and text, which does) to a fresh in-process hub
// and an empty Xet cache per iteration, and reports MB/s next to `openssl
// dgst -sha256` on the same file. The server verifies every xorb (decode,
// hash) and reads the file back for its sha256 on the same cores.
//
//	go test -run '^$' -bench XetUpload -benchtime 3x ./hub/
func BenchmarkXetUpload(b *testing.B) {
	const size = 256 << 20
	for _, kind := range []string{"random", "text"} {
		b.Run(fmt.Sprintf("%s-%dMiB", kind, size>>20), func(b *testing.B) {
			dir := b.TempDir()
			path := filepath.Join(dir, "model.bin")
			writeRandomFile(b, path, size, 7, kind == "text")
			ctx := context.Background()
			var total time.Duration
			var sent int64
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				h, err := startLocalHub(nil)
				ok(b, err)
				tap := &xetTap{next: http.DefaultTransport.(*http.Transport).Clone()}
				c, err := hub.New(&hub.Options{Endpoint: h.URL, Token: h.Alice, XetCacheDir: b.TempDir(), HTTPClient: &http.Client{Transport: tap}})
				ok(b, err)
				r := hub.Repo{ID: "alice/bench"}
				_, err = c.CreateRepo(ctx, r, nil)
				ok(b, err)
				content, err := hub.FromPath(path)
				ok(b, err)
				b.StartTimer()
				start := time.Now()
				if _, err := c.UploadFile(ctx, r, "model.bin", content, nil); err != nil {
					b.Fatal(err)
				}
				total += time.Since(start)
				b.StopTimer()
				_, n, _, _ := tap.stats()
				sent += n
				h.Close()
			}
			per := total.Seconds() / float64(b.N)
			mb := float64(size) / 1e6
			b.SetBytes(size)
			ssl := timeCommand(b, dir, "openssl", "dgst", "-sha256", "model.bin")
			b.ReportMetric(mb/ssl.Seconds(), "openssl-MB/s")
			b.ReportMetric(100*float64(sent)/float64(b.N)/size, "%sent")
			b.Logf("%s %.0f MB: Xet upload %.2fs (%.1f MB/s), xorbs %.1f %% of the file; openssl dgst -sha256 %.2fs (%.1f MB/s)",
				kind, mb, per, mb/per, 100*float64(sent)/float64(b.N)/size, ssl.Seconds(), mb/ssl.Seconds())
		})
	}
}

// BenchmarkXetDownload downloads a 256 MiB random file uploaded through
// Xet: reconstruction, parallel ranged GETs, decoding and the sha256
// check.
func BenchmarkXetDownload(b *testing.B) {
	const size = 256 << 20
	dir := b.TempDir()
	path := filepath.Join(dir, "model.bin")
	writeRandomFile(b, path, size, 8, false)
	ctx := context.Background()
	h, err := startLocalHub(nil)
	ok(b, err)
	defer h.Close()
	c, err := hub.New(&hub.Options{Endpoint: h.URL, Token: h.Alice, XetCacheDir: b.TempDir()})
	ok(b, err)
	r := hub.Repo{ID: "alice/bench"}
	_, err = c.CreateRepo(ctx, r, nil)
	ok(b, err)
	content, err := hub.FromPath(path)
	ok(b, err)
	_, err = c.UploadFile(ctx, r, "model.bin", content, nil)
	ok(b, err)
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		if _, err := c.Download(ctx, r, "model.bin", io.Discard, nil); err != nil {
			b.Fatal(err)
		}
	}
}
