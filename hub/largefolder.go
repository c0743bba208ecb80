package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// LargeFolderOptions configures UploadLargeFolder. The zero value means
// defaults.
type LargeFolderOptions struct {
	// Revision is the branch (or refs/pr/N) to commit to. Default main.
	Revision string
	// Private makes the repo private if it is created. Nil leaves the
	// Hub's default.
	Private *bool
	// PathInRepo is the folder of the repo to upload into. Default: root.
	// (huggingface_hub's upload_large_folder has no such option.)
	PathInRepo string
	// AllowPatterns and IgnorePatterns select files as in UploadFolder;
	// DefaultIgnorePatterns are always added.
	AllowPatterns  []string
	IgnorePatterns []string
	// NumWorkers is the number of tasks run at once. Default, as
	// huggingface_hub 1.x: max(CPU count / 2, 1).
	NumWorkers int
	// Report, if set, receives a status report (in huggingface_hub's
	// layout) when the upload starts, every ReportEvery, and at the end.
	Report io.Writer
	// ReportEvery is the time between reports. Default 1 minute.
	ReportEvery time.Duration
	// Logger receives the errors of tasks that are retried and other
	// notices. Default: the client's logger.
	Logger *slog.Logger
}

// LargeFolderMessage is the message of the commits of UploadLargeFolder.
const LargeFolderMessage = "Add files using upload-large-folder tool"

// commitSizeScale are the commit sizes UploadLargeFolder moves between, as
// huggingface_hub's COMMIT_SIZE_SCALE; it starts at 50.
var commitSizeScale = []int{20, 50, 75, 100, 125, 200, 250, 400, 600, 1000}

const (
	largeModeBatch       = 100 // paths per preupload call (huggingface_hub: MAX_NB_FILES_FETCH_UPLOAD_MODE)
	largeMaxConsecErrors = 8   // transient failures in a row before the run gives up (huggingface_hub: MAX_CONSECUTIVE_ERRORS)
	largeFastCommit      = 40 * time.Second
	largeHashBatch       = 64       // files per hashing task
	largeHashBytes       = 64 << 20 // bytes per hashing task (one file at least)
	largeLFSBatch        = 32       // files per LFS upload task
	largeLFSBytes        = 64 << 20 // bytes per LFS upload task (one file at least)
	largeMaxHashAttempts = 3        // a file that keeps changing while it is hashed fails
)

// Tasks, as in huggingface_hub's WorkerJob.
const (
	taskHash = iota
	taskMode
	taskLFS
	taskCommit
	numTasks
)

// largeItem is one file of a large upload.
type largeItem struct {
	rel      string // local path relative to the folder, slash-separated
	path     string // path in the repo
	md       largeMeta
	solo     bool // a batch with this file failed: it is handled alone
	attempts int  // hashing attempts
}

// LargeFolderFile is one file of a large upload, as PlanLargeFolder sees it.
type LargeFolderFile struct {
	Path      string // path in the repo
	LocalPath string // relative to the folder, slash-separated
	Size      int64
	// Stage is what is left to do according to the local metadata:
	// "hash", "get upload mode", "upload", "commit", or "committed" and
	// "ignored" when nothing is.
	Stage string
}

// PlanLargeFolder lists the files UploadLargeFolder would upload and what
// the metadata left by earlier runs says about each. It sends no request
// and changes nothing on disk.
func PlanLargeFolder(folder string, opts *LargeFolderOptions) ([]LargeFolderFile, error) {
	var o LargeFolderOptions
	if opts != nil {
		o = *opts
	}
	items, _, err := listLarge(folder, &o, true)
	if err != nil {
		return nil, err
	}
	out := make([]LargeFolderFile, len(items))
	for i, it := range items {
		out[i] = LargeFolderFile{Path: it.path, LocalPath: it.rel, Size: it.md.size, Stage: it.md.stage()}
	}
	return out, nil
}

