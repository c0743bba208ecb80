// Package usage accounts for the LFS and Xet content each repository and
// namespace uses, and enforces storage quotas.
//
// A repo's usage is the sum of the sizes of the distinct contents (by
// sha256) that LFS pointer blobs stored for the repo name: its whole
// history, branches, tags and PR refs included, as the Hub counts
// usedStorage. The engine records those contents in repo_usage_oids in the
// transaction that writes the pointers, so reading a usage never walks
// history. Content shared by several repos counts in each of them (and in
// each namespace total), but once in the server total.
package usage
