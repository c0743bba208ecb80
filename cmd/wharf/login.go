package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"github.com/wharfhub/wharf/hub"
)

// stdin is where 'wharf login' reads a token; tests replace it.
var stdin io.Reader = os.Stdin

const loginSynopsis = `login [--token hf_...] [--endpoint URL]

Checks the token (from --token, else one line of standard input) against
the Hub and saves it where huggingface_hub looks for it: $HF_TOKEN_PATH,
else $HF_HOME/token, else ~/.cache/huggingface/token.`

func cmdLogin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommand("login")
	var cf clientFlags
	cf.register(fs)
	pos, err := parseCommand(fs, loginSynopsis, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("login: want no arguments (pass the token with --token or on standard input), got %d", len(pos))
	}
	token := cf.token
	if token == "" {
		if token, err = readToken(stdin, stderr); err != nil {
			return err
		}
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return usagef("login: no token given: pass --token or write it on standard input")
	}
	c, err := hub.New(&hub.Options{Endpoint: cf.endpoint, Token: token, UserAgent: "wharf-cli/" + hub.Version})
	if err != nil {
		return err
	}
	u, err := c.Whoami(ctx)
	if err != nil {
		return fmt.Errorf("login: %s did not accept the token: %w", c.Endpoint(), err)
	}
	path := hub.TokenPath()
	if err := writeToken(path, token); err != nil {
		return fmt.Errorf("login: save the token: %w", err)
	}
	fmt.Fprintf(stdout, "Logged in to %s as %s; the token is saved in %s\n", c.Endpoint(), u.Name, path)
	if os.Getenv("HF_TOKEN") != "" || os.Getenv("HUGGING_FACE_HUB_TOKEN") != "" {
		fmt.Fprintln(stderr, "warning: HF_TOKEN is set in the environment and takes precedence over the saved token")
	}
	return nil
}

// readToken reads one line from r, without echo when r is a terminal.
func readToken(r io.Reader, stderr io.Writer) (string, error) {
	if f, ok := r.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Token (input is hidden): ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		return string(b), err
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("login: read the token: %w", err)
	}
	return line, nil
}

// writeToken replaces the token file atomically, readable by its owner
// only. huggingface_hub writes the bare token, without a newline.
func writeToken(path, token string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".token-*") // mode 0600
	if err != nil {
		return err
	}
	_, err = f.WriteString(token)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o600)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

func cmdLogout(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommand("logout")
	pos, err := parseCommand(fs, "logout\n\nDeletes the token file that 'wharf login' wrote.", args, stdout)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("logout: want no arguments, got %d", len(pos))
	}
	path := hub.TokenPath()
	switch err := os.Remove(path); {
	case errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(stdout, "Not logged in: there is no token file at %s\n", path)
	case err != nil:
		return fmt.Errorf("logout: %w", err)
	default:
		fmt.Fprintf(stdout, "Logged out: deleted %s\n", path)
	}
	if os.Getenv("HF_TOKEN") != "" || os.Getenv("HUGGING_FACE_HUB_TOKEN") != "" {
		fmt.Fprintln(stderr, "warning: HF_TOKEN is still set in the environment")
	}
	return nil
}
