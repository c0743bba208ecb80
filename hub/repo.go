package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhub/wharf/wire"
)

// RepoType is model, dataset or space.
type RepoType = wire.RepoType

// Repo types.
const (
	Model   = wire.Model
	Dataset = wire.Dataset
	Space   = wire.Space
)

// Repo names a repository: its id ("namespace/name") and type (zero: model).
type Repo struct {
	ID   string   // "namespace/name"
	Type RepoType // Model (the zero value), Dataset or Space
}

func (r Repo) typ() RepoType {
	if r.Type == "" {
		return Model
	}
	return r.Type
}

// Validate reports whether r names a repo the Hub accepts: an id
// "namespace/name" following huggingface_hub's validate_repo_id rules, and
// a known type. It sends no request.
func (r Repo) Validate() error { return r.check() }

// check validates the repo id with the Hub's rules.
func (r Repo) check() error {
	if _, err := wire.ParseRepoType(string(r.Type)); err != nil {
		return fmt.Errorf("hub: invalid repo type %q: use model, dataset or space", r.Type)
	}
	// Canonical ids ("gpt2") have no namespace.
	if _, err := wire.ParseAnyRepoID(r.ID); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	return nil
}

// apiPath is "/api/{models|datasets|spaces}/{ns}/{name}".
func (r Repo) apiPath() string { return "/api/" + r.typ().Plural() + "/" + r.ID }

// webPath is "/{datasets/|spaces/}{ns}/{name}".
func (r Repo) webPath() string { return "/" + r.typ().URLPrefix() + r.ID }

// URL is the repo's web URL on the client's Hub.
func (c *Client) URL(r Repo) string { return c.endpoint + r.webPath() }

// rev quotes a revision for an API path (huggingface_hub: quote(rev, safe="")).
func rev(s string) string {
	if s == "" {
		s = "main"
	}
	return url.PathEscape(s)
}

// quotePath escapes a repo path for a resolve URL, keeping its slashes.
func quotePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// User is the answer of Whoami.
type User struct {
	Name     string `json:"name"`     // user name
	Fullname string `json:"fullname"` // display name
	Email    string `json:"email"`    // email, if the token may see it
	Type     string `json:"type"`     // "user"
	// Orgs are the organizations the user belongs to.
	Orgs []struct {
		Name string `json:"name"`
	} `json:"orgs"`
	// Auth describes the token used.
	Auth struct {
		AccessToken struct {
			DisplayName string `json:"displayName"`
			Role        string `json:"role"`
		} `json:"accessToken"`
	} `json:"auth"`
}

// Whoami returns the user the token belongs to.
func (c *Client) Whoami(ctx context.Context) (*User, error) {
	if c.token == "" {
		return nil, errors.New("hub: not logged in: pass a token, set HF_TOKEN, or run `wharf login`")
	}
	var u User
	_, err := c.getJSON(ctx, c.apiURL("/api/whoami-v2"), &u)
	return &u, err
}

// CreateRepoOptions configures CreateRepo.
type CreateRepoOptions struct {
	// Private makes the repo private. Nil leaves the Hub's default.
	Private *bool
	// ExistOK makes an existing repo a success.
	ExistOK bool
	// SpaceSDK is the SDK of a space (gradio, streamlit, docker, static).
	// Default gradio.
	SpaceSDK string
	// LFSMultipartThreshold asks a Wharf server to use multipart above this
	// size for this repo (a test hook of the Hub too).
	LFSMultipartThreshold int64
}

// CreateRepo creates a repository and returns its URL.
func (c *Client) CreateRepo(ctx context.Context, r Repo, opts *CreateRepoOptions) (string, error) {
	if err := r.check(); err != nil {
		return "", err
	}
	// New repos are named namespace/name: namespace-less (canonical) ids
	// are made by server administrators only, through the API.
	if _, err := wire.ParseRepoID(r.ID); err != nil {
		return "", fmt.Errorf("hub: %w", err)
	}
	var o CreateRepoOptions
	if opts != nil {
		o = *opts
	}
	ns, name, _ := strings.Cut(r.ID, "/")
	body := map[string]any{"name": name, "organization": ns}
	if r.typ() != Model {
		body["type"] = string(r.typ())
	}
	if o.Private != nil {
		body["private"] = *o.Private
	}
	if r.typ() == Space {
		sdk := o.SpaceSDK
		if sdk == "" {
			sdk = "gradio"
		}
		body["sdk"] = sdk
	}
	if o.LFSMultipartThreshold > 0 {
		body["lfsmultipartthresh"] = o.LFSMultipartThreshold
	}
	var out struct {
		URL string `json:"url"`
	}
	err := c.sendJSON(ctx, http.MethodPost, c.apiURL("/api/repos/create"), body, &out, true)
	if err != nil {
		var he *Error
		if o.ExistOK && errors.As(err, &he) && he.StatusCode == http.StatusConflict {
			if he.bodyURL != "" {
				return he.bodyURL, nil
			}
			return c.URL(r), nil
		}
		if o.ExistOK && errors.As(err, &he) && (he.StatusCode == http.StatusForbidden || he.StatusCode == http.StatusUnauthorized) {
			if _, ierr := c.RepoInfo(ctx, r, nil); ierr == nil {
				return c.URL(r), nil
			}
		}
		return "", err
	}
	return out.URL, nil
}

