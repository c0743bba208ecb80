package repo

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
)

// Benchmarks run on SQLite, and on PostgreSQL too when WHARF_TEST_POSTGRES
// is set. Run them one at a time, e.g.
//
//	go test -run '^$' -bench CommitOneFile -benchtime 20x ./internal/repo/

// layout says how a pre-filled repo spreads its files.
type layout int

const (
	nested layout = iota // dNNN/fNNN.txt: folders of 100 files
	flat                 // data/fNNNNNN.txt: one folder
)

func (l layout) path(i int) string {
	if l == flat {
		return fmt.Sprintf("data/f%06d.txt", i)
	}
	return fmt.Sprintf("d%03d/f%03d.txt", i/100, i%100)
}

// prefill creates a repo holding n small files in one commit and reports
// how long that took.
func prefill(b *testing.B, e *testEngine, n int, l layout) (*Repo, time.Duration) {
	b.Helper()
	r := e.newRepo(b)
	changes := make([]Change, n)
	for i := range changes {
		changes[i] = add(l.path(i), fmt.Sprintf("file %d\n", i))
	}
	start := time.Now()
	e.commit(b, r, "main", fmt.Sprintf("%d files", n), changes...)
	took := time.Since(start)
	b.Logf("prefill: %d files in %v (%.0f files/s)", n, took.Round(time.Millisecond), float64(n)/took.Seconds())
	return r, took
}

// settle keeps the aftermath of a big prefill out of the timings: its
// garbage, and on SQLite the checkpoint of its write-ahead log.
func settle(b *testing.B, e *testEngine) {
	b.Helper()
	if e.db.Dialect == sqlstore.SQLite {
		_, err := e.db.ExecContext(bg, `PRAGMA wal_checkpoint(TRUNCATE)`)
		ok(b, err)
	}
	runtime.GC()
}

func sizeName(n int) string {
	if n >= 1000 && n%1000 == 0 {
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// BenchmarkCommitOneFile commits one new file per iteration to a repo
// pre-filled with N files. Its cost should not grow with N for the nested
// layout: a commit loads and rewrites only the root and one folder. The
// flat layout shows the honest cost of one huge folder, whose tree is read
// and rewritten whole by every commit.
func BenchmarkCommitOneFile(b *testing.B) {
	cases := []struct {
		name string
		n    int
		l    layout
	}{
		{"files=1k", 1000, nested},
		{"files=10k", 10000, nested},
		{"files=100k", 100000, nested},
		{"files=100k-flat", 100000, flat},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for _, d := range sqltest.Dialects(b) {
				e := newTestEngine(b, d)
				r, fill := prefill(b, e, c.n, c.l)
				next := c.n
				b.Run(string(d), func(b *testing.B) {
					settle(b, e)
					objects := e.countRows(b, "objects")
					b.ResetTimer()
					for range b.N {
						// New files go round the existing folders, so no
						// folder grows much however many iterations run.
						p := c.l.path(next)
						if c.l == nested {
							p = fmt.Sprintf("d%03d/new%06d.txt", next%(c.n/100), next)
						}
						next++
						e.commit(b, r, "main", "one file", add(p, p))
					}
					b.StopTimer()
					b.ReportMetric(float64(e.countRows(b, "objects")-objects)/float64(b.N), "objects/op")
					b.ReportMetric(fill.Seconds(), "prefill-s")
				})
			}
		})
	}
}

// BenchmarkCommit10kSmallFiles makes one commit of 10,000 small regular
// files per iteration, in folders of 100.
func BenchmarkCommit10kSmallFiles(b *testing.B) {
	const n = 10000
	for _, d := range sqltest.Dialects(b) {
		e := newTestEngine(b, d)
		r := e.newRepo(b)
		round := 0
		b.Run(string(d), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				changes := make([]Change, n)
				for i := range changes {
					p := fmt.Sprintf("r%d/d%03d/f%03d.txt", round, i/100, i%100)
					changes[i] = add(p, p)
				}
				round++
				b.StartTimer()
				e.commit(b, r, "main", "10k files", changes...)
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "files/s")
		})
	}
}

// BenchmarkListTree100k lists a 100k-file repo recursively, all pages of
// the default 1000 entries, per iteration.
func BenchmarkListTree100k(b *testing.B) {
	const n = 100000
	for _, l := range []struct {
		name string
		l    layout
	}{{"nested", nested}, {"flat", flat}} {
		b.Run(l.name, func(b *testing.B) {
			for _, d := range sqltest.Dialects(b) {
				e := newTestEngine(b, d)
				r, _ := prefill(b, e, n, l.l)
				head := e.head(b, r, "main")
				b.Run(string(d), func(b *testing.B) {
					pages := 0
					for range b.N {
						opts := ListOptions{Recursive: true}
						entries := 0
						for {
							page, next, err := e.ListTree(bg, r, head, opts)
							ok(b, err)
							entries += len(page)
							pages++
							if next == "" {
								break
							}
							opts.After = next
						}
						if entries < n {
							b.Fatalf("listed %d entries, want at least %d", entries, n)
						}
					}
					b.ReportMetric(float64(pages)/float64(b.N), "pages/op")
					b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(pages), "ms/page")
				})
			}
		})
	}
}
