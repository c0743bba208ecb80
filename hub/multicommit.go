package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"golang.org/x/sync/errgroup"
)

// Multi-commit uploads, as huggingface_hub 0.2x's upload_folder(...,
// multi_commits=True): the operations are split into steps pushed one
// commit at a time to a pull request, which is merged at the end. An
// interrupted upload finds its pull request again (by the id of its plan)
// and pushes only the steps still missing.

// Default limits of a step (huggingface_hub's plan_multi_commits).
const (
	MultiCommitMaxOps   = 50
	MultiCommitMaxBytes = 2 << 30
)

// PlanMultiCommits splits operations into steps of at most maxOps
// operations and maxBytes of additions (defaults MultiCommitMaxOps and
// MultiCommitMaxBytes when ≤ 0), with huggingface_hub's algorithm:
// deletions first, grouped; a file of maxBytes or more alone; other
// additions (and copies) grouped in order.
func PlanMultiCommits(ops []Operation, maxOps int, maxBytes int64) [][]Operation {
	if maxOps <= 0 {
		maxOps = MultiCommitMaxOps
	}
	if maxBytes <= 0 {
		maxBytes = MultiCommitMaxBytes
	}
	var addSteps, delSteps [][]Operation
	var adds, dels []Operation
	var addsSize int64
	for _, op := range ops {
		var size int64
		switch op := op.(type) {
		case *DeleteOp:
			dels = append(dels, op)
			if len(dels) >= maxOps {
				delSteps, dels = append(delSteps, dels), nil
			}
			continue
		case *AddOp:
			size = op.opSize()
		}
		switch {
		case size >= maxBytes:
			addSteps = append(addSteps, []Operation{op})
		case addsSize+size < maxBytes:
			adds = append(adds, op)
			addsSize += size
		default:
			addSteps = append(addSteps, adds)
			adds, addsSize = []Operation{op}, size
		}
		if len(adds) >= maxOps {
			addSteps, adds, addsSize = append(addSteps, adds), nil, 0
		}
	}
	if len(adds) > 0 {
		addSteps = append(addSteps, adds)
	}
	if len(dels) > 0 {
		delSteps = append(delSteps, dels)
	}
	return append(delSteps, addSteps...)
}

func (a *AddOp) opSize() int64 {
	if a.Content != nil {
		return a.Content.Size()
	}
	return a.size
}

// MultiCommitOptions configures CreateCommitsOnPR.
type MultiCommitOptions struct {
	// Message is the pull request's final title (required); Description
	// goes to its first comment.
	Message     string
	Description string
	// CreatePR leaves the pull request open for review instead of merging
	// it.
	CreatePR bool
	// Verbose, if set, receives a line per step.
	Verbose io.Writer
	// Progress is passed to each step's CreateCommit.
	Progress func(Progress)
}

// stepIDRegexp finds the step list in the first comment of the pull
// request (huggingface_hub's STEP_ID_REGEX).
var stepIDRegexp = regexp.MustCompile(`(?m)- \[([ x])\].*?([a-fA-F0-9]{64})`)

type multiStep struct {
	ops  []Operation
	id   string
	done bool
}