func (m *largeMeta) stage() string {
	switch {
	case m.committed:
		return "committed"
	case m.ignore == 1:
		return "ignored"
	case m.sha256 == "":
		return "hash"
	case m.mode == "":
		return "get upload mode"
	case m.mode == "lfs" && !m.uploaded:
		return "upload"
	}
	return "commit"
}

// listLarge lists the selected files with their saved state. Files whose
// path in the repo is invalid are returned in bad.
func listLarge(folder string, o *LargeFolderOptions, readOnly bool) (items []*largeItem, bad []error, err error) {
	fi, err := os.Stat(folder)
	if err != nil {
		return nil, nil, fmt.Errorf("hub: %w", err)
	}
	if !fi.IsDir() {
		return nil, nil, fmt.Errorf("hub: %s is not a folder", folder)
	}
	prefix := normalizeFolder(o.PathInRepo)
	files, err := ListFolder(folder, o.AllowPatterns, o.IgnorePatterns)
	if err != nil {
		return nil, nil, fmt.Errorf("hub: list %s: %w", folder, err)
	}
	st := &largeState{folder: folder}
	items = make([]*largeItem, len(files))
	errs := make([]error, len(files))
	// Reading 100k metadata files is I/O-bound: spread it.
	var g errgroup.Group
	g.SetLimit(8)
	const chunk = 256
	for start := 0; start < len(files); start += chunk {
		g.Go(func() error {
			for i := start; i < min(start+chunk, len(files)); i++ {
				rel := files[i]
				p, err := normalizePath(prefix+rel, false)
				if err != nil {
					errs[i] = fmt.Errorf("%s: %w", rel, err)
					continue
				}
				fi, err := os.Stat(filepath.Join(folder, filepath.FromSlash(rel)))
				if err != nil {
					errs[i] = err
					continue
				}
				items[i] = &largeItem{rel: rel, path: p, md: st.read(rel, fi, readOnly)}
			}
			return nil
		})
	}
	g.Wait()
	items = slices.DeleteFunc(items, func(it *largeItem) bool { return it == nil })
	for _, e := range errs {
		if e != nil {
			bad = append(bad, e)
		}
	}
	return items, bad, nil
}

// UploadLargeFolder uploads a folder of any size in many commits, in the
// way of huggingface_hub's upload_large_folder: each file goes through
// tasks (hash it, ask the Hub how to store it, upload its LFS content,
// commit it with others) run by NumWorkers workers, and the outcome of each
// task is saved under <folder>/.cache/huggingface, so that a run stopped at
// any point (even killed) resumes where it was when it is started again.
// The state format is huggingface_hub's: an upload started by either tool
// can be finished by the other.
//
// r.Type must be set explicitly, to avoid uploading a large folder to a
// repo of the wrong type. The repo is created if needed. Files committed
// by an earlier run and unchanged since are skipped; files the Hub already
// has are marked committed without a commit. Transient failures are
// retried with backoff, and the run gives up after 8 of them in a row;
// 401, 403 and 404 answers stop it at once. A file that cannot be read, or
// that the Hub refuses, is left out and reported in the returned error
// once everything else is committed.
func (c *Client) UploadLargeFolder(ctx context.Context, r Repo, folder string, opts *LargeFolderOptions) error {
	if r.Type == "" {
		return errors.New("hub: UploadLargeFolder needs an explicit repo type (Model, Dataset or Space)")
	}
	if err := r.check(); err != nil {
		return err
	}
	var o LargeFolderOptions
	if opts != nil {
		o = *opts
	}
	if o.NumWorkers <= 0 {
		o.NumWorkers = max(runtime.NumCPU()/2, 1)
	}
	if o.ReportEvery <= 0 {
		o.ReportEvery = time.Minute
	}
	if o.Logger == nil {
		o.Logger = c.log
	}
	if _, err := c.CreateRepo(ctx, r, &CreateRepoOptions{Private: o.Private, ExistOK: true}); err != nil {
		return err
	}
	items, bad, err := listLarge(folder, &o, false)
	if err != nil {
		return err
	}
	warnLargeLimits(ctx, o.Logger, items)
	st := &largeState{folder: folder}
	if err := st.init(); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	run := &largeRun{c: c, r: r, o: &o, st: st, started: time.Now(), chunk: 1}
	run.cond = sync.NewCond(&run.mu)
	run.lastCommit = run.started
	run.failed = bad
	if o.Report != nil {
		fmt.Fprintf(o.Report, "Found %d candidate files to upload\n", len(items))
	}
	if normalizeFolder(o.PathInRepo) == "" {
		for _, it := range items {
			if it.rel == ".gitignore" {
				if b, err := os.ReadFile(filepath.Join(folder, ".gitignore")); err == nil {
					s := string(b)
					run.gitIgnore = &s
				}
			}
		}
	}
	run.items = items
	for _, it := range items {
		run.remaining++
		if it.md.mode != "" && !it.md.committed && it.md.ignore != 1 && (it.md.mode == "regular" || it.md.uploaded) {
			// Ready to commit after an earlier run, which may have made
			// the commit and died before it saved that: ask the Hub what
			// it has first, so that nothing is committed twice.
			run.q[taskMode] = append(run.q[taskMode], it)
			continue
		}
		run.route(it)
	}
	return run.run(ctx)
}

