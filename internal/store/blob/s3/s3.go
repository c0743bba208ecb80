// Package s3 is a [blob.Backend] on S3-compatible object storage (AWS S3,
// MinIO, Ceph RGW, SeaweedFS, versitygw, ...).
//
// Objects are stored under PREFIX/<oid>. Staging is a local temp file
// (objects are verified while they are written, before a single byte goes
// to the bucket); Commit uploads it, with one PUT up to the part size and a
// multipart upload above it, and the object becomes visible atomically when
// the PUT or the completion succeeds. Reads are ranged GETs, so Range
// requests cost only the bytes asked for. A crash leaves at worst a local
// temp file and an incomplete multipart upload, both removed by Sweep.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/wharfhub/wharf/internal/store/blob"
)

// Config locates a bucket.
type Config struct {
	Bucket string
	Prefix string // key prefix, "" or ending in "/"
	// Endpoint is the S3 API URL of a non-AWS server; it also selects
	// path-style addressing. Empty: AWS.
	Endpoint string
	Region   string // default from the AWS config, else us-east-1
	// TempDir holds staged objects (local disk).
	TempDir string
	// PartSize is the multipart part size, and the largest object sent
	// with a single PUT. Default 64 MiB.
	PartSize int64
}

// ParseURL parses s3://BUCKET[/PREFIX]?endpoint=URL&region=R.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return Config{}, fmt.Errorf("blob store %q: want s3://BUCKET[/PREFIX]?endpoint=URL&region=R", raw)
	}
	c := Config{Bucket: u.Host, Endpoint: u.Query().Get("endpoint"), Region: u.Query().Get("region")}
	if p := strings.Trim(u.Path, "/"); p != "" {
		c.Prefix = p + "/"
	}
	for k := range u.Query() {
		if k != "endpoint" && k != "region" {
			return Config{}, fmt.Errorf("blob store %q: unknown parameter %q (endpoint and region exist)", raw, k)
		}
	}
	return c, nil
}

// Store is an S3 [blob.Backend]. It is safe for concurrent use, also by
// several processes (replicas) sharing the bucket.
type Store struct {
	c   *s3.Client
	cfg Config
}

var (
	_ blob.Backend = (*Store)(nil)
	_ blob.Sweeper = (*Store)(nil)
)

// NewClient returns an S3 client for cfg, with credentials from the
// standard AWS environment variables and shared config files.
func NewClient(ctx context.Context, cfg Config) (*s3.Client, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		// Third-party servers do not all know the SDK's default CRC
		// checksums: send and check them only when an operation needs them.
		awsconfig.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		awsconfig.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	}
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	ac, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3 blob store: AWS config: %w", err)
	}
	if ac.Region == "" {
		ac.Region = "us-east-1"
	}
	return s3.NewFromConfig(ac, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
			o.UsePathStyle = true
		}
	}), nil
}

// Open connects to the bucket (see NewClient) and checks that it answers.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.PartSize <= 0 {
		cfg.PartSize = 64 << 20
	}
	if cfg.TempDir == "" {
		cfg.TempDir = os.TempDir()
	}
	if err := os.MkdirAll(cfg.TempDir, 0o700); err != nil {
		return nil, fmt.Errorf("s3 blob store: %w", err)
	}
	client, err := NewClient(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(cfg.Bucket)}); err != nil {
		return nil, fmt.Errorf("s3 blob store: bucket %s: %w", cfg.Bucket, err)
	}
	return &Store{c: client, cfg: cfg}, nil
}

// Client returns the S3 client (for presigning).
func (s *Store) Client() *s3.Client { return s.c }

// Bucket returns the bucket name.
func (s *Store) Bucket() string { return s.cfg.Bucket }

// Key returns the object key of oid.
func (s *Store) Key(oid string) string { return s.cfg.Prefix + oid }

func notFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	var re *smithyhttp.ResponseError
	return errors.As(err, &nsk) || errors.As(err, &nf) || (errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound)
}

// Create stages a new object in a local temp file.
func (s *Store) Create(ctx context.Context) (blob.Staged, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(s.cfg.TempDir, tmpPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("create staged blob: %w", err)
	}
	return &staged{s: s, f: f}, nil
}

// tmpPrefix starts the name of every staged file; Sweep removes only those.
const tmpPrefix = "s3put-"

type staged struct {
	s    *Store
	f    *os.File
	done bool
}

func (st *staged) Write(p []byte) (int, error) { return st.f.Write(p) }

// Commit uploads the staged file under oid unless an object is there.
func (st *staged) Commit(ctx context.Context, oid string) error {
	if st.done {
		return errors.New("s3 blob store: Commit called twice")
	}
	defer st.Abort()
	if err := blob.CheckOID(oid); err != nil {
		return err
	}
	if _, err := st.s.Stat(ctx, oid); err == nil {
		return nil // content addressing: the stored object is this one
	} else if !errors.Is(err, blob.ErrNotExist) {
		return err
	}
	size, err := st.f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	key := st.s.Key(oid)
	if size <= st.s.cfg.PartSize {
		_, err = st.s.c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(st.s.cfg.Bucket), Key: aws.String(key),
			Body: io.NewSectionReader(st.f, 0, size), ContentLength: aws.Int64(size),
		})
		if err != nil {
			return fmt.Errorf("s3 put %s: %w", key, err)
		}
		return nil
	}
	return st.s.multipart(ctx, key, st.f, size)
}

