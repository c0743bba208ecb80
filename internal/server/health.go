package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/wharfhub/wharf/internal/metrics"
	"github.com/wharfhub/wharf/internal/store/blob"
)

// handleReady answers readiness probes (Kubernetes readinessProbe): 200
// when the database and the blob store both answer within 2 s, else 503
// naming what failed. /healthz stays the liveness answer.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var failed []string
	if err := s.engine.DB().PingContext(ctx); err != nil {
		logError(r, err)
		failed = append(failed, "database")
	}
	// A Stat of an oid nobody stores: the backend must answer "not there".
	if _, err := s.blobs.Stat(ctx, strings.Repeat("0", blob.OIDLen)); err != nil && !errors.Is(err, blob.ErrNotExist) {
		logError(r, err)
		failed = append(failed, "blob store")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if len(failed) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, strings.Join(failed, ", ")+" unavailable\n")
		return
	}
	io.WriteString(w, "ready\n")
}

// Metrics returns the server's metrics registry: serve its Handler on a
// separate listener (wharf serve --metrics-addr).
func (s *Server) Metrics() *metrics.Registry { return s.metrics }

// newMetrics declares the gauges the server computes at scrape time.
func (s *Server) newMetrics() *metrics.Registry {
	m := metrics.New()
	m.AddGauges(func(w io.Writer) {
		st := s.engine.DB().Stats()
		metrics.Header(w, "wharf_db_connections", "gauge", "Database pool connections by state.")
		metrics.Sample(w, "wharf_db_connections", float64(st.InUse), "state", "in_use")
		metrics.Sample(w, "wharf_db_connections", float64(st.Idle), "state", "idle")
		metrics.Header(w, "wharf_db_wait_total", "counter", "Times a query waited for a free database connection.")
		metrics.Sample(w, "wharf_db_wait_total", float64(st.WaitCount))
		metrics.Header(w, "wharf_db_wait_seconds_total", "counter", "Time spent waiting for a free database connection.")
		metrics.Sample(w, "wharf_db_wait_seconds_total", st.WaitDuration.Seconds())
		chain, readBack := s.xet.SHA256Sources()
		metrics.Header(w, "wharf_xet_file_sha256_total", "counter", "New files of Xet shards by where their sha256 came from: a chain of xorbs hashed as they arrived, or reading the file back.")
		metrics.Sample(w, "wharf_xet_file_sha256_total", float64(chain), "source", "chain")
		metrics.Sample(w, "wharf_xet_file_sha256_total", float64(readBack), "source", "read_back")
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var n int64
		if err := s.engine.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM lfs_uploads WHERE expires_at > $1`, time.Now().Unix()).Scan(&n); err == nil {
			metrics.Header(w, "wharf_lfs_multipart_uploads_in_flight", "gauge", "Multipart LFS upload sessions not completed and not expired.")
			metrics.Sample(w, "wharf_lfs_multipart_uploads_in_flight", float64(n))
		}
	})
	return m
}
