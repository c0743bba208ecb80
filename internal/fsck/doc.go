// Package fsck checks a hub's integrity: every git object hashes to its id,
// every repo's history is complete, every registered blob exists with the
// right size and sha256, and every Xet file and xorb is whole.
package fsck