// multipart uploads size bytes of f under key in parts.
func (s *Store) multipart(ctx context.Context, key string, f io.ReaderAt, size int64) error {
	bucket := aws.String(s.cfg.Bucket)
	mu, err := s.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("s3 multipart %s: %w", key, err)
	}
	abort := func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s.c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: bucket, Key: aws.String(key), UploadId: mu.UploadId})
	}
	var parts []types.CompletedPart
	for n, off := int32(1), int64(0); off < size; n, off = n+1, off+s.cfg.PartSize {
		l := min(s.cfg.PartSize, size-off)
		out, err := s.c.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: bucket, Key: aws.String(key), UploadId: mu.UploadId, PartNumber: aws.Int32(n),
			Body: io.NewSectionReader(f, off, l), ContentLength: aws.Int64(l),
		})
		if err != nil {
			abort()
			return fmt.Errorf("s3 multipart %s part %d: %w", key, n, err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
	}
	_, err = s.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: bucket, Key: aws.String(key), UploadId: mu.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		abort()
		return fmt.Errorf("s3 multipart %s completion: %w", key, err)
	}
	return nil
}

// Abort removes the staged file.
func (st *staged) Abort() error {
	if st.done {
		return nil
	}
	st.done = true
	st.f.Close()
	if err := os.Remove(st.f.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Stat returns the size of oid's object.
func (s *Store) Stat(ctx context.Context, oid string) (int64, error) {
	if err := blob.CheckOID(oid); err != nil {
		return 0, err
	}
	out, err := s.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(s.Key(oid))})
	if err != nil {
		if notFound(err) {
			return 0, fmt.Errorf("%s: %w", oid, blob.ErrNotExist)
		}
		return 0, fmt.Errorf("s3 head %s: %w", oid, err)
	}
	return aws.ToInt64(out.ContentLength), nil
}

// Open opens oid's object for ranged reads.
func (s *Store) Open(ctx context.Context, oid string) (blob.Object, error) {
	size, err := s.Stat(ctx, oid)
	if err != nil {
		return nil, err
	}
	return &object{s: s, ctx: ctx, key: s.Key(oid), size: size}, nil
}

// object reads an S3 object with ranged GETs: a Read after a Seek starts a
// new GET at the position; sequential Reads stream one response.
type object struct {
	s    *Store
	ctx  context.Context
	key  string
	size int64
	pos  int64
	body io.ReadCloser
	bpos int64 // position of body
}

func (o *object) Size() int64 { return o.size }

func (o *object) Read(p []byte) (int, error) {
	if o.pos >= o.size {
		return 0, io.EOF
	}
	if o.body == nil || o.bpos != o.pos {
		if o.body != nil {
			o.body.Close()
			o.body = nil
		}
		out, err := o.s.c.GetObject(o.ctx, &s3.GetObjectInput{
			Bucket: aws.String(o.s.cfg.Bucket), Key: aws.String(o.key), Range: aws.String(fmt.Sprintf("bytes=%d-", o.pos)),
		})
		if err != nil {
			if notFound(err) {
				return 0, fmt.Errorf("%s: %w", o.key, blob.ErrNotExist)
			}
			return 0, fmt.Errorf("s3 get %s: %w", o.key, err)
		}
		o.body, o.bpos = out.Body, o.pos
	}
	n, err := o.body.Read(p)
	o.pos += int64(n)
	o.bpos = o.pos
	if err == io.EOF && o.pos < o.size {
		err = io.ErrUnexpectedEOF
	}
	if err == io.EOF {
		o.body.Close()
		o.body = nil
	}
	return n, err
}

func (o *object) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += o.pos
	case io.SeekEnd:
		offset += o.size
	default:
		return 0, errors.New("s3 object: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("s3 object: negative position")
	}
	o.pos = offset
	return offset, nil
}

func (o *object) Close() error {
	if o.body != nil {
		err := o.body.Close()
		o.body = nil
		return err
	}
	return nil
}

// Delete removes oid's object; deleting a missing object is not an error.
func (s *Store) Delete(ctx context.Context, oid string) error {
	if err := blob.CheckOID(oid); err != nil {
		return err
	}
	_, err := s.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(s.Key(oid))})
	if err != nil && !notFound(err) {
		return fmt.Errorf("s3 delete %s: %w", oid, err)
	}
	return nil
}

// List calls fn for every object under the prefix whose name is an oid.
func (s *Store) List(ctx context.Context, fn func(oid string, size int64) error) error {
	p := s3.NewListObjectsV2Paginator(s.c, &s3.ListObjectsV2Input{Bucket: aws.String(s.cfg.Bucket), Prefix: aws.String(s.cfg.Prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("s3 list: %w", err)
		}
		for _, o := range page.Contents {
			oid := strings.TrimPrefix(aws.ToString(o.Key), s.cfg.Prefix)
			if !blob.ValidOID(oid) {
				continue
			}
			if err := fn(oid, aws.ToInt64(o.Size)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Sweep removes staged files and incomplete multipart uploads older than
// olderThan (left by a crash).
func (s *Store) Sweep(ctx context.Context, olderThan time.Duration) (int, error) {
	removed := 0
	cutoff := time.Now().Add(-olderThan)
	ents, err := os.ReadDir(s.cfg.TempDir)
	if err != nil {
		return 0, err
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), tmpPrefix) {
			continue
		}
		if info, err := e.Info(); err == nil && info.ModTime().Before(cutoff) {
			if os.Remove(filepath.Join(s.cfg.TempDir, e.Name())) == nil {
				removed++
			}
		}
	}
	out, err := s.c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(s.cfg.Bucket), Prefix: aws.String(s.cfg.Prefix)})
	if err != nil {
		return removed, fmt.Errorf("s3 list multipart uploads: %w", err)
	}
	for _, u := range out.Uploads {
		if u.Initiated != nil && u.Initiated.Before(cutoff) {
			_, err := s.c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(s.cfg.Bucket), Key: u.Key, UploadId: u.UploadId})
			if err == nil {
				removed++
			}
		}
	}
	return removed, nil
}
