package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/wharfhub/wharf/hub"
	"github.com/wharfhub/wharf/wire"
)

// clientFlags are the flags of the commands that talk to a Hub.
type clientFlags struct {
	endpoint string
	token    string
}

func (f *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.endpoint, "endpoint", "", "Hub URL (default $HF_ENDPOINT, else https://huggingface.co)")
	fs.StringVar(&f.token, "token", "", "access token (default $HF_TOKEN, else the token file 'wharf login' writes)")
}

// client returns a hub.Client for the flags; the SDK resolves what they
// leave empty from the environment, as huggingface_hub does.
func (f *clientFlags) client() (*hub.Client, error) {
	return hub.New(&hub.Options{Endpoint: f.endpoint, Token: f.token, UserAgent: "wharf-cli/" + hub.Version})
}

// repoFlags are --repo-type (alias --type) and, for some commands, --revision.
type repoFlags struct {
	typ      string
	revision string
}

func (f *repoFlags) register(fs *flag.FlagSet, revision bool) {
	const help = "repo type: model, dataset or space"
	fs.StringVar(&f.typ, "repo-type", "model", help)
	fs.StringVar(&f.typ, "type", "model", "same as --repo-type")
	if revision {
		fs.StringVar(&f.revision, "revision", "", "branch, tag or commit (default: the default branch)")
	}
}

// repo parses and validates a repo id with the type of the flags, before
// any request is sent. A bad id or type is a usage error.
func (f *repoFlags) repo(id string) (hub.Repo, error) {
	var t hub.RepoType
	switch f.typ {
	case "", "model":
		t = hub.Model
	case "dataset":
		t = hub.Dataset
	case "space":
		t = hub.Space
	default:
		return hub.Repo{}, fmt.Errorf("invalid --repo-type %q: use model, dataset or space: %w", f.typ, errUsage)
	}
	r := hub.Repo{ID: id, Type: t}
	if err := r.Validate(); err != nil {
		return hub.Repo{}, fmt.Errorf("%w: %w", err, errUsage)
	}
	// The CLI names repos as namespace/name, as huggingface-cli's upload
	// and repo commands expect; namespace-less ids are the SDK's.
	if _, err := wire.ParseRepoID(id); err != nil {
		return hub.Repo{}, fmt.Errorf("%w: %w", err, errUsage)
	}
	return r, nil
}

// repoName is the last segment of a repo id ("alice/bert" → "bert").
func repoName(id string) string { return id[strings.LastIndex(id, "/")+1:] }

// optBool is a flag that may be left unset: --private, --private=false, or
// --no-private (registered by registerOptBool).
type optBool struct{ v *bool }

func (o *optBool) String() string {
	if o == nil || o.v == nil {
		return ""
	}
	return strconv.FormatBool(*o.v)
}

func (o *optBool) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false")
	}
	o.v = &b
	return nil
}

func (o *optBool) IsBoolFlag() bool { return true }

// negated sets the flag to false when --no-NAME is given.
type negated struct{ o *optBool }

func (n negated) String() string { return "" }
func (n negated) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false")
	}
	b = !b
	n.o.v = &b
	return nil
}
func (n negated) IsBoolFlag() bool { return true }

func registerOptBool(fs *flag.FlagSet, o *optBool, name, help string) {
	fs.Var(o, name, help)
	fs.Var(negated{o}, "no-"+name, "the opposite of --"+name)
}

// newCommand returns the flag set of a client command. It prints nothing
// by itself: parseCommand reports errors in one line and prints the help
// on -h.
func newCommand(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseCommand parses the flags of a client command, anywhere among its
// positional arguments. -h prints the synopsis and the flags on stdout and
// returns flag.ErrHelp.
func parseCommand(fs *flag.FlagSet, synopsis string, args []string, stdout io.Writer) ([]string, error) {
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stdout, "Usage: wharf %s\n\nFlags:\n", synopsis)
		printFlags(stdout, fs)
		return nil, err
	}
	if err != nil {
		msg := strings.TrimSuffix(err.Error(), ": "+errUsage.Error())
		return nil, fmt.Errorf("%s: %s (see 'wharf %s -h'): %w", fs.Name(), msg, fs.Name(), errUsage)
	}
	return pos, nil
}

// usagef returns a usage error (exit code 2).
func usagef(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), errUsage)
}

// printFlags lists the flags GNU-style (--name), unlike flag.PrintDefaults.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		typ, help := flag.UnquoteUsage(f)
		if typ == "value" {
			typ = "PATTERN"
			if f.Name == "every" {
				typ = "MINUTES"
			}
		}
		if _, isBool := f.Value.(interface{ IsBoolFlag() bool }); isBool {
			typ = ""
		}
		line := "  " + dash + f.Name
		if typ != "" {
			line += " " + typ
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "[]" {
			help += fmt.Sprintf(" (default %q)", f.DefValue)
		}
		fmt.Fprintf(w, "%s\n      %s\n", line, help)
	})
}
