package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Errors returned by [Store] and by backends. Returned errors wrap them with
// context; test with [errors.Is].
var (
	// ErrNotExist means no object is stored under the oid.
	ErrNotExist = errors.New("blob does not exist")
	// ErrDigestMismatch means the sha256 of the content is not the oid.
	ErrDigestMismatch = errors.New("content hash does not match oid")
	// ErrSizeMismatch means the content has fewer or more bytes than declared.
	ErrSizeMismatch = errors.New("content size does not match")
	// ErrInvalidOID means the oid is not 64 lowercase hex digits.
	ErrInvalidOID = errors.New("invalid oid")
)

// OIDLen is the length of an oid: a sha256 digest in hex.
const OIDLen = 64

// ValidOID reports whether oid is a well-formed oid: exactly 64 lowercase
// hex digits. Only well-formed oids ever reach a backend, so backends may
// build paths and keys from them.
func ValidOID(oid string) bool {
	if len(oid) != OIDLen {
		return false
	}
	for i := 0; i < len(oid); i++ {
		c := oid[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// CheckOID returns nil if oid is valid, and otherwise an error wrapping
// [ErrInvalidOID] that quotes (a prefix of) oid.
func CheckOID(oid string) error {
	if ValidOID(oid) {
		return nil
	}
	return fmt.Errorf("%w %.80q", ErrInvalidOID, oid)
}

// Object is an open stored object. It is seekable, so [net/http.ServeContent]
// can answer Range requests from it. An Object is not safe for concurrent
// use; open one per reader. The content of an object never changes, and an
// Object opened before a Delete stays readable on backends that can (local
// files on Unix, mem).
type Object interface {
	io.ReadSeekCloser
	// Size returns the size of the object in bytes.
	Size() int64
}

// Backend is a storage implementation: a flat, content-addressed namespace of
// immutable objects plus a staging area. Backends do NOT verify content;
// [Store.Put] does, and only then calls [Staged.Commit]. Callers other than
// Store (tests, sweepers) must therefore not Commit unverified data.
//
// All methods are safe for concurrent use. Oids passed to a Backend are
// always valid (see [ValidOID]); implementations should still refuse invalid
// ones with [ErrInvalidOID] rather than build a path from them.
type Backend interface {
	// Create starts a new staged object under a fresh unique temporary name
	// and returns it for writing. Nothing becomes visible under any oid until
	// [Staged.Commit]. It fails if ctx is already done.
	Create(ctx context.Context) (Staged, error)

	// Open opens the object stored under oid for reading. It returns an
	// error wrapping [ErrNotExist] if there is none.
	Open(ctx context.Context, oid string) (Object, error)

	// Stat returns the size of the object stored under oid, or an error
	// wrapping [ErrNotExist] if there is none.
	Stat(ctx context.Context, oid string) (size int64, err error)

	// Delete removes the object stored under oid. It is idempotent: deleting
	// a missing object returns nil. Readers that already opened the object
	// may keep reading it where the backend allows.
	Delete(ctx context.Context, oid string) error

	// List calls fn once for every stored object, in no particular order,
	// on the caller's goroutine. Objects added or deleted during List may or
	// may not be reported; fn may call other Backend methods (a sweeper
	// deletes from inside fn). If fn returns an error, List stops and
	// returns it. Staged objects are never listed.
	List(ctx context.Context, fn func(oid string, size int64) error) error
}

// Staged is an object being written to a backend's staging area. It is not
// safe for concurrent use.
type Staged interface {
	// Write appends p to the staged content.
	io.Writer

	// Commit makes the staged content durable (fsync, or the object store's
	// own commit) and then publishes it atomically under oid: readers see
	// either no object or the whole object, never a prefix. If an object
	// already exists under oid, Commit keeps it untouched, discards the
	// staged content and returns nil (content addressing makes them equal
	// once verified). If Commit fails, nothing new is visible under oid and
	// the staged content is removed. Commit may be called at most once.
	Commit(ctx context.Context, oid string) error

	// Abort discards the staged content. It is idempotent, and a no-op after
	// Commit, so callers may always defer it. It uses no context: cleanup
	// must happen even when the request's context is done.
	Abort() error
}

// Sweeper is implemented by backends whose staging area can keep garbage
// after a crash (blob/local: temp files). A background job calls Sweep
// periodically.
type Sweeper interface {
	// Sweep removes staged data last written more than olderThan ago and
	// reports how many items it removed. An upload stalled for longer than
	// olderThan then fails at Commit instead of publishing; pick olderThan
	// well above the longest tolerated stall (hours). Safe for concurrent
	// use with every other method.
	Sweep(ctx context.Context, olderThan time.Duration) (removed int, err error)
}

// RangeReader is implemented by backends that read a range of an object
// into memory better than through [Backend.Open]: the local store reads it
// past the page cache, for data read once (an upload read back to hash
// it), which would cost more to cache than to read.
type RangeReader interface {
	// ReadRange reads bytes [off, off+n) of the object stored under oid.
	// It returns them as a slice of buf if buf's capacity is enough for
	// the backend's needs, of a new buffer otherwise, and the buffer used,
	// to pass as buf next time. It returns an error wrapping ErrNotExist
	// if there is no object, io.ErrUnexpectedEOF if the object ends
	// before off+n.
	ReadRange(ctx context.Context, oid string, off int64, n int, buf []byte) (data, used []byte, err error)
}

// ErrNotAdoptable is returned by [Adopter.Adopt] when the file cannot be
// moved into the store (another filesystem, say); the file is untouched.
var ErrNotAdoptable = errors.New("file cannot be adopted by the blob store")

// Adopter is implemented by backends that can publish a file that is
// already on their filesystem by renaming it, instead of copying its bytes
// (blob/local). Only [Store.PutFile] calls it, after verifying the file.
type Adopter interface {
	// Adopt makes the file at path durable and publishes it under oid, the
	// way [Staged.Commit] does; the file is gone afterwards. If oid exists
	// already, the file is removed and Adopt returns nil. It returns an
	// error wrapping ErrNotAdoptable, leaving the file in place, when the
	// file cannot be moved into the store.
	Adopt(ctx context.Context, oid, path string) error
}

// Direct is implemented by backends that clients can reach themselves (S3):
// the bytes of uploads and downloads then go between the client and the
// backend, and only verification passes through Wharf. Staged uploads live
// under a staging name until [Store.PublishStaged] (or
// [Store.PublishChecked]) has verified them; nothing reaches an oid unseen.
type Direct interface {
	// PresignGet returns a URL that GETs oid's object until ttl passes,
	// without other credentials. A non-empty rng ("bytes=A-B") is bound into
	// the signature: the client must send exactly that Range.
	PresignGet(ctx context.Context, oid, rng string, ttl time.Duration) (string, error)
	// PresignPutStaged returns a URL and the headers a client must send to
	// PUT content into the staging name; the headers bind its size and
	// sha256 (hex oid), so the backend refuses any other bytes.
	PresignPutStaged(ctx context.Context, staging, oid string, size int64, ttl time.Duration) (url string, header map[string]string, err error)
	// StartUpload starts a multipart upload into the staging name.
	StartUpload(ctx context.Context, staging string) (uploadID string, err error)
	// PresignPart returns a URL that PUTs part n (from 1) of an upload.
	PresignPart(ctx context.Context, staging, uploadID string, n int, ttl time.Duration) (string, error)
	// CompleteUpload assembles the parts, given the ETags their PUTs
	// returned, in part order.
	CompleteUpload(ctx context.Context, staging, uploadID string, etags []string) error
	// AbortUpload drops a multipart upload and its parts.
	AbortUpload(ctx context.Context, staging, uploadID string) error
	// StatStaged returns the size of staged content, or ErrNotExist.
	StatStaged(ctx context.Context, staging string) (int64, error)
	// OpenStaged opens staged content for reading.
	OpenStaged(ctx context.Context, staging string) (Object, error)
	// PublishStaging moves staged content to oid (server side) and removes
	// the staging name. Only Store calls it, after verification.
	PublishStaging(ctx context.Context, staging, oid string) error
	// DeleteStaged removes staged content; missing content is not an error.
	DeleteStaged(ctx context.Context, staging string) error
}
