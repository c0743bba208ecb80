package lfs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/lfs"
	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/blob/blobtest"
	"github.com/wharfhub/wharf/internal/store/blob/local"
	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
	"github.com/wharfhub/wharf/wire"
)

const (
	mib = 1 << 20
	ttl = 2 * time.Hour
)

// clock is a settable time source for lfs.Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is an lfs.Service over a real database and local blob store, with a
// repo whose multipart threshold is 1 MiB (so parts are 1 MiB).
type env struct {
	db      *sqlstore.DB
	blobs   *blob.Store
	blobDir string
	tmp     string
	clock   *clock
	svc     *lfs.Service
	repo    *repo.Repo
}

// eachDialect runs fn as a parallel subtest per SQL dialect.
func eachDialect(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, d := range sqltest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, d))
		})
	}
}

func newEnv(t *testing.T, d sqltest.Dialect) *env {
	t.Helper()
	db := sqltest.Open(t, d)
	e := &env{db: db, blobDir: t.TempDir(), tmp: t.TempDir(), clock: &clock{t: time.Now()}}
	bs, err := local.Open(e.blobDir)
	if err != nil {
		t.Fatal(err)
	}
	e.blobs = blob.New(bs)
	e.svc = lfs.New(lfs.Config{
		DB: db, Blobs: e.blobs, Key: []byte("test key"), TempDir: e.tmp,
		UploadTTL: ttl, Now: e.clock.Now,
	})
	engine := repo.New(db, repo.Options{TempDir: t.TempDir()})
	e.repo, err = engine.CreateRepo(t.Context(), wire.Model, wire.RepoID{Namespace: "alice", Name: "m"},
		repo.CreateOptions{LFSMultipartThreshold: mib})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func uploadRequest(transfers []string, objs ...wire.BatchObject) *wire.BatchRequest {
	return &wire.BatchRequest{Operation: "upload", Transfers: transfers, HashAlgo: "sha256", Objects: objs}
}

var pythonTransfers = []string{"basic", "multipart"}

// batch asks for one object and returns its answer.
func (e *env) batch(t *testing.T, data []byte, resume bool) wire.BatchObject {
	t.Helper()
	obj := wire.BatchObject{OID: blobtest.OID(data), Size: int64(len(data))}
	resp, err := e.svc.Batch(t.Context(), e.repo, uploadRequest(pythonTransfers, obj), lfs.Links{Base: "http://hub", Resume: resume})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Objects) != 1 {
		t.Fatalf("%d objects in the answer", len(resp.Objects))
	}
	return resp.Objects[0]
}

// multipart is the multipart upload action of a batch answer.
type multipart struct {
	id        string
	chunkSize int64
	parts     map[int]string // part number -> URL path
	complete  string         // URL path
}

func parseMultipart(t *testing.T, o wire.BatchObject) multipart {
	t.Helper()
	up := o.Actions["upload"]
	if up == nil || up.Header["chunk_size"] == "" {
		t.Fatalf("no multipart upload action: %+v", o)
	}
	m := multipart{parts: map[int]string{}}
	var err error
	if m.chunkSize, err = strconv.ParseInt(up.Header["chunk_size"], 10, 64); err != nil {
		t.Fatal(err)
	}
	for k, v := range up.Header {
		if k == "chunk_size" {
			continue
		}
		n, err := strconv.Atoi(k)
		if err != nil {
			t.Fatalf("header key %q is neither chunk_size nor a part number", k)
		}
		m.parts[n] = urlPath(t, v)
	}
	m.complete = urlPath(t, up.Href)
	m.id = strings.TrimPrefix(m.complete, "/lfs-complete/")
	return m
}

