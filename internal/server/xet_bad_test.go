package server_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/xet"
	"github.com/wharfhub/wharf/xet/shard"
	"github.com/wharfhub/wharf/xet/xorb"
)

// countRows counts the rows of a Xet table.
func countRows(t *testing.T, h *servertest.Hub, table string) int {
	t.Helper()
	var n int
	if err := h.DB.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func countBlobs(t *testing.T, h *servertest.Hub) int {
	t.Helper()
	n := 0
	if err := h.Blobs.List(t.Context(), func(string, int64) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestXetBadInput sends malformed and lying xorbs, shards, tokens and
// ranges: each gets a clear 4xx JSON error and stores nothing.
func TestXetBadInput(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		r := "alice/bad"
		h.CreateRepo(t, h.Alice, r, false)
		data := randomBytes(7, 400_000)
		u := buildXet(t, data, 2, xorb.SchemeLZ4)
		tok := getXetToken(t, h, h.Alice, r, "write", "main")
		rtok := getXetToken(t, h, h.Alice, r, "read", "main")
		postXorb := func(tok, hash string, body []byte) *http.Response {
			return h.Do(t, http.MethodPost, h.URL+"/api/cas/v1/xorbs/default/"+hash, tok, servertest.Raw{Data: body})
		}
		x0, b0 := u.xorbs[0].String(), u.bodies[0]
		corrupt := append([]byte(nil), b0...)
		corrupt[len(corrupt)-1] ^= 0xff
		badVersion := append([]byte(nil), b0...)
		badVersion[0] = 3
		badScheme := append([]byte(nil), b0...)
		badScheme[4] = 9
		hugeLen := append([]byte(nil), b0...)
		hugeLen[5], hugeLen[6], hugeLen[7] = 0xff, 0xff, 0x0f // uncompressed length over 128 KiB
		xorbCases := []struct {
			name, token, hash string
			body              []byte
			status            int
			msg               string
		}{
			{"hash of another xorb", tok.AccessToken, u.xorbs[1].String(), b0, 400, "xorb hash mismatch"},
			{"corrupt payload", tok.AccessToken, x0, corrupt, 400, "xorb"},
			{"truncated", tok.AccessToken, x0, b0[:len(b0)/2], 400, "xorb"},
			{"truncated header", tok.AccessToken, x0, b0[:5], 400, "xorb"},
			{"bad version", tok.AccessToken, x0, badVersion, 400, "xorb"},
			{"unknown compression", tok.AccessToken, x0, badScheme, 400, "xorb"},
			{"chunk too long", tok.AccessToken, x0, hugeLen, 400, "xorb"},
			{"empty body", tok.AccessToken, x0, nil, 400, "no chunks"},
			{"not a hash", tok.AccessToken, "abc", b0, 400, "not a Xet hash"},
			{"read token", rtok.AccessToken, x0, b0, 403, "read-only"},
			{"no token", "", x0, b0, 401, "missing CAS access token"},
			{"hub token", h.Alice, x0, b0, 401, "invalid CAS access token"},
			{"forged token", tok.AccessToken[:len(tok.AccessToken)-2] + "AA", x0, b0, 401, "invalid CAS access token"},
		}
		for _, c := range xorbCases {
			resp := postXorb(c.token, c.hash, c.body)
			if resp.StatusCode != c.status || !strings.Contains(string(servertest.Body(resp)), c.msg) ||
				!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("xorb %s: %d %s, want %d with %q", c.name, resp.StatusCode, servertest.Body(resp), c.status, c.msg)
			}
		}
		resp := h.Do(t, http.MethodPost, h.URL+"/api/cas/v1/xorbs/other/"+x0, tok.AccessToken, servertest.Raw{Data: b0})
		servertest.ExpectError(t, resp, 400, "", "unknown prefix")
		if n := countRows(t, h, "xet_xorbs"); n != 0 {
			t.Fatalf("%d xorbs stored after bad uploads", n)
		}
		if n := countBlobs(t, h); n != 0 {
			t.Fatalf("%d blobs stored after bad uploads", n)
		}

		// Shards: upload the xorbs, then lie in the shard.
		for i, x := range u.xorbs {
			if resp := postXorb(tok.AccessToken, x.String(), u.bodies[i]); resp.StatusCode != 200 {
				t.Fatalf("xorb %d: %d %s", i, resp.StatusCode, servertest.Body(resp))
			}
		}
		lie := func(edit func(s *shard.Shard)) []byte {
			s := *u.shard
			s.Files = []shard.File{u.shard.Files[0]}
			s.Files[0].Terms = append([]shard.Term(nil), u.shard.Files[0].Terms...)
			s.Xorbs = append([]shard.Xorb(nil), u.shard.Xorbs...)
			edit(&s)
			return s.AppendUpload(nil)
		}
		unknown := xet.ChunkHash([]byte("never uploaded"))
		good := u.shard.AppendUpload(nil)
		shardCases := []struct {
			name   string
			token  string
			body   []byte
			status int
			msg    string
		}{
			{"garbage", tok.AccessToken, []byte("not a shard at all, but long enough to have a header......"), 400, "shard"},
			{"truncated", tok.AccessToken, good[:len(good)-60], 400, "shard"},
			{"unknown xorb in a term", tok.AccessToken, lie(func(s *shard.Shard) { s.Files[0].Terms[0].Xorb = unknown; s.Xorbs = nil }), 400, "was not uploaded"},
			{"unknown xorb in the CAS section", tok.AccessToken, lie(func(s *shard.Shard) { s.Xorbs[0].Hash = unknown }), 400, "was not uploaded"},
			{"range past the xorb", tok.AccessToken, lie(func(s *shard.Shard) { s.Files[0].Terms[0].End += 5 }), 400, "invalid for xorb"},
			{"wrong unpacked size", tok.AccessToken, lie(func(s *shard.Shard) { s.Files[0].Terms[0].UnpackedBytes++ }), 400, "unpacked bytes"},
			{"wrong verification hash", tok.AccessToken, lie(func(s *shard.Shard) { s.Files[0].Terms[0].RangeHash = unknown }), 400, "verification hash"},
			{"wrong file hash", tok.AccessToken, lie(func(s *shard.Shard) { s.Files[0].Hash = unknown }), 400, "does not produce this hash"},
			{"dropped term", tok.AccessToken, lie(func(s *shard.Shard) { s.Files[0].Terms = s.Files[0].Terms[1:] }), 400, "does not produce this hash"},
			{"lying sha256", tok.AccessToken, lie(func(s *shard.Shard) { s.Files[0].SHA256[0] ^= 1 }), 400, "sha256"},
			{"no verification", tok.AccessToken, lie(func(s *shard.Shard) { s.Files[0].Verified = false }), 400, "verification"},
			{"read token", rtok.AccessToken, good, 403, "read-only"},
		}
		for _, c := range shardCases {
			resp := h.Do(t, http.MethodPost, h.URL+"/api/cas/v1/shards", c.token, servertest.Raw{Data: c.body})
			if resp.StatusCode != c.status || !strings.Contains(string(servertest.Body(resp)), c.msg) {
				t.Errorf("shard %s: %d %s, want %d with %q", c.name, resp.StatusCode, servertest.Body(resp), c.status, c.msg)
			}
		}
		// v2 answers the same failure as an error frame.
		resp = h.Do(t, http.MethodPost, h.URL+"/api/cas/v2/shards", tok.AccessToken, servertest.Raw{Data: lie(func(s *shard.Shard) { s.Files[0].Hash = unknown })})
		lines := strings.Split(strings.TrimSpace(string(servertest.Body(resp))), "\n")
		var last map[string]any
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last["type"] != "error" || last["retryable"] != false ||
			!strings.Contains(last["message"].(string), "does not produce this hash") {
			t.Errorf("v2 shard error: %s", servertest.Body(resp))
		}
		if n := countRows(t, h, "xet_files"); n != 0 {
			t.Fatalf("%d files registered after bad shards", n)
		}
		// An unregistered sha256 cannot be committed.
		resp = h.PostCommit(t, h.Alice, r, "main", "", servertest.Lines(servertest.Header("x", ""), servertest.LFSFile("w.bin", u.sha256, int64(len(data)))))
		if resp.StatusCode/100 != 4 {
			t.Fatalf("commit before the shard: %d %s", resp.StatusCode, servertest.Body(resp))
		}
		// The good shard through v2: progress frames, then the result.
		resp = h.Do(t, http.MethodPost, h.URL+"/api/cas/v2/shards", tok.AccessToken, servertest.Raw{Data: good})
		body := string(servertest.Body(resp))
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" || !strings.HasSuffix(strings.TrimSpace(body), `{"result":1,"type":"result"}`) {
			t.Fatalf("v2 shard: %d %q", resp.StatusCode, body)
		}
		h.Commit(t, h.Alice, r, "main", servertest.LFSFile("w.bin", u.sha256, int64(len(data))))

		// Ranges and signed URLs.
		rec := reconstruct(t, h, rtok, u.file, "")
		f := rec.Xorbs[rec.Terms[0].Hash][0]
		rg := f.Ranges[0].Bytes
		resp = h.Do(t, http.MethodGet, strings.Replace(f.URL, "sig=", "sig=x", 1), "", nil, "Range", "bytes=0-10")
		servertest.ExpectError(t, resp, 403, "", "invalid signature")
		resp = h.Do(t, http.MethodGet, f.URL, "", nil, "Range", "bytes=0-"+strconv.FormatUint(rg.End+1, 10))
		servertest.ExpectError(t, resp, 416, "", "not within the signed range")
		for _, bad := range []string{"bytes=abc", "bytes=10-5", "items=0-1", "bytes=0-1,5-6"} {
			resp = h.Do(t, http.MethodGet, h.URL+"/api/cas/v1/reconstructions/"+u.file.String(), rtok.AccessToken, nil, "Range", bad)
			servertest.ExpectError(t, resp, 416, "", "Range")
		}
		resp = h.Do(t, http.MethodGet, h.URL+"/api/cas/v1/reconstructions/"+unknown.String(), rtok.AccessToken, nil)
		servertest.ExpectError(t, resp, 404, "", "not stored")
		resp = h.Do(t, http.MethodGet, h.URL+"/api/cas/v1/chunks/default/"+unknown.String(), rtok.AccessToken, nil)
		servertest.ExpectError(t, resp, 404, "", "not known")
		// The server still serves.
		if got := h.Download(t, h.Alice, r, "main", "w.bin"); !bytes.Equal(got, data) {
			t.Fatal("download after bad input")
		}
	})
}

