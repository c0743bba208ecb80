package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// SuperSquashHistory replaces the history of branch (default main) with
// one commit holding its current files, and returns that commit's id. The
// default message is "Super-squash branch '<branch>' using
// huggingface_hub", as in the Python client.
func (c *Client) SuperSquashHistory(ctx context.Context, r Repo, branch, message string) (string, error) {
	if err := r.check(); err != nil {
		return "", err
	}
	if branch == "" {
		branch = "main"
	}
	if message == "" {
		message = "Super-squash branch '" + branch + "' using huggingface_hub"
	}
	var out struct {
		CommitID string `json:"commitId"`
	}
	err := c.sendJSON(ctx, http.MethodPost, c.endpoint+r.apiPath()+"/super-squash/"+rev(branch), map[string]any{"message": message}, &out, false)
	return out.CommitID, err
}

// CommitSchedulerOptions configures a CommitScheduler. The zero value
// means defaults.
type CommitSchedulerOptions struct {
	// Every is the time between pushes. Default 5 minutes.
	Every time.Duration
	// PathInRepo is the folder of the repo the files go to. Default: root.
	PathInRepo string
	// Revision is the branch to commit to. Default main.
	Revision string
	// Private makes the repo private if it is created. Nil leaves the
	// Hub's default.
	Private *bool
	// AllowPatterns and IgnorePatterns select files as in UploadFolder;
	// DefaultIgnorePatterns are always added.
	AllowPatterns  []string
	IgnorePatterns []string
	// SquashHistory squashes the branch's history into one commit after
	// each push, to keep the repo small.
	SquashHistory bool
	// Push, if set, replaces the default push (PushChanges). It runs in
	// the background, never twice at once, with a context that Stop
	// cancels if its own context ends first. Returning an error logs it;
	// the next tick runs Push again.
	Push func(ctx context.Context, s *CommitScheduler) error
	// Logger receives push errors. Default: the client's logger.
	Logger *slog.Logger
}

// CommitScheduler pushes a local folder to a repo at regular intervals,
// like huggingface_hub's CommitScheduler: it is meant for append-only data
// (logs, user feedback, metrics) that would make too many commits if each
// write was pushed. Each push commits the files whose modification time or
// size changed since their last successful push, as they were when the
// folder was scanned: bytes appended during a push go with the next one.
// Nothing changed means no request at all. A failed push is logged and
// retried at the next tick. Deleted files are not deleted on the Hub.
//
// Writers should hold the scheduler's lock (Lock/Unlock) while they write:
// the folder is scanned under it, uploads happen after it is released.
type CommitScheduler struct {
	c      *Client
	r      Repo
	folder string
	opts   CommitSchedulerOptions
	log    *slog.Logger

	mu       sync.Mutex // the writers' lock
	last     map[string]fileStamp
	stopped  atomic.Bool
	quit     chan struct{}
	loopDone chan struct{}
	stopOnce sync.Once

	// bg is the context of pushes: it outlives the constructor's
	// context, and Stop cancels it when its own context ends first.
	bg     context.Context
	cancel context.CancelFunc
}

type fileStamp struct {
	mtime time.Time
	size  int64
}

// ScheduledCommitMessage is the message of the default push's commits.
const ScheduledCommitMessage = "Scheduled Commit"

// NewCommitScheduler creates folder if needed, creates the repo if needed,
// and starts pushing folder to it: once now, then every opts.Every, until
// Stop. ctx bounds the setup only.
func NewCommitScheduler(ctx context.Context, c *Client, r Repo, folder string, opts *CommitSchedulerOptions) (*CommitScheduler, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	var o CommitSchedulerOptions
	if opts != nil {
		o = *opts
	}
	if o.Every < 0 {
		return nil, fmt.Errorf("hub: commit scheduler: the interval must be > 0, not %v", o.Every)
	}
	if o.Every == 0 {
		o.Every = 5 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = c.log
	}
	if fi, err := os.Stat(folder); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("hub: commit scheduler: %s is a file, not a folder", folder)
	}
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return nil, fmt.Errorf("hub: commit scheduler: %w", err)
	}
	if _, err := c.CreateRepo(ctx, r, &CreateRepoOptions{Private: o.Private, ExistOK: true}); err != nil {
		return nil, err
	}
	s := &CommitScheduler{c: c, r: r, folder: folder, opts: o, log: o.Logger, last: map[string]fileStamp{},
		quit: make(chan struct{}), loopDone: make(chan struct{})}
	s.bg, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	go s.loop()
	return s, nil
}

func (s *CommitScheduler) loop() {
	defer close(s.loopDone)
	t := time.NewTicker(s.opts.Every)
	defer t.Stop()
	for {
		s.Trigger()
		select {
		case <-s.quit:
			return
		case <-t.C:
		}
	}
}

// Client is the client the scheduler pushes with.
func (s *CommitScheduler) Client() *Client { return s.c }

// Repo is the repo the scheduler pushes to.
func (s *CommitScheduler) Repo() Repo { return s.r }