func urlPath(t *testing.T, href string) string {
	t.Helper()
	u, err := url.Parse(href)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

func (m multipart) numbers() []int {
	var ns []int
	for n := range m.parts {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}

func part(data []byte, chunk int64, n int) []byte {
	start := int64(n-1) * chunk
	return data[start:min(start+chunk, int64(len(data)))]
}

func (e *env) putPart(t *testing.T, m multipart, n int, body []byte) string {
	t.Helper()
	etag, err := e.svc.PutPart(t.Context(), m.id, n, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("part %d: %v", n, err)
	}
	return etag
}

// putParts uploads parts ns of data and returns their completion entries.
func (e *env) putParts(t *testing.T, m multipart, data []byte, ns ...int) []lfs.CompletePart {
	t.Helper()
	var out []lfs.CompletePart
	for _, n := range ns {
		out = append(out, lfs.CompletePart{PartNumber: n, ETag: e.putPart(t, m, n, part(data, m.chunkSize, n))})
	}
	return out
}

func (e *env) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) stagingFiles(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(e.tmp, "lfs-uploads"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, ent := range ents {
		names = append(names, ent.Name())
	}
	return names
}

// wantGone checks that upload id left nothing: no rows, no staging file.
func (e *env) wantGone(t *testing.T, id string) {
	t.Helper()
	if n := e.count(t, `SELECT COUNT(*) FROM lfs_uploads WHERE id = $1`, id); n != 0 {
		t.Errorf("upload %s still has its row", id)
	}
	e.wantFinished(t, id)
}

// wantFinished checks that upload id has no parts and no staged data left
// (a completed upload keeps its row until it expires).
func (e *env) wantFinished(t *testing.T, id string) {
	t.Helper()
	if n := e.count(t, `SELECT COUNT(*) FROM lfs_upload_parts WHERE upload_id = $1`, id); n != 0 {
		t.Errorf("upload %s still has %d part rows", id, n)
	}
	for _, f := range e.stagingFiles(t) {
		if strings.HasPrefix(f, id) {
			t.Errorf("staging file %s of upload %s is still there", f, id)
		}
	}
}

func (e *env) wantLinked(t *testing.T, data []byte) {
	t.Helper()
	oid := blobtest.OID(data)
	size, ok, err := e.svc.Linked(t.Context(), e.repo.Key, oid)
	if err != nil || !ok || size != int64(len(data)) {
		t.Fatalf("Linked(%s) = %d, %v, %v; want %d, true", oid, size, ok, err, len(data))
	}
	obj, err := e.blobs.Open(t.Context(), oid)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	got, err := io.ReadAll(obj)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("stored content differs (%d bytes, err %v)", len(got), err)
	}
}

func (e *env) wantNotStored(t *testing.T, oid string) {
	t.Helper()
	if _, err := e.blobs.Stat(t.Context(), oid); !errors.Is(err, blob.ErrNotExist) {
		t.Errorf("blob %s: Stat error %v, want ErrNotExist", oid, err)
	}
	if n := e.count(t, `SELECT COUNT(*) FROM lfs_objects WHERE oid = $1`, oid); n != 0 {
		t.Errorf("blob %s has an lfs_objects row", oid)
	}
	if n := e.count(t, `SELECT COUNT(*) FROM repo_lfs WHERE oid = $1`, oid); n != 0 {
		t.Errorf("blob %s has a repo_lfs row", oid)
	}
}

func TestSignedURLCheck(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	s := lfs.New(lfs.Config{Key: []byte("k1"), Now: c.Now})
	other := lfs.New(lfs.Config{Key: []byte("k2"), Now: c.Now})
	const path = "/lfs-upload/1/" + "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393" + "/7"
	exp := c.Now().Add(time.Hour)
	q, err := url.ParseQuery(s.Sign("PUT", path, exp))
	if err != nil {
		t.Fatal(err)
	}
	e, sig := q.Get("exp"), q.Get("sig")
	if err := s.Check("PUT", path, e, sig); err != nil {
		t.Fatalf("Check of a fresh signature: %v", err)
	}
	otherQ, _ := url.ParseQuery(other.Sign("PUT", path, exp))
	flipped := []byte(sig)
	flipped[3] ^= 1
	cases := []struct {
		name                string
		method, path, e, sg string
	}{
		{"other method", "POST", path, e, sig},
		{"other path", "PUT", strings.Replace(path, "/7", "/8", 1), e, sig},
		{"other repo", "PUT", strings.Replace(path, "/1/", "/2/", 1), e, sig},
		{"later exp", "PUT", path, strconv.FormatInt(exp.Unix()+3600, 10), sig},
		{"bad exp", "PUT", path, "soon", sig},
		{"no sig", "PUT", path, e, ""},
		{"flipped sig", "PUT", path, e, string(flipped)},
		{"other key", "PUT", path, e, otherQ.Get("sig")},
	}
	for _, tc := range cases {
		err := s.Check(tc.method, tc.path, tc.e, tc.sg)
		if !errors.Is(err, lfs.ErrBadSignature) {
			t.Errorf("%s: Check error %v, want ErrBadSignature", tc.name, err)
		}
	}
	c.Add(time.Hour)
	if err := s.Check("PUT", path, e, sig); err != nil {
		t.Fatalf("Check at the expiry second: %v", err)
	}
	c.Add(time.Second)
	err = s.Check("PUT", path, e, sig)
	if !errors.Is(err, lfs.ErrBadSignature) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("Check after expiry: %v, want an expired ErrBadSignature", err)
	}
}

