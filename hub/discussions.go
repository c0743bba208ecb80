package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Discussion is a discussion or pull request of a repo, as listed.
type Discussion struct {
	Num           int       `json:"num"`
	Title         string    `json:"title"`
	Status        string    `json:"status"` // open, closed, merged or draft
	IsPullRequest bool      `json:"isPullRequest"`
	CreatedAt     time.Time `json:"createdAt"`
	Author        struct {
		Name string `json:"name"` // "" if the account was deleted
	} `json:"author"`
	// URL is the discussion's web page; GitReference is refs/pr/N for a
	// pull request (the revision to commit to), "" otherwise.
	URL          string `json:"-"`
	GitReference string `json:"-"`
}

// DiscussionEvent is one entry of a discussion's timeline.
type DiscussionEvent struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"` // comment, status-change, commit, title-change
	CreatedAt time.Time `json:"createdAt"`
	Author    struct {
		Name string `json:"name"`
	} `json:"author"`
	// Data is the event's payload as the Hub sends it.
	Data json.RawMessage `json:"data"`
}

// Content is the text of a comment event ("" for other events).
func (e *DiscussionEvent) Content() string {
	var d struct {
		Latest struct {
			Raw string `json:"raw"`
		} `json:"latest"`
	}
	json.Unmarshal(e.Data, &d)
	return d.Latest.Raw
}

// DiscussionDetails is a discussion with its timeline and, for a pull
// request, its changes.
type DiscussionDetails struct {
	Discussion
	Events []DiscussionEvent `json:"events"`
	// Changes are set for pull requests.
	Changes *struct {
		Base          string `json:"base"`          // target ref, e.g. refs/heads/main
		MergeCommitID string `json:"mergeCommitId"` // once merged
	} `json:"changes"`
	ConflictingFiles []string `json:"filesWithConflicts"`
	Diff             string   `json:"diff"`
}

func (c *Client) fillDiscussion(r Repo, d *Discussion) {
	d.URL = c.URL(r) + "/discussions/" + strconv.Itoa(d.Num)
	if d.IsPullRequest {
		d.GitReference = "refs/pr/" + strconv.Itoa(d.Num)
	}
}

func (c *Client) discussionURL(r Repo, num int, action string) string {
	u := c.endpoint + r.apiPath() + "/discussions"
	if num > 0 {
		u += "/" + strconv.Itoa(num)
	}
	if action != "" {
		u += "/" + action
	}
	return u
}

// ListDiscussionsOptions filters ListDiscussions. The zero value lists
// everything.
type ListDiscussionsOptions struct {
	Type   string // "discussion" or "pull_request"; default both
	Status string // "open" (drafts included) or "closed" (merged included); default both
	Author string // user name; default anyone
}

// ListDiscussions lists a repo's discussions and pull requests, newest
// first, following pagination.
func (c *Client) ListDiscussions(ctx context.Context, r Repo, opts *ListDiscussionsOptions) ([]Discussion, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	var o ListDiscussionsOptions
	if opts != nil {
		o = *opts
	}
	var all []Discussion
	for page := 0; ; page++ {
		q := url.Values{"p": {strconv.Itoa(page)}}
		if o.Type != "" {
			q.Set("type", o.Type)
		}
		if o.Status != "" {
			q.Set("status", o.Status)
		}
		if o.Author != "" {
			q.Set("author", o.Author)
		}
		var out struct {
			Discussions []Discussion `json:"discussions"`
			Count       int          `json:"count"`
			Start       int          `json:"start"`
		}
		if _, err := c.getJSON(ctx, c.discussionURL(r, 0, "")+"?"+q.Encode(), &out); err != nil {
			return nil, err
		}
		for i := range out.Discussions {
			c.fillDiscussion(r, &out.Discussions[i])
		}
		all = append(all, out.Discussions...)
		if len(out.Discussions) == 0 || out.Start+len(out.Discussions) >= out.Count {
			return all, nil
		}
	}
}

// GetDiscussion returns a discussion or pull request with its events.
func (c *Client) GetDiscussion(ctx context.Context, r Repo, num int) (*DiscussionDetails, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	var d DiscussionDetails
	if _, err := c.getJSON(ctx, c.discussionURL(r, num, "")+"?diff=1", &d); err != nil {
		return nil, err
	}
	c.fillDiscussion(r, &d.Discussion)
	return &d, nil
}

