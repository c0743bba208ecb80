package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/xet"
	"github.com/wharfhub/wharf/xet/chunk"
	"github.com/wharfhub/wharf/xet/shard"
	"github.com/wharfhub/wharf/xet/xorb"
)

// xetUpload is what a Xet client sends for one file: its xorbs (hash and
// body), and the shard that registers the file.
type xetUpload struct {
	data   []byte
	sha256 string
	file   xet.Hash
	xorbs  []xet.Hash
	bodies [][]byte
	shard  *shard.Shard
	chunks []xet.Hash // the file's chunk hashes in order
}

// buildXet chunks data and packs it into xorbs of at most maxChunks chunks
// (small values make several xorbs out of little data), with scheme.
func buildXet(t testing.TB, data []byte, maxChunks int, scheme uint8) *xetUpload {
	t.Helper()
	u := &xetUpload{data: data}
	sum := sha256.Sum256(data)
	u.sha256 = hex.EncodeToString(sum[:])
	var leaves []xet.Leaf
	b := xorb.NewBuilder(scheme)
	var terms []shard.Term
	var xorbs []shard.Xorb
	flush := func() {
		if b.Len() == 0 {
			return
		}
		h := b.Hash()
		var chunkHashes []xet.Hash
		sx := shard.Xorb{Hash: h, RawBytes: uint32(b.RawBytes())}
		for _, c := range b.Chunks() {
			chunkHashes = append(chunkHashes, c.Hash)
			sx.Chunks = append(sx.Chunks, shard.XorbChunk{Hash: c.Hash, Offset: uint32(c.RawOffset), Size: c.RawLen})
		}
		xorbs = append(xorbs, sx)
		terms = append(terms, shard.Term{Xorb: h, UnpackedBytes: uint32(b.RawBytes()), Start: 0, End: uint32(b.Len()), RangeHash: xet.RangeHash(chunkHashes)})
		u.xorbs = append(u.xorbs, h)
		u.bodies = append(u.bodies, append([]byte(nil), b.Bytes()...))
		b.Reset()
	}
	start := 0
	for _, end := range chunk.Boundaries(data) {
		c := data[start:end]
		start = end
		h := xet.ChunkHash(c)
		u.chunks = append(u.chunks, h)
		leaves = append(leaves, xet.Leaf{Hash: h, Size: uint64(len(c))})
		if !b.Fits(len(c)) || b.Len() >= maxChunks {
			flush()
		}
		b.Add(h, c)
	}
	flush()
	u.file = xet.FileHash(leaves)
	u.shard = &shard.Shard{
		Files: []shard.File{{Hash: u.file, Terms: terms, Verified: true, HasSHA256: true, SHA256: sum}},
		Xorbs: xorbs,
	}
	return u
}

type xetToken struct {
	AccessToken string `json:"accessToken"`
	Exp         int64  `json:"exp"`
	CasURL      string `json:"casUrl"`
}

func getXetToken(t testing.TB, h *servertest.Hub, token, r, kind, rev string) xetToken {
	t.Helper()
	var tok xetToken
	resp := h.JSON(t, http.MethodGet, servertest.API(r)+"/xet-"+kind+"-token/"+servertest.Rev(rev), token, nil, http.StatusOK, &tok)
	if tok.AccessToken == "" || tok.CasURL != h.URL+"/api/cas" {
		t.Fatalf("xet token: %+v", tok)
	}
	if resp.Header.Get("X-Xet-Access-Token") != tok.AccessToken || resp.Header.Get("X-Xet-Cas-Url") != tok.CasURL ||
		resp.Header.Get("X-Xet-Token-Expiration") != strconv.FormatInt(tok.Exp, 10) {
		t.Fatalf("xet token headers %v do not match the body %+v", resp.Header, tok)
	}
	return tok
}

func (u *xetUpload) send(t testing.TB, h *servertest.Hub, tok xetToken) {
	t.Helper()
	for i, x := range u.xorbs {
		var out struct {
			WasInserted *bool `json:"was_inserted"`
		}
		resp := h.Do(t, http.MethodPost, tok.CasURL+"/v1/xorbs/default/"+x.String(), tok.AccessToken, servertest.Raw{Data: u.bodies[i]})
		if resp.StatusCode != http.StatusOK || json.Unmarshal(servertest.Body(resp), &out) != nil || out.WasInserted == nil {
			t.Fatalf("upload xorb %s: %d %s", x, resp.StatusCode, servertest.Body(resp))
		}
	}
	resp := h.Do(t, http.MethodPost, tok.CasURL+"/v1/shards", tok.AccessToken, servertest.Raw{Data: u.shard.AppendUpload(nil)})
	if resp.StatusCode != http.StatusOK || !bytes.Contains(servertest.Body(resp), []byte(`"result"`)) {
		t.Fatalf("upload shard: %d %s", resp.StatusCode, servertest.Body(resp))
	}
}

