package lfs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/wire"
)

// Direct transfers: with a blob backend that clients reach themselves
// (blob.Direct, e.g. S3), upload and download bytes go between the client
// and the bucket. Multipart parts go to presigned part URLs and Wharf's
// completion reads the assembled object back to verify it before it is
// published; basic PUTs go to a presigned URL whose signed headers bind the
// sha256, so the bucket refuses other bytes, and the verify action
// publishes them. Downloads are presigned GETs. Every replica can serve
// every step: the state is in SQL and in the bucket.

// direct returns the backend's direct ability, or nil.
func (s *Service) direct() blob.Direct { return s.cfg.Blobs.Direct() }

func newStagingName(kind string) string {
	b := make([]byte, 16)
	rand.Read(b)
	return kind + "-" + hex.EncodeToString(b)
}

// DownloadURL returns a presigned URL for an object stored in a direct
// backend, or "" when the object must come through Wharf (no direct
// backend, or content stored only as a Xet file).
func (s *Service) DownloadURL(ctx context.Context, oid string, ttl time.Duration) (string, error) {
	d := s.direct()
	if d == nil {
		return "", nil
	}
	if _, err := s.cfg.Blobs.Stat(ctx, oid); errors.Is(err, blob.ErrNotExist) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	return d.PresignGet(ctx, oid, "", ttl)
}

// directBasicAction answers an upload of a basic-only client with a
// checksum-bound presigned PUT into a staging name, and the verify action
// that publishes it.
func (s *Service) directBasicAction(ctx context.Context, r *repo.Repo, oid string, size int64, out *wire.BatchObject, links Links) error {
	d := s.direct()
	staging := newStagingName("put")
	exp := s.cfg.Now().Add(s.cfg.UploadTTL)
	href, header, err := d.PresignPutStaged(ctx, staging, oid, size, s.cfg.UploadTTL)
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO lfs_direct_puts (staging, repo_id, oid, size, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		staging, r.Key, oid, size, exp.Unix()); err != nil {
		return err
	}
	vp := fmt.Sprintf("/lfs-verify/%d/%s/%d", r.Key, oid, size)
	out.Actions = map[string]*wire.BatchAction{
		"upload": {Href: href, Header: header, ExpiresIn: int64(s.cfg.UploadTTL / time.Second)},
		"verify": {Href: links.Base + vp + "?" + s.Sign("POST", vp, exp), ExpiresIn: int64(s.cfg.UploadTTL / time.Second)},
	}
	return nil
}