// CreateDiscussion opens a discussion, or with pullRequest a pull request
// against the default branch (a draft, whose revision refs/pr/N takes
// commits). The description is its first comment.
func (c *Client) CreateDiscussion(ctx context.Context, r Repo, title, description string, pullRequest bool) (*DiscussionDetails, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	var out struct {
		Num int `json:"num"`
	}
	body := map[string]any{"title": title, "description": description, "pullRequest": pullRequest}
	if err := c.sendJSON(ctx, http.MethodPost, c.discussionURL(r, 0, ""), body, &out, false); err != nil {
		return nil, err
	}
	return c.GetDiscussion(ctx, r, out.Num)
}

// CreatePullRequest opens a draft pull request; see CreateDiscussion. An
// empty description becomes "Pull Request opened with the wharf Go SDK".
func (c *Client) CreatePullRequest(ctx context.Context, r Repo, title, description string) (*DiscussionDetails, error) {
	if description == "" {
		description = "Pull Request opened with the wharf Go SDK"
	}
	return c.CreateDiscussion(ctx, r, title, description, true)
}

func (c *Client) discussionAction(ctx context.Context, r Repo, num int, action string, body map[string]any, key string) (*DiscussionEvent, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	var out map[string]DiscussionEvent
	if err := c.sendJSON(ctx, http.MethodPost, c.discussionURL(r, num, action), body, &out, false); err != nil {
		return nil, err
	}
	ev, ok := out[key]
	if !ok {
		return nil, fmt.Errorf("hub: the answer to %s on discussion #%d has no %q", action, num, key)
	}
	return &ev, nil
}

// CommentDiscussion adds a comment.
func (c *Client) CommentDiscussion(ctx context.Context, r Repo, num int, comment string) (*DiscussionEvent, error) {
	return c.discussionAction(ctx, r, num, "comment", map[string]any{"comment": comment}, "newMessage")
}

// EditDiscussionComment replaces the text of a comment (commentID is the
// event's ID).
func (c *Client) EditDiscussionComment(ctx context.Context, r Repo, num int, commentID, content string) (*DiscussionEvent, error) {
	return c.discussionAction(ctx, r, num, "comment/"+url.PathEscape(commentID)+"/edit", map[string]any{"content": content}, "updatedComment")
}

// RenameDiscussion changes a discussion's title.
func (c *Client) RenameDiscussion(ctx context.Context, r Repo, num int, title string) (*DiscussionEvent, error) {
	return c.discussionAction(ctx, r, num, "title", map[string]any{"title": title}, "newTitle")
}

// ChangeDiscussionStatus opens or closes a discussion ("open" also takes a
// draft pull request out of draft), with an optional comment.
func (c *Client) ChangeDiscussionStatus(ctx context.Context, r Repo, num int, status, comment string) (*DiscussionEvent, error) {
	if status != "open" && status != "closed" {
		return nil, fmt.Errorf("hub: invalid discussion status %q: use open or closed", status)
	}
	body := map[string]any{"status": status}
	if comment != "" {
		body["comment"] = comment
	}
	return c.discussionAction(ctx, r, num, "status", body, "newStatus")
}

// MergePullRequest merges a pull request into its base branch, with an
// optional comment, and returns the merge commit's id when the Hub tells
// it. A pull request without changes cannot be merged: that error matches
// ErrBadRequest.
func (c *Client) MergePullRequest(ctx context.Context, r Repo, num int, comment string) (string, error) {
	if err := r.check(); err != nil {
		return "", err
	}
	body := map[string]any{}
	if comment != "" {
		body["comment"] = comment
	}
	var out struct {
		MergeCommitID string `json:"mergeCommitId"`
	}
	err := c.sendJSON(ctx, http.MethodPost, c.discussionURL(r, num, "merge"), body, &out, false)
	var se *json.SyntaxError
	if errors.Is(err, io.EOF) || errors.As(err, &se) {
		err = nil // the Hub's answer is not specified: huggingface_hub ignores it
	}
	return out.MergeCommitID, err
}
