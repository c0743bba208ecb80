package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/wharfhub/wharf/hub"
)

const uploadSynopsis = `upload REPO_ID [LOCAL_PATH] [PATH_IN_REPO] [flags]

Uploads a file or a folder in one commit, creating the repo (and the branch
of --revision) if needed, and prints the commit URL. As huggingface-cli:
  - without LOCAL_PATH, a local file or folder named like the repo is uploaded
    (a file under its own name, a folder to the repo root);
  - a file goes to PATH_IN_REPO, by default its base name;
  - a folder goes to PATH_IN_REPO, by default the repo root;
  - a LOCAL_PATH with a wildcard (*, ? or [) uploads the files of the current
    folder that match it, like --include.
Repeat --include, --exclude and --delete for several patterns. Patterns follow
Python's fnmatch: '*' also matches '/', and 'dir/' means everything below dir.`

func cmdUpload(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommand("upload")
	var cf clientFlags
	cf.register(fs)
	var rf repoFlags
	rf.register(fs, true)
	var private optBool
	registerOptBool(fs, &private, "private", "make the repo private if it is created (default: the Hub's default)")
	var include, exclude, del multiFlag
	fs.Var(&include, "include", "upload only the files matching this pattern (repeatable)")
	fs.Var(&exclude, "exclude", "do not upload the files matching this pattern (repeatable)")
	fs.Var(&del, "delete", "delete the remote files under PATH_IN_REPO matching this pattern, in the same commit (repeatable)")
	message := fs.String("commit-message", "", "commit summary (default: \"Upload folder using huggingface_hub\" or \"Upload PATH with huggingface_hub\")")
	description := fs.String("commit-description", "", "commit description")
	createPR := fs.Bool("create-pr", false, "open a pull request against --revision instead of committing to it")
	var every float64
	fs.Func("every", "push the changes every N minutes until interrupted (scheduled commits; append-only data)", func(s string) error {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || !(v > 0) {
			return errors.New("must be a number of minutes > 0")
		}
		every = v
		return nil
	})
	var quiet bool
	fs.BoolVar(&quiet, "quiet", false, "print only the URL: no progress bars, no warnings")
	fs.BoolVar(&quiet, "q", false, "same as --quiet")
	pos, err := parseCommand(fs, uploadSynopsis, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) > 3 {
		return usagef("upload: want REPO_ID [LOCAL_PATH] [PATH_IN_REPO], got %d arguments", len(pos))
	}
	r, err := rf.repo(pos[0])
	if err != nil {
		return err
	}
	p, err := inferUploadPaths(pos[0], pos[1:], include)
	if err != nil {
		return err
	}
	fi, err := os.Stat(p.local)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s: no such file or directory", p.local)
	case err != nil:
		return err
	case !fi.Mode().IsRegular() && !fi.IsDir():
		return fmt.Errorf("%s is not a regular file or a folder", p.local)
	}
	if !fi.IsDir() && !quiet {
		for _, f := range []struct {
			name string
			set  multiFlag
		}{{"--include", p.include}, {"--exclude", exclude}, {"--delete", del}} {
			if len(f.set) > 0 {
				fmt.Fprintf(stderr, "warning: ignoring %s since a single file is uploaded\n", f.name)
			}
		}
	}
	if every > 0 {
		return uploadEvery(ctx, &cf, r, p, fi.IsDir(), exclude, del, private.v, rf.revision, every, quiet, stdout, stderr)
	}

	c, err := cf.client()
	if err != nil {
		return err
	}
	if _, err := c.CreateRepo(ctx, r, &hub.CreateRepoOptions{Private: private.v, ExistOK: true}); err != nil {
		return err
	}
	if rf.revision != "" && !*createPR {
		// As huggingface-cli: commit to a new branch by creating it first.
		_, err := c.RepoInfo(ctx, r, &hub.RepoInfoOptions{Revision: rf.revision})
		if errors.Is(err, hub.ErrRevisionNotFound) {
			err = c.CreateBranch(ctx, r, rf.revision, &hub.CreateBranchOptions{ExistOK: true})
			if err == nil && !quiet {
				fmt.Fprintf(stderr, "Created branch %s\n", rf.revision)
			}
		}
		if err != nil {
			return err
		}
	}

	bars := newProgress(stderr, quiet)
	opts := hub.CommitOptions{Message: *message, Description: *description, Revision: rf.revision, CreatePR: *createPR}
	if bars != nil {
		opts.Progress = bars.update
	}
	var ci *hub.CommitInfo
	if fi.IsDir() {
		if bars != nil {
			bars.start(folderLabel(p.local, p.include, exclude))
		}
		ci, err = c.UploadFolder(ctx, r, p.local, &hub.UploadFolderOptions{
			CommitOptions: opts, PathInRepo: p.inRepo,
			AllowPatterns: p.include, IgnorePatterns: exclude, DeletePatterns: del,
		})
	} else {
		var content hub.Content
		content, err = hub.FromPath(p.local)
		if err == nil {
			bars.start(fmt.Sprintf("Hashing %s (%s)", filepath.Base(p.local), formatBytes(fi.Size())))
			ci, err = c.UploadFile(ctx, r, p.inRepo, content, &opts)
		}
	}
	bars.finish()
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, ci.URL)
	if !quiet {
		if ci.Skipped {
			fmt.Fprintln(stderr, "No changes: the Hub already has these files; no commit was made")
		}
		if ci.PRURL != "" {
			fmt.Fprintf(stderr, "Opened pull request #%d: %s (revision %s)\n", ci.PRNum, ci.PRURL, ci.PRRevision)
		}
	}
	return nil
}