// warnLargeLimits logs what the Hub's repository recommendations (and
// huggingface_hub's _validate_upload_limits) advise against.
func warnLargeLimits(ctx context.Context, log *slog.Logger, items []*largeItem) {
	if len(items) > 100_000 {
		log.LogAttrs(ctx, slog.LevelWarn, "upload-large-folder: more than 100,000 files: consider grouping them (e.g. in parquet or tar files)", slog.Int("files", len(items)))
	}
	perDir := map[string]int{}
	for _, it := range items {
		perDir[filepath.Dir(filepath.FromSlash(it.rel))]++
		switch {
		case it.md.size > 200e9:
			log.LogAttrs(ctx, slog.LevelWarn, "upload-large-folder: file larger than 200 GB: the Hub may refuse it", slog.String("path", it.rel), slog.Int64("size", it.md.size))
		case it.md.size > 20e9:
			log.LogAttrs(ctx, slog.LevelWarn, "upload-large-folder: file larger than the recommended 20 GB", slog.String("path", it.rel), slog.Int64("size", it.md.size))
		}
	}
	for dir, n := range perDir {
		if n > 10_000 {
			log.LogAttrs(ctx, slog.LevelWarn, "upload-large-folder: more than 10,000 entries in a folder: consider subfolders", slog.String("folder", filepath.ToSlash(dir)), slog.Int("files", n))
		}
	}
}

// largeRun is one run of UploadLargeFolder.
type largeRun struct {
	c         *Client
	r         Repo
	o         *LargeFolderOptions
	st        *largeState
	gitIgnore *string
	started   time.Time

	mu         sync.Mutex
	cond       *sync.Cond
	items      []*largeItem
	q          [numTasks][]*largeItem
	busy       [numTasks]int
	waiting    int
	remaining  int // items neither committed, ignored nor failed
	lastCommit time.Time
	chunk      int // index in commitSizeScale
	commitCap  int // > 0: a commit refused by the Hub is being narrowed down
	notBefore  [numTasks]time.Time
	consec     [numTasks]int // transient failures in a row, per task
	fatal      error
	failed     []error
	commits    int
}

// route queues an item for its next task (mu held, or before the run).
func (s *largeRun) route(it *largeItem) {
	m := &it.md
	switch {
	case m.committed, m.ignore == 1:
		s.remaining--
	case m.sha256 == "":
		s.q[taskHash] = append(s.q[taskHash], it)
	case m.mode == "":
		s.q[taskMode] = append(s.q[taskMode], it)
	case m.mode == "lfs" && !m.uploaded && m.remoteOID != m.sha256:
		s.q[taskLFS] = append(s.q[taskLFS], it)
	default:
		s.q[taskCommit] = append(s.q[taskCommit], it)
	}
}

func (s *largeRun) target() int {
	n := commitSizeScale[s.chunk]
	if s.commitCap > 0 {
		n = min(n, s.commitCap)
	}
	return n
}

