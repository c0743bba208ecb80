// Package gitrepo drives the git and git-lfs binaries to work on a local
// clone of a Hub repository, like huggingface_hub's Repository class:
// clone, add, commit, push (blocking or queued in the background), pull,
// and CommitWith, which pulls, runs a function that edits files, then adds,
// commits and pushes everything.
//
// The token is given to git through a credential helper that reads it from
// the environment of each git command: it is never written to .git/config,
// put in the remote URL or on a command line.
package gitrepo
