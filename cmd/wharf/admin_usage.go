package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/store/sqlstore"
	storeusage "github.com/wharfhub/wharf/internal/usage"
)

// adminCommands are the admin subcommands that have their own flags
// (the add commands are in admin.go).
var adminCommands = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) error{
	"usage": cmdAdminUsage,
	"quota": cmdAdminQuota,
}

// openAdminDB opens the database the store flags name.
func openAdminDB(ctx context.Context, sf *storeFlags) (*sqlstore.DB, error) {
	if err := sf.resolve(); err != nil {
		return nil, err
	}
	return sqlstore.Open(ctx, sf.db)
}

func writeJSONTo(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// cmdAdminUsage prints storage usage: per namespace, or per repo of one
// namespace, and the server totals.
func cmdAdminUsage(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin usage", stderr)
	var sf storeFlags
	sf.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: wharf admin usage [NAMESPACE] [--json]\n\nBytes of LFS/Xet content referenced by each namespace (or each repo of NAMESPACE), whole history included.\nContent shared by several repos counts in each of them, and once in the server total.\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return fmt.Errorf("admin usage: expected at most one namespace: %w", errUsage)
	}
	db, err := openAdminDB(ctx, &sf)
	if err != nil {
		return err
	}
	defer db.Close()
	u := storeusage.New(db, storeusage.Options{})
	tot, err := u.Total(ctx)
	if err != nil {
		return err
	}
	if len(pos) == 1 {
		repos, err := u.Repos(ctx, pos[0])
		if err != nil {
			return err
		}
		ns, err := u.Namespaces(ctx, pos[0])
		if err != nil {
			return err
		}
		if *asJSON {
			out := map[string]any{"namespace": pos[0], "usedStorage": int64(0), "repos": repos}
			if len(ns) == 1 {
				out["usedStorage"] = ns[0].Bytes
				out["usedStoragePrivate"] = ns[0].PrivateBytes
			}
			if repos == nil {
				out["repos"] = []storeusage.Repo{}
			}
			return writeJSONTo(stdout, out)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "BYTES\tSIZE\tFILES\t\tREPO\t")
		var sum int64
		for _, r := range repos {
			vis := ""
			if r.Private {
				vis = "private"
			}
			fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t\n", r.Bytes, storeusage.FormatBytes(r.Bytes), r.Files, vis, usageRepoName(r))
			sum += r.Bytes
		}
		fmt.Fprintf(tw, "%d\t%s\t\t\t%s (total; content shared by repos counts in each)\t\n", sum, storeusage.FormatBytes(sum), pos[0])
		return tw.Flush()
	}
	ns, err := u.Namespaces(ctx, "")
	if err != nil {
		return err
	}
	if *asJSON {
		if ns == nil {
			ns = []storeusage.Namespace{}
		}
		return writeJSONTo(stdout, map[string]any{"namespaces": ns, "total": tot})
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "BYTES\tSIZE\tPRIVATE\tREPOS\tNAMESPACE\t")
	for _, n := range ns {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t\n", n.Bytes, storeusage.FormatBytes(n.Bytes), storeusage.FormatBytes(n.PrivateBytes), n.Repos, n.Namespace)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "\nserver: %s referenced (%d bytes, shared content once); %s summed over repos; %s recorded as stored\n",
		storeusage.FormatBytes(tot.Referenced), tot.Referenced, storeusage.FormatBytes(tot.RepoSum), storeusage.FormatBytes(tot.Stored))
	return nil
}

func usageRepoName(r storeusage.Repo) string {
	prefix := ""
	switch r.Type {
	case "dataset":
		prefix = "datasets/"
	case "space":
		prefix = "spaces/"
	}
	return prefix + r.Namespace + "/" + r.Name
}

// cmdAdminQuota sets, shows and removes namespace quotas.
func cmdAdminQuota(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const help = `Usage:
  wharf admin quota set NAMESPACE SIZE [--private-only]   (SIZE like 500GB, 1.5TB, 200GiB)
  wharf admin quota show [NAMESPACE] [--json]
  wharf admin quota remove NAMESPACE

Uploads that would take a user or organization over its quota are refused
with 403 before any byte is stored. --private-only counts and limits only
private repos.
`
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, help)
		if len(args) == 0 {
			return fmt.Errorf("admin quota: expected set, show or remove: %w", errUsage)
		}
		return nil
	}
	verb := args[0]
	fs := newFlagSet("admin quota "+verb, stderr)
	var sf storeFlags
	sf.register(fs)
	var privateOnly, asJSON *bool
	var want int
	switch verb {
	case "set":
		privateOnly = fs.Bool("private-only", false, "count and limit only private repos")
		want = 2
	case "show":
		asJSON = fs.Bool("json", false, "print JSON")
		want = -1
	case "remove":
		want = 1
	default:
		fmt.Fprint(stderr, help)
		return fmt.Errorf("admin quota: unknown command %q: %w", verb, errUsage)
	}
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if want >= 0 && len(pos) != want || want < 0 && len(pos) > 1 {
		return fmt.Errorf("admin quota %s: wrong number of arguments: %w", verb, errUsage)
	}
	var limit int64
	if verb == "set" {
		if limit, err = storeusage.ParseBytes(pos[1]); err != nil {
			return fmt.Errorf("admin quota set: %v: %w", err, errUsage)
		}
	}
	db, err := openAdminDB(ctx, &sf)
	if err != nil {
		return err
	}
	defer db.Close()
	u := storeusage.New(db, storeusage.Options{})
	switch verb {
	case "set":
		if _, err := auth.New(db).Account(ctx, pos[0]); err != nil {
			return fmt.Errorf("admin quota set: %s: %w", pos[0], err)
		}
		if err := u.SetQuota(ctx, pos[0], limit, *privateOnly); err != nil {
			return err
		}
		what := ""
		if *privateOnly {
			what = " (private repos)"
		}
		fmt.Fprintf(stdout, "quota of %s: %s%s\n", pos[0], storeusage.FormatBytes(limit), what)
	case "remove":
		ok, err := u.RemoveQuota(ctx, pos[0])
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s has no quota", pos[0])
		}
		fmt.Fprintf(stdout, "removed the quota of %s\n", pos[0])
	case "show":
		ns := ""
		if len(pos) == 1 {
			ns = pos[0]
		}
		qs, err := u.Quotas(ctx, ns)
		if err != nil {
			return err
		}
		if *asJSON {
			if qs == nil {
				qs = []storeusage.Quota{}
			}
			return writeJSONTo(stdout, qs)
		}
		if ns != "" && len(qs) == 0 {
			fmt.Fprintf(stdout, "%s has no quota\n", ns)
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAMESPACE\tLIMIT\tUSED\tRESERVED\tFREE\tSCOPE")
		for _, q := range qs {
			scope := "all repos"
			if q.PrivateOnly {
				scope = "private repos"
			}
			free := max(q.Limit-q.Used-q.Reserved, 0)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", q.Namespace, storeusage.FormatBytes(q.Limit), storeusage.FormatBytes(q.Used), storeusage.FormatBytes(q.Reserved), storeusage.FormatBytes(free), scope)
		}
		return tw.Flush()
	}
	return nil
}
