package hub

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"
)

// CreateBranchOptions configures CreateBranch.
type CreateBranchOptions struct {
	// Revision the branch starts at. Default: the default branch's head.
	Revision string
	// ExistOK makes an existing branch a success.
	ExistOK bool
}

// CreateBranch creates a branch.
func (c *Client) CreateBranch(ctx context.Context, r Repo, branch string, opts *CreateBranchOptions) error {
	if err := r.check(); err != nil {
		return err
	}
	body := map[string]any{}
	if opts != nil && opts.Revision != "" {
		body["startingPoint"] = opts.Revision
	}
	err := c.sendJSON(ctx, http.MethodPost, c.endpoint+r.apiPath()+"/branch/"+url.PathEscape(branch), body, nil, true)
	if opts != nil && opts.ExistOK && errors.Is(err, ErrConflict) {
		return nil
	}
	return err
}

// DeleteBranch deletes a branch.
func (c *Client) DeleteBranch(ctx context.Context, r Repo, branch string) error {
	if err := r.check(); err != nil {
		return err
	}
	return c.sendJSON(ctx, http.MethodDelete, c.endpoint+r.apiPath()+"/branch/"+url.PathEscape(branch), map[string]any{}, nil, true)
}

// CreateTagOptions configures CreateTag.
type CreateTagOptions struct {
	Revision string // what to tag; default the default branch's head
	Message  string // annotation of the tag; default none
	ExistOK  bool   // an existing tag is a success
}

// CreateTag tags a revision.
func (c *Client) CreateTag(ctx context.Context, r Repo, tag string, opts *CreateTagOptions) error {
	if err := r.check(); err != nil {
		return err
	}
	var o CreateTagOptions
	if opts != nil {
		o = *opts
	}
	body := map[string]any{"tag": tag}
	if o.Message != "" {
		body["message"] = o.Message
	}
	err := c.sendJSON(ctx, http.MethodPost, c.endpoint+r.apiPath()+"/tag/"+rev(o.Revision), body, nil, true)
	if o.ExistOK && errors.Is(err, ErrConflict) {
		return nil
	}
	return err
}

// DeleteTag deletes a tag.
func (c *Client) DeleteTag(ctx context.Context, r Repo, tag string) error {
	if err := r.check(); err != nil {
		return err
	}
	return c.sendJSON(ctx, http.MethodDelete, c.endpoint+r.apiPath()+"/tag/"+url.PathEscape(tag), map[string]any{}, nil, true)
}

// GitRef is a branch, tag or pull request ref.
type GitRef struct {
	Name         string `json:"name"`         // short name: "main", "v1.0", "1" for refs/pr/1
	Ref          string `json:"ref"`          // full ref: "refs/heads/main"
	TargetCommit string `json:"targetCommit"` // commit id the ref points to
}

// Refs lists a repo's refs.
type Refs struct {
	Branches     []GitRef `json:"branches"`     // refs/heads/*
	Tags         []GitRef `json:"tags"`         // refs/tags/*
	Converts     []GitRef `json:"converts"`     // refs/convert/* (e.g. parquet)
	PullRequests []GitRef `json:"pullRequests"` // refs/pr/*, only with includePRs
}

// ListRefs lists branches, tags and, with includePRs, pull request refs.
func (c *Client) ListRefs(ctx context.Context, r Repo, includePRs bool) (*Refs, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	u := c.endpoint + r.apiPath() + "/refs"
	if includePRs {
		u += "?include_prs=1"
	}
	var refs Refs
	_, err := c.getJSON(ctx, u, &refs)
	return &refs, err
}

// CommitEntry is one commit of a history listing.
type CommitEntry struct {
	ID      string    `json:"id"`      // commit id
	Title   string    `json:"title"`   // first line of the message
	Message string    `json:"message"` // full message
	Date    time.Time `json:"date"`    // commit date
	// Authors are the Hub users who authored the commit.
	Authors []struct {
		User string `json:"user"`
	} `json:"authors"`
}

// ListCommits lists the history of a revision, newest first, following
// pagination.
func (c *Client) ListCommits(ctx context.Context, r Repo, revision string) ([]CommitEntry, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	u := c.endpoint + r.apiPath() + "/commits/" + rev(revision)
	var all []CommitEntry
	for u != "" {
		var page []CommitEntry
		h, err := c.getJSON(ctx, u, &page)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		u = nextLink(h)
	}
	return all, nil
}
