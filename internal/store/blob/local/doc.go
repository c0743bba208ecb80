// Package local stores blobs as files in a local directory.
//
// The layout is dir/objects/ab/cd/<oid> for published objects and dir/tmp/
// for staged ones. Both live on one filesystem, so publishing is an atomic
// rename after an fsync of the file, followed by an fsync of the directory.
//
// Staged files are written with direct I/O where the filesystem allows it
// (Linux, aligned buffers): uploads of gigabytes do not pass through the
// page cache, whose filling costs more CPU than hashing them on a busy or
// virtual machine, and do not evict what readers use.
package local