func TestBatchUploadActions(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		// The clock is far from the wall clock: links must use it.
		e.clock.Add(-30 * 24 * time.Hour)
		small := blobtest.OID([]byte("small"))
		big := blobtest.OID([]byte("big"))
		huge := blobtest.OID([]byte("huge"))
		objs := []wire.BatchObject{
			{OID: small, Size: mib - 1},
			{OID: big, Size: 5*mib + 3},
			{OID: huge, Size: 6 << 30},
		}
		links := lfs.Links{Base: "http://hub"}

		// Python offers multipart: objects from the threshold on get it.
		resp, err := e.svc.Batch(t.Context(), e.repo, uploadRequest(pythonTransfers, objs...), links)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Transfer != "multipart" {
			t.Errorf("transfer %q, want multipart", resp.Transfer)
		}
		// The transfer holds for the whole batch (git-lfs hands every object
		// of a multipart answer to its agent): the small object gets one part.
		if sm := parseMultipart(t, resp.Objects[0]); !slices.Equal(sm.numbers(), []int{1}) {
			t.Errorf("small object in a multipart batch: parts %v, want [1]", sm.numbers())
		}
		// Alone, the small object gets a basic upload and a verify.
		alone, err := e.svc.Batch(t.Context(), e.repo, uploadRequest(pythonTransfers, objs[0]), links)
		if err != nil {
			t.Fatal(err)
		}
		if alone.Transfer != "basic" {
			t.Errorf("small object alone: transfer %q, want basic", alone.Transfer)
		}
		o := alone.Objects[0]
		if o.Actions["upload"] == nil || o.Actions["upload"].Header["chunk_size"] != "" || o.Actions["verify"] == nil {
			t.Errorf("small object: actions %+v, want basic upload and verify", o.Actions)
		}
		for _, a := range o.Actions {
			if a.ExpiresIn != int64(ttl/time.Second) {
				t.Errorf("small object: expires_in %d, want %d", a.ExpiresIn, int64(ttl/time.Second))
			}
		}
		m := parseMultipart(t, resp.Objects[1])
		if m.chunkSize != mib || !slices.Equal(m.numbers(), []int{1, 2, 3, 4, 5, 6}) {
			t.Errorf("5 MiB+3: chunk %d, parts %v; want 1 MiB, 1..6", m.chunkSize, m.numbers())
		}
		if got := resp.Objects[1].Actions["upload"].ExpiresIn; got != int64(ttl/time.Second) {
			t.Errorf("multipart expires_in %d, want %d", got, int64(ttl/time.Second))
		}
		// 6 GiB at 1 MiB would be 6144 parts: within the 10,000 limit.
		if n := len(parseMultipart(t, resp.Objects[2]).parts); n != 6144 {
			t.Errorf("6 GiB: %d parts, want 6144", n)
		}
		// git-lfs hands the part URLs to its custom transfer agent in the
		// lexical order of their keys: it must be the numeric order.
		var keys []string
		for k := range resp.Objects[2].Actions["upload"].Header {
			if k != "chunk_size" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for i, k := range keys {
			if n, _ := strconv.Atoi(k); n != i+1 {
				t.Fatalf("part key %q is number %d in lexical order", k, i+1)
			}
		}

		// git-lfs without the custom agent: basic up to 5 GB, an error above.
		resp, err = e.svc.Batch(t.Context(), e.repo, uploadRequest([]string{"lfs-standalone-file", "basic", "ssh"}, objs...), links)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Transfer != "basic" {
			t.Errorf("git-lfs: transfer %q, want basic", resp.Transfer)
		}
		if resp.Objects[2].Error == nil || resp.Objects[2].Error.Code != 422 || !strings.Contains(resp.Objects[2].Error.Message, "cli lfs-enable-largefiles") {
			t.Errorf("git-lfs, 6 GiB object: %+v, want a 422 error naming lfs-enable-largefiles", resp.Objects[2])
		}
	})
}

