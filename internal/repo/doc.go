// Package repo is the repository engine: repositories, git objects
// (commits, trees, blobs and LFS pointer blobs, in git's own encoding),
// refs moved by compare-and-swap, commits that load only the folders they
// touch, listings, pull requests and merges, all stored in SQL.
package repo
