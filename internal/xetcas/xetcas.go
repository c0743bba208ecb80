// Package xetcas is Wharf's Xet content-addressed store: the server side of
// the Xet protocol (see ../shared/XET.md). It verifies and stores xorbs in
// the blob store, validates and registers shards, answers global-dedup
// queries, plans file reconstructions with signed fetch URLs, and reads
// Xet-stored files back as plain bytes for clients without Xet (the bridge).
//
// Storage: a xorb's serialized chunks (headers and payloads, never a footer)
// are one blob, named by their sha256; the row in xet_xorbs, written only
// after the blob is verified and durable, makes the xorb visible and holds
// its chunk index. A shard registers its files in one transaction: the file
// (xet_files), the content by sha256 (lfs_objects.xet_hash) linked to the
// uploading repo (repo_lfs), and the dedup index (xet_dedup). A crash at any
// point leaves at worst a blob that no row names.
package xetcas

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/xet"
)

// Errors of the service; returned errors wrap them. The HTTP layer maps
// them to 400, 401, 403, 404 and 416.
var (
	ErrInvalid      = errors.New("invalid")
	ErrUnauthorized = errors.New("unauthorized")
	ErrForbidden    = errors.New("forbidden")
	ErrNotFound     = errors.New("not found")
	ErrRange        = errors.New("range not satisfiable")
)

func errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// Config wires a Service.
type Config struct {
	DB    *sqlstore.DB
	Blobs *blob.Store
	// Key is the server secret: CAS tokens, fetch URLs and the dedup key
	// are derived from it, so replicas sharing it accept each other's.
	Key []byte
	// TokenTTL is the lifetime of CAS access tokens. Default 1 h.
	TokenTTL time.Duration
	// FetchTTL is the lifetime of signed xorb fetch URLs. Default 1 h.
	FetchTTL time.Duration
	// DedupTTL is how long clients may reuse a dedup answer. Default 7 days.
	DedupTTL time.Duration
	// Now returns the time. Default time.Now.
	Now func() time.Time
}

// Service is the Xet CAS. It is safe for concurrent use.
type Service struct {
	cfg      Config
	db       *sqlstore.DB
	blobs    *blob.Store
	tokenKey []byte
	fetchKey []byte
	dedupKey xet.Hash

	mu     sync.Mutex
	xorbs  map[xet.Hash]*xorbIndex // immutable once stored: a plain bounded cache
	norder []xet.Hash

	chains    chains
	bodies    bodySlots     // xorb bodies held in memory
	readBacks chan struct{} // read-back pipelines running (readBack)
	// sha256 of new files at shard time: from a chain, or read back.
	shaChain, shaReadBack atomic.Int64
}

// SHA256Sources returns how many new files of shards got their sha256 from
// a chain (see Chain) and how many were read back from their xorbs.
func (s *Service) SHA256Sources() (chain, readBack int64) {
	return s.shaChain.Load(), s.shaReadBack.Load()
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = time.Hour
	}
	if cfg.FetchTTL <= 0 {
		cfg.FetchTTL = time.Hour
	}
	if cfg.DedupTTL <= 0 {
		cfg.DedupTTL = 7 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, cfg.Key)
		m.Write([]byte("wharf xet " + label))
		return m.Sum(nil)
	}
	s := &Service{cfg: cfg, db: cfg.DB, blobs: cfg.Blobs, tokenKey: derive("token"), fetchKey: derive("fetch"),
		xorbs: make(map[xet.Hash]*xorbIndex), bodies: newBodySlots(), readBacks: make(chan struct{}, readBackPipelines)}
	copy(s.dedupKey[:], derive("dedup"))
	return s
}

// xorbCacheSize bounds the chunk indexes kept in memory (each at most
// 8192 × 40 bytes).
const xorbCacheSize = 256

func (s *Service) cached(h xet.Hash) *xorbIndex {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.xorbs[h]
}

func (s *Service) remember(x *xorbIndex) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.xorbs[x.hash]; ok {
		return
	}
	if len(s.norder) >= xorbCacheSize {
		delete(s.xorbs, s.norder[0])
		s.norder = s.norder[1:]
	}
	s.xorbs[x.hash] = x
	s.norder = append(s.norder, x.hash)
}

func (s *Service) now() time.Time { return s.cfg.Now() }
