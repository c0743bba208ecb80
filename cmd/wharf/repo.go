package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/wharfhub/wharf/hub"
)

const repoUsage = `Usage:
  wharf repo create REPO_ID [--repo-type T] [--private] [--exist-ok] [--space-sdk SDK]
  wharf repo delete REPO_ID [--repo-type T] [--missing-ok]
  wharf repo info REPO_ID [--repo-type T] [--revision REV]
  wharf repo ls REPO_ID [PATH] [--repo-type T] [--revision REV] [-R]
`

func cmdRepo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("repo: want create, delete, info or ls (see 'wharf repo -h')")
	}
	switch args[0] {
	case "create":
		return cmdRepoCreate(ctx, args[1:], stdout)
	case "delete":
		return cmdRepoDelete(ctx, args[1:], stdout)
	case "info":
		return cmdRepoInfo(ctx, args[1:], stdout)
	case "ls":
		return cmdRepoLs(ctx, args[1:], stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, repoUsage)
		return nil
	}
	return usagef("repo: unknown command %q: want create, delete, info or ls", args[0])
}

// repoCommand is a parsed repo subcommand.
type repoCommand struct {
	client   *hub.Client
	repo     hub.Repo
	revision string
	path     string // ls: the folder to list
}

// oneRepo parses a repo command's flags and its REPO_ID (and, for ls, an
// optional PATH).
func oneRepo(name, synopsis string, args []string, stdout io.Writer, setup func(*flag.FlagSet)) (*repoCommand, error) {
	fs := newCommand("repo " + name)
	var cf clientFlags
	cf.register(fs)
	var rf repoFlags
	rf.register(fs, name == "info" || name == "ls")
	setup(fs)
	pos, err := parseCommand(fs, synopsis, args, stdout)
	if err != nil {
		return nil, err
	}
	want := 1
	if name == "ls" && len(pos) == 2 {
		want = 2 // REPO_ID PATH
	}
	if len(pos) != want {
		return nil, usagef("repo %s: want %s", name, synopsis)
	}
	r, err := rf.repo(pos[0])
	if err != nil {
		return nil, err
	}
	c, err := cf.client()
	if err != nil {
		return nil, err
	}
	rc := &repoCommand{client: c, repo: r, revision: rf.revision}
	if len(pos) == 2 {
		rc.path = pos[1]
	}
	return rc, nil
}

func cmdRepoCreate(ctx context.Context, args []string, stdout io.Writer) error {
	var private optBool
	var existOK bool
	var sdk string
	rc, err := oneRepo("create", "repo create REPO_ID [--repo-type T] [--private] [--exist-ok] [--space-sdk SDK]", args, stdout, func(fs *flag.FlagSet) {
		registerOptBool(fs, &private, "private", "make the repo private (default: the Hub's default)")
		fs.BoolVar(&existOK, "exist-ok", false, "succeed if the repo exists")
		fs.StringVar(&sdk, "space-sdk", "", "SDK of a space: gradio, streamlit, docker or static (default gradio)")
	})
	if err != nil {
		return err
	}
	c, r := rc.client, rc.repo
	if sdk != "" && r.Type != hub.Space {
		return usagef("repo create: --space-sdk is only for spaces (--repo-type space)")
	}
	u, err := c.CreateRepo(ctx, r, &hub.CreateRepoOptions{Private: private.v, ExistOK: existOK, SpaceSDK: sdk})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, u)
	return nil
}

func cmdRepoDelete(ctx context.Context, args []string, stdout io.Writer) error {
	var missingOK bool
	rc, err := oneRepo("delete", "repo delete REPO_ID [--repo-type T] [--missing-ok]", args, stdout, func(fs *flag.FlagSet) {
		fs.BoolVar(&missingOK, "missing-ok", false, "succeed if the repo does not exist")
	})
	if err != nil {
		return err
	}
	c, r := rc.client, rc.repo
	if err := c.DeleteRepo(ctx, r, &hub.DeleteRepoOptions{MissingOK: missingOK}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted %s\n", c.URL(r))
	return nil
}

// repoSummary is what 'wharf repo info' prints.
type repoSummary struct {
	ID           string    `json:"id"`
	Type         string    `json:"type"`
	URL          string    `json:"url"`
	SHA          string    `json:"sha"`
	Private      bool      `json:"private"`
	LastModified time.Time `json:"lastModified"`
	Files        int       `json:"files"`
}

func cmdRepoInfo(ctx context.Context, args []string, stdout io.Writer) error {
	rc, err := oneRepo("info", "repo info REPO_ID [--repo-type T] [--revision REV]", args, stdout, func(*flag.FlagSet) {})
	if err != nil {
		return err
	}
	c, r := rc.client, rc.repo
	info, err := c.RepoInfo(ctx, r, &hub.RepoInfoOptions{Revision: rc.revision})
	if err != nil {
		return err
	}
	id := info.ID
	if id == "" {
		id = r.ID
	}
	out, err := json.MarshalIndent(repoSummary{
		ID: id, Type: string(r.Type), URL: c.URL(r), SHA: info.SHA, Private: info.Private,
		LastModified: info.LastModified, Files: len(info.Siblings),
	}, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return nil
}

func cmdRepoLs(ctx context.Context, args []string, stdout io.Writer) error {
	var recursive bool
	rc, err := oneRepo("ls", "repo ls REPO_ID [PATH] [--repo-type T] [--revision REV] [-R]", args, stdout, func(fs *flag.FlagSet) {
		fs.BoolVar(&recursive, "R", false, "list every file below, recursively (folders are left out)")
		fs.BoolVar(&recursive, "recursive", false, "same as -R")
	})
	if err != nil {
		return err
	}
	ents, err := rc.client.ListRepoTree(ctx, rc.repo, &hub.ListTreeOptions{Revision: rc.revision, Path: rc.path, Recursive: recursive})
	if err != nil {
		return err
	}
	for _, e := range ents {
		switch {
		case !e.IsDir():
			fmt.Fprintln(stdout, e.Path)
		case !recursive:
			fmt.Fprintln(stdout, e.Path+"/")
		}
	}
	return nil
}
