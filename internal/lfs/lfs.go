// Package lfs implements the content path of LFS objects: batch
// negotiation (basic and resumable multipart), signed self-authenticating
// transfer URLs, and verification before anything becomes visible.
package lfs

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/wire"
)

var (
	// ErrBadSignature is a transfer URL whose signature is wrong or expired.
	ErrBadSignature = errors.New("invalid or expired signed URL")
	// ErrUploadNotFound is a multipart upload that does not exist (any more).
	ErrUploadNotFound = errors.New("upload not found")
	// ErrObjectNotFound is an object not stored or not linked to the repo.
	ErrObjectNotFound = errors.New("object not found")
	// ErrIncomplete is a multipart completion with parts missing.
	ErrIncomplete = errors.New("upload incomplete")
)

// Error carries a client-facing message and a sentinel kind.
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Kind }

func errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// MaxBasicSize is the largest object a single PUT may carry (S3's limit,
// which the Hub keeps): larger objects need multipart.
const MaxBasicSize = 5 << 30

// Config configures a Service.
type Config struct {
	DB    *sqlstore.DB
	Blobs *blob.Store
	// Key signs transfer URLs.
	Key []byte
	// TempDir holds multipart staging files; it must be on the same
	// filesystem as nothing in particular, but should be local and fast.
	TempDir string
	// MultipartThreshold: objects this large use multipart when the client
	// offers it (a repo's own threshold wins). Default 500 MiB.
	MultipartThreshold int64
	// ChunkSize is the multipart part size. Default 64 MiB.
	ChunkSize int64
	// UploadTTL is how long a multipart upload and its URLs stay valid.
	// Default 24 h.
	UploadTTL time.Duration
	// Now returns the time. Default time.Now.
	Now func() time.Time
}