func (s *largeRun) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Wake idle workers now and then: some rules depend on time.
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				s.mu.Lock()
				s.cond.Broadcast()
				s.mu.Unlock()
				return
			case <-t.C:
				s.mu.Lock()
				s.cond.Broadcast()
				s.mu.Unlock()
			}
		}
	}()
	reportDone := make(chan struct{})
	var reporter sync.WaitGroup
	if s.o.Report != nil {
		fmt.Fprintln(s.o.Report, "\n"+s.report())
		reporter.Go(func() {
			t := time.NewTicker(s.o.ReportEvery)
			defer t.Stop()
			for {
				select {
				case <-reportDone:
					return
				case <-t.C:
					fmt.Fprintln(s.o.Report, s.report())
				}
			}
		})
	}
	var wg sync.WaitGroup
	for range s.o.NumWorkers {
		wg.Go(func() { s.worker(ctx) })
	}
	wg.Wait()
	close(reportDone)
	reporter.Wait()
	if s.o.Report != nil {
		fmt.Fprintln(s.o.Report, s.report())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.fatal != nil:
		return s.fatal
	case ctx.Err() != nil:
		return ctx.Err()
	case len(s.failed) > 0:
		var b strings.Builder
		for i, e := range s.failed {
			if i == 5 {
				fmt.Fprintf(&b, "; and %d more", len(s.failed)-5)
				break
			}
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(strings.TrimPrefix(e.Error(), "hub: "))
		}
		return fmt.Errorf("hub: upload-large-folder: %d %s could not be uploaded (the others are committed): %s",
			len(s.failed), plural(len(s.failed), "file", "files"), b.String())
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (s *largeRun) worker(ctx context.Context) {
	for {
		task, items := s.next(ctx)
		if items == nil {
			return
		}
		start := time.Now()
		var err error
		switch task {
		case taskHash:
			err = s.hash(ctx, items)
		case taskMode:
			err = s.getMode(ctx, items)
		case taskLFS:
			err = s.uploadLFS(ctx, items)
		case taskCommit:
			err = s.commit(ctx, items)
		}
		s.mu.Lock()
		s.busy[task]--
		if task == taskCommit {
			s.lastCommit = time.Now()
		}
		if err != nil {
			var pe *partialError
			if errors.As(err, &pe) {
				items, err = pe.items, pe.err
			}
			s.fail(ctx, task, items, err, time.Since(start))
		} else {
			s.consec[task] = 0
		}
		s.cond.Broadcast()
		s.mu.Unlock()
	}
}

// next waits for a task, chosen with huggingface_hub's priorities, and
// returns it; nil items mean the run is over.
func (s *largeRun) next(ctx context.Context) (int, []*largeItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.fatal != nil || ctx.Err() != nil || s.remaining <= 0 {
			return 0, nil
		}
		if task, items := s.pick(time.Now()); items != nil {
			s.busy[task]++
			return task, items
		}
		if s.idle() {
			// Cannot happen: every unfinished file is in a queue or a task.
			s.fatal = fmt.Errorf("hub: upload-large-folder: internal error: %d files are neither queued nor done", s.remaining)
			s.cond.Broadcast()
			return 0, nil
		}
		s.waiting++
		s.cond.Wait()
		s.waiting--
	}
}

