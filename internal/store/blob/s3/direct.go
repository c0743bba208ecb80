package s3

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/wharfhub/wharf/internal/store/blob"
)

var _ blob.Direct = (*Store)(nil)

// stagingKey is where direct uploads land before verification.
func (s *Store) stagingKey(staging string) (string, error) {
	for _, c := range staging {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return "", fmt.Errorf("invalid staging name %q", staging)
		}
	}
	if staging == "" {
		return "", errors.New("empty staging name")
	}
	return s.cfg.Prefix + "uploads/" + staging, nil
}

func (s *Store) presigner() *s3.PresignClient { return s3.NewPresignClient(s.c) }

// PresignGet presigns a GET of oid's object; rng, when set, is signed.
func (s *Store) PresignGet(ctx context.Context, oid, rng string, ttl time.Duration) (string, error) {
	if err := blob.CheckOID(oid); err != nil {
		return "", err
	}
	in := &s3.GetObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(s.Key(oid))}
	if rng != "" {
		in.Range = aws.String(rng)
	}
	req, err := s.presigner().PresignGetObject(ctx, in, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign get %s: %w", oid, err)
	}
	return req.URL, nil
}

// PresignPutStaged presigns a PUT into the staging name whose signed
// headers bind the length and the sha256.
func (s *Store) PresignPutStaged(ctx context.Context, staging, oid string, size int64, ttl time.Duration) (string, map[string]string, error) {
	key, err := s.stagingKey(staging)
	if err != nil {
		return "", nil, err
	}
	sum, err := hex.DecodeString(oid)
	if err != nil || len(sum) != 32 {
		return "", nil, blob.CheckOID(oid)
	}
	req, err := s.presigner().PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key),
		ContentLength: aws.Int64(size), ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum)),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", nil, fmt.Errorf("presign put %s: %w", oid, err)
	}
	header := map[string]string{}
	for k, v := range req.SignedHeader {
		if k == "Host" || k == "Content-Length" || len(v) == 0 {
			continue // the HTTP client sets these itself
		}
		header[k] = v[0]
	}
	return req.URL, header, nil
}

// StartUpload starts a multipart upload into the staging name.
func (s *Store) StartUpload(ctx context.Context, staging string) (string, error) {
	key, err := s.stagingKey(staging)
	if err != nil {
		return "", err
	}
	out, err := s.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key)})
	if err != nil {
		return "", fmt.Errorf("s3 multipart %s: %w", key, err)
	}
	return aws.ToString(out.UploadId), nil
}

// PresignPart presigns the PUT of part n.
func (s *Store) PresignPart(ctx context.Context, staging, uploadID string, n int, ttl time.Duration) (string, error) {
	key, err := s.stagingKey(staging)
	if err != nil {
		return "", err
	}
	req, err := s.presigner().PresignUploadPart(ctx, &s3.UploadPartInput{
		Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key), UploadId: aws.String(uploadID), PartNumber: aws.Int32(int32(n)),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign part %d of %s: %w", n, key, err)
	}
	return req.URL, nil
}

// CompleteUpload assembles the parts.
func (s *Store) CompleteUpload(ctx context.Context, staging, uploadID string, etags []string) error {
	key, err := s.stagingKey(staging)
	if err != nil {
		return err
	}
	parts := make([]types.CompletedPart, len(etags))
	for i, e := range etags {
		if !strings.HasPrefix(e, `"`) {
			e = `"` + e + `"`
		}
		parts[i] = types.CompletedPart{ETag: aws.String(e), PartNumber: aws.Int32(int32(i + 1))}
	}
	_, err = s.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key), UploadId: aws.String(uploadID),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return fmt.Errorf("s3 complete %s: %w", key, err)
	}
	return nil
}

// AbortUpload drops a multipart upload.
func (s *Store) AbortUpload(ctx context.Context, staging, uploadID string) error {
	key, err := s.stagingKey(staging)
	if err != nil {
		return err
	}
	_, err = s.c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key), UploadId: aws.String(uploadID)})
	if err != nil && !notFound(err) && !isNoSuchUpload(err) {
		return fmt.Errorf("s3 abort %s: %w", key, err)
	}
	return nil
}

