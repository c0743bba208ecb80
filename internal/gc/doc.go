// Package gc removes what nothing references: git objects no ref reaches,
// LFS content no stored pointer names, and blobs no row names, after a
// grace period that protects uploads, commits and pushes in flight.
package gc