// Service is the LFS content path. It is safe for concurrent use.
type Service struct {
	cfg Config
	db  *sqlstore.DB
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.MultipartThreshold <= 0 {
		cfg.MultipartThreshold = 500 << 20
	}
	if cfg.ChunkSize <= 0 {
		cfg.ChunkSize = 64 << 20
	}
	if cfg.UploadTTL <= 0 {
		cfg.UploadTTL = 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TempDir == "" {
		cfg.TempDir = os.TempDir()
	}
	return &Service{cfg: cfg, db: cfg.DB}
}

// Sign returns the query string ("exp=…&sig=…") that authorizes method on
// path until exp.
func (s *Service) Sign(method, path string, exp time.Time) string {
	e := strconv.FormatInt(exp.Unix(), 10)
	return "exp=" + e + "&sig=" + s.mac(method, path, e)
}

func (s *Service) mac(method, path, exp string) string {
	m := hmac.New(sha256.New, s.cfg.Key)
	io.WriteString(m, method+"\n"+path+"\n"+exp)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Check verifies a signature made by Sign.
func (s *Service) Check(method, path, exp, sig string) error {
	sec, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !hmac.Equal([]byte(sig), []byte(s.mac(method, path, exp))) {
		return errorf(ErrBadSignature, "invalid signature on this transfer URL")
	}
	if s.cfg.Now().Unix() > sec {
		return errorf(ErrBadSignature, "this transfer URL expired; ask the batch API for a new one")
	}
	return nil
}

// Linked returns the size of an object that is stored and linked to repo.
func (s *Service) Linked(ctx context.Context, repoKey int64, oid string) (int64, bool, error) {
	var size int64
	err := s.db.QueryRowContext(ctx, `SELECT o.size FROM repo_lfs l JOIN lfs_objects o ON o.oid = l.oid WHERE l.repo_id = $1 AND l.oid = $2`,
		repoKey, oid).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return size, err == nil, err
}

// LinkExisting links objects that are already recorded (verified, by
// sha256) to a repo, in one transaction: a copy by reference.
func (s *Service) LinkExisting(ctx context.Context, repoKey int64, oids []string) error {
	if len(oids) == 0 {
		return nil
	}
	now := s.cfg.Now().UnixMilli()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, oid := range oids {
			if _, err := tx.ExecContext(ctx, `INSERT INTO repo_lfs (repo_id, oid, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, repoKey, oid, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// link records a verified object and links it to the repo.
func (s *Service) link(ctx context.Context, repoKey int64, oid string, size int64) error {
	now := s.cfg.Now().UnixMilli()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO lfs_objects (oid, size, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, oid, size, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO repo_lfs (repo_id, oid, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, repoKey, oid, now)
		return err
	})
}

// PutObject stores the body of a basic upload: it is hashed while it is
// written, and only a body whose sha256 and size match is published and
// linked to the repo.
func (s *Service) PutObject(ctx context.Context, repoKey int64, oid string, size int64, body io.Reader) error {
	if err := s.cfg.Blobs.Put(ctx, oid, size, body); err != nil {
		return describePutError(oid, size, err)
	}
	return s.link(ctx, repoKey, oid, size)
}

func describePutError(oid string, size int64, err error) error {
	switch {
	case errors.Is(err, blob.ErrDigestMismatch):
		return &Error{Kind: err, Msg: fmt.Sprintf("content hash does not match oid %s: nothing was stored", oid)}
	case errors.Is(err, blob.ErrSizeMismatch):
		return &Error{Kind: err, Msg: fmt.Sprintf("content size does not match the announced size %d of %s: nothing was stored", size, oid)}
	}
	return err
}

// Verify checks that an object is stored and linked to the repo with the
// given size (the batch API's verify action).
func (s *Service) Verify(ctx context.Context, repoKey int64, oid string, size int64) error {
	got, ok, err := s.Linked(ctx, repoKey, oid)
	if err != nil {
		return err
	}
	if !ok {
		// A direct basic upload is published by its verify.
		if ok, err = s.verifyDirectPut(ctx, repoKey, oid, size); err != nil {
			return err
		}
		got = size
	}
	if !ok {
		return errorf(ErrObjectNotFound, "object %s is not stored in this repository", oid)
	}
	if got != size {
		return errorf(wire.ErrInvalid, "object %s has size %d, not %d", oid, got, size)
	}
	return nil
}

// threshold is the multipart threshold of a repo.
func (s *Service) threshold(r *repo.Repo) int64 {
	if r.LFSMultipartThreshold > 0 {
		return r.LFSMultipartThreshold
	}
	return s.cfg.MultipartThreshold
}

// chunkSize picks a part size: the configured one, smaller for repos with a
// small threshold (tests), larger when it would make over 10,000 parts.
func (s *Service) chunkSize(r *repo.Repo, size int64) int64 {
	c := s.cfg.ChunkSize
	if t := s.threshold(r); t < c {
		c = max(t, 1<<20)
	}
	if min := (size + 9999) / 10000; c < min {
		c = min
	}
	if s.direct() != nil && c < minDirectPart {
		c = minDirectPart
	}
	return c
}

// minDirectPart is S3's smallest part (but the last): parts that go
// straight to the bucket are at least this big.
const minDirectPart = 5 << 20

// Links are what the batch answer needs to build URLs.
type Links struct {
	Base     string // public base URL, no trailing slash
	RepoPath string // "{P}{ns}/{name}", for the verify href
	// Resume lists only the parts still missing when an upload is resumed.
	// Only Wharf's own client asks for that: the official clients require
	// the full list.
	Resume bool
}

// Batch answers a batch request for repo r.
func (s *Service) Batch(ctx context.Context, r *repo.Repo, req *wire.BatchRequest, links Links) (*wire.BatchResponse, error) {
	resp := &wire.BatchResponse{Transfer: "basic", HashAlgo: "sha256", Objects: make([]wire.BatchObject, 0, len(req.Objects))}
	// The transfer is chosen for the whole batch: git-lfs hands every
	// object of a "multipart" answer to its custom agent, and
	// huggingface_hub's agent needs chunk_size on each of them. So once one
	// object needs multipart, every object to upload gets a multipart action
	// (one part for small ones), which all clients handle.
	multipart := false
	if req.Operation == "upload" && req.OffersTransfer("multipart") && s.direct() != nil {
		// Straight to the bucket: clients that offer multipart (Python,
		// JS) ignore the headers of a basic action, and a presigned basic
		// PUT needs them; a one-part multipart upload needs none.
		multipart = true
	} else if req.Operation == "upload" && req.OffersTransfer("multipart") {
		for _, o := range req.Objects {
			if o.Size >= s.threshold(r) {
				multipart = true
			}
		}
	}
	if multipart {
		resp.Transfer = "multipart"
	}
	for _, o := range req.Objects {
		out := wire.BatchObject{OID: o.OID, Size: o.Size}
		oid, berr := CheckObject(o)
		switch {
		case berr != nil:
			out.Error = berr
		case req.Operation == "download":
			if err := s.downloadAction(ctx, r, string(oid), &out, links); err != nil {
				return nil, err
			}
		default:
			if err := s.uploadAction(ctx, r, multipart, string(oid), o.Size, &out, links); err != nil {
				return nil, err
			}
		}
		resp.Objects = append(resp.Objects, out)
	}
	return resp, nil
}

func (s *Service) downloadAction(ctx context.Context, r *repo.Repo, oid string, out *wire.BatchObject, links Links) error {
	size, ok, err := s.Linked(ctx, r.Key, oid)
	if err != nil {
		return err
	}
	if !ok {
		out.Error = &wire.BatchError{Code: 404, Message: "Object does not exist"}
		return nil
	}
	out.Size = size
	if href, err := s.DownloadURL(ctx, oid, time.Hour); err != nil {
		return err
	} else if href != "" {
		out.Actions = map[string]*wire.BatchAction{"download": {Href: href, ExpiresIn: 3600}}
		return nil
	}
	exp := s.cfg.Now().Add(time.Hour)
	p := fmt.Sprintf("/lfs-download/%d/%s", r.Key, oid)
	out.Actions = map[string]*wire.BatchAction{"download": {Href: links.Base + p + "?" + s.Sign("GET", p, exp), ExpiresIn: 3600}}
	return nil
}

// CheckObject validates an object of a batch request: its oid, returned
// parsed, and its size. A bad one gets the per-object error.
func CheckObject(o wire.BatchObject) (string, *wire.BatchError) {
	oid, err := wire.ParseOID(o.OID)
	if err != nil {
		return "", &wire.BatchError{Code: 422, Message: fmt.Sprintf("invalid object id %q: must be 64 hex digits of sha256", o.OID)}
	}
	if o.Size < 0 {
		return "", &wire.BatchError{Code: 422, Message: fmt.Sprintf("invalid size %d", o.Size)}
	}
	return string(oid), nil
}

// PresentMany reports which objects (oid -> size) are stored (as a blob or
// a Xet file) and linked to the repo with that size, so that there is
// nothing to upload, in batched queries (the rule of present).
func (s *Service) PresentMany(ctx context.Context, repoKey int64, objs map[string]int64) (map[string]bool, error) {
	oids := make([]string, 0, len(objs))
	for oid := range objs {
		oids = append(oids, oid)
	}
	out := map[string]bool{}
	var blobs []string // linked, not Xet content: stored if the blob is
	err := s.db.Dialect.QueryIn(ctx, s.db, `SELECT o.oid, o.size, o.xet_hash FROM repo_lfs l JOIN lfs_objects o ON o.oid = l.oid WHERE l.repo_id = $1 AND l.oid IN (%s)`,
		[]any{repoKey}, oids, func(rows *sql.Rows) error {
			var oid string
			var size int64
			var xh sql.NullString
			if err := rows.Scan(&oid, &size, &xh); err != nil {
				return err
			}
			switch {
			case size != objs[oid]:
			case xh.Valid:
				out[oid] = true
			default:
				blobs = append(blobs, oid)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	for _, oid := range blobs {
		ok, err := s.cfg.Blobs.Exists(ctx, oid)
		if err != nil {
			return nil, err
		}
		if ok {
			out[oid] = true
		}
	}
	return out, nil
}

// present reports whether an object is stored and linked to the repo with
// the given size: then there is nothing to upload.
func (s *Service) present(ctx context.Context, repoKey int64, oid string, size int64) (bool, error) {
	got, ok, err := s.Linked(ctx, repoKey, oid)
	if err != nil || !ok || got != size {
		return false, err
	}
	if ok, err := s.cfg.Blobs.Exists(ctx, oid); err != nil || ok {
		return ok, err
	}
	// Content uploaded through Xet is stored as a Xet file, not a blob.
	var xh sql.NullString
	err = s.db.QueryRowContext(ctx, `SELECT xet_hash FROM lfs_objects WHERE oid = $1`, oid).Scan(&xh)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return xh.Valid, err
}

// uploadAction fills the actions of one object to upload: none if it is
// already stored and linked, multipart when the batch is multipart, else
// a signed PUT and a verify.
func (s *Service) uploadAction(ctx context.Context, r *repo.Repo, multipart bool, oid string, size int64, out *wire.BatchObject, links Links) error {
	if ok, err := s.present(ctx, r.Key, oid, size); err != nil {
		return err
	} else if ok {
		return nil // already here: no actions
	}
	if multipart && s.direct() != nil {
		return s.directMultipartAction(ctx, r, oid, size, out, links)
	}
	if multipart {
		return s.multipartAction(ctx, r, oid, size, out, links)
	}
	if size > MaxBasicSize {
		out.Error = &wire.BatchError{Code: 422, Message: fmt.Sprintf("Object %s is larger than 5GB and needs the multipart transfer: run `wharf lfs-enable-largefiles .` (or `huggingface-cli lfs-enable-largefiles .`) in your clone and push again", oid)}
		return nil
	}
	if s.direct() != nil {
		return s.directBasicAction(ctx, r, oid, size, out, links)
	}
	exp := s.cfg.Now().Add(s.cfg.UploadTTL)
	up := fmt.Sprintf("/lfs-upload/%d/%s/%d", r.Key, oid, size)
	vp := fmt.Sprintf("/lfs-verify/%d/%s/%d", r.Key, oid, size)
	out.Actions = map[string]*wire.BatchAction{
		"upload": {Href: links.Base + up + "?" + s.Sign("PUT", up, exp), ExpiresIn: int64(s.cfg.UploadTTL / time.Second)},
		"verify": {Href: links.Base + vp + "?" + s.Sign("POST", vp, exp), ExpiresIn: int64(s.cfg.UploadTTL / time.Second)},
	}
	return nil
}

// upload is a multipart upload session.
type upload struct {
	ID        string
	RepoKey   int64
	OID       string
	Size      int64
	ChunkSize int64
	Parts     int
	ExpiresAt time.Time
	Backend   string // the backend's multipart upload id: a direct upload
}

func (u *upload) partSize(n int) int64 {
	if n < u.Parts {
		return u.ChunkSize
	}
	return u.Size - int64(u.Parts-1)*u.ChunkSize
}

func (s *Service) stagingPath(id string) string {
	return filepath.Join(s.cfg.TempDir, "lfs-uploads", id+".part")
}

func (s *Service) multipartAction(ctx context.Context, r *repo.Repo, oid string, size int64, out *wire.BatchObject, links Links) error {
	u, err := s.findOrCreateUpload(ctx, r, oid, size, links.Resume)
	if err != nil {
		return err
	}
	done := map[int]bool{}
	if links.Resume {
		if done, err = s.doneParts(ctx, u.ID); err != nil {
			return err
		}
	}
	header := map[string]string{"chunk_size": strconv.FormatInt(u.ChunkSize, 10)}
	for n := 1; n <= u.Parts; n++ {
		if done[n] {
			continue
		}
		p := fmt.Sprintf("/lfs-part/%s/%d", u.ID, n)
		// Zero-padded like the Hub's "00001": git-lfs re-encodes the header
		// for its custom transfer agent with keys in lexical order, and the
		// agent takes the URLs in that order.
		header[fmt.Sprintf("%05d", n)] = links.Base + p + "?" + s.Sign("PUT", p, u.ExpiresAt)
	}
	cp := "/lfs-complete/" + u.ID
	out.Actions = map[string]*wire.BatchAction{
		"upload": {Href: links.Base + cp + "?" + s.Sign("POST", cp, u.ExpiresAt), Header: header,
			ExpiresIn: int64(u.ExpiresAt.Sub(s.cfg.Now()) / time.Second)},
	}
	vp := fmt.Sprintf("/lfs-verify/%d/%s/%d", r.Key, oid, size)
	out.Actions["verify"] = &wire.BatchAction{Href: links.Base + vp + "?" + s.Sign("POST", vp, u.ExpiresAt)}
	return nil
}

// findOrCreateUpload returns a new upload session, or with resume the
// latest unexpired one of the object in the repo. Without resume, sessions
// are never shared: two clients uploading the same object at once would
// otherwise spoil each other's parts and completions.
func (s *Service) findOrCreateUpload(ctx context.Context, r *repo.Repo, oid string, size int64, resume bool) (*upload, error) {
	now := s.cfg.Now()
	var u *upload
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var exp int64
		cand := &upload{RepoKey: r.Key, OID: oid}
		if resume {
			err := tx.QueryRowContext(ctx, `SELECT id, size, chunk_size, parts, expires_at FROM lfs_uploads
				WHERE repo_id = $1 AND oid = $2 AND size = $3 AND expires_at > $4 ORDER BY created_at DESC LIMIT 1`,
				r.Key, oid, size, now.Unix()).Scan(&cand.ID, &cand.Size, &cand.ChunkSize, &cand.Parts, &exp)
			if err == nil {
				cand.ExpiresAt = time.Unix(exp, 0)
				u = cand
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		b := make([]byte, 16)
		rand.Read(b)
		cand.ID = hex.EncodeToString(b)
		cand.Size = size
		cand.ChunkSize = s.chunkSize(r, size)
		cand.Parts = int((size + cand.ChunkSize - 1) / cand.ChunkSize)
		if cand.Parts == 0 {
			cand.Parts = 1
		}
		cand.ExpiresAt = now.Add(s.cfg.UploadTTL)
		_, err := tx.ExecContext(ctx, `INSERT INTO lfs_uploads (id, repo_id, oid, size, chunk_size, parts, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, cand.ID, r.Key, oid, size, cand.ChunkSize, cand.Parts, now.UnixNano(), cand.ExpiresAt.Unix())
		u = cand
		return err
	})
	return u, err
}

func (s *Service) getUpload(ctx context.Context, id string) (*upload, error) {
	u := &upload{ID: id}
	var exp int64
	err := s.db.QueryRowContext(ctx, `SELECT repo_id, oid, size, chunk_size, parts, expires_at, backend_upload FROM lfs_uploads WHERE id = $1`, id).
		Scan(&u.RepoKey, &u.OID, &u.Size, &u.ChunkSize, &u.Parts, &exp, &u.Backend)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errorf(ErrUploadNotFound, "multipart upload %s does not exist or expired; ask the batch API again", id)
	}
	u.ExpiresAt = time.Unix(exp, 0)
	return u, err
}

func (s *Service) doneParts(ctx context.Context, id string) (map[int]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT part FROM lfs_upload_parts WHERE upload_id = $1`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	done := map[int]bool{}
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		done[n] = true
	}
	return done, rows.Err()
}

func (s *Service) partETag(id string, n int) string {
	m := hmac.New(sha256.New, s.cfg.Key)
	fmt.Fprintf(m, "part\n%s\n%d", id, n)
	return `"` + hex.EncodeToString(m.Sum(nil)[:16]) + `"`
}

// PutPart writes part n of upload id at its offset in the staging file.
// The body must be exactly the part's size. It returns the part's ETag.
func (s *Service) PutPart(ctx context.Context, id string, n int, body io.Reader) (string, error) {
	u, err := s.getUpload(ctx, id)
	if err != nil {
		return "", err
	}
	if n < 1 || n > u.Parts {
		return "", errorf(wire.ErrInvalid, "part %d is out of range: upload %s has parts 1 to %d", n, id, u.Parts)
	}
	if u.Backend != "" {
		return "", errorf(wire.ErrInvalid, "the parts of upload %s go to the storage's part URLs, not to this one", id)
	}
	want := u.partSize(n)
	if ok, err := s.present(ctx, u.RepoKey, u.OID, u.Size); err != nil {
		return "", err
	} else if ok {
		// Another client sharing this (resumed) upload completed it: take
		// the part without storing it, so this client completes too.
		got, err := io.Copy(io.Discard, io.LimitReader(body, want+1))
		if err == nil && got != want {
			err = errorf(blob.ErrSizeMismatch, "part %d of %s must be %d bytes, got %s", n, u.OID, want, gotString(got, want))
		}
		if err != nil {
			return "", fmt.Errorf("part %d: %w", n, err)
		}
		return s.partETag(id, n), nil
	}
	if err := os.MkdirAll(filepath.Dir(s.stagingPath(id)), 0o700); err != nil {
		return "", err
	}
	f, err := os.OpenFile(s.stagingPath(id), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if canLock {
		// Completion renames the staging file away and then waits for this
		// shared lock to go before it verifies and publishes the file: a part
		// write cannot change bytes that were already verified.
		if err := lockFile(f, false); err != nil {
			return "", err
		}
		fi, err1 := f.Stat()
		cur, err2 := os.Stat(s.stagingPath(id))
		if err1 != nil || err2 != nil || !os.SameFile(fi, cur) {
			return "", errorf(ErrUploadNotFound, "multipart upload %s is being completed: ask the batch API again", id)
		}
	}
	w := io.NewOffsetWriter(f, int64(n-1)*u.ChunkSize)
	// Write at most the part's own bytes: one more would land on the next
	// part (or past the end of the object).
	got, err := io.CopyBuffer(w, io.LimitReader(body, want), make([]byte, 1<<20))
	if err == nil && got == want {
		var extra [1]byte
		if k, rerr := io.ReadFull(body, extra[:]); k > 0 {
			got++
		} else if rerr != io.EOF {
			err = rerr
		}
	}
	if err == nil && got != want {
		err = errorf(blob.ErrSizeMismatch, "part %d of %s must be %d bytes, got %s", n, u.OID, want, gotString(got, want))
	}
	if err != nil {
		// The part's bytes on disk are now unknown: forget any earlier
		// successful upload of it, so completion waits for a good one.
		s.db.ExecContext(context.WithoutCancel(ctx), `DELETE FROM lfs_upload_parts WHERE upload_id = $1 AND part = $2`, id, n)
		return "", fmt.Errorf("part %d: %w", n, err)
	}
	etag := s.partETag(id, n)
	_, err = s.db.ExecContext(ctx, `INSERT INTO lfs_upload_parts (upload_id, part, etag) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, id, n, etag)
	return etag, err
}

