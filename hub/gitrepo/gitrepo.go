package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// LargeFileSize is the size from which the Hub requires a file to be stored
// with git-lfs; AutoTrackLargeFiles tracks such files.
const LargeFileSize = 10 << 20

var (
	// ErrGitNotFound is returned when the git binary is missing.
	ErrGitNotFound = errors.New("git is not installed: install it with your package manager (apt-get install git, brew install git) or from https://git-scm.com")
	// ErrGitLFSNotFound is returned when the git-lfs binary is missing.
	ErrGitLFSNotFound = errors.New("git-lfs is not installed: install it with your package manager (apt-get install git-lfs, brew install git-lfs) or from https://git-lfs.com")
	// ErrNothingToCommit is returned by Commit when nothing is staged.
	ErrNothingToCommit = errors.New("nothing to commit")
)

// tokenEnv carries the token to the credential helper.
const tokenEnv = "WHARF_GIT_TOKEN"

// credentialHelper answers git's "get" requests with the token from the
// environment. The helper text holds no secret, so it may show up in
// process listings and traces.
const credentialHelper = `!f() { test "$1" = get || exit 0; echo username=hf_user; echo "password=$` + tokenEnv + `"; }; f`

// GitError is a git command that failed.
type GitError struct {
	Args   []string // git's arguments
	Stderr string   // what git printed, token-free
	Err    error    // usually an *exec.ExitError
}

func (e *GitError) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("git %s: %s", strings.Join(e.Args, " "), msg)
}

func (e *GitError) Unwrap() error { return e.Err }

// CloneOptions configures Clone.
type CloneOptions struct {
	// Token authenticates git and git-lfs to the Hub (as the Basic
	// password). Default: none, so git uses its own credential helpers.
	Token string
	// SkipLFSSmudge leaves LFS files as pointers in the work tree, as
	// GIT_LFS_SKIP_SMUDGE=1 does. Default: download their content.
	SkipLFSSmudge bool
	// Revision is the branch to check out, created from the default branch
	// if the remote does not have it. Default: the remote's default branch.
	Revision string
	// UserName and UserEmail are the identity of commits, written to the
	// clone's .git/config. Default: git's own configuration.
	UserName, UserEmail string
	// LargeFileAgent is the path of a wharf binary. When set, git-lfs pushes
	// files above the Hub's multipart threshold through "wharf
	// lfs-multipart-upload" (what "wharf lfs-enable-largefiles" configures).
	LargeFileAgent string
}

// Repository is a local clone of a Hub repository. Its methods are safe for
// concurrent use; pushes run one at a time, in the order they were asked for.
type Repository struct {
	dir   string
	token string

	mu      sync.Mutex
	queue   []*Command // pushes not finished, oldest first
	running bool       // a goroutine is draining the queue
}

// Clone clones rawURL (a Hub repo URL such as https://huggingface.co/user/model
// or https://huggingface.co/datasets/user/data) into dir and installs the
// git-lfs hooks and filters in it. dir must not exist or be empty.
func Clone(ctx context.Context, rawURL, dir string, opts *CloneOptions) (*Repository, error) {
	var o CloneOptions
	if opts != nil {
		o = *opts
	}
	if err := checkBinaries(); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	// A token in the URL would land in .git/config: take it out and use it
	// like Token.
	if u, perr := url.Parse(rawURL); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && o.Token == "" {
			o.Token = pw
		}
		u.User = nil
		rawURL = u.String()
	}
	r := &Repository{dir: abs, token: o.Token}
	// Clone without the smudge filter (the user's git may have no lfs
	// filter configured at all), then set git-lfs up in the clone and pull
	// the LFS content.
	if _, err := r.gitEnv(ctx, "", []string{"GIT_LFS_SKIP_SMUDGE=1"}, "clone", "--", rawURL, abs); err != nil {
		return nil, err
	}
	install := []string{"lfs", "install", "--local"}
	if o.SkipLFSSmudge {
		install = append(install, "--skip-smudge")
	}
	if _, err := r.git(ctx, install...); err != nil {
		return nil, err
	}
	for k, v := range map[string]string{"user.name": o.UserName, "user.email": o.UserEmail} {
		if v != "" {
			if _, err := r.git(ctx, "config", k, v); err != nil {
				return nil, err
			}
		}
	}
	if o.LargeFileAgent != "" {
		if err := r.EnableLargeFiles(ctx, o.LargeFileAgent); err != nil {
			return nil, err
		}
	}
	if o.Revision != "" {
		if err := r.Checkout(ctx, o.Revision); err != nil {
			return nil, err
		}
	}
	if !o.SkipLFSSmudge {
		if _, err := r.git(ctx, "lfs", "pull"); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// OpenOptions configures Open.
type OpenOptions struct {
	// Token authenticates git and git-lfs to the Hub. Default: none.
	Token string
}

// Open returns the Repository of an existing clone.
func Open(dir string, opts *OpenOptions) (*Repository, error) {
	if err := checkBinaries(); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(abs, ".git")); err != nil {
		return nil, fmt.Errorf("%s is not a git clone: %w", abs, err)
	}
	r := &Repository{dir: abs}
	if opts != nil {
		r.token = opts.Token
	}
	return r, nil
}