func (s *largeRun) pick(now time.Time) (int, []*largeItem) {
	ready := func(t int) bool { return len(s.q[t]) > 0 && !now.Before(s.notBefore[t]) }
	canCommit := s.busy[taskCommit] == 0 && ready(taskCommit)
	othersIdle := true
	for _, t := range []int{taskHash, taskMode, taskLFS} {
		if len(s.q[t]) > 0 || s.busy[t] > 0 {
			othersIdle = false
		}
	}
	switch {
	case canCommit && now.Sub(s.lastCommit) > 5*time.Minute:
	case canCommit && len(s.q[taskCommit]) >= s.target():
		// (huggingface_hub commits from 150 files on; waiting for a full
		// batch lets the commit size grow, hence fewer commits.)
	case ready(taskMode) && len(s.q[taskMode]) >= largeModeBatch:
		return taskMode, s.take(taskMode, largeModeBatch, -1)
	case ready(taskLFS) && s.busy[taskLFS] == 0:
		return taskLFS, s.take(taskLFS, largeLFSBatch, largeLFSBytes)
	case ready(taskHash) && s.busy[taskHash] == 0:
		return taskHash, s.take(taskHash, largeHashBatch, largeHashBytes)
	case ready(taskMode) && s.busy[taskMode] == 0:
		return taskMode, s.take(taskMode, largeModeBatch, -1)
	case ready(taskLFS):
		return taskLFS, s.take(taskLFS, largeLFSBatch, largeLFSBytes)
	case ready(taskHash):
		return taskHash, s.take(taskHash, largeHashBatch, largeHashBytes)
	case ready(taskMode):
		return taskMode, s.take(taskMode, largeModeBatch, -1)
	case canCommit && now.Sub(s.lastCommit) > time.Minute:
	case canCommit && othersIdle:
		// the last commit
	default:
		return 0, nil
	}
	return taskCommit, s.take(taskCommit, s.target(), -1)
}

// idle reports whether no task runs and every queue is empty (mu held).
func (s *largeRun) idle() bool {
	for t := range numTasks {
		if len(s.q[t]) > 0 || s.busy[t] > 0 {
			return false
		}
	}
	return true
}

// take removes up to n items (and up to maxBytes, one item at least) from
// the front of a queue. A solo item is taken alone.
func (s *largeRun) take(t, n int, maxBytes int64) []*largeItem {
	q := s.q[t]
	k, size := 0, int64(0)
	for k < len(q) && k < n {
		it := q[k]
		if k > 0 && (it.solo || (maxBytes >= 0 && size+it.md.size > maxBytes)) {
			break
		}
		k++
		size += it.md.size
		if it.solo {
			break
		}
	}
	items := slices.Clone(q[:k])
	s.q[t] = q[k:]
	return items
}

func (s *largeRun) pushFront(t int, items []*largeItem) {
	s.q[t] = append(slices.Clone(items), s.q[t]...)
}

// fail handles a failed task (mu held): a fatal error stops the run; an
// error about the content of a batch narrows the batch down to the file
// at fault, which is then left out; anything else is retried after a
// backoff, up to largeMaxConsecErrors failures in a row.
func (s *largeRun) fail(ctx context.Context, task int, items []*largeItem, err error, took time.Duration) {
	log := s.o.Logger
	if task == taskCommit {
		s.chunk = max(s.chunk-1, 0)
	}
	if ctx.Err() != nil {
		return // the run is over; the saved state is what counts
	}
	names := [numTasks]string{"hash", "get upload mode", "upload LFS content", "commit"}
	switch classifyLarge(err) {
	case largeFatal:
		s.fatal = fmt.Errorf("hub: upload-large-folder: %s (%d %s): %w", names[task], len(items), plural(len(items), "file", "files"), err)
		return
	case largeFileError:
		if len(items) == 1 {
			it := items[0]
			log.LogAttrs(ctx, slog.LevelError, "upload-large-folder: file left out", slog.String("path", it.rel), slog.String("err", err.Error()))
			s.failed = append(s.failed, fmt.Errorf("%s: %w", it.rel, err))
			s.remaining--
			return
		}
		if len(items) == 0 {
			return
		}
		log.LogAttrs(ctx, slog.LevelWarn, "upload-large-folder: task failed, narrowing it down", slog.String("task", names[task]),
			slog.Int("files", len(items)), slog.String("err", err.Error()))
		if task == taskCommit {
			// The Hub refused the commit, so nothing was committed: retry
			// with half the files until the culprit is found.
			s.commitCap = max(len(items)/2, 1)
		} else {
			for _, it := range items {
				it.solo = true
			}
		}
		s.pushFront(task, items)
		return
	}
	s.consec[task]++
	n := s.consec[task]
	log.LogAttrs(ctx, slog.LevelWarn, "upload-large-folder: task failed, will retry", slog.String("task", names[task]),
		slog.Int("files", len(items)), slog.Duration("took", took), slog.Int("failures_in_a_row", n), slog.String("err", err.Error()))
	if n >= largeMaxConsecErrors {
		s.fatal = fmt.Errorf("hub: upload-large-folder: giving up after %d failures in a row (progress is saved: run the same upload again to resume): %s: %w",
			n, names[task], err)
		return
	}
	backoff := min(s.c.opts.RetryBaseDelay<<min(n-1, 6), time.Minute)
	s.notBefore[task] = time.Now().Add(backoff)
	if task == taskCommit {
		// The commit may have landed even though its answer was lost: ask
		// the Hub what it has before committing these files again.
		s.notBefore[taskMode] = s.notBefore[task]
		s.q[taskMode] = append(s.q[taskMode], items...)
		return
	}
	s.q[task] = append(s.q[task], items...)
}