// stepID hashes the description of a step's operations as
// huggingface_hub's MultiCommitStep does.
func stepID(ops []Operation) (string, error) {
	h := sha256.New()
	for _, op := range ops {
		switch op := op.(type) {
		case *AddOp:
			raw, err := hex.DecodeString(op.sha256)
			if err != nil || len(raw) != sha256.Size {
				return "", fmt.Errorf("hub: %s has not been hashed", op.PathInRepo)
			}
			io.WriteString(h, "ADD"+op.PathInRepo)
			h.Write(raw)
		case *DeleteOp:
			io.WriteString(h, "DELETE"+op.PathInRepo)
			if op.IsFolder {
				io.WriteString(h, "True")
			} else {
				io.WriteString(h, "False")
			}
		case *CopyOp:
			io.WriteString(h, "COPY"+op.SrcPath+"\x00"+op.DstPath+"\x00"+op.SrcRevision)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func multiCommitComment(o *MultiCommitOptions, strategyID string, steps []*multiStep) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n## %s\n\n%s\n\n**Multi commit ID:** %s\n\nScheduled commits:\n\n", o.Message, o.Description, strategyID)
	for _, s := range steps {
		mark := " "
		if s.done {
			mark = "x"
		}
		fmt.Fprintf(&b, "- [%s] %s\n", mark, s.id)
	}
	b.WriteString("\n_This is a PR opened using the wharf Go SDK in the context of a multi-commit. PR can be commented as a usual PR. " +
		"However, please be aware that manually updating the PR description, changing the PR status, or pushing new commits, " +
		"is not recommended as it might corrupt the commit process._\n")
	return b.String()
}

const (
	multiCommitDoneComment = "\nMulti-commit is now completed! You can ping the repo owner to review the changes. " +
		"This PR can now be commented or modified without risking to corrupt it.\n"
	multiCommitMergeComment    = "\n`create_pr=False` has been passed so PR is automatically merged.\n"
	multiCommitNoChangeComment = "\nCannot merge Pull Requests as no changes are associated. This PR will be closed automatically.\n"
)

// CreateCommitsOnPR pushes steps (from PlanMultiCommits) as commits to a
// draft pull request against the default branch, then opens it and, unless
// opts.CreatePR, merges it (a pull request without changes is closed
// instead). The pull request is found again on a later call with the same
// steps: its title holds the plan's id ("[WIP] <message> (multi-commit
// <id>)"), and the steps already pushed are the commits of refs/pr/N whose
// title is the step's id. The returned CommitInfo names the pull request;
// its OID is the merge commit when there is one.
func (c *Client) CreateCommitsOnPR(ctx context.Context, r Repo, steps [][]Operation, opts *MultiCommitOptions) (*CommitInfo, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	var o MultiCommitOptions
	if opts != nil {
		o = *opts
	}
	if strings.TrimSpace(o.Message) == "" {
		return nil, errors.New("hub: a multi-commit upload needs a message")
	}
	verbose := func(format string, args ...any) {
		if o.Verbose != nil {
			fmt.Fprintf(o.Verbose, format+"\n", args...)
		}
	}
	// Step ids need the sha256 of every addition.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.Workers)
	for _, ops := range steps {
		for _, op := range ops {
			a, ok := op.(*AddOp)
			if !ok || a.sha256 != "" {
				continue
			}
			p, err := normalizePath(a.PathInRepo, false)
			if err != nil {
				return nil, err
			}
			a.PathInRepo = p
			if a.Content == nil {
				return nil, fmt.Errorf("hub: the operation adding %s has no content", p)
			}
			g.Go(func() error {
				// The git blob id too: it lets CreateCommit drop regular
				// files the pull request already has.
				sha, blob, err := hashes(gctx, a.Content, true)
				a.sha256, a.gitBlob = sha, blob
				return err
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var all []*multiStep
	seen := map[string]bool{}
	strategy := sha256.New()
	for _, ops := range steps {
		if len(ops) == 0 {
			return nil, errors.New("hub: a multi-commit step needs at least one operation")
		}
		id, err := stepID(ops)
		if err != nil {
			return nil, err
		}
		if seen[id] {
			return nil, fmt.Errorf("hub: two multi-commit steps are the same (%s)", id)
		}
		seen[id] = true
		all = append(all, &multiStep{ops: ops, id: id})
		io.WriteString(strategy, "new step"+id)
	}
	if len(all) == 0 {
		return nil, errors.New("hub: a multi-commit upload needs at least one step")
	}
	strategyID := hex.EncodeToString(strategy.Sum(nil))
	verbose("Will create %d commit(s) for multi-commit %s.", len(all), strategyID)

	// Find the draft pull request of this plan, or open it.
	list, err := c.ListDiscussions(ctx, r, &ListDiscussionsOptions{Type: "pull_request"})
	if err != nil {
		return nil, err
	}
	var pr *DiscussionDetails
	for _, d := range list {
		if d.IsPullRequest && d.Status == "draft" && strings.Contains(d.Title, strategyID) {
			if pr, err = c.GetDiscussion(ctx, r, d.Num); err != nil {
				return nil, err
			}
			verbose("Found pull request %s: resuming.", pr.URL)
			break
		}
	}
	if pr == nil {
		title := fmt.Sprintf("[WIP] %s (multi-commit %s)", o.Message, strategyID)
		if pr, err = c.CreatePullRequest(ctx, r, title, multiCommitComment(&o, strategyID, all)); err != nil {
			return nil, err
		}
		verbose("Opened pull request %s.", pr.URL)
	}
	var first *DiscussionEvent
	for i := range pr.Events {
		if pr.Events[i].Type == "comment" {
			first = &pr.Events[i]
			break
		}
	}
	if first == nil {
		return nil, fmt.Errorf("hub: multi-commit pull request #%d has no comment listing its steps", pr.Num)
	}
	listed := map[string]bool{}
	for _, m := range stepIDRegexp.FindAllStringSubmatch(first.Content(), -1) {
		listed[strings.ToLower(m[2])] = true
	}
	if len(listed) != len(all) {
		return nil, fmt.Errorf("hub: multi-commit pull request #%d lists %d steps, this upload has %d", pr.Num, len(listed), len(all))
	}
	byID := map[string]*multiStep{}
	for _, s := range all {
		if !listed[s.id] {
			return nil, fmt.Errorf("hub: multi-commit pull request #%d does not list step %s", pr.Num, s.id)
		}
		byID[s.id] = s
	}
	// The steps already pushed are the commits of the PR not on main.
	onMain := map[string]bool{}
	mainCommits, err := c.ListCommits(ctx, r, "")
	if err != nil {
		return nil, err
	}
	for _, ce := range mainCommits {
		onMain[ce.ID] = true
	}
	prCommits, err := c.ListCommits(ctx, r, pr.GitReference)
	if err != nil {
		return nil, err
	}
	for _, ce := range prCommits {
		if onMain[ce.ID] {
			continue
		}
		s, ok := byID[ce.Title]
		if !ok {
			return nil, fmt.Errorf("hub: multi-commit pull request #%d has a commit %s (%q) that is not one of its steps: it cannot be resumed", pr.Num, ce.ID, ce.Title)
		}
		s.done = true
	}
	for _, s := range all {
		if s.done {
			verbose("  Skip step %s (already completed)", s.id)
			continue
		}
		verbose("  Pushing step %s (%d operations)...", s.id, len(s.ops))
		if _, err := c.CreateCommit(ctx, r, s.ops, &CommitOptions{Message: s.id, Revision: pr.GitReference, Progress: o.Progress}); err != nil {
			return nil, fmt.Errorf("hub: multi-commit step %s: %w", s.id, err)
		}
		s.done = true
		left := 0
		for _, x := range all {
			if !x.done {
				left++
			}
		}
		verbose("  step %s completed (still %d to go).", s.id, left)
		if _, err := c.EditDiscussionComment(ctx, r, pr.Num, first.ID, multiCommitComment(&o, strategyID, all)); err != nil {
			// Only a progress display: a Hub without comment edition is fine.
			var he *Error
			if !errors.As(err, &he) || he.StatusCode != 404 {
				return nil, err
			}
		}
	}
	if _, err := c.RenameDiscussion(ctx, r, pr.Num, o.Message); err != nil {
		return nil, err
	}
	if _, err := c.ChangeDiscussionStatus(ctx, r, pr.Num, "open", multiCommitDoneComment); err != nil {
		return nil, err
	}
	ci := &CommitInfo{URL: pr.URL, PRURL: pr.URL, PRNum: pr.Num, PRRevision: pr.GitReference}
	if o.CreatePR {
		return ci, nil
	}
	oid, err := c.MergePullRequest(ctx, r, pr.Num, multiCommitMergeComment)
	var he *Error
	if errors.As(err, &he) && he.StatusCode == 400 {
		// Nothing changed: close the pull request instead.
		_, err = c.ChangeDiscussionStatus(ctx, r, pr.Num, "closed", multiCommitNoChangeComment)
		ci.Skipped = true
	}
	if err != nil {
		return nil, err
	}
	ci.OID = oid
	if oid != "" {
		ci.URL = c.URL(r) + "/commit/" + oid
	}
	return ci, nil
}

// uploadFolderMulti is UploadFolder with MultiCommits.
func (c *Client) uploadFolderMulti(ctx context.Context, r Repo, folder string, o *UploadFolderOptions) (*CommitInfo, error) {
	if o.Revision != "" && o.Revision != "main" {
		return nil, errors.New("hub: a multi-commit upload goes to the main branch: leave Revision empty")
	}
	ops, err := c.FolderOperations(ctx, r, folder, o)
	if err != nil {
		return nil, err
	}
	if len(ops) == 0 {
		return nil, fmt.Errorf("hub: nothing to upload in %s", folder)
	}
	mo := &MultiCommitOptions{Message: o.Message, Description: o.Description, CreatePR: o.CreatePR, Progress: o.Progress}
	if o.MultiCommitsVerbose {
		mo.Verbose = os.Stderr
	}
	return c.CreateCommitsOnPR(ctx, r, PlanMultiCommits(ops, 0, 0), mo)
}