// TestXetBatchAndEmpty: an upload batch offering "xet" is answered with the
// xet transfer (token in the headers, write-token URL as href); an empty
// file registers and downloads; expired tokens are refused.
func TestXetBatchAndEmpty(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		r := "alice/batch"
		h.CreateRepo(t, h.Alice, r, false)
		data := randomBytes(3, 50_000)
		u := buildXet(t, data, 100, xorb.SchemeNone)
		var batch struct {
			Transfer string `json:"transfer"`
			Objects  []struct {
				OID     string `json:"oid"`
				Actions map[string]struct {
					Href   string            `json:"href"`
					Header map[string]string `json:"header"`
				} `json:"actions"`
			} `json:"objects"`
		}
		req := map[string]any{"operation": "upload", "transfers": []string{"basic", "multipart", "xet"},
			"ref": map[string]string{"name": "refs/heads/main"}, "objects": []map[string]any{{"oid": u.sha256, "size": len(data)}}}
		h.JSON(t, http.MethodPost, servertest.Web(r)+".git/info/lfs/objects/batch", h.Alice, req, 200, &batch)
		up := batch.Objects[0].Actions["upload"]
		if batch.Transfer != "xet" || up.Href != h.URL+"/api/models/"+r+"/xet-write-token/main" ||
			up.Header["X-Xet-Cas-Url"] != h.URL+"/api/cas" || up.Header["X-Xet-Access-Token"] == "" || up.Header["X-Xet-Session-Id"] == "" {
			t.Fatalf("xet batch answer: %+v", batch)
		}
		tok := xetToken{AccessToken: up.Header["X-Xet-Access-Token"], CasURL: up.Header["X-Xet-Cas-Url"]}
		u.send(t, h, tok)
		// Once registered, the same object needs no upload.
		batch.Objects = nil
		h.JSON(t, http.MethodPost, servertest.Web(r)+".git/info/lfs/objects/batch", h.Alice, req, 200, &batch)
		if len(batch.Objects[0].Actions) != 0 {
			t.Fatalf("registered object still has actions: %+v", batch)
		}
		// A batch without "xet" still gets LFS.
		req["transfers"] = []string{"basic"}
		h.JSON(t, http.MethodPost, servertest.Web(r)+".git/info/lfs/objects/batch", h.Alice, req, 200, &batch)
		if batch.Transfer != "basic" {
			t.Fatalf("basic batch: %+v", batch)
		}
		// An empty file: no terms, zero hash.
		empty := &shard.Shard{Files: []shard.File{{Hash: xet.Hash{}, Verified: true, HasSHA256: true, SHA256: [32]byte(mustHex(t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))}}}
		resp := h.Do(t, http.MethodPost, tok.CasURL+"/v1/shards", tok.AccessToken, servertest.Raw{Data: empty.AppendUpload(nil)})
		if resp.StatusCode != 200 {
			t.Fatalf("empty file shard: %d %s", resp.StatusCode, servertest.Body(resp))
		}
		h.Commit(t, h.Alice, r, "main", servertest.LFSFile("a.bin", u.sha256, int64(len(data))))
		rtok := getXetToken(t, h, h.Alice, r, "read", "main")
		resp = h.Do(t, http.MethodGet, tok.CasURL+"/v2/reconstructions/"+u.file.String(), rtok.AccessToken, nil, "Range", "bytes=0-18446744073709551614")
		if resp.StatusCode != 200 {
			t.Fatalf("reconstruction: %d", resp.StatusCode)
		}
		if got := h.Download(t, "", r, "main", "a.bin"); !bytes.Equal(got, data) {
			t.Fatal("anonymous download of a public Xet file")
		}
		// Tokens of unknown format or for writing with a reader's hub
		// token.
		resp = h.Do(t, http.MethodGet, servertest.API(r)+"/xet-write-token/main", h.Carol, nil)
		if resp.StatusCode != 403 {
			t.Fatalf("carol's write token: %d %s", resp.StatusCode, servertest.Body(resp))
		}
		resp = h.Do(t, http.MethodGet, servertest.API(r)+"/xet-read-token/nope", h.Alice, nil)
		servertest.ExpectError(t, resp, 404, "RevisionNotFound", "")
	})
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