// DeleteRepoOptions configures DeleteRepo.
type DeleteRepoOptions struct {
	// MissingOK makes a missing repo a success.
	MissingOK bool
}

// DeleteRepo deletes a repository.
func (c *Client) DeleteRepo(ctx context.Context, r Repo, opts *DeleteRepoOptions) error {
	if err := r.check(); err != nil {
		return err
	}
	ns, name, _ := strings.Cut(r.ID, "/")
	body := map[string]any{"name": name, "organization": ns}
	if r.typ() != Model {
		body["type"] = string(r.typ())
	}
	err := c.sendJSON(ctx, http.MethodDelete, c.apiURL("/api/repos/delete"), body, nil, true)
	if opts != nil && opts.MissingOK && errors.Is(err, ErrRepoNotFound) {
		return nil
	}
	return err
}

// RepoSettings configures UpdateRepoSettings. Nil fields are left as they
// are; at least one must be set.
type RepoSettings struct {
	// Private makes the repo private (true) or public (false).
	Private *bool
	// Gated sets access requests: "auto" (approved at once), "manual"
	// (approved by the owners) or "" (not gated).
	Gated *string
}

// UpdateRepoSettings changes a repo's visibility and access requests.
func (c *Client) UpdateRepoSettings(ctx context.Context, r Repo, opts *RepoSettings) error {
	if err := r.check(); err != nil {
		return err
	}
	body := map[string]any{}
	if opts != nil && opts.Private != nil {
		body["private"] = *opts.Private
	}
	if opts != nil && opts.Gated != nil {
		switch g := *opts.Gated; g {
		case "":
			body["gated"] = false
		case "auto", "manual":
			body["gated"] = g
		default:
			return fmt.Errorf("hub: invalid gated mode %q: use \"auto\", \"manual\" or \"\"", g)
		}
	}
	if len(body) == 0 {
		return errors.New("hub: UpdateRepoSettings: no setting to change")
	}
	return c.sendJSON(ctx, http.MethodPut, c.endpoint+r.apiPath()+"/settings", body, nil, true)
}

// MoveRepo renames a repo, possibly into another namespace: afterwards it
// is reachable as toID ("namespace/name", same type); its old id redirects
// there until a repo is created at it.
func (c *Client) MoveRepo(ctx context.Context, from Repo, toID string) error {
	if err := from.check(); err != nil {
		return err
	}
	// Both ids are "namespace/name", as huggingface_hub's move_repo wants.
	if _, err := wire.ParseRepoID(toID); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	body := map[string]any{"fromRepo": from.ID, "toRepo": toID, "type": string(from.typ())}
	return c.sendJSON(ctx, http.MethodPost, c.apiURL("/api/repos/move"), body, nil, false)
}

// Sibling is a file of a repo as RepoInfo lists it.
type Sibling struct {
	Path   string `json:"rfilename"`        // path in the repo
	Size   *int64 `json:"size,omitempty"`   // size; only with FilesMetadata
	BlobID string `json:"blobId,omitempty"` // git blob id; only with FilesMetadata
	// LFS is the LFS object behind the file; only with FilesMetadata.
	LFS *struct {
		SHA256      string `json:"sha256"`
		Size        int64  `json:"size"`
		PointerSize int64  `json:"pointerSize"`
	} `json:"lfs,omitempty"`
}

// RepoInfo is what the Hub says about a repo at a revision.
type RepoInfo struct {
	ID           string    `json:"id"`           // "namespace/name"
	SHA          string    `json:"sha"`          // commit the revision resolves to
	Private      bool      `json:"private"`      // visible only to its owners
	LastModified time.Time `json:"lastModified"` // date of the last commit
	Siblings     []Sibling `json:"siblings"`     // files of the revision
	Gated        GatedMode `json:"gated"`        // access requests: "", "auto" or "manual"
}

// RepoInfoOptions configures RepoInfo.
type RepoInfoOptions struct {
	Revision string // default: the default branch
	// FilesMetadata asks for sizes and LFS details of siblings.
	FilesMetadata bool
}

// RepoInfo returns a repo's metadata.
func (c *Client) RepoInfo(ctx context.Context, r Repo, opts *RepoInfoOptions) (*RepoInfo, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	u := c.endpoint + r.apiPath()
	if opts != nil && opts.Revision != "" {
		u += "/revision/" + rev(opts.Revision)
	}
	if opts != nil && opts.FilesMetadata {
		u += "?blobs=true"
	}
	var info RepoInfo
	_, err := c.getJSON(ctx, u, &info)
	return &info, err
}

