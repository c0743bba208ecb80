package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/blob/s3"
	"github.com/wharfhub/wharf/internal/store/blob/s3/s3test"
	"github.com/wharfhub/wharf/xet/xorb"
)

// runS3 runs fn on each SQL dialect with blobs in a bucket of a real S3
// server (versitygw).
func runS3(t *testing.T, fn func(t *testing.T, h *servertest.Hub, s3URL string)) {
	endpoint := s3test.Start(t)
	servertest.RunWith(t, servertest.Options{Backend: func(t testing.TB) blob.Backend {
		return s3test.Bucket(t, endpoint, 5<<20)
	}}, func(t *testing.T, h *servertest.Hub) { fn(t, h, endpoint) })
}

type batchAnswer struct {
	Transfer string `json:"transfer"`
	Objects  []struct {
		OID     string `json:"oid"`
		Actions map[string]struct {
			Href   string            `json:"href"`
			Header map[string]string `json:"header"`
		} `json:"actions"`
		Error *struct {
			Message string `json:"message"`
		} `json:"error"`
	} `json:"objects"`
}

func rawDo(t *testing.T, method, u string, body []byte, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultTransport.RoundTrip(req) // no redirects followed
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

// TestS3DirectLFS: with S3, LFS bytes go straight to the bucket and back,
// and only verified content is ever linked.
func TestS3DirectLFS(t *testing.T) {
	runS3(t, func(t *testing.T, h *servertest.Hub, s3URL string) {
		r := "alice/direct"
		// A 1 MiB multipart threshold: parts that go to S3 are 5 MiB all the same.
		h.JSON(t, http.MethodPost, "/api/repos/create", h.Alice,
			map[string]any{"name": "direct", "organization": "alice", "lfsmultipartthresh": 1 << 20}, http.StatusOK, nil)
		batch := func(transfers []string, data []byte) batchAnswer {
			var a batchAnswer
			h.JSON(t, http.MethodPost, servertest.Web(r)+".git/info/lfs/objects/batch", h.Alice, map[string]any{
				"operation": "upload", "transfers": transfers, "ref": map[string]string{"name": "refs/heads/main"},
				"objects": []map[string]any{{"oid": servertest.SHA256(data), "size": len(data)}},
			}, http.StatusOK, &a)
			return a
		}
		// Basic (git-lfs, the Go SDK): a checksum-bound presigned PUT.
		small := randomBytes(21, 300_000)
		a := batch([]string{"basic"}, small)
		up, verify := a.Objects[0].Actions["upload"], a.Objects[0].Actions["verify"]
		if a.Transfer != "basic" || !strings.HasPrefix(up.Href, s3URL) || up.Header["X-Amz-Checksum-Sha256"] == "" {
			t.Fatalf("basic answer: %+v", a)
		}
		lie := append([]byte(nil), small...)
		lie[0] ^= 1
		if resp, body := rawDo(t, http.MethodPut, up.Href, lie, up.Header); resp.StatusCode/100 == 2 {
			t.Fatalf("bucket took lying bytes: %d %s", resp.StatusCode, body)
		}
		resp := h.Do(t, http.MethodPost, verify.Href, h.Alice, map[string]any{"oid": servertest.SHA256(small), "size": len(small)})
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("verify before a good PUT: %d %s", resp.StatusCode, servertest.Body(resp))
		}
		if resp, body := rawDo(t, http.MethodPut, up.Href, small, up.Header); resp.StatusCode != 200 {
			t.Fatalf("PUT: %d %s", resp.StatusCode, body)
		}
		resp = h.Do(t, http.MethodPost, verify.Href, h.Alice, map[string]any{"oid": servertest.SHA256(small), "size": len(small)})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("verify: %d %s", resp.StatusCode, servertest.Body(resp))
		}

		// Multipart (Python, JS): presigned parts, Wharf's completion
		// verifies the assembled object.
		big := randomBytes(22, 11<<20+5)
		for _, lying := range []bool{true, false} {
			a = batch([]string{"basic", "multipart"}, big)
			up = a.Objects[0].Actions["upload"]
			if a.Transfer != "multipart" || up.Header["chunk_size"] != "5242880" {
				t.Fatalf("multipart answer: %+v", a)
			}
			content := big
			if lying {
				content = append([]byte(nil), big...)
				content[6<<20] ^= 1
			}
			var parts []map[string]any
			for n, off := 1, 0; off < len(content); n, off = n+1, off+5<<20 {
				href := up.Header[fmt.Sprintf("%05d", n)]
				if !strings.HasPrefix(href, s3URL) {
					t.Fatalf("part %d URL %q is not the bucket's", n, href)
				}
				resp, body := rawDo(t, http.MethodPut, href, content[off:min(off+5<<20, len(content))], nil)
				if resp.StatusCode != 200 {
					t.Fatalf("part %d: %d %s", n, resp.StatusCode, body)
				}
				parts = append(parts, map[string]any{"partNumber": n, "etag": resp.Header.Get("ETag")})
			}
			resp = h.Do(t, http.MethodPost, up.Href, "", map[string]any{"oid": servertest.SHA256(big), "parts": parts})
			if lying {
				servertest.ExpectError(t, resp, http.StatusUnprocessableEntity, "", "content hash does not match")
				continue
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("completion: %d %s", resp.StatusCode, servertest.Body(resp))
			}
		}
		h.Commit(t, h.Alice, r, "main",
			servertest.LFSFile("small.bin", servertest.SHA256(small), int64(len(small))),
			servertest.LFSFile("big.bin", servertest.SHA256(big), int64(len(big))))

		// Downloads: a redirect to a presigned GET; small probes are served.
		for name, data := range map[string][]byte{"small.bin": small, "big.bin": big} {
			resp, _ := rawDo(t, http.MethodGet, h.URL+servertest.Web(r)+"/resolve/main/"+name, nil, map[string]string{"Authorization": "Bearer " + h.Alice})
			loc := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, s3URL) {
				t.Fatalf("resolve %s: %d %q", name, resp.StatusCode, loc)
			}
			if resp, body := rawDo(t, http.MethodGet, loc, nil, nil); resp.StatusCode != 200 || !bytes.Equal(body, data) {
				t.Fatalf("presigned GET of %s: %d, %d bytes", name, resp.StatusCode, len(body))
			}
			resp, body := rawDo(t, http.MethodGet, h.URL+servertest.Web(r)+"/resolve/main/"+name, nil,
				map[string]string{"Authorization": "Bearer " + h.Alice, "Range": "bytes=0-0"})
			if resp.StatusCode != http.StatusPartialContent || len(body) != 1 || resp.Header.Get("X-Linked-Etag") == "" {
				t.Fatalf("probe of %s: %d %v", name, resp.StatusCode, resp.Header)
			}
		}
		if got := h.Download(t, h.Alice, r, "main", "big.bin"); !bytes.Equal(got, big) {
			t.Fatal("download through the redirect")
		}
	})
}