func gotString(got, want int64) string {
	if got > want {
		return "more"
	}
	return strconv.FormatInt(got, 10)
}

// CompletePart is one entry of a completion request.
type CompletePart struct {
	PartNumber int    `json:"partNumber"`
	ETag       string `json:"etag"`
}

// Complete assembles upload id: every part must have arrived with the ETag
// the client reports; the whole is hashed and checked against the oid and
// size, published, and linked to the repo. A hash or size mismatch ends
// the upload. After a success its staged data is gone but the upload
// stays until it expires, so that completing it again (a retry whose
// answer was lost, or a second client sharing a resumed upload) succeeds:
// an upload whose object is stored and linked to the repo is complete.
func (s *Service) Complete(ctx context.Context, id, oid string, parts []CompletePart) error {
	u, err := s.getUpload(ctx, id)
	if err != nil {
		return err
	}
	if oid != u.OID {
		return errorf(wire.ErrInvalid, "completion names oid %s but upload %s is for %s", oid, id, u.OID)
	}
	if u.Backend != "" {
		return s.completeDirect(ctx, u, parts)
	}
	completed := func() (bool, error) {
		ok, err := s.present(ctx, u.RepoKey, u.OID, u.Size)
		if ok {
			err = s.finishUpload(context.WithoutCancel(ctx), id)
		}
		return ok, err
	}
	if ok, err := completed(); ok || err != nil {
		return err
	}
	done, err := s.doneParts(ctx, id)
	if err != nil {
		return err
	}
	var missing []string
	for n := 1; n <= u.Parts; n++ {
		if !done[n] {
			missing = append(missing, strconv.Itoa(n))
		}
	}
	if len(missing) > 0 {
		// Unless a concurrent completion just finished it.
		if ok, err := completed(); ok || err != nil {
			return err
		}
		return errorf(ErrIncomplete, "upload of %s is missing parts %s", u.OID, strings.Join(missing, ", "))
	}
	for _, p := range parts {
		if p.PartNumber < 1 || p.PartNumber > u.Parts {
			return errorf(wire.ErrInvalid, "part %d is out of range", p.PartNumber)
		}
		if strings.Trim(p.ETag, `"`) != strings.Trim(s.partETag(id, p.PartNumber), `"`) {
			return errorf(wire.ErrInvalid, "part %d: etag %s does not match the one the part upload returned", p.PartNumber, p.ETag)
		}
	}
	var goneSince time.Time
	for {
		err = s.publishStaged(ctx, id, u)
		if !errors.Is(err, fs.ErrNotExist) {
			break
		}
		// No staged file: another completion of this upload (a retry, or a
		// second client of a shared upload) has it, or had it.
		if ok, cerr := completed(); ok || cerr != nil {
			return cerr
		}
		if _, gerr := s.getUpload(ctx, id); gerr != nil {
			return gerr // dropped: its content did not match
		}
		if s.recoverStaged(id) {
			continue // left behind by a completion that died
		}
		if s.completing(id) {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		// No staged data anywhere. If the object is stored, a completion
		// of this upload published it and stopped before linking it.
		if size, serr := s.cfg.Blobs.Stat(ctx, u.OID); serr == nil && size == u.Size {
			if err := s.link(context.WithoutCancel(ctx), u.RepoKey, u.OID, u.Size); err != nil {
				return err
			}
			return s.finishUpload(context.WithoutCancel(ctx), id)
		}
		// Otherwise the file may be between the staging area and the blob
		// store (a completion publishing it right now): look again for a
		// while before concluding that a crash lost it.
		if goneSince.IsZero() {
			goneSince = time.Now()
		}
		if time.Since(goneSince) < 5*time.Second {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		s.db.ExecContext(context.WithoutCancel(ctx), `DELETE FROM lfs_upload_parts WHERE upload_id = $1`, id)
		return errorf(ErrIncomplete, "the staged parts of %s are gone: upload the parts again", u.OID)
	}
	if err != nil && (errors.Is(err, blob.ErrDigestMismatch) || errors.Is(err, blob.ErrSizeMismatch)) {
		s.dropUpload(context.WithoutCancel(ctx), id)
		return describePutError(u.OID, u.Size, err)
	}
	if err != nil {
		return err
	}
	// Published: finish the job even if the client is gone.
	if err := s.link(context.WithoutCancel(ctx), u.RepoKey, u.OID, u.Size); err != nil {
		return err
	}
	s.finishUpload(context.WithoutCancel(ctx), id)
	return nil
}

// publishStaged verifies the staged file of upload id and publishes it in
// the blob store. With file locks the file is moved out of the part
// writers' way first, then hashed in place and renamed into the store: its
// bytes are written once. Without them it is copied.
func (s *Service) publishStaged(ctx context.Context, id string, u *upload) error {
	staging := s.stagingPath(id)
	f, err := os.Open(staging)
	if err != nil {
		return err
	}
	defer f.Close()
	if !canLock {
		return s.cfg.Blobs.Put(ctx, u.OID, u.Size, f)
	}
	// The exclusive lock waits for part writers (they hold shared locks)
	// and for another completion of the same upload; it is held until the
	// file is published or put back.
	if err := lockFile(f, true); err != nil {
		return err
	}
	if fi, err := f.Stat(); err != nil {
		return err
	} else if cur, err := os.Stat(staging); err != nil || !os.SameFile(fi, cur) {
		// Another completion moved it while this one waited.
		return fmt.Errorf("staged upload %s: %w", id, fs.ErrNotExist)
	}
	b := make([]byte, 8)
	rand.Read(b)
	assembling := staging + ".complete-" + hex.EncodeToString(b)
	if err := os.Rename(staging, assembling); err != nil {
		return err
	}
	err = s.cfg.Blobs.PutFile(ctx, u.OID, u.Size, assembling)
	if err != nil && !errors.Is(err, blob.ErrDigestMismatch) && !errors.Is(err, blob.ErrSizeMismatch) {
		// Put the parts back for a retry of the completion, unless a new
		// staging file appeared meanwhile; then the parts are gone.
		if _, serr := os.Stat(staging); errors.Is(serr, fs.ErrNotExist) && os.Rename(assembling, staging) == nil {
			return err
		}
		s.db.ExecContext(context.WithoutCancel(ctx), `DELETE FROM lfs_upload_parts WHERE upload_id = $1`, id)
	}
	os.Remove(assembling)
	return err
}

// recoverStaged moves the staged file of upload id back into place when a
// completion that moved it aside is gone (a crash): nobody holds its lock.
// It reports whether it did.
func (s *Service) recoverStaged(id string) bool {
	if !canLock {
		return false
	}
	staging := s.stagingPath(id)
	m, _ := filepath.Glob(staging + ".complete-*")
	for _, p := range m {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		ok, err := tryLockFile(f)
		if err == nil && ok {
			if _, serr := os.Stat(staging); errors.Is(serr, fs.ErrNotExist) && os.Rename(p, staging) == nil {
				f.Close()
				return true
			}
		}
		f.Close()
	}
	return false
}

// completing reports whether a completion of upload id holds its staged
// file (moved aside under a .complete- name).
func (s *Service) completing(id string) bool {
	m, _ := filepath.Glob(s.stagingPath(id) + ".complete-*")
	return len(m) > 0
}

// finishUpload removes the parts and staged data of a completed upload;
// its row stays until it expires (see Complete).
func (s *Service) finishUpload(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM lfs_upload_parts WHERE upload_id = $1`, id)
	if rerr := os.Remove(s.stagingPath(id)); rerr != nil && !os.IsNotExist(rerr) && err == nil {
		err = rerr
	}
	return err
}

func (s *Service) dropUpload(ctx context.Context, id string) error {
	if u, err := s.getUpload(ctx, id); err == nil && u.Backend != "" {
		if d := s.direct(); d != nil {
			d.AbortUpload(ctx, u.staging(), u.Backend)
			d.DeleteStaged(ctx, u.staging())
		}
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM lfs_upload_parts WHERE upload_id = $1`, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM lfs_uploads WHERE id = $1`, id)
		return err
	})
	if rerr := os.Remove(s.stagingPath(id)); rerr != nil && !os.IsNotExist(rerr) && err == nil {
		err = rerr
	}
	return err
}

// Sweep removes expired multipart uploads with their staged data, and
// staging files that no upload owns.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM lfs_uploads WHERE expires_at <= $1`, s.cfg.Now().Unix())
	if err != nil {
		return 0, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	n := 0
	for _, id := range ids {
		if err := s.dropUpload(ctx, id); err != nil {
			return n, err
		}
		n++
	}
	k, err := s.sweepDirect(ctx)
	n += k
	if err != nil {
		return n, err
	}
	// Staging files of uploads that no longer exist (a crash between the
	// row delete and the file delete).
	ents, _ := os.ReadDir(filepath.Join(s.cfg.TempDir, "lfs-uploads"))
	for _, e := range ents {
		id := strings.TrimSuffix(e.Name(), ".part")
		if _, err := s.getUpload(ctx, id); errors.Is(err, ErrUploadNotFound) {
			info, ierr := e.Info()
			if ierr == nil && s.cfg.Now().Sub(info.ModTime()) > time.Hour {
				os.Remove(filepath.Join(s.cfg.TempDir, "lfs-uploads", e.Name()))
				n++
			}
		}
	}
	return n, nil
}
