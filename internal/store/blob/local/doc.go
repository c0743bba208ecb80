// Package local stores blobs as files in a local directory.
//
// The layout is dir/objects/ab/cd/<oid> for published objects and dir/tmp/
// for staged ones. Both live on one filesystem, so publishing is an atomic
// rename after an fsync of the file, followed by an fsync of the directory.
package local