const (
	largeTransient = iota
	largeFileError
	largeFatal
)

// classifyLarge sorts errors: 401, 403 and 404 stop the run; other 4xx
// answers and local errors are about the files of the task; network
// failures and 408, 409, 412, 429 and 5xx answers are transient.
func classifyLarge(err error) int {
	var he *Error
	if errors.As(err, &he) {
		switch he.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
			return largeFatal
		case http.StatusConflict, http.StatusPreconditionFailed:
			return largeTransient
		}
		if transientStatus(he.StatusCode) {
			return largeTransient
		}
		return largeFileError
	}
	if transientNetErr(err) {
		return largeTransient
	}
	return largeFileError
}

func (s *largeRun) local(it *largeItem) string {
	return filepath.Join(s.st.folder, filepath.FromSlash(it.rel))
}

// done records the new state of an item that its task produced: it is
// saved (atomically), then published and the item queued for its next
// task. Only the worker that owns an item changes its state, under mu,
// so that reports can read it.
func (s *largeRun) done(it *largeItem, m largeMeta) {
	err := s.st.save(it.rel, &m)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if s.fatal == nil {
			s.fatal = fmt.Errorf("hub: upload-large-folder: save the state of %s: %w", it.rel, err)
		}
		return
	}
	it.md = m
	s.route(it)
}

// leaveOut records a file that cannot be uploaded (mu not held).
func (s *largeRun) leaveOut(it *largeItem, err error) {
	s.o.Logger.LogAttrs(context.Background(), slog.LevelError, "upload-large-folder: file left out", slog.String("path", it.rel), slog.String("err", err.Error()))
	s.mu.Lock()
	s.failed = append(s.failed, fmt.Errorf("%s: %w", it.rel, err))
	s.remaining--
	s.mu.Unlock()
}

// hash computes the sha256 of each file. Files that cannot be read are
// left out; files that change while they are hashed are hashed again.
func (s *largeRun) hash(ctx context.Context, items []*largeItem) error {
	for i, it := range items {
		if ctx.Err() != nil {
			return &partialError{err: ctx.Err(), items: items[i:]}
		}
		sha, size, err := hashStable(ctx, s.local(it))
		switch {
		case ctx.Err() != nil:
			return &partialError{err: ctx.Err(), items: items[i:]}
		case errors.Is(err, errChanged) && it.attempts < largeMaxHashAttempts:
			it.attempts++
			s.mu.Lock()
			s.q[taskHash] = append(s.q[taskHash], it)
			s.mu.Unlock()
		case err != nil:
			s.leaveOut(it, err)
		default:
			m := freshMeta(size)
			m.sha256 = sha
			s.done(it, m)
		}
	}
	return nil
}

var errChanged = errors.New("the file changed while it was being hashed")

