package wire

// ParseCanonicalRepoID parses a namespace-less id such as "gpt2" or
// "bert-base-uncased": the Hub's canonical repos, which only server admins
// create. The name follows the rules of a repo name.
func ParseCanonicalRepoID(s string) (RepoID, error) {
	if rule := checkName(s); rule != "" {
		return RepoID{}, invalidf("invalid repo id %s: name %s", quote(s), rule)
	}
	if isReserved(s) || isRoute(s) {
		return RepoID{}, invalidf("invalid repo id %s: the name is reserved", quote(s))
	}
	return RepoID{Name: s}, nil
}

// ParseAnyRepoID parses "namespace/name" or a canonical "name".
func ParseAnyRepoID(s string) (RepoID, error) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return ParseRepoID(s)
		}
	}
	return ParseCanonicalRepoID(s)
}

// Canonical reports whether r is a namespace-less id.
func (r RepoID) Canonical() bool { return r.Namespace == "" && r.Name != "" }

// isRoute reports whether s is a first URL segment the server serves
// itself, which a canonical repo's URLs would collide with.
func isRoute(s string) bool {
	switch s {
	case "healthz", "lfs-upload", "lfs-part", "lfs-complete", "lfs-download", "lfs-verify":
		return true
	}
	return false
}
