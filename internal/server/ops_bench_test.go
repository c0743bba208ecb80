package server_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
)

// BenchmarkCommitLFSFile commits one new LFS file per iteration through
// the HTTP API: the path storage accounting (and request metrics) add to.
func BenchmarkCommitLFSFile(b *testing.B) {
	ctx := context.Background()
	h := servertest.New(b, sqltest.SQLite)
	h.CreateRepo(b, h.Alice, "alice/m", false)
	key := h.Repo(b, "alice/m").Key
	oids := make([]string, b.N)
	for i := range oids {
		oids[i] = servertest.SHA256(fmt.Appendf(nil, "content %d", i))
		now := time.Now().UnixMilli()
		h.DB.ExecContext(ctx, `INSERT INTO lfs_objects (oid, size, created_at) VALUES ($1, 1000, $2)`, oids[i], now)
		h.DB.ExecContext(ctx, `INSERT INTO repo_lfs (repo_id, oid, created_at) VALUES ($1, $2, $3)`, key, oids[i], now)
	}
	b.ResetTimer()
	for i := range b.N {
		resp := h.PostCommit(b, h.Alice, "alice/m", "main", "", servertest.Lines(servertest.Header("c", ""), servertest.LFSFile(fmt.Sprintf("f%d.bin", i%50), oids[i], 1000)))
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("commit: %d %s", resp.StatusCode, servertest.Body(resp))
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}