// hashStable hashes a file and checks that it did not change meanwhile.
func hashStable(ctx context.Context, p string) (string, int64, error) {
	before, err := os.Stat(p)
	if err != nil {
		return "", 0, err
	}
	sha, _, err := hashes(ctx, &fileContent{path: p, size: before.Size()}, false)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist) || ctx.Err() != nil {
			return "", 0, err
		}
		if after, serr := os.Stat(p); serr == nil && (after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime())) {
			return "", 0, fmt.Errorf("%w: %v", errChanged, err)
		}
		return "", 0, err
	}
	after, err := os.Stat(p)
	if err != nil {
		return "", 0, err
	}
	if !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
		return "", 0, errChanged
	}
	return sha, before.Size(), nil
}

// unchanged returns the items whose file is as it was hashed. The others
// go back to hashing, or are left out if their file is gone.
func (s *largeRun) unchanged(items []*largeItem) []*largeItem {
	var keep []*largeItem
	for _, it := range items {
		fi, err := os.Stat(s.local(it))
		if err != nil {
			s.leaveOut(it, err)
			continue
		}
		if it.md.changed(fi) {
			s.mu.Lock()
			it.md = freshMeta(fi.Size())
			s.route(it)
			s.mu.Unlock()
			continue
		}
		keep = append(keep, it)
	}
	return keep
}

func (s *largeRun) addOp(it *largeItem) *AddOp {
	return &AddOp{
		PathInRepo: it.path, Content: &fileContent{path: s.local(it), size: it.md.size},
		size: it.md.size, sha256: it.md.sha256, mode: it.md.mode, remoteOID: it.md.remoteOID,
		uploaded: it.md.uploaded, shouldIgnore: it.md.ignore == 1,
	}
}

// getMode asks the Hub how each file is stored, whether it is ignored and
// what is at its path now.
func (s *largeRun) getMode(ctx context.Context, items []*largeItem) error {
	keep := s.unchanged(items)
	if len(keep) == 0 {
		return nil
	}
	adds := make([]*AddOp, len(keep))
	for i, it := range keep {
		adds[i] = &AddOp{PathInRepo: it.path, Content: &fileContent{path: s.local(it), size: it.md.size}, sha256: it.md.sha256}
	}
	if err := s.c.preupload(ctx, s.r, adds, &CommitOptions{Revision: s.o.Revision, GitIgnore: s.gitIgnore}); err != nil {
		return &partialError{err: err, items: keep}
	}
	for i, it := range keep {
		a, m := adds[i], it.md
		m.mode, m.remoteOID, m.ignore = a.mode, a.remoteOID, 0
		if a.shouldIgnore {
			m.ignore = 1
		}
		if a.mode == "lfs" && a.remoteOID == m.sha256 {
			m.uploaded = true
		}
		s.done(it, m)
	}
	return nil
}

// uploadLFS uploads the LFS content of files the Hub does not have yet.
func (s *largeRun) uploadLFS(ctx context.Context, items []*largeItem) error {
	keep := s.unchanged(items)
	if len(keep) == 0 {
		return nil
	}
	adds := make([]*AddOp, len(keep))
	for i, it := range keep {
		adds[i] = s.addOp(it)
	}
	err := s.c.uploadLFS(ctx, s.r, adds, &CommitOptions{Revision: s.o.Revision})
	var failed []*largeItem
	for i, it := range keep {
		if !adds[i].uploaded {
			failed = append(failed, it)
			continue
		}
		m := it.md
		m.uploaded = true
		s.done(it, m)
	}
	if err != nil && len(failed) > 0 {
		return &partialError{err: err, items: failed}
	}
	return nil
}

// partialError is the failure of a task whose other files were handled:
// only items are retried.
type partialError struct {
	err   error
	items []*largeItem
}

func (p *partialError) Error() string { return p.err.Error() }
func (p *partialError) Unwrap() error { return p.err }

