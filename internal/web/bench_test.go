package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
	"github.com/wharfhub/wharf/wire"
)

// Shape of the benchmark repo: 100 folders of 1,000 files under data/,
// plus a README and a few files at the root.
const (
	benchDirs  = 100
	benchFiles = 1000
)

// bigRepo builds alice/big through the engine: one commit of 100,000 files,
// then a second that changes a few, so "last commit" has history to walk.
func bigRepo(b *testing.B, h *servertest.Hub) {
	b.Helper()
	ctx := context.Background()
	id, _ := wire.ParseRepoID("alice/big")
	rp, err := h.Engine.CreateRepo(ctx, wire.Model, id, repo.CreateOptions{Author: repo.Author{Name: "alice"}})
	if err != nil {
		b.Fatal(err)
	}
	changes := make([]repo.Change, 0, benchDirs*benchFiles+3)
	changes = append(changes,
		repo.Change{Kind: repo.Add, Path: "README.md", Content: []byte("---\nlicense: mit\ntags: [bench]\n---\n# Big\n\nA repo of 100,000 files.\n")},
		repo.Change{Kind: repo.Add, Path: "config.json", Content: []byte(`{"hidden_size": 8}`)})
	for d := range benchDirs {
		for f := range benchFiles {
			changes = append(changes, repo.Change{Kind: repo.Add, Path: fmt.Sprintf("data/shard-%03d/file-%05d.txt", d, f),
				Content: fmt.Appendf(nil, "row %d %d\n", d, f)})
		}
	}
	start := time.Now()
	if _, err := h.Engine.Commit(ctx, rp, "main", repo.CommitOptions{Summary: "Add 100,000 files", Author: repo.Author{Name: "alice"}}, changes); err != nil {
		b.Fatal(err)
	}
	if _, err := h.Engine.Commit(ctx, rp, "main", repo.CommitOptions{Summary: "Touch a few", Author: repo.Author{Name: "alice"}}, []repo.Change{
		{Kind: repo.Add, Path: "data/shard-042/file-00007.txt", Content: []byte("changed\n")},
		{Kind: repo.Add, Path: "config.json", Content: []byte(`{"hidden_size": 16}`)},
	}); err != nil {
		b.Fatal(err)
	}
	head, err := h.Engine.Resolve(ctx, rp, "main")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := h.Engine.Stat(ctx, rp, head.Commit, fmt.Sprintf("data/shard-%03d/file-%05d.txt", benchDirs-1, benchFiles-1)); err != nil {
		b.Fatalf("the last file is missing: %v", err)
	}
	if h.DB.Dialect == sqlstore.Postgres {
		// As autovacuum would soon after a bulk load: without statistics
		// the planner takes the fresh objects table for a small one.
		if _, err := h.DB.ExecContext(ctx, `ANALYZE objects`); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("built a repo of %d files in %v", benchDirs*benchFiles+3, time.Since(start).Round(time.Millisecond))
}

// benchPage serves path in process (routing, engine and rendering; no
// network) and reports the p50 and p99 of the time per page.
func benchPage(b *testing.B, h *servertest.Hub, path string) {
	b.Helper()
	handler := h.Server.Config.Handler
	var times []time.Duration
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, path, nil)
		t0 := time.Now()
		handler.ServeHTTP(w, r)
		times = append(times, time.Since(t0))
		if w.Code != http.StatusOK {
			b.Fatalf("GET %s: status %d: %.500s", path, w.Code, w.Body.String())
		}
	}
	b.StopTimer()
	slices.Sort(times)
	q := func(p float64) float64 {
		return float64(times[min(int(p*float64(len(times))), len(times)-1)]) / float64(time.Millisecond)
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}

// benchHubs builds the big repo once per dialect and runs fn on it.
func benchHubs(b *testing.B, fn func(b *testing.B, h *servertest.Hub)) {
	for _, d := range sqltest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			h := newHub(b, d)
			bigRepo(b, h)
			fn(b, h)
		})
	}
}

// BenchmarkRepoHomePage: the home page of a 100,000-file repo (root list,
// README with metadata, last commit).
func BenchmarkRepoHomePage(b *testing.B) {
	benchHubs(b, func(b *testing.B, h *servertest.Hub) {
		benchPage(b, h, "/alice/big")
	})
}

// BenchmarkTreePage: folder pages of a 100,000-file repo, with the last
// commit of each entry: data/ (100 folders) and the first page of a folder
// of 1,000 files.
func BenchmarkTreePage(b *testing.B) {
	benchHubs(b, func(b *testing.B, h *servertest.Hub) {
		b.Run("dirs", func(b *testing.B) { benchPage(b, h, "/alice/big/tree/main/data") })
		b.Run("files", func(b *testing.B) { benchPage(b, h, "/alice/big/tree/main/data/shard-042") })
		b.Run("api-files", func(b *testing.B) { benchPage(b, h, "/api/models/alice/big/tree/main/data/shard-042?limit=100") })
		b.Run("files-page3", func(b *testing.B) {
			benchPage(b, h, "/alice/big/tree/main/data/shard-042?cursor=data/shard-042/file-00299.txt")
		})
	})
}
