package wire

import (
	"strings"
)

// RepoType is the kind of a repository. The zero value "" means [Model], as
// repo_type=None does in huggingface_hub.
type RepoType string

// Repository types.
const (
	Model   RepoType = "model"
	Dataset RepoType = "dataset"
	Space   RepoType = "space"
)

// ParseRepoType parses a repo type as found in request bodies (repo_type,
// "type") and API paths: "", "model" and "models" mean [Model], "dataset" and
// "datasets" mean [Dataset], "space" and "spaces" mean [Space].
func ParseRepoType(s string) (RepoType, error) {
	switch s {
	case "", "model", "models":
		return Model, nil
	case "dataset", "datasets":
		return Dataset, nil
	case "space", "spaces":
		return Space, nil
	}
	return "", invalidf("invalid repo type %s: must be \"model\", \"dataset\" or \"space\"", quote(s))
}

// Plural returns the form used in API paths: "models", "datasets" or
// "spaces" (/api/models/ns/name).
func (t RepoType) Plural() string {
	if t == "" {
		return "models"
	}
	return string(t) + "s"
}

// URLPrefix returns the prefix of web, resolve and git URLs: "" for models,
// "datasets/" and "spaces/" for the others (PROTOCOL.md §1.1).
func (t RepoType) URLPrefix() string {
	if t == "" || t == Model {
		return ""
	}
	return string(t) + "s/"
}

// MaxNameLen is the maximum length of a namespace or a repo name.
const MaxNameLen = 96

// reservedNamespaces would make web URLs ambiguous (/datasets/ns/name).
var reservedNamespaces = []string{"datasets", "spaces", "models", "kernels", "buckets", "api"}

// RepoID identifies a repository within its type: "namespace/name".
type RepoID struct {
	Namespace string // user or organization
	Name      string
}

// ParseRepoID parses and validates "namespace/name" with the rules of
// huggingface_hub's validate_repo_id (PROTOCOL.md §1.2), except that the
// namespace is required and may not be reserved ("datasets", "spaces",
// "models", "kernels", "buckets", "api", in any case).
func ParseRepoID(s string) (RepoID, error) {
	ns, name, ok := strings.Cut(s, "/")
	if !ok || strings.Contains(name, "/") {
		return RepoID{}, invalidf("invalid repo id %s: must be \"namespace/name\"", quote(s))
	}
	if rule := checkName(ns); rule != "" {
		return RepoID{}, invalidf("invalid repo id %s: namespace %s", quote(s), rule)
	}
	if isReserved(ns) {
		return RepoID{}, invalidf("invalid repo id %s: namespace %s is reserved", quote(s), quote(ns))
	}
	if rule := checkName(name); rule != "" {
		return RepoID{}, invalidf("invalid repo id %s: name %s", quote(s), rule)
	}
	return RepoID{Namespace: ns, Name: name}, nil
}

// String returns "namespace/name", or "name" for a canonical id.
func (r RepoID) String() string {
	if r.Namespace == "" {
		return r.Name
	}
	return r.Namespace + "/" + r.Name
}

// ValidateName validates one segment of a repo id: a user, organization or
// repo name. Reserved namespaces pass; see [ValidateNamespace].
func ValidateName(s string) error {
	if rule := checkName(s); rule != "" {
		return invalidf("invalid name %s: %s", quote(s), rule)
	}
	return nil
}

// ValidateNamespace validates a user or organization name: [ValidateName]
// rules, and not a reserved namespace such as "datasets".
func ValidateNamespace(s string) error {
	if err := ValidateName(s); err != nil {
		return err
	}
	if isReserved(s) {
		return invalidf("invalid name %s: reserved", quote(s))
	}
	return nil
}

func isReserved(ns string) bool {
	for _, r := range reservedNamespaces {
		if strings.EqualFold(ns, r) {
			return true
		}
	}
	return false
}

// checkName returns the rule that s breaks, or "" if s is a valid name.
func checkName(s string) string {
	switch {
	case s == "":
		return "must not be empty"
	case len(s) > MaxNameLen:
		return "must be at most 96 characters long"
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isWordChar(c) && c != '-' && c != '.' {
			return "may only contain ASCII letters, digits, '_', '-' and '.'"
		}
	}
	switch {
	case !isWordChar(s[0]) || !isWordChar(s[len(s)-1]):
		return "must start and end with a letter, a digit or '_'"
	case strings.Contains(s, "--"):
		return "must not contain \"--\""
	case strings.Contains(s, ".."):
		return "must not contain \"..\""
	case len(s) >= 4 && strings.EqualFold(s[len(s)-4:], ".git"):
		return "must not end with \".git\""
	}
	return ""
}

// isWordChar reports whether c matches the ASCII \w class.
func isWordChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}