// commit commits a batch of files; the files the Hub already has are
// marked committed without a commit.
func (s *largeRun) commit(ctx context.Context, items []*largeItem) error {
	start := time.Now()
	keep := s.unchanged(items)
	if len(keep) == 0 {
		return nil
	}
	ops := make([]Operation, len(keep))
	for i, it := range keep {
		a := s.addOp(it)
		if a.mode == "regular" && a.remoteOID != "" {
			// Hash the git blob to drop a file the Hub already has.
			_, blob, err := hashes(ctx, a.Content, true)
			if err != nil {
				return &partialError{err: err, items: keep}
			}
			a.gitBlob = blob
		}
		if a.mode == "lfs" {
			a.Content = nil
		}
		ops[i] = a
	}
	o := &CommitOptions{Message: LargeFolderMessage, Revision: s.o.Revision}
	lines, anything, err := s.c.commitLines(ctx, s.r, ops, o)
	if err == nil && anything {
		if err = ctx.Err(); err == nil {
			_, err = s.c.postCommit(ctx, s.r, o, lines)
		}
	}
	if err != nil {
		return &partialError{err: err, items: keep}
	}
	s.mu.Lock()
	if anything {
		s.commits++
	}
	if s.commitCap > 0 && len(keep) >= s.commitCap {
		s.commitCap = 0 // the narrowed-down batch went through
	}
	if len(items) >= commitSizeScale[s.chunk] && time.Since(start) < largeFastCommit {
		s.chunk = min(s.chunk+1, len(commitSizeScale)-1)
	}
	s.mu.Unlock()
	for _, it := range keep {
		m := it.md
		m.committed = true
		s.done(it, m)
	}
	return nil
}

// report formats the status as huggingface_hub's current_report does.
func (s *largeRun) report() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var nHashed, nUploaded, nLFS, nUnsure, nCommitted, nIgnored, total int
	var sizeHashed, sizeUploaded, sizeCommitted, totalSize int64
	for _, it := range s.items {
		m := &it.md
		if m.ignore == 1 {
			nIgnored++
			continue
		}
		total++
		totalSize += m.size
		if m.sha256 != "" {
			nHashed++
			sizeHashed += m.size
		}
		switch m.mode {
		case "lfs":
			nLFS++
		case "":
			nUnsure++
		}
		if m.uploaded {
			nUploaded++
			sizeUploaded += m.size
		}
		if m.committed {
			nCommitted++
			sizeCommitted += m.size
		}
	}
	now := time.Now()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s) %s\n", strings.Repeat("-", 10), now.Format("2006-01-02 15:04:05"), formatElapsed(now.Sub(s.started)), strings.Repeat("-", 10))
	ts := formatSize(totalSize)
	fmt.Fprintf(&b, "Files:   hashed %d/%d (%s/%s) | pre-uploaded: %d/%d (%s/%s)", nHashed, total, formatSize(sizeHashed), ts, nUploaded, nLFS, formatSize(sizeUploaded), ts)
	if nUnsure > 0 {
		fmt.Fprintf(&b, " (+%d unsure)", nUnsure)
	}
	fmt.Fprintf(&b, " | committed: %d/%d (%s/%s) | ignored: %d\n", nCommitted, total, formatSize(sizeCommitted), ts, nIgnored)
	fmt.Fprintf(&b, "Workers: hashing: %d | get upload mode: %d | pre-uploading: %d | committing: %d | waiting: %d\n",
		s.busy[taskHash], s.busy[taskMode], s.busy[taskLFS], s.busy[taskCommit], s.waiting)
	b.WriteString(strings.Repeat("-", 51))
	return b.String()
}

// formatSize is huggingface_hub's _format_size: 1000-based, one decimal.
func formatSize(n int64) string {
	f := float64(n)
	for _, unit := range []string{"", "K", "M", "G", "T", "P", "E", "Z"} {
		if f < 1000 && f > -1000 {
			return fmt.Sprintf("%3.1f%s", f, unit)
		}
		f /= 1000
	}
	return fmt.Sprintf("%.1fY", f)
}

// formatElapsed is Python's str(timedelta(seconds=int(d))).
func formatElapsed(d time.Duration) string {
	sec := int64(d / time.Second)
	days, sec := sec/86400, sec%86400
	s := fmt.Sprintf("%d:%02d:%02d", sec/3600, sec/60%60, sec%60)
	switch {
	case days == 1:
		return "1 day, " + s
	case days > 1:
		return fmt.Sprintf("%d days, %s", days, s)
	}
	return s
}