// uploadPaths is what to upload and where.
type uploadPaths struct {
	local   string
	inRepo  string // "." is the repo root
	include []string
}

// inferUploadPaths applies huggingface-cli's rules to the positional
// arguments after REPO_ID (PROTOCOL.md §13.1), including the 0.2x meaning
// of a wildcard LOCAL_PATH.
func inferUploadPaths(repoID string, rest []string, include []string) (uploadPaths, error) {
	name := repoName(repoID)
	switch {
	case len(rest) > 0 && strings.ContainsAny(rest[0], "*?["):
		if len(include) > 0 {
			return uploadPaths{}, usagef("upload: cannot set --include when LOCAL_PATH %q contains a wildcard", rest[0])
		}
		if len(rest) > 1 && rest[1] != "." {
			return uploadPaths{}, usagef("upload: cannot set PATH_IN_REPO when LOCAL_PATH %q contains a wildcard", rest[0])
		}
		return uploadPaths{local: ".", inRepo: ".", include: []string{rest[0]}}, nil
	case len(rest) == 0 && isFile(name):
		return uploadPaths{local: name, inRepo: name, include: include}, nil
	case len(rest) == 0 && isDir(name):
		return uploadPaths{local: name, inRepo: ".", include: include}, nil
	case len(rest) == 0:
		return uploadPaths{}, fmt.Errorf("upload: '%s' is not a local file or folder: please set LOCAL_PATH explicitly", name)
	case len(rest) == 1 && isFile(rest[0]):
		return uploadPaths{local: rest[0], inRepo: filepath.Base(rest[0]), include: include}, nil
	case len(rest) == 1:
		return uploadPaths{local: rest[0], inRepo: ".", include: include}, nil
	}
	return uploadPaths{local: rest[0], inRepo: rest[1], include: include}, nil
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// folderLabel describes the files UploadFolder is about to hash.
func folderLabel(dir string, include, exclude []string) string {
	files, err := hub.ListFolder(dir, include, exclude)
	if err != nil {
		return "Hashing files"
	}
	var size int64
	for _, f := range files {
		if fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f))); err == nil {
			size += fi.Size()
		}
	}
	return fmt.Sprintf("Hashing %d %s (%s)", len(files), plural(len(files), "file", "files"), formatBytes(size))
}