// Folder is the local folder the scheduler watches.
func (s *CommitScheduler) Folder() string { return s.folder }

// PathInRepo is the folder of the repo the files go to ("" for the root).
func (s *CommitScheduler) PathInRepo() string { return normalizeFolder(s.opts.PathInRepo) }

// Revision is the branch the scheduler commits to ("" for main).
func (s *CommitScheduler) Revision() string { return s.opts.Revision }

// Lock takes the writers' lock: hold it while writing to the folder, so
// that a push never sees a half-written record. A push holds it only while
// it scans the folder.
func (s *CommitScheduler) Lock() { s.mu.Lock() }

// Unlock releases the writers' lock.
func (s *CommitScheduler) Unlock() { s.mu.Unlock() }

// Trigger queues a push and returns at once. Pushes run on the client's
// background queue (see RunAsFuture), one at a time, in order. The
// future's value is the commit made (nil when nothing changed, or with a
// custom Push). Pushes queued after Stop do nothing.
func (s *CommitScheduler) Trigger() *Future[*CommitInfo] {
	return s.trigger(false)
}

func (s *CommitScheduler) trigger(final bool) *Future[*CommitInfo] {
	return RunAsFuture(s.c, func() (*CommitInfo, error) {
		if s.stopped.Load() && !final {
			return nil, nil
		}
		ci, err := s.push(s.bg)
		if err != nil {
			s.log.LogAttrs(s.bg, slog.LevelError, "commit scheduler: error while pushing to the Hub", slog.String("repo", s.r.ID),
				slog.String("err", err.Error()))
		}
		return ci, err
	})
}

func (s *CommitScheduler) push(ctx context.Context) (*CommitInfo, error) {
	var ci *CommitInfo
	var err error
	if s.opts.Push != nil {
		err = s.opts.Push(ctx, s)
	} else {
		ci, err = s.PushChanges(ctx)
	}
	if err == nil && s.opts.SquashHistory && (ci != nil || s.opts.Push != nil) {
		_, err = s.c.SuperSquashHistory(ctx, s.r, s.opts.Revision, "")
	}
	return ci, err
}

// Stop stops the ticks, makes one last push and returns when it is done,
// with its error. Pushes still queued do nothing. If ctx ends first, the
// push is cancelled and Stop returns ctx's error. Stop is idempotent; the
// scheduler cannot be restarted.
func (s *CommitScheduler) Stop(ctx context.Context) error {
	var err error
	first := false
	s.stopOnce.Do(func() {
		first = true
		close(s.quit)
		<-s.loopDone
		f := s.trigger(true)
		s.stopped.Store(true)
		select {
		case <-f.Done():
			_, err = f.Wait()
		case <-ctx.Done():
			s.cancel() // the push, if it started, ends soon
			err = ctx.Err()
		}
		s.cancel()
	})
	if !first {
		return nil
	}
	return err
}

// PushChanges is the default push: it scans the folder under the lock,
// then commits the files changed since their last successful push (as
// much of each as it had when scanned) in one commit, "Scheduled Commit".
// It returns nil and sends nothing when no file changed. It is exported
// for custom pushes that do more.
func (s *CommitScheduler) PushChanges(ctx context.Context) (*CommitInfo, error) {
	type change struct {
		rel   string
		stamp fileStamp
	}
	var changes []change
	s.mu.Lock()
	files, err := ListFolder(s.folder, s.opts.AllowPatterns, s.opts.IgnorePatterns)
	if err == nil {
		for _, rel := range files {
			fi, err := os.Stat(filepath.Join(s.folder, filepath.FromSlash(rel)))
			if err != nil {
				continue // removed meanwhile
			}
			st := fileStamp{fi.ModTime(), fi.Size()}
			if old, ok := s.last[rel]; !ok || !old.mtime.Equal(st.mtime) || old.size != st.size {
				changes = append(changes, change{rel, st})
			}
		}
	}
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("hub: commit scheduler: %w", err)
	}
	if len(changes) == 0 {
		return nil, nil
	}
	prefix := s.PathInRepo()
	var ops []Operation
	var pushed []change
	var open []*os.File
	defer func() {
		for _, f := range open {
			f.Close()
		}
	}()
	for _, ch := range changes {
		f, err := os.Open(filepath.Join(s.folder, filepath.FromSlash(ch.rel)))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("hub: commit scheduler: %w", err)
		}
		open = append(open, f)
		// Only what was there at scan time: appends go with the next push.
		ops = append(ops, Add(prefix+ch.rel, FromReader(io.NewSectionReader(f, 0, ch.stamp.size), ch.stamp.size)))
		pushed = append(pushed, ch)
	}
	if len(ops) == 0 {
		return nil, nil
	}
	ci, err := s.c.CreateCommit(ctx, s.r, ops, &CommitOptions{Message: ScheduledCommitMessage, Revision: s.opts.Revision})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	for _, ch := range pushed {
		s.last[ch.rel] = ch.stamp
	}
	s.mu.Unlock()
	if ci.Skipped {
		return nil, nil
	}
	return ci, nil
}