func TestBatchPartCountLimit(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		const size = 50 << 30 // 50 GB, the Hub's file limit
		resp, err := e.svc.Batch(t.Context(), e.repo, uploadRequest(pythonTransfers, wire.BatchObject{OID: blobtest.OID(nil), Size: size}), lfs.Links{})
		if err != nil {
			t.Fatal(err)
		}
		m := parseMultipart(t, resp.Objects[0])
		if n := int64(len(m.parts)); n > 10000 || n*m.chunkSize < size || (n-1)*m.chunkSize >= size {
			t.Fatalf("%d parts of %d bytes for %d bytes", n, m.chunkSize, int64(size))
		}
	})
}

func TestMultipartRoundTrip(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		data := blobtest.Data(1, 3*mib+100)
		m := parseMultipart(t, e.batch(t, data, false))
		parts := e.putParts(t, m, data, 4, 2, 3, 1)
		if err := e.svc.Complete(t.Context(), m.id, blobtest.OID(data), parts); err != nil {
			t.Fatal(err)
		}
		e.wantLinked(t, data)
		e.wantFinished(t, m.id)
		if err := e.svc.Verify(t.Context(), e.repo.Key, blobtest.OID(data), int64(len(data))); err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if o := e.batch(t, data, false); o.Actions != nil {
			t.Fatalf("batch after the upload: actions %+v, want none", o.Actions)
		}
	})
}

// A part sent with a byte too many is refused without touching the bytes
// of the next part, which may already be there.
func TestPutPartTooLongKeepsNextPart(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		data := blobtest.Data(2, 3*mib)
		m := parseMultipart(t, e.batch(t, data, false))
		parts := e.putParts(t, m, data, 2, 3)
		long := append(slices.Clone(part(data, m.chunkSize, 1)), 0xff)
		if _, err := e.svc.PutPart(t.Context(), m.id, 1, bytes.NewReader(long)); !errors.Is(err, blob.ErrSizeMismatch) {
			t.Fatalf("part 1 with %d bytes: error %v, want ErrSizeMismatch", len(long), err)
		}
		parts = append(parts, e.putParts(t, m, data, 1)...)
		if err := e.svc.Complete(t.Context(), m.id, blobtest.OID(data), parts); err != nil {
			t.Fatalf("Complete after a refused long part: %v", err)
		}
		e.wantLinked(t, data)
	})
}

// The last part sent too long must not leave the staged file a byte longer
// than the object.
func TestPutPartLastTooLong(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		data := blobtest.Data(3, 2*mib+10)
		m := parseMultipart(t, e.batch(t, data, false))
		long := append(slices.Clone(part(data, m.chunkSize, 3)), 'x')
		if _, err := e.svc.PutPart(t.Context(), m.id, 3, bytes.NewReader(long)); !errors.Is(err, blob.ErrSizeMismatch) {
			t.Fatalf("last part too long: error %v, want ErrSizeMismatch", err)
		}
		parts := e.putParts(t, m, data, 1, 2, 3)
		if err := e.svc.Complete(t.Context(), m.id, blobtest.OID(data), parts); err != nil {
			t.Fatalf("Complete: %v", err)
		}
		e.wantLinked(t, data)
	})
}