// TestS3Xet: xorbs pass through the server into the bucket, and
// reconstructions point at presigned, range-bound GETs of it.
func TestS3Xet(t *testing.T) {
	runS3(t, func(t *testing.T, h *servertest.Hub, s3URL string) {
		r := "alice/xets3"
		h.CreateRepo(t, h.Alice, r, false)
		u := buildXet(t, randomBytes(23, 1_500_000), 8, xorb.SchemeAuto)
		u.send(t, h, getXetToken(t, h, h.Alice, r, "write", "main"))
		commit := h.Commit(t, h.Alice, r, "main", servertest.LFSFile("w.bin", u.sha256, int64(len(u.data))))
		rtok := getXetToken(t, h, h.Alice, r, "read", commit)
		rec := reconstruct(t, h, rtok, u.file, "")
		for x, fs := range rec.Xorbs {
			for _, f := range fs {
				if !strings.HasPrefix(f.URL, s3URL) {
					t.Fatalf("xorb %s fetch URL %q is not the bucket's", x, f.URL)
				}
				if pu, _ := url.Parse(f.URL); !strings.Contains(pu.Query().Get("X-Amz-SignedHeaders"), "range") {
					t.Fatalf("fetch URL does not bind its range: %s", f.URL)
				}
			}
		}
		if got := fetchPlan(t, h, rec, len(u.data)); !bytes.Equal(got, u.data) {
			t.Fatal("reconstruction from the bucket")
		}
		// The bridge reads the xorbs from the bucket too.
		if got := h.Download(t, h.Alice, r, "main", "w.bin"); !bytes.Equal(got, u.data) {
			t.Fatal("bridge download from the bucket")
		}
	})
}