func checkBinaries() error {
	if _, err := exec.LookPath("git"); err != nil {
		return ErrGitNotFound
	}
	if _, err := exec.LookPath("git-lfs"); err != nil {
		return ErrGitLFSNotFound
	}
	return nil
}

// Dir returns the path of the clone.
func (r *Repository) Dir() string { return r.dir }

// git runs git in the clone and returns its standard output.
func (r *Repository) git(ctx context.Context, args ...string) (string, error) {
	return r.gitEnv(ctx, r.dir, nil, args...)
}

func (r *Repository) gitEnv(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	full := args
	if r.token != "" {
		// Replace the credential helpers for this command only: git passes
		// -c to git-lfs through GIT_CONFIG_PARAMETERS.
		full = append([]string{"-c", "credential.helper=", "-c", "credential.helper=" + credentialHelper}, args...)
	}
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	if r.token != "" {
		cmd.Env = append(cmd.Env, tokenEnv+"="+r.token)
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", ErrGitNotFound
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return stdout.String(), &GitError{Args: args, Stderr: r.scrub(stderr.String() + stdout.String()), Err: err}
	}
	return stdout.String(), nil
}

// scrub removes the token from text that may be shown or logged.
func (r *Repository) scrub(s string) string {
	if r.token == "" {
		return s
	}
	return strings.ReplaceAll(s, r.token, "***")
}

// EnableLargeFiles configures git-lfs in the clone to upload files above
// the Hub's multipart threshold with "agent lfs-multipart-upload" (agent
// is the path of a wharf binary).
func (r *Repository) EnableLargeFiles(ctx context.Context, agent string) error {
	if _, err := r.git(ctx, "config", "lfs.customtransfer.multipart.path", agent); err != nil {
		return err
	}
	_, err := r.git(ctx, "config", "lfs.customtransfer.multipart.args", "lfs-multipart-upload")
	return err
}

// CurrentBranch returns the checked-out branch.
func (r *Repository) CurrentBranch(ctx context.Context) (string, error) {
	out, err := r.git(ctx, "symbolic-ref", "--short", "HEAD")
	return strings.TrimSpace(out), err
}

// Checkout checks out branch, creating it at HEAD when neither the clone
// nor the remote has it.
func (r *Repository) Checkout(ctx context.Context, branch string) error {
	if _, err := r.git(ctx, "checkout", branch, "--"); err == nil {
		return nil
	}
	_, err := r.git(ctx, "checkout", "-b", branch)
	return err
}

// LFSTrack tracks patterns with git-lfs (it edits .gitattributes).
func (r *Repository) LFSTrack(ctx context.Context, patterns ...string) error {
	if len(patterns) == 0 {
		return nil
	}
	_, err := r.git(ctx, append([]string{"lfs", "track", "--"}, patterns...)...)
	return err
}

// AutoTrackLargeFiles tracks with git-lfs every untracked or modified file
// of LargeFileSize or more that no .gitattributes rule sends to LFS yet,
// and returns their paths.
func (r *Repository) AutoTrackLargeFiles(ctx context.Context) ([]string, error) {
	out, err := r.git(ctx, "ls-files", "-z", "--others", "--modified", "--exclude-standard")
	if err != nil {
		return nil, err
	}
	var big []string
	for p := range strings.SplitSeq(out, "\x00") {
		if p == "" {
			continue
		}
		fi, err := os.Stat(filepath.Join(r.dir, filepath.FromSlash(p)))
		if err != nil || !fi.Mode().IsRegular() || fi.Size() < LargeFileSize {
			continue
		}
		attr, err := r.git(ctx, "check-attr", "filter", "--", p)
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(strings.TrimSpace(attr), ": lfs") {
			continue
		}
		big = append(big, p)
	}
	if len(big) == 0 {
		return nil, nil
	}
	// Track each path literally: file names may hold glob characters.
	args := []string{"lfs", "track", "--filename", "--"}
	if _, err := r.git(ctx, append(args, big...)...); err != nil {
		return nil, err
	}
	return big, nil
}

// Add stages paths (relative to the clone); no paths stages everything,
// deletions included.
func (r *Repository) Add(ctx context.Context, paths ...string) error {
	args := []string{"add", "-A"}
	if len(paths) > 0 {
		args = append(append(args, "--"), paths...)
	}
	_, err := r.git(ctx, args...)
	return err
}

// Commit commits what is staged. It returns ErrNothingToCommit when
// nothing is.
func (r *Repository) Commit(ctx context.Context, message string) error {
	if _, err := r.git(ctx, "diff", "--cached", "--quiet"); err == nil {
		return ErrNothingToCommit
	}
	_, err := r.git(ctx, "commit", "-q", "-m", message)
	return err
}

