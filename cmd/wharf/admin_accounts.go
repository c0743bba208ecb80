package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/store/sqlstore"
	storeusage "github.com/wharfhub/wharf/internal/usage"
	"github.com/wharfhub/wharf/wire"
)

func init() {
	for name, cmd := range map[string]adminCmd{
		"user list":    {"", 0, "list users", adminUserList},
		"user show":    {"NAME", 1, "show a user, its tokens and organizations", adminUserShow},
		"user disable": {"NAME", 1, "disable a user: its tokens stop working at once", adminUserDisable(true)},
		"user enable":  {"NAME", 1, "enable a disabled user", adminUserDisable(false)},
		"user remove":  {"NAME", 1, "delete a user with its tokens (not while it owns repos)", adminAccountRemove(false)},
		"org list":     {"", 0, "list organizations", adminOrgList},
		"org show":     {"ORG", 1, "show an organization and its members", adminOrgShow},
		"org remove":   {"ORG", 1, "delete an organization (not while it owns repos)", adminAccountRemove(true)},
		"org member":   {"add|remove ORG USER [ROLE]", -1, "add a member or change its role (read, write, admin; default write), or remove it", adminOrgMember},
		"token list":   {"USER", 1, "list a user's tokens (never their values)", adminTokenList},
		"token revoke": {"USER ID", 2, "revoke a token (ID from token list) and its web sessions", adminTokenRevoke},
		"repo list":    {"[NAMESPACE]", -1, "list repos with their storage usage", adminRepoList},
		"repo move":    {"FROM TO", 2, "move (rename) a repo, possibly to another namespace; FROM and TO as in URLs (datasets/ns/name)", adminRepoMove},
	} {
		adminCommands[name] = cmd.run(name)
	}
}

// adminEnv is what an admin command works with.
type adminEnv struct {
	db       *sqlstore.DB
	accounts *auth.Store
	json     bool
	out      io.Writer
	args     []string
}

// adminCmd is an admin command with positional arguments and --json.
type adminCmd struct {
	args  string // usage of the positional arguments
	nargs int    // exact count; -1: any
	help  string
	fn    func(ctx context.Context, e *adminEnv) error
}

func (c adminCmd) run(name string) func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		fs := newFlagSet("admin "+name, stderr)
		var sf storeFlags
		sf.register(fs)
		asJSON := fs.Bool("json", false, "print JSON")
		fs.Usage = func() {
			fmt.Fprintf(stderr, "Usage: wharf admin %s %s [--json]\n\n%s.\n\nFlags:\n", name, c.args, strings.ToUpper(c.help[:1])+c.help[1:])
			fs.PrintDefaults()
		}
		pos, err := parseFlags(fs, args)
		if err != nil {
			return err
		}
		if c.nargs >= 0 && len(pos) != c.nargs {
			fs.Usage()
			return fmt.Errorf("admin %s: expected %s: %w", name, c.args, errUsage)
		}
		db, err := openAdminDB(ctx, &sf)
		if err != nil {
			return err
		}
		defer db.Close()
		return c.fn(ctx, &adminEnv{db: db, accounts: auth.New(db), json: *asJSON, out: stdout, args: pos})
	}
}

