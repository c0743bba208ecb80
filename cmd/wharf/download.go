package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/wharfhub/wharf/hub"
)

const downloadSynopsis = `download REPO_ID [FILE]... [flags]

With FILEs, downloads each to LOCAL_DIR/FILE (LOCAL_DIR defaults to the
current folder) and prints its path. Without, downloads every file of the
revision (or those --include and --exclude select) to LOCAL_DIR (default
./NAME, NAME being the repo's name) and prints that folder.`

func cmdDownload(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommand("download")
	var cf clientFlags
	cf.register(fs)
	var rf repoFlags
	rf.register(fs, true)
	localDir := fs.String("local-dir", "", "folder to download into (default: . for files, ./NAME for a whole repo)")
	var include, exclude multiFlag
	fs.Var(&include, "include", "without FILEs: download only the files matching this pattern (repeatable)")
	fs.Var(&exclude, "exclude", "without FILEs: skip the files matching this pattern (repeatable)")
	var quiet bool
	fs.BoolVar(&quiet, "quiet", false, "print only the paths: no warnings")
	fs.BoolVar(&quiet, "q", false, "same as --quiet")
	pos, err := parseCommand(fs, downloadSynopsis, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) < 1 {
		return usagef("download: want REPO_ID [FILE]...")
	}
	r, err := rf.repo(pos[0])
	if err != nil {
		return err
	}
	files := pos[1:]
	for i, f := range files {
		f = strings.TrimPrefix(strings.ReplaceAll(f, "\\", "/"), "./")
		if !filepath.IsLocal(filepath.FromSlash(f)) {
			return usagef("download: invalid file path %q: want a path inside the repo", files[i])
		}
		files[i] = f
	}
	c, err := cf.client()
	if err != nil {
		return err
	}

	if len(files) == 0 {
		dir := *localDir
		if dir == "" {
			dir = repoName(r.ID)
		}
		if _, err := c.SnapshotDownload(ctx, r, dir, &hub.SnapshotOptions{
			Revision: rf.revision, AllowPatterns: include, IgnorePatterns: exclude,
		}); err != nil {
			return err
		}
		// The folder exists even when the patterns selected nothing.
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		fmt.Fprintln(stdout, dir)
		return nil
	}

	if (len(include) > 0 || len(exclude) > 0) && !quiet {
		fmt.Fprintln(stderr, "warning: ignoring --include and --exclude since FILEs are given")
	}
	dir := *localDir
	if dir == "" {
		dir = "."
	}
	revision := rf.revision
	if len(files) > 1 {
		// Pin the revision, so that every file comes from one commit.
		info, err := c.RepoInfo(ctx, r, &hub.RepoInfoOptions{Revision: revision})
		if err != nil {
			return err
		}
		revision = info.SHA
	}
	for _, f := range files {
		dst := filepath.Join(dir, filepath.FromSlash(f))
		if _, err := c.DownloadFile(ctx, r, f, dst, &hub.DownloadOptions{Revision: revision}); err != nil {
			return err
		}
		fmt.Fprintln(stdout, dst)
	}
	return nil
}