func TestPutPartErrors(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		data := blobtest.Data(4, 2*mib+10)
		m := parseMultipart(t, e.batch(t, data, false))
		for _, n := range []int{0, 4, -1} {
			if _, err := e.svc.PutPart(t.Context(), m.id, n, bytes.NewReader(nil)); !errors.Is(err, wire.ErrInvalid) {
				t.Errorf("part %d: error %v, want ErrInvalid", n, err)
			}
		}
		if _, err := e.svc.PutPart(t.Context(), "nope", 1, bytes.NewReader(nil)); !errors.Is(err, lfs.ErrUploadNotFound) {
			t.Errorf("unknown upload: error %v, want ErrUploadNotFound", err)
		}
		// A good part, then a short retry of it: the part counts as missing.
		e.putParts(t, m, data, 1)
		if _, err := e.svc.PutPart(t.Context(), m.id, 1, bytes.NewReader(data[:10])); !errors.Is(err, blob.ErrSizeMismatch) {
			t.Errorf("short part: error %v, want ErrSizeMismatch", err)
		}
		parts := e.putParts(t, m, data, 2, 3)
		err := e.svc.Complete(t.Context(), m.id, blobtest.OID(data), parts)
		if !errors.Is(err, lfs.ErrIncomplete) || !strings.Contains(err.Error(), "missing parts 1") {
			t.Fatalf("Complete with part 1 spoiled: %v, want ErrIncomplete naming part 1", err)
		}
	})
}

func TestCompleteErrors(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		data := blobtest.Data(5, 3*mib+1)
		oid := blobtest.OID(data)
		m := parseMultipart(t, e.batch(t, data, false))
		parts := e.putParts(t, m, data, 1, 2, 4)

		err := e.svc.Complete(t.Context(), m.id, oid, parts)
		if !errors.Is(err, lfs.ErrIncomplete) || !strings.Contains(err.Error(), "missing parts 3") {
			t.Fatalf("missing part: %v, want ErrIncomplete naming part 3", err)
		}
		parts = append(parts, e.putParts(t, m, data, 3)...)

		bad := slices.Clone(parts)
		bad[0].ETag = `"0123"`
		if err := e.svc.Complete(t.Context(), m.id, oid, bad); !errors.Is(err, wire.ErrInvalid) {
			t.Errorf("wrong etag: %v, want ErrInvalid", err)
		}
		bad[0] = lfs.CompletePart{PartNumber: 9, ETag: parts[0].ETag}
		if err := e.svc.Complete(t.Context(), m.id, oid, bad); !errors.Is(err, wire.ErrInvalid) {
			t.Errorf("part out of range: %v, want ErrInvalid", err)
		}
		if err := e.svc.Complete(t.Context(), m.id, blobtest.OID(nil), parts); !errors.Is(err, wire.ErrInvalid) {
			t.Errorf("other oid: %v, want ErrInvalid", err)
		}
		e.wantNotStored(t, oid)
		// None of these ended the upload; quotes on etags are optional.
		for i := range parts {
			parts[i].ETag = strings.Trim(parts[i].ETag, `"`)
		}
		if err := e.svc.Complete(t.Context(), m.id, oid, parts); err != nil {
			t.Fatalf("Complete after refused attempts: %v", err)
		}
		e.wantLinked(t, data)
		// Completing again (a retry whose answer was lost) succeeds, and a
		// part sent late is taken without being stored.
		if err := e.svc.Complete(t.Context(), m.id, oid, parts); err != nil {
			t.Fatalf("second Complete: %v", err)
		}
		if etag := e.putPart(t, m, 2, part(data, m.chunkSize, 2)); etag != parts[1].ETag && etag != `"`+parts[1].ETag+`"` {
			t.Errorf("late part 2: ETag %s, want %s", etag, parts[1].ETag)
		}
		if _, err := e.svc.PutPart(t.Context(), m.id, 2, bytes.NewReader(data[:5])); !errors.Is(err, blob.ErrSizeMismatch) {
			t.Errorf("late short part: %v, want ErrSizeMismatch", err)
		}
		e.wantFinished(t, m.id)
		if err := e.svc.Complete(t.Context(), m.id, blobtest.OID(nil), parts); !errors.Is(err, wire.ErrInvalid) {
			t.Errorf("completing a finished upload with another oid: %v, want ErrInvalid", err)
		}
	})
}

