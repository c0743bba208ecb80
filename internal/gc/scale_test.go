package gc_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/gc"
	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
	"github.com/wharfhub/wharf/wire"
)

// TestGCScale measures gc over many repos (WHARF_GC_SCALE_REPOS, skipped
// when unset): each repo gets three commits of 30 files in 3 folders and
// then a super-squash, so about a third of its objects are garbage.
func TestGCScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("WHARF_GC_SCALE_REPOS"))
	if n == 0 {
		t.Skip("set WHARF_GC_SCALE_REPOS to run")
	}
	ctx := context.Background()
	h := servertest.New(t, sqltest.SQLite)
	start := time.Now()
	for i := range n {
		id, _ := wire.ParseRepoID(fmt.Sprintf("alice/r%d", i))
		r, err := h.Engine.CreateRepo(ctx, wire.Model, id, repo.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for c := range 3 {
			var ch []repo.Change
			for f := range 30 {
				ch = append(ch, repo.Change{Kind: repo.Add, Path: fmt.Sprintf("d%d/f%d.txt", f%3, f), Content: fmt.Appendf(nil, "repo %d commit %d file %d", i, c, f)})
			}
			if _, err := h.Engine.Commit(ctx, r, "main", repo.CommitOptions{Summary: "c"}, ch); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := h.Engine.SuperSquash(ctx, r, "main", "squash", repo.Author{Name: "alice"}); err != nil {
			t.Fatal(err)
		}
	}
	var objects int64
	h.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM objects`).Scan(&objects)
	t.Logf("setup: %d repos, %d objects in %s", n, objects, time.Since(start).Round(time.Second))
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	for _, apply := range []bool{false, true} {
		runtime.GC()
		peak.Store(0)
		t0 := time.Now()
		rep, err := gc.New(h.Engine, h.Blobs, gc.Options{Apply: apply}).Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		t.Logf("gc apply=%t: %s, %d unreachable objects (%d bytes), peak Go heap %d MiB, process max RSS %d MiB",
			apply, time.Since(t0).Round(time.Millisecond), rep.Objects, rep.ObjectBytes, peak.Load()>>20, ru.Maxrss>>10)
	}
	close(stop)
}
