package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/wharfhub/wharf/internal/gc"
	"github.com/wharfhub/wharf/internal/metrics"
	"github.com/wharfhub/wharf/internal/periodic"
	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/store/blob"
	storeusage "github.com/wharfhub/wharf/internal/usage"
)

func init() {
	adminCommands["gc"] = cmdAdminGC
}

// cmdAdminGC runs one garbage collection, a dry run unless --apply.
func cmdAdminGC(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin gc", stderr)
	var sf storeFlags
	sf.register(fs)
	apply := fs.Bool("apply", false, "remove what is found (default: a dry run that only reports)")
	grace := fs.Duration("grace", time.Hour, "protect content linked and blobs written less than this long ago; 0 only on an idle hub")
	xorbRetention := fs.Duration("xorb-retention", 7*24*time.Hour, "keep Xet xorbs this long after their last upload (clients dedup against shards they cached)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: wharf admin gc [--apply] [--grace 1h] [--xorb-retention 168h] [--json]\n\nRemoves git objects no ref reaches, LFS/Xet content no pointer names, and blobs no row\nnames (a blob goes once a run has seen it unreferenced for the whole grace period).\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("admin gc: no arguments expected: %w", errUsage)
	}
	db, blobs, err := openAdminStores(ctx, &sf)
	if err != nil {
		return err
	}
	defer db.Close()
	g := *grace
	if g == 0 {
		g = -1 // gc.Options: 0 means the default
	}
	engine := repo.New(db, repo.Options{})
	xr := *xorbRetention
	if xr == 0 {
		xr = -1
	}
	rep, err := gc.New(engine, blobs, gc.Options{Apply: *apply, Grace: g, XorbRetention: xr}).Run(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSONTo(stdout, rep)
	}
	printGCReport(stdout, rep)
	return nil
}

func printGCReport(w io.Writer, r *gc.Report) {
	verb, blobVerb := "would remove", "would delete"
	if r.Applied {
		verb, blobVerb = "removed", "deleted"
	}
	fb := storeusage.FormatBytes
	fmt.Fprintf(w, "repos scanned: %d (%.1fs)\n", r.Repos, r.Elapsed.Seconds())
	fmt.Fprintf(w, "git objects no ref reaches: %s %d (%s)\n", verb, r.Objects, fb(r.ObjectBytes))
	if r.ReposRemarked > 0 {
		fmt.Fprintf(w, "repos whose refs moved during the run (marked again): %d\n", r.ReposRemarked)
	}
	fmt.Fprintf(w, "content no pointer names: %s %d registrations (%s)\n", verb, r.Unlinked, fb(r.UnlinkedBytes))
	if r.Restored > 0 {
		fmt.Fprintf(w, "content named again, registered again: %d\n", r.Restored)
	}
	fmt.Fprintf(w, "Xet files no content names: %s %d (%d waiting out the grace period)\n", verb, r.XetFilesRemoved, r.XetFilesPending)
	fmt.Fprintf(w, "xorbs no Xet file names: %s %d (%s; %d waiting out the grace period)\n", verb, r.XorbsRemoved, fb(r.XorbBytesRemoved), r.XorbsPending)
	fmt.Fprintf(w, "blobs unreferenced for the grace period: %s %d (%s)\n", blobVerb, r.BlobsDeleted, fb(r.BlobBytesDeleted))
	fmt.Fprintf(w, "blobs unreferenced, waiting out the grace period: %d (%s)\n", r.BlobsPending, fb(r.BlobBytesPending))
	if r.MissingReferenced > 0 {
		fmt.Fprintf(w, "WARNING: %d contents are named by pointers but stored nowhere (run wharf admin verify)\n", r.MissingReferenced)
	}
}

// runGC collects garbage every interval until ctx ends. Replicas may all
// run it: the database lease lets one run at a time.
func runGC(ctx context.Context, engine *repo.Engine, blobs *blob.Store, interval, grace time.Duration, logger *slog.Logger, m *metrics.Registry) {
	periodic.Run(ctx, interval, func(ctx context.Context) {
		rep, err := gc.New(engine, blobs, gc.Options{Apply: true, Grace: grace, Logger: logger}).Run(ctx)
		switch {
		case errors.Is(err, gc.ErrBusy):
			m.Add("wharf_gc_runs_total", 1, "busy")
			return
		case err != nil:
			m.Add("wharf_gc_runs_total", 1, "error")
			logger.LogAttrs(ctx, slog.LevelWarn, "gc", slog.String("err", err.Error()))
			return
		}
		m.Add("wharf_gc_runs_total", 1, "ok")
		m.Add("wharf_gc_freed_bytes_total", float64(rep.BlobBytesDeleted))
		m.Add("wharf_gc_objects_removed_total", float64(rep.Objects))
		logger.LogAttrs(ctx, slog.LevelInfo, "gc", slog.Int64("objects", rep.Objects), slog.Int64("unlinked", rep.Unlinked),
			slog.Int64("blobs_deleted", rep.BlobsDeleted), slog.Int64("bytes_freed", rep.BlobBytesDeleted), slog.Int64("blobs_pending", rep.BlobsPending),
			slog.Duration("elapsed", rep.Elapsed))
	})
}

// serveMetrics serves m at http://addr/metrics until the returned func is
// called. It listens on its own address so the metrics need not be public.
func serveMetrics(addr string, m *metrics.Registry, stdout io.Writer) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	fmt.Fprintf(stdout, "wharf: metrics at http://%s/metrics\n", ln.Addr())
	return func() { hs.Close() }, nil
}