// Pull fetches the current branch and rebases local commits on it. A branch
// that the remote does not have yet is left alone.
func (r *Repository) Pull(ctx context.Context) error {
	branch, err := r.CurrentBranch(ctx)
	if err != nil {
		return err
	}
	out, err := r.git(ctx, "ls-remote", "--heads", "origin", "refs/heads/"+branch)
	if err != nil {
		return err
	}
	if strings.TrimSpace(out) == "" {
		return nil
	}
	_, err = r.git(ctx, "pull", "-q", "--rebase", "origin", branch)
	return err
}

// Push pushes the current branch (LFS content first, through the git-lfs
// pre-push hook) and waits for it and for the pushes queued before it.
func (r *Repository) Push(ctx context.Context) error {
	return r.PushAsync(ctx).Wait()
}

// PushAsync queues a push of the current branch and returns at once. Pushes
// run one at a time in the order they were queued.
func (r *Repository) PushAsync(ctx context.Context) *Command {
	c := &Command{Title: "push", done: make(chan struct{}), status: -1}
	c.run = func() error {
		branch, err := r.CurrentBranch(ctx)
		if err != nil {
			return err
		}
		_, err = r.git(ctx, "push", "--set-upstream", "origin", "HEAD:refs/heads/"+branch)
		return err
	}
	r.mu.Lock()
	r.queue = append(r.queue, c)
	start := !r.running
	r.running = true
	r.mu.Unlock()
	if start {
		go r.drain()
	}
	return c
}

// drain runs queued commands, oldest first, until the queue is empty. A
// command leaves the queue before it is marked done, so that a Wait that
// returns sees it gone.
func (r *Repository) drain() {
	for {
		r.mu.Lock()
		if len(r.queue) == 0 {
			r.running = false
			r.mu.Unlock()
			return
		}
		c := r.queue[0]
		r.mu.Unlock()
		err := c.run()
		r.mu.Lock()
		r.queue = r.queue[1:]
		r.mu.Unlock()
		c.finish(err)
	}
}

// CommandsInProgress returns the queued and running commands, oldest first.
func (r *Repository) CommandsInProgress() []*Command {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Command(nil), r.queue...)
}

// Wait waits for every queued command and returns the first error.
func (r *Repository) Wait() error {
	var first error
	for _, c := range r.CommandsInProgress() {
		if err := c.Wait(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// CommitWith is the Repository.commit workflow of huggingface_hub: it
// pulls the current branch (rebasing local commits), runs fn, which edits
// files in the clone, then tracks large files with git-lfs, adds
// everything, commits with message and pushes (waiting for the push).
// Nothing is committed if fn fails; if fn changed nothing, only the push
// of earlier commits happens.
func (r *Repository) CommitWith(ctx context.Context, message string, fn func() error) error {
	if err := r.Pull(ctx); err != nil {
		return err
	}
	if err := fn(); err != nil {
		return err
	}
	return r.PushToHub(ctx, message)
}

// PushToHub tracks large files with git-lfs, adds everything, commits it
// with message (if there is anything to commit) and pushes, waiting for
// the push.
func (r *Repository) PushToHub(ctx context.Context, message string) error {
	if _, err := r.AutoTrackLargeFiles(ctx); err != nil {
		return err
	}
	if err := r.Add(ctx); err != nil {
		return err
	}
	if err := r.Commit(ctx, message); err != nil && !errors.Is(err, ErrNothingToCommit) {
		return err
	}
	return r.Push(ctx)
}

// Command is a git command running in the background.
type Command struct {
	// Title says what the command does ("push").
	Title string

	run    func() error
	done   chan struct{}
	mu     sync.Mutex
	status int
	err    error
}

func (c *Command) finish(err error) {
	c.mu.Lock()
	c.err = err
	c.status = 0
	if err != nil {
		c.status = 1
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() > 0 {
			c.status = ee.ExitCode()
		}
	}
	c.mu.Unlock()
	close(c.done)
}

// Status returns -1 while the command runs, then its exit status (0 for
// success).
func (c *Command) Status() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Done reports whether the command has finished.
func (c *Command) Done() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Failed reports whether the command has finished with an error.
func (c *Command) Failed() bool { return c.Done() && c.Status() != 0 }

// Stderr returns what a failed command printed, token-free (empty while
// it runs and after a success).
func (c *Command) Stderr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ge *GitError
	if errors.As(c.err, &ge) {
		return ge.Stderr
	}
	if c.err != nil {
		return c.err.Error()
	}
	return ""
}

// Wait waits for the command and returns its error.
func (c *Command) Wait() error {
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// DoneChan is closed when the command finishes, for use in select.
func (c *Command) DoneChan() <-chan struct{} { return c.done }
