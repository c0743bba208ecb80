package wire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseBatchRequest(t *testing.T) {
	obj := `{"oid":"` + testOID + `","size":7}`
	cases := []struct {
		name      string
		body      string
		wantErr   string // "" for success; matches ErrInvalid
		op        string
		transfers []string
		ref       string
	}{
		{name: "python",
			body: `{"operation":"upload","transfers":["basic","multipart"],"objects":[` + obj + `],"hash_algo":"sha256","ref":{"name":"main"}}`,
			op:   "upload", transfers: []string{"basic", "multipart"}, ref: "main"},
		{name: "python 1.x with xet",
			body: `{"operation":"upload","transfers":["basic","multipart","xet"],"objects":[` + obj + `],"hash_algo":"sha256","ref":{"name":"refs/pr/3"}}`,
			op:   "upload", transfers: []string{"basic", "multipart", "xet"}, ref: "refs/pr/3"},
		{name: "python create_pr without ref",
			body: `{"operation":"upload","transfers":["basic","multipart"],"objects":[` + obj + `],"hash_algo":"sha256"}`,
			op:   "upload", transfers: []string{"basic", "multipart"}},
		{name: "js",
			body: `{"operation":"upload","transfers":["basic","multipart","xet"],"hash_algo":"sha_256","objects":[` + obj + `]}`,
			op:   "upload", transfers: []string{"basic", "multipart", "xet"}},
		{name: "git-lfs",
			body: `{"operation":"upload","objects":[` + obj + `],"transfers":["lfs-standalone-file","basic","ssh"],"ref":{"name":"refs/heads/main"},"hash_algo":"sha256"}`,
			op:   "upload", transfers: []string{"lfs-standalone-file", "basic", "ssh"}, ref: "main"},
		{name: "git-lfs download",
			body: `{"operation":"download","objects":[` + obj + `],"transfers":["basic"],"ref":{"name":"refs/heads/main"}}`,
			op:   "download", transfers: []string{"basic"}, ref: "main"},
		{name: "quoted ref", body: `{"operation":"upload","objects":[],"ref":{"name":"\"main\""}}`, op: "upload", ref: "main"},
		{name: "no objects", body: `{"operation":"upload"}`, op: "upload"},
		{name: "unknown fields", body: `{"operation":"upload","objects":[],"future":{"x":1}}`, op: "upload"},
		// A bad object is a per-object error later, not a failed request.
		{name: "bad oid accepted", body: `{"operation":"upload","objects":[{"oid":"xyz","size":-1}]}`, op: "upload"},
		{name: "HASH_ALGO spelling", body: `{"operation":"upload","objects":[],"hash_algo":"SHA_256"}`, op: "upload"},

		{name: "unknown operation", body: `{"operation":"delete","objects":[]}`, wantErr: "operation must be upload or download"},
		{name: "missing operation", body: `{"objects":[]}`, wantErr: "operation must be upload or download"},
		{name: "operation case", body: `{"operation":"Upload","objects":[]}`, wantErr: "operation must be upload or download"},
		{name: "md5", body: `{"operation":"upload","objects":[],"hash_algo":"md5"}`, wantErr: "unsupported hash_algo"},
		{name: "not json", body: `operation=upload`, wantErr: "invalid batch request"},
		{name: "empty", body: ``, wantErr: "invalid batch request"},
		{name: "objects not a list", body: `{"operation":"upload","objects":{}}`, wantErr: "invalid batch request"},
		{name: "size not an integer", body: `{"operation":"upload","objects":[{"oid":"` + testOID + `","size":1.5}]}`, wantErr: "invalid batch request"},
		{name: "size a string", body: `{"operation":"upload","objects":[{"oid":"` + testOID + `","size":"7"}]}`, wantErr: "invalid batch request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := ParseBatchRequest(strings.NewReader(tc.body))
			checkErr(t, err, tc.wantErr)
			if err != nil {
				return
			}
			if req.Operation != tc.op {
				t.Errorf("operation %q, want %q", req.Operation, tc.op)
			}
			if fmt.Sprint(req.Transfers) != fmt.Sprint(tc.transfers) {
				t.Errorf("transfers %q, want %q", req.Transfers, tc.transfers)
			}
			if got := req.RefName(); got != tc.ref {
				t.Errorf("RefName() = %q, want %q", got, tc.ref)
			}
		})
	}
}