func table(w io.Writer, header string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func date(t time.Time) string { return t.Format("2006-01-02") }

func listAccounts(ctx context.Context, e *adminEnv, orgs bool) error {
	all, err := e.accounts.ListAccounts(ctx, orgs)
	if err != nil {
		return err
	}
	if e.json {
		return writeJSONTo(e.out, all)
	}
	var rows [][]string
	for _, a := range all {
		flags := []string{}
		if a.IsAdmin {
			flags = append(flags, "admin")
		}
		if a.Disabled {
			flags = append(flags, "disabled")
		}
		n := a.Tokens
		if orgs {
			n = a.Members
		}
		rows = append(rows, []string{a.Name, a.Fullname, strconv.Itoa(n), strconv.Itoa(a.Repos), date(a.CreatedAt), strings.Join(flags, ",")})
	}
	h := "NAME\tFULL NAME\tTOKENS\tREPOS\tCREATED\t"
	if orgs {
		h = "NAME\tFULL NAME\tMEMBERS\tREPOS\tCREATED\t"
	}
	return table(e.out, h, rows)
}

func adminUserList(ctx context.Context, e *adminEnv) error { return listAccounts(ctx, e, false) }
func adminOrgList(ctx context.Context, e *adminEnv) error  { return listAccounts(ctx, e, true) }

func adminUserShow(ctx context.Context, e *adminEnv) error {
	info, err := e.accounts.AccountDetails(ctx, e.args[0])
	if err != nil {
		return err
	}
	if info.IsOrg {
		return fmt.Errorf("%s is an organization: use wharf admin org show", info.Name)
	}
	u, _ := e.accounts.Account(ctx, info.Name)
	toks, err := e.accounts.Tokens(ctx, u)
	if err != nil {
		return err
	}
	ms, err := e.accounts.Memberships(ctx, u)
	if err != nil {
		return err
	}
	orgs := map[string]string{}
	for _, m := range ms {
		orgs[m.Org.Name] = m.Role
	}
	if e.json {
		return writeJSONTo(e.out, map[string]any{"user": info, "tokens": toks, "orgs": orgs})
	}
	fmt.Fprintf(e.out, "user %s (%s) <%s>, created %s, admin %t, disabled %t, %d repos\n", info.Name, info.Fullname, info.Email, date(info.CreatedAt), info.IsAdmin, info.Disabled, info.Repos)
	for _, m := range ms {
		fmt.Fprintf(e.out, "member of %s (%s)\n", m.Org.Name, m.Role)
	}
	return printTokens(e.out, toks)
}

func printTokens(w io.Writer, toks []auth.TokenInfo) error {
	var rows [][]string
	for _, t := range toks {
		rows = append(rows, []string{strconv.FormatInt(t.ID, 10), t.Name, t.Role, t.CreatedAt.Format(time.RFC3339)})
	}
	return table(w, "TOKEN ID\tNAME\tROLE\tCREATED", rows)
}

func adminUserDisable(disabled bool) func(ctx context.Context, e *adminEnv) error {
	return func(ctx context.Context, e *adminEnv) error {
		u, err := e.accounts.Account(ctx, e.args[0])
		if err != nil {
			return err
		}
		if err := e.accounts.SetDisabled(ctx, u, disabled); err != nil {
			return err
		}
		verb := "enabled"
		if disabled {
			verb = "disabled (its tokens no longer work)"
		}
		fmt.Fprintf(e.out, "%s %s\n", u.Name, verb)
		return nil
	}
}

func adminAccountRemove(org bool) func(ctx context.Context, e *adminEnv) error {
	return func(ctx context.Context, e *adminEnv) error {
		a, err := e.accounts.Account(ctx, e.args[0])
		if err != nil {
			return err
		}
		if a.IsOrg != org {
			return fmt.Errorf("%s is not a%s", a.Name, map[bool]string{true: "n organization", false: " user"}[org])
		}
		if err := e.accounts.DeleteAccount(ctx, a); err != nil {
			return err
		}
		if _, err := storeusage.New(e.db, storeusage.Options{}).RemoveQuota(ctx, a.Name); err != nil {
			return err
		}
		fmt.Fprintf(e.out, "deleted %s\n", a.Name)
		return nil
	}
}

func adminOrgShow(ctx context.Context, e *adminEnv) error {
	info, err := e.accounts.AccountDetails(ctx, e.args[0])
	if err != nil {
		return err
	}
	if !info.IsOrg {
		return fmt.Errorf("%s is a user: use wharf admin user show", info.Name)
	}
	org, _ := e.accounts.Account(ctx, info.Name)
	ms, err := e.accounts.Members(ctx, org)
	if err != nil {
		return err
	}
	if e.json {
		return writeJSONTo(e.out, map[string]any{"org": info, "members": ms})
	}
	fmt.Fprintf(e.out, "organization %s (%s), created %s, %d repos\n", info.Name, info.Fullname, date(info.CreatedAt), info.Repos)
	var rows [][]string
	for _, m := range ms {
		rows = append(rows, []string{m.Name, m.Role})
	}
	return table(e.out, "MEMBER\tROLE", rows)
}

func adminOrgMember(ctx context.Context, e *adminEnv) error {
	a := e.args
	if len(a) < 3 || a[0] == "add" && len(a) > 4 || a[0] == "remove" && len(a) != 3 || a[0] != "add" && a[0] != "remove" {
		return fmt.Errorf("admin org member: expected add ORG USER [ROLE] or remove ORG USER: %w", errUsage)
	}
	org, err := e.accounts.Account(ctx, a[1])
	if err != nil {
		return err
	}
	user, err := e.accounts.Account(ctx, a[2])
	if err != nil {
		return err
	}
	if a[0] == "remove" {
		if err := e.accounts.RemoveMember(ctx, org, user); err != nil {
			return err
		}
		fmt.Fprintf(e.out, "removed %s from %s\n", user.Name, org.Name)
		return nil
	}
	role := auth.RoleWrite
	if len(a) == 4 {
		role = a[3]
	}
	if err := e.accounts.AddMember(ctx, org, user, role); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "%s is a member of %s (%s)\n", user.Name, org.Name, role)
	return nil
}