// TestS3ResumeAfterBackendUploadGone: asking again for an upload whose S3
// multipart upload was completed or dropped behind the session (a
// completion cut short by a cancelled client) gives part URLs that work.
func TestS3ResumeAfterBackendUploadGone(t *testing.T) {
	endpoint := s3test.Start(t)
	client, err := s3.NewClient(t.Context(), s3.Config{Endpoint: endpoint, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	servertest.RunWith(t, servertest.Options{Backend: func(t testing.TB) blob.Backend {
		return s3test.Bucket(t, endpoint, 5<<20)
	}}, func(t *testing.T, h *servertest.Hub) {
		r := "alice/resume"
		h.CreateRepo(t, h.Alice, r, false)
		data := randomBytes(31, 6<<20)
		ask := func() (string, map[string]string) {
			var a batchAnswer
			resp := h.Do(t, http.MethodPost, servertest.Web(r)+".git/info/lfs/objects/batch", h.Alice, map[string]any{
				"operation": "upload", "transfers": []string{"basic", "multipart"},
				"objects": []map[string]any{{"oid": servertest.SHA256(data), "size": len(data)}},
			}, "X-Wharf-Resume", "1")
			if resp.StatusCode != http.StatusOK || json.Unmarshal(servertest.Body(resp), &a) != nil {
				t.Fatalf("batch: %d %s", resp.StatusCode, servertest.Body(resp))
			}
			up := a.Objects[0].Actions["upload"]
			return up.Href, up.Header
		}
		_, first := ask()
		// The backend upload disappears behind the session.
		u, err := url.Parse(first["00001"])
		if err != nil {
			t.Fatal(err)
		}
		// Path-style part URL: /BUCKET/KEY.
		bucket, key, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
		if _, err := client.AbortMultipartUpload(t.Context(), &awss3.AbortMultipartUploadInput{
			Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(u.Query().Get("uploadId"))}); err != nil {
			t.Fatal(err)
		}
		complete, hdr := ask()
		chunk, err := strconv.Atoi(hdr["chunk_size"])
		if err != nil {
			t.Fatalf("chunk_size %q", hdr["chunk_size"])
		}
		var parts []map[string]any
		for n, off := 1, 0; off < len(data); n, off = n+1, off+chunk {
			resp, body := rawDo(t, http.MethodPut, hdr[fmt.Sprintf("%05d", n)], data[off:min(off+chunk, len(data))], nil)
			if resp.StatusCode != 200 {
				t.Fatalf("part %d after the backend upload was dropped: %d %s", n, resp.StatusCode, body)
			}
			parts = append(parts, map[string]any{"partNumber": n, "etag": resp.Header.Get("ETag")})
		}
		resp := h.Do(t, http.MethodPost, complete, "", map[string]any{"oid": servertest.SHA256(data), "parts": parts})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("completion: %d %s", resp.StatusCode, servertest.Body(resp))
		}
		h.Commit(t, h.Alice, r, "main", servertest.LFSFile("w.bin", servertest.SHA256(data), int64(len(data))))
		if got := h.Download(t, h.Alice, r, "main", "w.bin"); !bytes.Equal(got, data) {
			t.Fatal("download after the resumed upload")
		}
	})
}