// Parts of the right sizes whose whole does not hash to the oid: the
// completion fails, nothing is published, and the upload is gone.
func TestCompleteHashMismatch(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		data := blobtest.Data(6, 2*mib+5)
		oid := blobtest.OID(data)
		m := parseMultipart(t, e.batch(t, data, false))
		other := blobtest.Data(7, len(data))
		parts := e.putParts(t, m, other, 1, 2, 3)
		if n := len(e.stagingFiles(t)); n != 1 {
			t.Fatalf("%d staging files, want 1", n)
		}
		err := e.svc.Complete(t.Context(), m.id, oid, parts)
		if !errors.Is(err, blob.ErrDigestMismatch) {
			t.Fatalf("Complete: %v, want ErrDigestMismatch", err)
		}
		e.wantNotStored(t, oid)
		e.wantGone(t, m.id)
		if _, err := e.svc.PutPart(t.Context(), m.id, 1, bytes.NewReader(part(data, m.chunkSize, 1))); !errors.Is(err, lfs.ErrUploadNotFound) {
			t.Fatalf("PutPart after a failed completion: %v, want ErrUploadNotFound", err)
		}
		// A new batch starts over.
		if m2 := parseMultipart(t, e.batch(t, data, true)); m2.id == m.id || len(m2.parts) != 3 {
			t.Fatalf("batch after a failed completion: upload %s with %d parts", m2.id, len(m2.parts))
		}
	})
}

func TestResumeListsMissingParts(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		data := blobtest.Data(8, 5*mib)
		m := parseMultipart(t, e.batch(t, data, false))
		parts := e.putParts(t, m, data, 1, 3)

		r := parseMultipart(t, e.batch(t, data, true))
		if r.id != m.id || r.complete != m.complete {
			t.Fatalf("resumed upload %s, want %s", r.id, m.id)
		}
		if !slices.Equal(r.numbers(), []int{2, 4, 5}) {
			t.Fatalf("resumed parts %v, want [2 4 5]", r.numbers())
		}
		for n, p := range r.parts {
			if p != m.parts[n] {
				t.Errorf("part %d: URL %s, want %s", n, p, m.parts[n])
			}
		}
		parts = append(parts, e.putParts(t, r, data, r.numbers()...)...)
		if err := e.svc.Complete(t.Context(), r.id, blobtest.OID(data), parts); err != nil {
			t.Fatal(err)
		}
		e.wantLinked(t, data)
	})
}

// Official clients re-ask without X-Wharf-Resume and need every part URL.
func TestBatchWithoutResumeListsAllParts(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		data := blobtest.Data(9, 3*mib)
		m := parseMultipart(t, e.batch(t, data, false))
		e.putParts(t, m, data, 1, 2)
		again := parseMultipart(t, e.batch(t, data, false))
		if !slices.Equal(again.numbers(), []int{1, 2, 3}) {
			t.Fatalf("parts %v, want [1 2 3]", again.numbers())
		}
		parts := e.putParts(t, again, data, 1, 2, 3)
		if err := e.svc.Complete(t.Context(), again.id, blobtest.OID(data), parts); err != nil {
			t.Fatal(err)
		}
		e.wantLinked(t, data)
	})
}

// Two clients resuming one upload (Wharf's client always asks to resume):
// once one completes, the other's late parts and completion succeed.
func TestSharedResumedUpload(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		data := blobtest.Data(17, 4*mib+7)
		oid := blobtest.OID(data)
		a := parseMultipart(t, e.batch(t, data, true))
		b := parseMultipart(t, e.batch(t, data, true))
		if a.id != b.id {
			t.Fatalf("resumed batches started two uploads %s and %s", a.id, b.id)
		}
		pa := e.putParts(t, a, data, a.numbers()...)
		pb := e.putParts(t, b, data, 1, 2)
		if err := e.svc.Complete(t.Context(), a.id, oid, pa); err != nil {
			t.Fatalf("first completion: %v", err)
		}
		pb = append(pb, e.putParts(t, b, data, 3, 4, 5)...)
		if err := e.svc.Complete(t.Context(), b.id, oid, pb); err != nil {
			t.Fatalf("second completion: %v", err)
		}
		e.wantLinked(t, data)
		e.wantFinished(t, a.id)
	})
}

