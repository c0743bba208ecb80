package repo

import "github.com/wharfhub/wharf/wire"

// Errors whose texts are the Hub's own (kept with the error codes in
// wire/errors.go). Each wraps the sentinel that internal/server/errors.go
// turns into a status.

// errParentMoved: a commit's parentCommit is no longer the branch head (412).
func errParentMoved() error { return errorf(ErrParentMismatch, wire.MessageParentMismatch) }

// errRefExists: creating a branch or tag that exists (409).
func errRefExists(ref string) error { return errorf(ErrRefExists, wire.FormatRefExists, ref) }

// errDeleteDefault: deleting the default branch (400).
func errDeleteDefault(ref string) error {
	return errorf(wire.ErrInvalid, wire.FormatCannotDeleteRef, ref)
}

// errMoveExists: moving a repo onto an existing id (409).
func errMoveExists(t wire.RepoType, to wire.RepoID) error {
	return errorf(ErrRepoExists, wire.FormatRepoExists, t, to)
}
