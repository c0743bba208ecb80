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
	"syscall"
)

const usage = `wharf: a Hugging Face Hub you can run yourself

Usage:
  wharf serve [--addr 127.0.0.1:8080] [--data DIR] [--db DSN] [--public-url URL]
  wharf admin user add NAME [--fullname F] [--email E] [--token hf_...] [--admin]
  wharf admin org add ORG [--member NAME[:admin|:write|:read]]...
  wharf admin token add USER [--role read|write] [--value hf_...] [--name NAME]

Every command takes --data (env WHARF_DATA) and --db (env WHARF_DB).
`

// errUsage marks errors caused by bad arguments (exit code 2).
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err == nil {
		return
	}
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	fmt.Fprintf(os.Stderr, "wharf: %v\n", err)
	if errors.Is(err, errUsage) {
		os.Exit(2)
	}
	os.Exit(1)
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
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q: %w", args[0], errUsage)
}

// storeFlags are the flags that locate a hub's data.
type storeFlags struct {
	data string
	db   string
}

func (f *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.data, "data", os.Getenv("WHARF_DATA"), "data directory (default $XDG_DATA_HOME/wharf or ~/.local/share/wharf)")
	fs.StringVar(&f.db, "db", os.Getenv("WHARF_DB"), "metadata database: a postgres:// URL, or a SQLite file (default DATA/wharf.db)")
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