// Two clients uploading one object to one repo at once: each completes.
func TestConcurrentMultipartSameRepo(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		data := blobtest.Data(10, 4*mib+7)
		oid := blobtest.OID(data)
		a := parseMultipart(t, e.batch(t, data, false))
		b := parseMultipart(t, e.batch(t, data, false))
		pa := e.putParts(t, a, data, a.numbers()...)
		pb := e.putParts(t, b, data, b.numbers()...)
		if err := e.svc.Complete(t.Context(), a.id, oid, pa); err != nil {
			t.Fatalf("first completion: %v", err)
		}
		if err := e.svc.Complete(t.Context(), b.id, oid, pb); err != nil {
			t.Fatalf("second completion: %v", err)
		}
		e.wantLinked(t, data)
		if n := len(e.stagingFiles(t)); n != 0 {
			t.Errorf("%d staging files left", n)
		}
	})
}

func TestSweepExpiredUploads(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		old := blobtest.Data(11, 3*mib)
		m := parseMultipart(t, e.batch(t, old, false))
		e.putParts(t, m, old, 1, 2)

		// An orphan staging file (its row is gone, as after a crash).
		orphan := filepath.Join(e.tmp, "lfs-uploads", "0123456789abcdef.part")
		if err := os.WriteFile(orphan, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}

		// Nothing has expired: Sweep keeps everything, even the fresh orphan.
		if n, err := e.svc.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("Sweep before expiry = %d, %v; want 0, nil", n, err)
		}
		if n := len(e.stagingFiles(t)); n != 2 {
			t.Fatalf("%d staging files, want 2", n)
		}

		e.clock.Add(ttl - time.Minute)
		fresh := blobtest.Data(12, 2*mib)
		f := parseMultipart(t, e.batch(t, fresh, false))
		e.putParts(t, f, fresh, 1)

		e.clock.Add(2 * time.Minute) // m expired, f did not
		n, err := e.svc.Sweep(ctx)
		if err != nil || n != 2 {
			t.Fatalf("Sweep = %d, %v; want 2 (an upload and an orphan), nil", n, err)
		}
		e.wantGone(t, m.id)
		if _, err := os.Stat(orphan); !os.IsNotExist(err) {
			t.Errorf("orphan staging file: %v, want removed", err)
		}
		if _, err := e.svc.PutPart(ctx, m.id, 3, bytes.NewReader(part(old, m.chunkSize, 3))); !errors.Is(err, lfs.ErrUploadNotFound) {
			t.Errorf("PutPart to a swept upload: %v, want ErrUploadNotFound", err)
		}
		// A resumed batch for the swept object starts a new upload.
		if r := parseMultipart(t, e.batch(t, old, true)); r.id == m.id || len(r.parts) != 3 {
			t.Errorf("batch after the sweep: upload %s with %d parts, want a new one with 3", r.id, len(r.parts))
		}

		// The live upload still completes.
		parts := e.putParts(t, f, fresh, 1, 2)
		if err := e.svc.Complete(ctx, f.id, blobtest.OID(fresh), parts); err != nil {
			t.Fatalf("Complete of the unexpired upload: %v", err)
		}
		e.wantLinked(t, fresh)
		e.wantFinished(t, f.id)
		// Its row goes when it expires, as does the restarted upload's.
		e.clock.Add(ttl)
		if n, err := e.svc.Sweep(ctx); err != nil || n != 2 {
			t.Fatalf("last Sweep = %d, %v; want 2, nil", n, err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM lfs_uploads`); n != 0 {
			t.Errorf("%d uploads after the last sweep, want 0", n)
		}
		e.wantGone(t, f.id)
	})
}

func TestBasicPutObject(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		data := blobtest.Data(13, 1000)
		oid := blobtest.OID(data)
		size := int64(len(data))
		for _, tc := range []struct {
			name string
			body []byte
			want error
		}{
			{"wrong content", blobtest.Data(14, 1000), blob.ErrDigestMismatch},
			{"short", data[:999], blob.ErrSizeMismatch},
			{"long", append(slices.Clone(data), 0), blob.ErrSizeMismatch},
		} {
			if err := e.svc.PutObject(ctx, e.repo.Key, oid, size, bytes.NewReader(tc.body)); !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
			e.wantNotStored(t, oid)
		}
		if err := e.svc.Verify(ctx, e.repo.Key, oid, size); !errors.Is(err, lfs.ErrObjectNotFound) {
			t.Errorf("Verify before upload: %v, want ErrObjectNotFound", err)
		}
		if err := e.svc.PutObject(ctx, e.repo.Key, oid, size, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		e.wantLinked(t, data)
		if err := e.svc.Verify(ctx, e.repo.Key, oid, size+1); !errors.Is(err, wire.ErrInvalid) {
			t.Errorf("Verify with another size: %v, want ErrInvalid", err)
		}
	})
}

// Completion moves the staged file out of the part writers' way before it
// verifies and publishes it (then waits for writers that opened it before):
// a part that arrives once completion has begun lands in a new staging
// file and cannot change bytes already verified. The published object is
// the staged file itself, moved rather than copied.
func TestLatePartCannotChangeACompletingUpload(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		data := blobtest.Data(11, 2*mib+3)
		m := parseMultipart(t, e.batch(t, data, false))
		parts := e.putParts(t, m, data, 1, 2, 3)
		staged := e.stagingFiles(t)
		if len(staged) != 1 {
			t.Fatalf("staging files before completion: %v", staged)
		}
		// What completion does first: move the staged file aside.
		staging := filepath.Join(e.tmp, "lfs-uploads", staged[0])
		aside := staging + ".complete-test"
		if err := os.Rename(staging, aside); err != nil {
			t.Fatal(err)
		}
		e.putPart(t, m, 1, bytes.Repeat([]byte{'x'}, int(m.chunkSize)))
		got, err := os.ReadFile(aside)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatal("a part written during completion changed the file being completed")
		}
		if err := os.Rename(aside, staging); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Complete(t.Context(), m.id, blobtest.OID(data), parts); err != nil {
			t.Fatal(err)
		}
		e.wantLinked(t, data)
		if left := e.stagingFiles(t); len(left) != 0 {
			t.Errorf("staging files after completion: %v", left)
		}
	})
}

// Completions of one upload racing each other (a client retrying a
// completion whose answer it did not get) all succeed: the later ones wait
// for the one holding the staged file.
func TestConcurrentCompletionsOfOneUpload(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		data := blobtest.Data(12, 6*mib+7)
		m := parseMultipart(t, e.batch(t, data, false))
		parts := e.putParts(t, m, data, 1, 2, 3, 4, 5, 6, 7)
		errs := make(chan error, 4)
		for range 4 {
			go func() { errs <- e.svc.Complete(t.Context(), m.id, blobtest.OID(data), parts) }()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Errorf("concurrent completion: %v", err)
			}
		}
		e.wantLinked(t, data)
		if left := e.stagingFiles(t); len(left) != 0 {
			t.Errorf("staging files after completion: %v", left)
		}
	})
}

// A completion that moved the staged file aside and died (a crash) leaves
// it under a .complete- name with no lock held: the next completion takes
// it back and finishes the upload.
func TestCompletionRecoversFromADeadCompletion(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		data := blobtest.Data(13, 2*mib+11)
		m := parseMultipart(t, e.batch(t, data, false))
		parts := e.putParts(t, m, data, 1, 2, 3)
		staged := e.stagingFiles(t)
		if len(staged) != 1 {
			t.Fatalf("staging files: %v", staged)
		}
		staging := filepath.Join(e.tmp, "lfs-uploads", staged[0])
		if err := os.Rename(staging, staging+".complete-dead"); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Complete(t.Context(), m.id, blobtest.OID(data), parts); err != nil {
			t.Fatalf("completion after a dead one: %v", err)
		}
		e.wantLinked(t, data)
		if left := e.stagingFiles(t); len(left) != 0 {
			t.Errorf("staging files after completion: %v", left)
		}
	})
}
