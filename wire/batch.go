package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// LFS media type of batch requests and responses.
const LFSMediaType = "application/vnd.git-lfs+json"

// MaxBatchObjects is how many objects one batch request may name. The Hub
// clients send at most 256.
const MaxBatchObjects = 1000

// BatchRequest is a Git LFS batch API request, in any of the dialects of
// huggingface_hub, @huggingface/hub and git-lfs.
type BatchRequest struct {
	Operation string        `json:"operation"` // "upload" or "download"
	Transfers []string      `json:"transfers,omitempty"`
	Ref       *BatchRef     `json:"ref,omitempty"`
	Objects   []BatchObject `json:"objects"`
	HashAlgo  string        `json:"hash_algo,omitempty"`
}

// BatchRef names the ref an upload is for.
type BatchRef struct {
	Name string `json:"name"`
}

// BatchObject is one object of a batch request or response.
type BatchObject struct {
	OID           string                  `json:"oid"`
	Size          int64                   `json:"size"`
	Authenticated bool                    `json:"authenticated,omitempty"`
	Actions       map[string]*BatchAction `json:"actions,omitempty"`
	Error         *BatchError             `json:"error,omitempty"`
}

// BatchAction is an action link: where to send or fetch an object.
type BatchAction struct {
	Href      string            `json:"href"`
	Header    map[string]string `json:"header,omitempty"`
	ExpiresIn int64             `json:"expires_in,omitempty"`
}

// BatchError is a per-object error.
type BatchError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// BatchResponse is the batch API answer.
type BatchResponse struct {
	Transfer string        `json:"transfer,omitempty"`
	Objects  []BatchObject `json:"objects"`
	HashAlgo string        `json:"hash_algo,omitempty"`
}

// OffersTransfer reports whether the client listed transfer t. A request
// without a list offers only "basic", as the Git LFS spec says.
func (r *BatchRequest) OffersTransfer(t string) bool {
	if len(r.Transfers) == 0 {
		return t == "basic"
	}
	for _, x := range r.Transfers {
		if x == t {
			return true
		}
	}
	return false
}

// RefName is the ref the request names, without quotes and with
// refs/heads/ stripped ("" when absent).
func (r *BatchRequest) RefName() string {
	if r.Ref == nil {
		return ""
	}
	n := strings.Trim(r.Ref.Name, `"`)
	return strings.TrimPrefix(n, "refs/heads/")
}

// ParseBatchRequest decodes and checks a batch request body. Object ids and
// sizes are not checked here: a bad object gets a per-object error, not a
// failed request.
func ParseBatchRequest(r io.Reader) (*BatchRequest, error) {
	var req BatchRequest
	dec := json.NewDecoder(r)
	if err := dec.Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fmt.Errorf("batch request body too large: %w", ErrTooLarge)
		}
		return nil, invalidf("invalid batch request: %v", err)
	}
	switch req.Operation {
	case "upload", "download":
	default:
		return nil, invalidf("batch operation must be upload or download, not %s", quote(req.Operation))
	}
	switch strings.ToLower(strings.ReplaceAll(req.HashAlgo, "_", "")) {
	case "", "sha256":
	default:
		return nil, invalidf("unsupported hash_algo %s: only sha256", quote(req.HashAlgo))
	}
	if len(req.Objects) > MaxBatchObjects {
		return nil, fmt.Errorf("a batch request may name at most %d objects, not %d: %w", MaxBatchObjects, len(req.Objects), ErrTooLarge)
	}
	return &req, nil
}
