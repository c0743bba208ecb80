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
	if len(args) < 2 || args[1] != "add" {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("admin: expected 'user add', 'org add' or 'token add': %w", errUsage)
	}
	fs := newFlagSet("admin "+args[0]+" add", stderr)
	var sf storeFlags
	sf.register(fs)
	fullname := fs.String("fullname", "", "full name")
	email := fs.String("email", "", "email address")
	token := fs.String("token", "", "token value to create for the user (hf_...); default: a random one")
	isAdmin := fs.Bool("admin", false, "make the user a server administrator")
	var members multiFlag
	fs.Var(&members, "member", "NAME[:admin|:write|:read] to add to the organization (repeatable)")
	role := fs.String("role", auth.RoleWrite, "token role: read or write")
	value := fs.String("value", "", "token value (hf_...); default: a random one")
	name := fs.String("name", "cli", "token display name")
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
		u := &auth.Account{Name: pos[0], Fullname: *fullname, Email: *email, IsAdmin: *isAdmin}
		if err := accounts.CreateAccount(ctx, u); err != nil {
			return err
		}
		v := *token
		if v == "" {
			v = *value
		}
		t, err := accounts.AddToken(ctx, u, auth.RoleWrite, *name, v)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created user %s\ntoken: %s\n", u.Name, t)
	case "org":
		org := &auth.Account{Name: pos[0], Fullname: *fullname, Email: *email, IsOrg: true}
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
		t, err := accounts.AddToken(ctx, u, *role, *name, *value)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, t)
	default:
		return fmt.Errorf("admin: unknown object %q: %w", args[0], errUsage)
	}
	return nil
}
