package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wharfhub/wharf/hub"
)

// uploadEvery runs 'wharf upload --every MINUTES': a commit scheduler
// pushes the folder (or the folder of the file, restricted to it) until
// ctx ends (Ctrl-C), then makes a last push. As huggingface-cli, a file
// keeps its local name: only the folder part of PATH_IN_REPO is used, and
// --delete is ignored.
func uploadEvery(ctx context.Context, cf *clientFlags, r hub.Repo, p uploadPaths, isDir bool, exclude, del []string,
	private *bool, revision string, every float64, quiet bool, stdout, stderr io.Writer) error {
	opts := &hub.CommitSchedulerOptions{
		Every: time.Duration(every * float64(time.Minute)), Revision: revision, Private: private,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	folder := p.local
	if isDir {
		opts.PathInRepo, opts.AllowPatterns, opts.IgnorePatterns = p.inRepo, p.include, exclude
		if len(del) > 0 && !quiet {
			fmt.Fprintln(stderr, "warning: ignoring --delete when uploading with scheduled commits")
		}
	} else {
		folder = filepath.Dir(p.local)
		name := filepath.Base(p.local)
		dir, dest := "", p.inRepo
		if i := strings.LastIndex(dest, "/"); i >= 0 {
			dir, dest = dest[:i], dest[i+1:]
		}
		if dest != "" && dest != "." && dest != name && !quiet {
			keep := name
			if dir != "" {
				keep = dir + "/" + name
			}
			fmt.Fprintf(stderr, "warning: scheduled uploads keep the local file name, so the file will be uploaded as '%s' rather than '%s'\n", keep, p.inRepo)
		}
		opts.PathInRepo, opts.AllowPatterns = dir, []string{name}
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	s, err := hub.NewCommitScheduler(ctx, c, r, folder, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Scheduling commits every %s minutes to %s.\n", pyFloat(every), r.ID)
	<-ctx.Done()
	// A second Ctrl-C abandons the last push.
	stopCtx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := s.Stop(stopCtx); err != nil {
		return fmt.Errorf("last scheduled commit: %w", err)
	}
	fmt.Fprintln(stdout, "Stopped scheduled commits.")
	return nil
}

// pyFloat formats a float as Python's str() does for usual values (5 →
// "5.0", 0.5 → "0.5").
func pyFloat(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return s
}