func adminTokenList(ctx context.Context, e *adminEnv) error {
	u, err := e.accounts.Account(ctx, e.args[0])
	if err != nil {
		return err
	}
	toks, err := e.accounts.Tokens(ctx, u)
	if err != nil {
		return err
	}
	if e.json {
		return writeJSONTo(e.out, toks)
	}
	return printTokens(e.out, toks)
}

func adminTokenRevoke(ctx context.Context, e *adminEnv) error {
	u, err := e.accounts.Account(ctx, e.args[0])
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(e.args[1], 10, 64)
	if err != nil {
		return fmt.Errorf("admin token revoke: %q is not a token id (see wharf admin token list): %w", e.args[1], errUsage)
	}
	if err := e.accounts.RevokeToken(ctx, u, id); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "revoked token %d of %s\n", id, u.Name)
	return nil
}

func adminRepoList(ctx context.Context, e *adminEnv) error {
	if len(e.args) > 1 {
		return fmt.Errorf("admin repo list: expected at most one namespace: %w", errUsage)
	}
	ns := ""
	if len(e.args) == 1 {
		ns = e.args[0]
	}
	repos, err := storeusage.New(e.db, storeusage.Options{}).Repos(ctx, ns)
	if err != nil {
		return err
	}
	if e.json {
		if repos == nil {
			repos = []storeusage.Repo{}
		}
		return writeJSONTo(e.out, repos)
	}
	var rows [][]string
	for _, r := range repos {
		vis := "public"
		if r.Private {
			vis = "private"
		}
		rows = append(rows, []string{usageRepoName(r), vis, storeusage.FormatBytes(r.Bytes), strconv.FormatInt(r.Files, 10)})
	}
	return table(e.out, "REPO\tVISIBILITY\tSTORAGE\tLFS FILES", rows)
}

// parseRepoArg parses a repo as in URLs: ns/name, datasets/ns/name, spaces/ns/name.
func parseRepoArg(s string) (wire.RepoType, wire.RepoID, error) {
	typ := wire.Model
	if rest, ok := strings.CutPrefix(s, "datasets/"); ok {
		typ, s = wire.Dataset, rest
	} else if rest, ok := strings.CutPrefix(s, "spaces/"); ok {
		typ, s = wire.Space, rest
	}
	id, err := wire.ParseRepoID(s)
	return typ, id, err
}

func adminRepoMove(ctx context.Context, e *adminEnv) error {
	ft, from, err := parseRepoArg(e.args[0])
	if err != nil {
		return err
	}
	tt, to, err := parseRepoArg(e.args[1])
	if err != nil {
		return err
	}
	if ft != tt {
		return fmt.Errorf("admin repo move: a repo keeps its type (%s to %s)", ft, tt)
	}
	if _, err := e.accounts.Account(ctx, to.Namespace); err != nil {
		return fmt.Errorf("admin repo move: namespace %s: %w", to.Namespace, err)
	}
	engine := repo.New(e.db, repo.Options{})
	r, err := engine.GetRepo(ctx, ft, from)
	if err != nil {
		return err
	}
	if err := engine.MoveRepo(ctx, r, to); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "moved %s to %s\n", e.args[0], e.args[1])
	return nil
}