// verifyDirectPut publishes a staged basic upload of oid for the repo, if
// one arrived. It reports whether it did.
func (s *Service) verifyDirectPut(ctx context.Context, repoKey int64, oid string, size int64) (bool, error) {
	d := s.direct()
	if d == nil {
		return false, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT staging FROM lfs_direct_puts WHERE repo_id = $1 AND oid = $2 AND size = $3`, repoKey, oid, size)
	if err != nil {
		return false, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return false, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	for _, staging := range names {
		err := s.cfg.Blobs.PublishChecked(ctx, staging, oid, size)
		if errors.Is(err, blob.ErrNotExist) {
			continue // not uploaded (yet) under this name
		}
		if err != nil {
			return false, describePutError(oid, size, err)
		}
		if err := s.link(context.WithoutCancel(ctx), repoKey, oid, size); err != nil {
			return false, err
		}
		s.db.ExecContext(context.WithoutCancel(ctx), `DELETE FROM lfs_direct_puts WHERE repo_id = $1 AND oid = $2`, repoKey, oid)
		return true, nil
	}
	return false, nil
}

// directMultipartAction answers a multipart upload with presigned part
// URLs of a backend multipart upload, and Wharf's completion URL.
func (s *Service) directMultipartAction(ctx context.Context, r *repo.Repo, oid string, size int64, out *wire.BatchObject, links Links) error {
	d := s.direct()
	u, err := s.findOrCreateDirectUpload(ctx, r, oid, size)
	if err != nil {
		return err
	}
	ttl := u.ExpiresAt.Sub(s.cfg.Now())
	header := map[string]string{"chunk_size": strconv.FormatInt(u.ChunkSize, 10)}
	for n := 1; n <= u.Parts; n++ {
		href, err := d.PresignPart(ctx, u.staging(), u.Backend, n, ttl)
		if err != nil {
			return err
		}
		header[fmt.Sprintf("%05d", n)] = href
	}
	cp := "/lfs-complete/" + u.ID
	vp := fmt.Sprintf("/lfs-verify/%d/%s/%d", r.Key, oid, size)
	out.Actions = map[string]*wire.BatchAction{
		"upload": {Href: links.Base + cp + "?" + s.Sign("POST", cp, u.ExpiresAt), Header: header, ExpiresIn: int64(ttl / time.Second)},
		"verify": {Href: links.Base + vp + "?" + s.Sign("POST", vp, u.ExpiresAt)},
	}
	return nil
}

// staging is the staging name of a direct multipart upload.
func (u *upload) staging() string { return "mp-" + u.ID }

// findOrCreateDirectUpload starts a new backend multipart upload. Direct
// sessions are never resumed: the backend may have completed or dropped
// the upload behind a session (a completion cut short), and parts that go
// straight to the bucket cost Wharf nothing to send again.
func (s *Service) findOrCreateDirectUpload(ctx context.Context, r *repo.Repo, oid string, size int64) (*upload, error) {
	now := s.cfg.Now()
	b := make([]byte, 16)
	rand.Read(b)
	u := &upload{ID: hex.EncodeToString(b), RepoKey: r.Key, OID: oid, Size: size, ChunkSize: s.chunkSize(r, size), ExpiresAt: now.Add(s.cfg.UploadTTL)}
	u.Parts = int((size + u.ChunkSize - 1) / u.ChunkSize)
	if u.Parts == 0 {
		u.Parts = 1
	}
	var err error
	if u.Backend, err = s.direct().StartUpload(ctx, u.staging()); err != nil {
		return nil, err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO lfs_uploads (id, repo_id, oid, size, chunk_size, parts, created_at, expires_at, backend_upload)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, u.ID, r.Key, oid, size, u.ChunkSize, u.Parts, now.UnixNano(), u.ExpiresAt.Unix(), u.Backend)
	if err != nil {
		s.direct().AbortUpload(context.WithoutCancel(ctx), u.staging(), u.Backend)
		return nil, err
	}
	return u, nil
}

// completeDirect completes a direct multipart upload: the backend
// assembles the parts the client reports, Wharf reads the result back and
// publishes it only if its size and sha256 are the object's.
func (s *Service) completeDirect(ctx context.Context, u *upload, parts []CompletePart) error {
	d := s.direct()
	if d == nil {
		return fmt.Errorf("multipart upload %s was started on a direct backend; this server has none", u.ID)
	}
	if ok, err := s.present(ctx, u.RepoKey, u.OID, u.Size); ok || err != nil {
		return err
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].PartNumber < parts[j].PartNumber })
	etags := make([]string, 0, len(parts))
	var missing []string
	for n, i := 1, 0; n <= u.Parts; n++ {
		for i < len(parts) && parts[i].PartNumber < n {
			i++
		}
		if i < len(parts) && parts[i].PartNumber == n && strings.Trim(parts[i].ETag, `"`) != "" {
			etags = append(etags, parts[i].ETag)
		} else {
			missing = append(missing, strconv.Itoa(n))
		}
	}
	if len(missing) > 0 {
		return errorf(ErrIncomplete, "upload of %s is missing parts %s", u.OID, strings.Join(missing, ", "))
	}
	if len(parts) != u.Parts {
		return errorf(wire.ErrInvalid, "completion lists %d parts; upload %s has %d", len(parts), u.ID, u.Parts)
	}
	if err := d.CompleteUpload(ctx, u.staging(), u.Backend, etags); err != nil {
		// A concurrent completion (another replica, a retry) may have done it.
		if ok, perr := s.present(ctx, u.RepoKey, u.OID, u.Size); ok || perr != nil {
			return perr
		}
		if _, serr := d.StatStaged(ctx, u.staging()); serr != nil {
			return errorf(ErrIncomplete, "completing the upload of %s failed (%v): upload the parts again", u.OID, err)
		}
	}
	err := s.cfg.Blobs.PublishStaged(ctx, u.staging(), u.OID, u.Size)
	if errors.Is(err, blob.ErrDigestMismatch) || errors.Is(err, blob.ErrSizeMismatch) {
		s.dropUpload(context.WithoutCancel(ctx), u.ID)
		return describePutError(u.OID, u.Size, err)
	}
	if err != nil {
		if ok, perr := s.present(ctx, u.RepoKey, u.OID, u.Size); ok || perr != nil {
			return perr
		}
		if _, serr := s.cfg.Blobs.Stat(ctx, u.OID); serr != nil {
			return err
		}
		// Published by a racing completion that has not linked it yet.
	}
	if err := s.link(context.WithoutCancel(ctx), u.RepoKey, u.OID, u.Size); err != nil {
		return err
	}
	s.finishUpload(context.WithoutCancel(ctx), u.ID)
	return nil
}

// sweepDirect removes expired direct puts (their staged content with them).
func (s *Service) sweepDirect(ctx context.Context) (int, error) {
	d := s.direct()
	if d == nil {
		return 0, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT staging FROM lfs_direct_puts WHERE expires_at <= $1`, s.cfg.Now().Unix())
	if err != nil {
		return 0, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return 0, err
		}
		names = append(names, n)
	}
	rows.Close()
	for _, n := range names {
		if err := d.DeleteStaged(ctx, n); err != nil {
			return 0, err
		}
		if _, err := s.db.ExecContext(ctx, `DELETE FROM lfs_direct_puts WHERE staging = $1`, n); err != nil {
			return 0, err
		}
	}
	return len(names), nil
}