// RepoExists reports whether a repo exists and is visible to the client.
func (c *Client) RepoExists(ctx context.Context, r Repo) (bool, error) {
	_, err := c.RepoInfo(ctx, r, nil)
	if errors.Is(err, ErrRepoNotFound) {
		return false, nil
	}
	return err == nil, err
}

// LFSInfo describes the LFS object behind a file.
type LFSInfo struct {
	OID         string `json:"oid"`         // sha256 of the content
	Size        int64  `json:"size"`        // size of the content
	PointerSize int64  `json:"pointerSize"` // size of the git-lfs pointer file
}

// LastCommit is the last commit that changed a tree entry.
type LastCommit struct {
	ID    string    `json:"id"`    // commit id
	Title string    `json:"title"` // first line of the message
	Date  time.Time `json:"date"`  // commit date
}

// TreeEntry is a file or folder of a repo.
type TreeEntry struct {
	Type string   `json:"type"`          // "file" or "directory"
	Path string   `json:"path"`          // path in the repo
	OID  string   `json:"oid"`           // git blob or tree id
	Size int64    `json:"size"`          // size of a file; 0 for folders
	LFS  *LFSInfo `json:"lfs,omitempty"` // set for LFS files
	// XetHash is the Xet file hash of an LFS file stored through Xet.
	XetHash string `json:"xetHash,omitempty"`
	// LastCommit is the last commit that changed the entry; only when
	// asked for (ListTreeOptions.Expand, PathsInfo with expand).
	LastCommit *LastCommit `json:"lastCommit,omitempty"`
}

// IsDir reports whether the entry is a folder.
func (e TreeEntry) IsDir() bool { return e.Type != "file" }

// ListTreeOptions configures ListRepoTree.
type ListTreeOptions struct {
	Revision  string // branch, tag or commit; default the default branch
	Path      string // folder to list; default the root
	Recursive bool   // list the whole subtree, folders included
	// Expand fills each entry's LastCommit. Slower: the Hub walks the
	// history and sends fewer entries per page.
	Expand bool
}

// ListRepoTree lists the files and folders of a repo, following pagination.
func (c *Client) ListRepoTree(ctx context.Context, r Repo, opts *ListTreeOptions) ([]TreeEntry, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	var o ListTreeOptions
	if opts != nil {
		o = *opts
	}
	u := c.endpoint + r.apiPath() + "/tree/" + rev(o.Revision)
	if p := strings.Trim(o.Path, "/"); p != "" {
		u += "/" + url.PathEscape(p)
	}
	u += fmt.Sprintf("?recursive=%t&expand=%t", o.Recursive, o.Expand)
	var all []TreeEntry
	for u != "" {
		var page []TreeEntry
		h, err := c.getJSON(ctx, u, &page)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		u = nextLink(h)
	}
	return all, nil
}

// ListRepoFiles lists every file path of a repo at a revision.
func (c *Client) ListRepoFiles(ctx context.Context, r Repo, revision string) ([]string, error) {
	ents, err := c.ListRepoTree(ctx, r, &ListTreeOptions{Revision: revision, Recursive: true})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() {
			out = append(out, e.Path)
		}
	}
	return out, nil
}

// nextLink returns the rel="next" URL of a Link header, or "".
func nextLink(h http.Header) string {
	for _, v := range h.Values("Link") {
		for _, part := range strings.Split(v, ",") {
			if strings.Contains(part, `rel="next"`) {
				if i, j := strings.IndexByte(part, '<'), strings.IndexByte(part, '>'); i >= 0 && j > i {
					return part[i+1 : j]
				}
			}
		}
	}
	return ""
}

// PathsInfo returns the entries of the given paths (files or folders) at a
// revision (default: the default branch); missing paths are left out. With
// expand each entry carries its LastCommit. Long lists are sent in several
// requests.
func (c *Client) PathsInfo(ctx context.Context, r Repo, revision string, paths []string, expand bool) ([]TreeEntry, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	return c.pathsInfo(ctx, r, revision, paths, expand)
}

// pathsInfo is PathsInfo without validation, in batches of 500 paths.
func (c *Client) pathsInfo(ctx context.Context, r Repo, revision string, paths []string, expand bool) ([]TreeEntry, error) {
	var out []TreeEntry
	for len(paths) > 0 {
		n := min(500, len(paths))
		form := url.Values{"paths": paths[:n], "expand": {strconv.FormatBool(expand)}}
		paths = paths[n:]
		data := form.Encode()
		resp, err := c.do(ctx, request{
			method: http.MethodPost, url: c.endpoint + r.apiPath() + "/paths-info/" + rev(revision), auth: true, retry: true,
			header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, size: int64(len(data)),
			body: func() (io.Reader, error) { return strings.NewReader(data), nil },
		})
		if err != nil {
			return nil, err
		}
		var page []TreeEntry
		err = decodeJSON(resp, &page)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
	}
	return out, nil
}
