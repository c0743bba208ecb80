package main

import (
	"context"
	"fmt"
	"io"
	"strings"
)

func cmdWhoami(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommand("whoami")
	var cf clientFlags
	cf.register(fs)
	pos, err := parseCommand(fs, "whoami [--endpoint URL] [--token hf_...]\n\nPrints the name of the token's user and the organizations it belongs to.", args, stdout)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("whoami: want no arguments, got %d", len(pos))
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	u, err := c.Whoami(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, u.Name)
	if len(u.Orgs) > 0 {
		names := make([]string, len(u.Orgs))
		for i, o := range u.Orgs {
			names[i] = o.Name
		}
		fmt.Fprintf(stdout, "orgs: %s\n", strings.Join(names, ","))
	}
	return nil
}
