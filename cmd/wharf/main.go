// Command wharf is a self-hostable Hugging Face Hub and its upload tools.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/blob/local"
	"github.com/wharfhub/wharf/internal/store/blob/s3"
)

const usage = `wharf: a Hugging Face Hub you can run yourself, and its client

Usage:
  wharf serve [--addr 127.0.0.1:8080] [--data DIR] [--db DSN] [--public-url URL] [--gc-interval 6h]
  wharf admin user add NAME [--fullname F] [--email E] [--token hf_...] [--admin]
  wharf admin org add ORG [--member NAME[:admin|:write|:read]]...
  wharf admin token add USER [--role read|write] [--value hf_...] [--name NAME]
  wharf admin usage [NAMESPACE] [--json]
  wharf admin gc [--apply] [--grace 1h] [--json]
  wharf admin backup DEST | restore SRC --data DIR | verify [--no-hash] [--json]
  wharf admin user list|show|disable|enable|remove [NAME] [--json]
  wharf admin org list|show|remove [ORG] | org member add|remove ORG USER [ROLE]
  wharf admin token list USER | token revoke USER ID
  wharf admin repo list [NAMESPACE] | repo move FROM TO
  wharf admin quota set NAMESPACE SIZE [--private-only] | show [NAMESPACE] | remove NAMESPACE

  wharf upload REPO_ID [LOCAL_PATH] [PATH_IN_REPO] [--repo-type T] [--revision REV]
               [--private] [--include PAT]... [--exclude PAT]... [--delete PAT]...
               [--commit-message MSG] [--commit-description DESC] [--create-pr] [--quiet]
               [--every MINUTES]
  wharf upload-large-folder REPO_ID LOCAL_PATH --repo-type T [--revision REV] [--private]
               [--include PAT]... [--exclude PAT]... [--path-in-repo P] [--num-workers N]
               [--no-report] [--report-every DUR] [--dry-run]
  wharf download REPO_ID [FILE]... [--repo-type T] [--revision REV] [--local-dir DIR]
                 [--include PAT]... [--exclude PAT]... [--quiet]
  wharf repo create REPO_ID [--repo-type T] [--private] [--exist-ok] [--space-sdk SDK]
  wharf repo delete REPO_ID [--repo-type T] [--missing-ok]
  wharf repo info REPO_ID [--repo-type T] [--revision REV]
  wharf repo ls REPO_ID [PATH] [--repo-type T] [--revision REV] [-R]
  wharf whoami
  wharf lfs-enable-largefiles PATH   (push LFS files over 5GB from the git clone at PATH)
  wharf login [--token hf_...]
  wharf logout
  wharf version

serve and admin take --data (env WHARF_DATA) and --db (env WHARF_DB).
The client commands take --endpoint (default $HF_ENDPOINT, else https://huggingface.co)
and --token (default $HF_TOKEN, else the token file that 'wharf login' writes).
Repeat --include, --exclude and --delete for several patterns.
Run 'wharf COMMAND -h' for the flags of a command.
`

// errUsage marks errors caused by bad arguments (exit code 2).
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := report(ctx, run(ctx, os.Args[1:], os.Stdout, os.Stderr), os.Stderr)
	stop()
	os.Exit(code)
}

// report writes err as one line on stderr and returns the exit code: 0 for
// no error or -h, 2 for usage errors, 130 when interrupted, else 1.
func report(ctx context.Context, err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "wharf: interrupted")
		return 130
	}
	msg := strings.TrimPrefix(err.Error(), "hub: ")
	if errors.Is(err, errUsage) {
		msg = strings.TrimSuffix(msg, ": "+errUsage.Error())
	}
	msg = strings.Join(strings.Fields(msg), " ") // one line, whatever the server said
	fmt.Fprintf(stderr, "wharf: %s\n", msg)
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given: %w", errUsage)
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], stdout, stderr)
	case "admin":
		return cmdAdmin(ctx, args[1:], stdout, stderr)
	case "upload":
		return cmdUpload(ctx, args[1:], stdout, stderr)
	case "upload-large-folder":
		return cmdUploadLargeFolder(ctx, args[1:], stdout, stderr)
	case "download":
		return cmdDownload(ctx, args[1:], stdout, stderr)
	case "repo":
		return cmdRepo(ctx, args[1:], stdout, stderr)
	case "whoami":
		return cmdWhoami(ctx, args[1:], stdout, stderr)
	case "login":
		return cmdLogin(ctx, args[1:], stdout, stderr)
	case "logout":
		return cmdLogout(ctx, args[1:], stdout, stderr)
	case "lfs-enable-largefiles":
		return cmdLFSEnableLargefiles(ctx, args[1:], stdout, stderr)
	case "lfs-multipart-upload":
		return cmdLFSMultipartUpload(ctx, args[1:], os.Stdin, stdout, stderr)
	case "version", "--version":
		return cmdVersion(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q: %w", args[0], errUsage)
}

// storeFlags are the flags that locate a hub's data.
type storeFlags struct {
	data  string
	db    string
	blobs string
}

func (f *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.data, "data", os.Getenv("WHARF_DATA"), "data directory (default $XDG_DATA_HOME/wharf or ~/.local/share/wharf)")
	fs.StringVar(&f.db, "db", os.Getenv("WHARF_DB"), "metadata database: a postgres:// URL, or a SQLite file (default DATA/wharf.db)")
	fs.StringVar(&f.blobs, "blobs", envOr("WHARF_BLOBS", "local"), "content storage: local (DATA/blobs) or s3://BUCKET[/PREFIX]?endpoint=URL&region=R (credentials from the AWS environment and shared config)")
}

// openBlobs opens the blob backend the flags name.
func (f *storeFlags) openBlobs(ctx context.Context) (blob.Backend, error) {
	if f.blobs == "" || f.blobs == "local" {
		return local.Open(filepath.Join(f.data, "blobs"))
	}
	if strings.HasPrefix(f.blobs, "s3://") {
		cfg, err := s3.ParseURL(f.blobs)
		if err != nil {
			return nil, err
		}
		cfg.TempDir = filepath.Join(f.data, "tmp", "s3")
		return s3.Open(ctx, cfg)
	}
	return nil, fmt.Errorf("--blobs %q: want local or s3://BUCKET[/PREFIX]?endpoint=URL&region=R", f.blobs)
}

func (f *storeFlags) resolve() error {
	if f.data == "" {
		base := os.Getenv("XDG_DATA_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return fmt.Errorf("no --data given and no home directory: %w", err)
			}
			base = filepath.Join(home, ".local", "share")
		}
		f.data = filepath.Join(base, "wharf")
	}
	if err := os.MkdirAll(f.data, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if f.db == "" {
		f.db = filepath.Join(f.data, "wharf.db")
	}
	return nil
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses flags that may come before or after positional args.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%v: %w", err, errUsage)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