func isNoSuchUpload(err error) bool {
	var nsu *types.NoSuchUpload
	return errors.As(err, &nsu) || strings.Contains(err.Error(), "NoSuchUpload")
}

// StatStaged returns the size of staged content.
func (s *Store) StatStaged(ctx context.Context, staging string) (int64, error) {
	key, err := s.stagingKey(staging)
	if err != nil {
		return 0, err
	}
	out, err := s.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key)})
	if err != nil {
		if notFound(err) {
			return 0, fmt.Errorf("staged %s: %w", staging, blob.ErrNotExist)
		}
		return 0, fmt.Errorf("s3 head %s: %w", key, err)
	}
	return aws.ToInt64(out.ContentLength), nil
}

// OpenStaged opens staged content.
func (s *Store) OpenStaged(ctx context.Context, staging string) (blob.Object, error) {
	size, err := s.StatStaged(ctx, staging)
	if err != nil {
		return nil, err
	}
	key, _ := s.stagingKey(staging)
	return &object{s: s, ctx: ctx, key: key, size: size}, nil
}

// maxCopy is the largest object one CopyObject may copy; larger ones are
// copied part by part.
const maxCopy = 5 << 30

// PublishStaging copies staged content to oid's key and removes it.
func (s *Store) PublishStaging(ctx context.Context, staging, oid string) error {
	key, err := s.stagingKey(staging)
	if err != nil {
		return err
	}
	if err := blob.CheckOID(oid); err != nil {
		return err
	}
	size, err := s.StatStaged(ctx, staging)
	if err != nil {
		return err
	}
	if _, err := s.Stat(ctx, oid); err == nil {
		return s.DeleteStaged(ctx, staging) // already there: same content
	}
	src := s.cfg.Bucket + "/" + key
	dst := s.Key(oid)
	if size <= maxCopy {
		_, err = s.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(dst), CopySource: aws.String(src)})
		if err != nil {
			return fmt.Errorf("s3 copy %s to %s: %w", key, dst, err)
		}
	} else if err := s.copyParts(ctx, src, dst, size); err != nil {
		return err
	}
	return s.DeleteStaged(ctx, staging)
}

// copyParts copies a large object with UploadPartCopy.
func (s *Store) copyParts(ctx context.Context, src, dst string, size int64) error {
	bucket := aws.String(s.cfg.Bucket)
	mu, err := s.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: aws.String(dst)})
	if err != nil {
		return fmt.Errorf("s3 copy %s: %w", dst, err)
	}
	const part = 1 << 30
	var parts []types.CompletedPart
	for n, off := int32(1), int64(0); off < size; n, off = n+1, off+part {
		end := min(off+part, size) - 1
		out, err := s.c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
			Bucket: bucket, Key: aws.String(dst), UploadId: mu.UploadId, PartNumber: aws.Int32(n),
			CopySource: aws.String(src), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", off, end)),
		})
		if err != nil {
			s.c.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: bucket, Key: aws.String(dst), UploadId: mu.UploadId})
			return fmt.Errorf("s3 copy %s part %d: %w", dst, n, err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.CopyPartResult.ETag, PartNumber: aws.Int32(n)})
	}
	_, err = s.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bucket, Key: aws.String(dst), UploadId: mu.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		s.c.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: bucket, Key: aws.String(dst), UploadId: mu.UploadId})
		return fmt.Errorf("s3 copy %s completion: %w", dst, err)
	}
	return nil
}

// DeleteStaged removes staged content.
func (s *Store) DeleteStaged(ctx context.Context, staging string) error {
	key, err := s.stagingKey(staging)
	if err != nil {
		return err
	}
	_, err = s.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key)})
	if err != nil && !notFound(err) {
		return fmt.Errorf("s3 delete %s: %w", key, err)
	}
	return nil
}