func TestParseBatchRequestLimits(t *testing.T) {
	body := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"operation":"upload","transfers":["basic","multipart"],"hash_algo":"sha256","objects":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"oid":"%064x","size":%d}`, i, i)
		}
		b.WriteString(`]}`)
		return b.String()
	}
	for _, n := range []int{256, MaxBatchObjects} {
		req, err := ParseBatchRequest(strings.NewReader(body(n)))
		if err != nil {
			t.Fatalf("%d objects: %v", n, err)
		}
		if len(req.Objects) != n {
			t.Fatalf("%d objects parsed, want %d", len(req.Objects), n)
		}
	}
	_, err := ParseBatchRequest(strings.NewReader(body(MaxBatchObjects + 1)))
	if !errors.Is(err, ErrTooLarge) || errors.Is(err, ErrInvalid) {
		t.Fatalf("%d objects: error %v, want ErrTooLarge", MaxBatchObjects+1, err)
	}

	// A body cut by http.MaxBytesReader is "too large", not "invalid".
	rec := httptest.NewRecorder()
	_, err = ParseBatchRequest(http.MaxBytesReader(rec, io.NopCloser(strings.NewReader(body(256))), 1000))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("body over the byte limit: error %v, want ErrTooLarge", err)
	}
}

func TestBatchRequestOffersTransfer(t *testing.T) {
	cases := []struct {
		transfers []string
		t         string
		want      bool
	}{
		{nil, "basic", true}, // the Git LFS default
		{nil, "multipart", false},
		{[]string{"basic", "multipart"}, "multipart", true},
		{[]string{"lfs-standalone-file", "basic", "ssh"}, "multipart", false},
		{[]string{"lfs-standalone-file", "basic", "ssh"}, "basic", true},
		{[]string{"multipart"}, "basic", false},
		{[]string{"Multipart"}, "multipart", false},
	}
	for _, tc := range cases {
		r := &BatchRequest{Transfers: tc.transfers}
		if got := r.OffersTransfer(tc.t); got != tc.want {
			t.Errorf("transfers %q: OffersTransfer(%q) = %v, want %v", tc.transfers, tc.t, got, tc.want)
		}
	}
}

// FuzzParseBatchRequest checks that no body makes the parser panic, that
// every error is ErrInvalid or ErrTooLarge, and that an accepted request is
// an upload or a download within the object limit. Seeds are in
// testdata/fuzz/FuzzParseBatchRequest (the bodies of the three clients).
func FuzzParseBatchRequest(f *testing.F) {
	f.Add([]byte(`{"operation":"upload","transfers":["basic","multipart"],"objects":[{"oid":"` + testOID + `","size":1}],"hash_algo":"sha256","ref":{"name":"main"}}`))
	f.Add([]byte(`{"operation":"download","objects":[{"oid":"` + testOID + `","size":1,"actions":{"download":{"href":"x","header":{"a":"b"}}}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := ParseBatchRequest(bytes.NewReader(body))
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %q (%T) matches neither ErrInvalid nor ErrTooLarge", err, err)
			}
			if req != nil {
				t.Fatalf("request %#v returned with error %v", req, err)
			}
			return
		}
		if req.Operation != "upload" && req.Operation != "download" {
			t.Fatalf("accepted operation %q", req.Operation)
		}
		if len(req.Objects) > MaxBatchObjects {
			t.Fatalf("accepted %d objects", len(req.Objects))
		}
		// These must not panic whatever was accepted.
		req.RefName()
		req.OffersTransfer("multipart")
		for _, o := range req.Objects {
			ParseOID(o.OID)
		}
	})
}
