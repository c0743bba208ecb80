// Package blob stores content-addressed objects.
//
// Objects are LFS contents keyed by their oid, the lowercase hex sha256 of
// their bytes. A [Store] wraps a storage [Backend] (blob/local, blob/mem,
// later blob/s3) and owns verify-on-write: [Store.Put] hashes and counts the
// bytes while it streams them into a staging area, and publishes them under
// the oid only if both match, so nothing is ever visible under an oid that is
// not exactly its content, and nothing is visible before it is durable.
package blob
