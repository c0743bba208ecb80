package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/store/sqlstore"
)

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func cmdAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) >= 2 {
		if cmd, ok := adminCommands[args[0]+" "+args[1]]; ok {
			return cmd(ctx, args[2:], stdout, stderr)
		}
	}
	if len(args) >= 1 {
		if cmd, ok := adminCommands[args[0]]; ok {
			return cmd(ctx, args[1:], stdout, stderr)
		}
	}
	if len(args) < 2 || args[1] != "add" {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("admin: expected 'user add', 'org add' or 'token add': %w", errUsage)
	}
	fs := newFlagSet("admin "+args[0]+" add", stderr)
	var sf storeFlags
	sf.register(fs)
	// Each command registers only its own flags, so -h lists only them.
	var fullname, email, token, role, value, name string
	var isAdmin bool
	var members multiFlag
	switch args[0] {
	case "user", "org":
		fs.StringVar(&fullname, "fullname", "", "full name")
		fs.StringVar(&email, "email", "", "email address")
	}
	switch args[0] {
	case "user":
		fs.StringVar(&token, "token", "", "token value to create for the user (hf_...); default: a random one")
		fs.StringVar(&value, "value", "", "same as --token")
		fs.BoolVar(&isAdmin, "admin", false, "make the user a server administrator")
		fs.StringVar(&name, "name", "cli", "display name of the user's token")
	case "org":
		fs.Var(&members, "member", "NAME[:admin|:write|:read] to add to the organization (repeatable)")
	case "token":
		fs.StringVar(&role, "role", auth.RoleWrite, "token role: read or write")
		fs.StringVar(&value, "value", "", "token value (hf_...); default: a random one")
		fs.StringVar(&name, "name", "cli", "token display name")
	}
	pos, err := parseFlags(fs, args[2:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("admin %s add: expected exactly one name, got %d: %w", args[0], len(pos), errUsage)
	}
	if err := sf.resolve(); err != nil {
		return err
	}
	db, err := sqlstore.Open(ctx, sf.db)
	if err != nil {
		return err
	}
	defer db.Close()
	accounts := auth.New(db)
	switch args[0] {
	case "user":
		u := &auth.Account{Name: pos[0], Fullname: fullname, Email: email, IsAdmin: isAdmin}
		if err := accounts.CreateAccount(ctx, u); err != nil {
			return err
		}
		v := token
		if v == "" {
			v = value
		}
		t, err := accounts.AddToken(ctx, u, auth.RoleWrite, name, v)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created user %s\ntoken: %s\n", u.Name, t)
	case "org":
		org := &auth.Account{Name: pos[0], Fullname: fullname, Email: email, IsOrg: true}
		if err := accounts.CreateAccount(ctx, org); err != nil {
			return err
		}
		for _, m := range members {
			user, r, ok := strings.Cut(m, ":")
			if !ok {
				r = auth.RoleWrite
			}
			u, err := accounts.Account(ctx, user)
			if err != nil {
				return fmt.Errorf("member %s: %w", user, err)
			}
			if err := accounts.AddMember(ctx, org, u, r); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "created organization %s\n", org.Name)
	case "token":
		u, err := accounts.Account(ctx, pos[0])
		if err != nil {
			return err
		}
		t, err := accounts.AddToken(ctx, u, role, name, value)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, t)
	default:
		return fmt.Errorf("admin: unknown object %q: %w", args[0], errUsage)
	}
	return nil
}