func randomBytes(seed int64, n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

// fetchPlan downloads a v2 reconstruction through its signed URLs, as the
// clients do (single ranges, no Authorization), and returns the first n
// bytes after the offset (the length of the range asked for).
func fetchPlan(t testing.TB, h *servertest.Hub, rec *xet.ReconstructionV2, n int) []byte {
	t.Helper()
	var out []byte
	for i, term := range rec.Terms {
		var data []byte
		found := false
		for _, f := range rec.Xorbs[term.Hash] {
			for _, r := range f.Ranges {
				if r.Chunks.Start > term.Range.Start || r.Chunks.End < term.Range.End {
					continue
				}
				resp := h.Do(t, http.MethodGet, f.URL, "", nil, "Range", fmt.Sprintf("bytes=%d-%d", r.Bytes.Start, r.Bytes.End))
				if resp.StatusCode != http.StatusPartialContent {
					t.Fatalf("fetch %s: %d %s", f.URL, resp.StatusCode, servertest.Body(resp))
				}
				rd := xorb.NewReader(bytes.NewReader(servertest.Body(resp)))
				for idx := r.Chunks.Start; idx < r.Chunks.End; idx++ {
					_, raw, _, err := rd.Next()
					if err != nil {
						t.Fatalf("decode fetched chunk %d: %v", idx, err)
					}
					if idx >= term.Range.Start && idx < term.Range.End {
						data = append(data, raw...)
					}
				}
				found = true
				break
			}
			if found {
				break
			}
		}
		if !found {
			t.Fatalf("no fetch range covers term %d %+v", i, term)
		}
		if len(data) != int(term.UnpackedLength) {
			t.Fatalf("term %d: %d bytes, unpacked_length %d", i, len(data), term.UnpackedLength)
		}
		if i == 0 {
			data = data[rec.OffsetIntoFirstRange:]
		}
		out = append(out, data...)
	}
	if len(out) < n {
		t.Fatalf("reconstruction has %d bytes, want %d", len(out), n)
	}
	return out[:n]
}

func reconstruct(t testing.TB, h *servertest.Hub, tok xetToken, file xet.Hash, rng string) *xet.ReconstructionV2 {
	t.Helper()
	hdr := []string{}
	if rng != "" {
		hdr = []string{"Range", rng}
	}
	resp := h.Do(t, http.MethodGet, tok.CasURL+"/v2/reconstructions/"+file.String(), tok.AccessToken, nil, hdr...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("reconstruction %s %s: %d %s", file, rng, resp.StatusCode, servertest.Body(resp))
	}
	var rec xet.ReconstructionV2
	if err := json.Unmarshal(servertest.Body(resp), &rec); err != nil {
		t.Fatal(err)
	}
	return &rec
}

func TestXetUploadCommitDownload(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		r := "alice/xet"
		h.CreateRepo(t, h.Alice, r, true)
		// Random data does not compress: a mix of compressible and random.
		data := append(randomBytes(1, 900_000), bytes.Repeat([]byte("wharf xet "), 80_000)...)
		u := buildXet(t, data, 4, xorb.SchemeAuto)
		if len(u.xorbs) < 3 {
			t.Fatalf("want several xorbs, got %d", len(u.xorbs))
		}
		tok := getXetToken(t, h, h.Alice, r, "write", "main")
		u.send(t, h, tok)
		// The same xorb again is not inserted twice.
		resp := h.Do(t, http.MethodPost, tok.CasURL+"/v1/xorbs/default/"+u.xorbs[0].String(), tok.AccessToken, servertest.Raw{Data: u.bodies[0]})
		if got := string(servertest.Body(resp)); resp.StatusCode != 200 || !strings.Contains(got, `"was_inserted":false`) {
			t.Fatalf("second xorb upload: %d %s", resp.StatusCode, got)
		}
		resp = h.Do(t, http.MethodHead, tok.CasURL+"/v1/xorbs/default/"+u.xorbs[0].String(), tok.AccessToken, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Length") != strconv.Itoa(len(u.bodies[0])) {
			t.Fatalf("HEAD xorb: %d %v", resp.StatusCode, resp.Header)
		}
		// Endpoints current clients do not call, and the older paths.
		unknown := xet.ChunkHash([]byte("no such xorb"))
		if resp := h.Do(t, http.MethodHead, tok.CasURL+"/v1/xorbs/default/"+unknown.String(), tok.AccessToken, nil); resp.StatusCode != 404 {
			t.Fatalf("HEAD of a missing xorb: %d", resp.StatusCode)
		}
		if resp := h.Do(t, http.MethodHead, tok.CasURL+"/xorbs/default/"+u.xorbs[1].String(), tok.AccessToken, nil); resp.StatusCode != 200 {
			t.Fatalf("HEAD of a xorb on the unprefixed path: %d", resp.StatusCode)
		}
		servertest.ExpectError(t, h.Do(t, http.MethodPost, tok.CasURL+"/v1/xorb-grants/default/"+u.xorbs[0].String(), tok.AccessToken, nil), 404, "", "no upload grants")
		if resp := h.Do(t, http.MethodPost, h.URL+"/v1/telemetry", "", servertest.Raw{Data: []byte("{}")}); resp.StatusCode != 200 {
			t.Fatalf("telemetry: %d", resp.StatusCode)
		}
		if resp := h.Do(t, http.MethodHead, tok.CasURL+"/v1/files/"+u.file.String(), tok.AccessToken, nil); resp.StatusCode != 200 || resp.Header.Get("Content-Length") != strconv.Itoa(len(data)) {
			t.Fatalf("HEAD of the file: %d %v", resp.StatusCode, resp.Header)
		}
		servertest.ExpectError(t, h.Do(t, http.MethodGet, tok.CasURL+"/v1/files/"+unknown.String(), tok.AccessToken, nil), 404, "", "not stored")
		// Commit it as an LFS file, by sha256.
		commit := h.Commit(t, h.Alice, r, "main", servertest.LFSFile("w/model.bin", u.sha256, int64(len(data))))
		// Tree and paths-info carry the Xet hash.
		var tree []map[string]any
		h.JSON(t, http.MethodGet, servertest.API(r)+"/tree/main/w", h.Alice, nil, 200, &tree)
		if len(tree) != 1 || tree[0]["xetHash"] != u.file.String() {
			t.Fatalf("tree: %v, want xetHash %s", tree, u.file)
		}
		var info []map[string]any
		h.JSON(t, http.MethodPost, servertest.API(r)+"/paths-info/main", h.Alice, map[string]any{"paths": []string{"w/model.bin"}}, 200, &info)
		if len(info) != 1 || info[0]["xetHash"] != u.file.String() {
			t.Fatalf("paths-info: %v", info)
		}
		// resolve: Xet headers, and the bytes through the bridge.
		resp = h.Do(t, http.MethodHead, servertest.Web(r)+"/resolve/main/w/model.bin", h.Alice, nil)
		link := resp.Header.Get("Link")
		if resp.Header.Get("X-Xet-Hash") != u.file.String() ||
			!strings.Contains(link, "<"+h.URL+"/api/models/"+r+"/xet-read-token/"+commit+`>; rel="xet-auth"`) ||
			!strings.Contains(link, "<"+tok.CasURL+"/v1/reconstructions/"+u.file.String()+`>; rel="xet-reconstruction-info"`) ||
			resp.Header.Get("X-Linked-Size") != strconv.Itoa(len(data)) {
			t.Fatalf("resolve HEAD headers: %v", resp.Header)
		}
		if got := h.Download(t, h.Alice, r, "main", "w/model.bin"); !bytes.Equal(got, data) {
			t.Fatalf("bridge download: %d bytes, want %d (equal: false)", len(got), len(data))
		}
		resp = h.Do(t, http.MethodGet, servertest.Web(r)+"/resolve/main/w/model.bin", h.Alice, nil, "Range", "bytes=131000-700001")
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(servertest.Body(resp), data[131000:700002]) {
			t.Fatalf("bridge range: %d, %d bytes", resp.StatusCode, len(servertest.Body(resp)))
		}
		// huggingface.js asks for file info instead of the bytes.
		resp = h.Do(t, http.MethodGet, servertest.Web(r)+"/resolve/main/w/model.bin", h.Alice, nil,
			"Range", "bytes=0-0", "Accept", "application/vnd.xet-fileinfo+json, */*")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.xet-fileinfo+json" || resp.Header.Get("X-Xet-Hash") != u.file.String() {
			t.Fatalf("fileinfo: %d %v %s", resp.StatusCode, resp.Header, servertest.Body(resp))
		}
		// Reconstruction through the CAS with a read token for the commit.
		rtok := getXetToken(t, h, h.Alice, r, "read", commit)
		if got := fetchPlan(t, h, reconstruct(t, h, rtok, u.file, ""), len(data)); !bytes.Equal(got, data) {
			t.Fatalf("reconstructed %d bytes, not the file", len(got))
		}
		n := len(data)
		for _, rg := range [][2]int{{0, 0}, {1, 65535}, {70000, 70000}, {131072, 300000}, {n - 10, n - 1}, {5, n + 1000}} {
			rec := reconstruct(t, h, rtok, u.file, fmt.Sprintf("bytes=%d-%d", rg[0], rg[1]))
			want := data[rg[0]:min(rg[1]+1, n)]
			if got := fetchPlan(t, h, rec, len(want)); !bytes.Equal(got, want) {
				t.Fatalf("range %v: %d bytes, want %d", rg, len(got), len(want))
			}
		}
		// hf_xet's "to the end" and v1 answers.
		rec := reconstruct(t, h, rtok, u.file, "bytes=100-18446744073709551614")
		if got := fetchPlan(t, h, rec, n-100); !bytes.Equal(got, data[100:]) {
			t.Fatal("range to 2^64-2")
		}
		var v1 xet.Reconstruction
		h.JSON(t, http.MethodGet, rtok.CasURL+"/v1/reconstructions/"+u.file.String(), rtok.AccessToken, nil, 200, &v1)
		if len(v1.Terms) != len(u.xorbs) || len(v1.FetchInfo) != len(u.xorbs) {
			t.Fatalf("v1 reconstruction: %d terms, %d xorbs", len(v1.Terms), len(v1.FetchInfo))
		}
		resp = h.Do(t, http.MethodGet, rtok.CasURL+"/v1/reconstructions/"+u.file.String(), rtok.AccessToken, nil, "Range", fmt.Sprintf("bytes=%d-%d", n, n+10))
		servertest.ExpectError(t, resp, http.StatusRequestedRangeNotSatisfiable, "", "past the end")
		// git-lfs download through the batch API gets the same bytes.
		var batch struct {
			Objects []struct {
				Actions map[string]struct {
					Href string `json:"href"`
				} `json:"actions"`
			} `json:"objects"`
		}
		h.JSON(t, http.MethodPost, servertest.Web(r)+".git/info/lfs/objects/batch", h.Alice,
			map[string]any{"operation": "download", "objects": []map[string]any{{"oid": u.sha256, "size": n}}}, 200, &batch)
		if got := servertest.Body(h.Do(t, http.MethodGet, batch.Objects[0].Actions["download"].Href, "", nil)); !bytes.Equal(got, data) {
			t.Fatalf("LFS batch download through the bridge: %d bytes", len(got))
		}
		// Global dedup: the file's first chunk is indexed; the answer is a
		// shard whose chunk hashes are keyed.
		resp = h.Do(t, http.MethodGet, tok.CasURL+"/v1/chunks/default/"+u.chunks[0].String(), tok.AccessToken, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("dedup query: %d %s", resp.StatusCode, servertest.Body(resp))
		}
		sh, err := shard.Parse(servertest.Body(resp))
		if err != nil || sh.Footer == nil || sh.Footer.HMACKey.IsZero() || len(sh.Xorbs) != len(u.xorbs) {
			t.Fatalf("dedup shard: %v %+v", err, sh)
		}
		if got, want := sh.Xorbs[0].Chunks[0].Hash, xet.KeyedChunkHash(sh.Footer.HMACKey, u.chunks[0]); got != want || sh.Xorbs[0].Hash != u.xorbs[0] {
			t.Fatalf("dedup shard chunk 0: %s, want keyed %s", got, want)
		}
		resp = h.Do(t, http.MethodGet, tok.CasURL+"/v1/chunks/default/"+u.chunks[1].String(), tok.AccessToken, nil)
		if resp.StatusCode != 404 && !xet.DedupEligible(u.chunks[1]) {
			t.Fatalf("dedup query of a non-indexed chunk: %d", resp.StatusCode)
		}
		// Other users cannot read the private repo's file through the CAS.
		resp = h.Do(t, http.MethodGet, servertest.API(r)+"/xet-read-token/main", h.Bob, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, "RepoNotFound", "Repository not found")
		h.CreateRepo(t, h.Bob, "bob/other", false)
		btok := getXetToken(t, h, h.Bob, "bob/other", "read", "main")
		resp = h.Do(t, http.MethodGet, btok.CasURL+"/v2/reconstructions/"+u.file.String(), btok.AccessToken, nil)
		servertest.ExpectError(t, resp, http.StatusNotFound, "", "not stored in this repository")
		// Neither can bob commit alice's sha256 into his repo.
		resp = h.PostCommit(t, h.Bob, "bob/other", "main", "", servertest.Lines(servertest.Header("steal", ""), servertest.LFSFile("x.bin", u.sha256, int64(n))))
		if resp.StatusCode/100 != 4 {
			t.Fatalf("commit of a sha256 uploaded to another repo: %d %s", resp.StatusCode, servertest.Body(resp))
		}
		// The repo info says Xet is on.
		var ri map[string]any
		h.JSON(t, http.MethodGet, servertest.API(r)+"?expand=xetEnabled", h.Alice, nil, 200, &ri)
		if ri["xetEnabled"] != true {
			t.Fatalf("xetEnabled: %v", ri)
		}
	})
}
