package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wharfhub/wharf/hub"
)

const uploadLargeFolderSynopsis = `upload-large-folder REPO_ID LOCAL_PATH --repo-type T [flags]

Uploads a folder of any size in many commits, as huggingface-cli
upload-large-folder does: files are hashed, pre-uploaded and committed by
several workers, and the progress is saved in LOCAL_PATH/.cache/huggingface
after every step, so running the same command again after an interruption
(even kill -9) resumes where it stopped. The saved state is huggingface_hub's:
an upload started with the Python tool can be finished with this one, and
the other way round. --repo-type is required, so that nothing is uploaded to a
repo of the wrong type. A status report is printed every minute.`

func cmdUploadLargeFolder(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommand("upload-large-folder")
	var cf clientFlags
	cf.register(fs)
	var typ, revision, pathInRepo string
	fs.StringVar(&typ, "repo-type", "", "repo type: model, dataset or space (required)")
	fs.StringVar(&typ, "type", "", "same as --repo-type")
	fs.StringVar(&revision, "revision", "", "branch (or refs/pr/N) to commit to, created if missing (default: main)")
	fs.StringVar(&pathInRepo, "path-in-repo", "", "folder of the repo to upload into (default: the root)")
	var private optBool
	registerOptBool(fs, &private, "private", "make the repo private if it is created (default: the Hub's default)")
	var include, exclude multiFlag
	fs.Var(&include, "include", "upload only the files matching this pattern (repeatable)")
	fs.Var(&exclude, "exclude", "do not upload the files matching this pattern (repeatable)")
	workers := fs.Int("num-workers", 0, "number of workers (default: half the CPUs, at least 1)")
	noReport := fs.Bool("no-report", false, "print no status report")
	every := 60 * time.Second
	fs.Func("report-every", "time between status reports, e.g. 30s or 5m (default 1m)", func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil {
			secs, ferr := strconv.ParseFloat(s, 64)
			if ferr != nil {
				return errors.New("want a duration such as 30s or 5m")
			}
			d = time.Duration(secs * float64(time.Second))
		}
		if d <= 0 {
			return errors.New("must be > 0")
		}
		every = d
		return nil
	})
	fs.Bool("no-bars", false, "accepted for compatibility with huggingface-cli; there are no progress bars")
	dryRun := fs.Bool("dry-run", false, "list the files that would be uploaded and what the saved state says of each, then exit")
	pos, err := parseCommand(fs, uploadLargeFolderSynopsis, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("upload-large-folder: want REPO_ID LOCAL_PATH, got %d arguments", len(pos))
	}
	if typ == "" {
		return usagef("upload-large-folder: --repo-type is required for large uploads (model, dataset or space), to avoid uploading to a repo of the wrong type")
	}
	rf := repoFlags{typ: typ}
	r, err := rf.repo(pos[0])
	if err != nil {
		return err
	}
	if *workers < 0 {
		return usagef("upload-large-folder: --num-workers must be > 0")
	}
	folder := pos[1]
	if fi, err := os.Stat(folder); err != nil || !fi.IsDir() {
		return fmt.Errorf("upload-large-folder: %s is not a folder", folder)
	}
	opts := &hub.LargeFolderOptions{
		Revision: revision, Private: private.v, PathInRepo: pathInRepo,
		AllowPatterns: include, IgnorePatterns: exclude, NumWorkers: *workers, ReportEvery: every,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if *dryRun {
		return printLargePlan(stdout, r, folder, opts)
	}
	if !*noReport {
		opts.Report = stdout
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	if revision != "" && !strings.HasPrefix(revision, "refs/pr/") {
		// As 'wharf upload': commit to a new branch by creating it first.
		if _, err := c.CreateRepo(ctx, r, &hub.CreateRepoOptions{Private: private.v, ExistOK: true}); err != nil {
			return err
		}
		_, err := c.RepoInfo(ctx, r, &hub.RepoInfoOptions{Revision: revision})
		if errors.Is(err, hub.ErrRevisionNotFound) {
			if err = c.CreateBranch(ctx, r, revision, &hub.CreateBranchOptions{ExistOK: true}); err == nil {
				fmt.Fprintf(stderr, "Created branch %s\n", revision)
			}
		}
		if err != nil {
			return err
		}
	}
	if err := c.UploadLargeFolder(ctx, r, folder, opts); err != nil {
		return err
	}
	rev := revision
	if rev == "" {
		rev = "main"
	}
	u := c.URL(r) + "/tree/" + rev
	if p := strings.Trim(pathInRepo, "/"); p != "" && p != "." {
		u += "/" + p
	}
	fmt.Fprintln(stdout, u)
	return nil
}

// printLargePlan prints what --dry-run shows.
func printLargePlan(w io.Writer, r hub.Repo, folder string, opts *hub.LargeFolderOptions) error {
	files, err := hub.PlanLargeFolder(folder, opts)
	if err != nil {
		return err
	}
	var todo, done int
	var todoSize, total int64
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tSIZE\tPATH IN REPO")
	for _, f := range files {
		total += f.Size
		status := "to upload"
		switch f.Stage {
		case "committed":
			status = "committed"
			done++
		case "ignored":
			status = "ignored"
			done++
		case "commit":
			status = "to commit"
			fallthrough
		default:
			todo++
			todoSize += f.Size
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", status, formatBytes(f.Size), f.Path)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d %s (%s) in %s: %d already done, %d to upload (%s) to %s (%s)\n", len(files), plural(len(files), "file", "files"),
		formatBytes(total), folder, done, todo, formatBytes(todoSize), r.ID, r.Type)
	return nil
}
