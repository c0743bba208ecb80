// Package gitproto serves git smart HTTP (upload-pack and receive-pack,
// protocol v0 and v2) over the repository engine, with go-git's transport
// and a storer whose objects live in SQL; pushes are validated like API
// commits before anything is written.
package gitproto
