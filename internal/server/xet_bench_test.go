package server_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
	"github.com/wharfhub/wharf/xet"
	"github.com/wharfhub/wharf/xet/shard"
	"github.com/wharfhub/wharf/xet/xorb"
)

// manySmallXetFiles builds the xorbs (of at most 5,000 chunks) of n random
// files of 1-10 KiB (seeded) and the shard that registers them, as a
// client uploading a folder of small files sends them; it returns the
// xorbs, the shard and the files' sha256 and sizes.
func manySmallXetFiles(seed int64, n int) (xorbs map[xet.Hash][]byte, shardBytes []byte, sums []string, sizes []int64) {
	rng := rand.New(rand.NewSource(seed))
	xorbs = map[xet.Hash][]byte{}
	var sf []shard.File
	var xb *xorb.Builder
	first := 0
	seal := func() {
		xh := xb.Hash()
		xorbs[xh] = xb.Bytes()
		for f := first; f < len(sf); f++ {
			sf[f].Terms[0].Xorb = xh
		}
		xb, first = nil, len(sf)
	}
	for range n {
		if xb == nil {
			xb = xorb.NewBuilder(xorb.SchemeNone)
		}
		data := make([]byte, 1024+rng.Intn(9*1024))
		rng.Read(data)
		ch := xet.ChunkHash(data)
		idx := xb.Add(ch, data)
		sum := sha256.Sum256(data)
		sums = append(sums, hex.EncodeToString(sum[:]))
		sizes = append(sizes, int64(len(data)))
		sf = append(sf, shard.File{Hash: xet.FileHash([]xet.Leaf{{Hash: ch, Size: uint64(len(data))}}), Verified: true, HasSHA256: true, SHA256: sum,
			Terms: []shard.Term{{UnpackedBytes: uint32(len(data)), Start: uint32(idx), End: uint32(idx + 1), RangeHash: xet.RangeHash([]xet.Hash{ch})}}})
		if idx+1 == 5000 {
			seal()
		}
	}
	if xb != nil {
		seal()
	}
	return xorbs, (&shard.Shard{Files: sf}).AppendUpload(nil), sums, sizes
}

// sendXorbs uploads xorbs with tok.
func sendXorbs(b *testing.B, h *servertest.Hub, tok xetToken, xorbs map[xet.Hash][]byte) {
	for xh, data := range xorbs {
		if resp := h.Do(b, http.MethodPost, tok.CasURL+"/v1/xorbs/default/"+xh.String(), tok.AccessToken, servertest.Raw{Data: data}); resp.StatusCode != 200 {
			b.Fatalf("xorb: %d", resp.StatusCode)
		}
	}
}

// BenchmarkXetShardManyFiles: the registration of a shard of many small
// files packed in one xorb (what an upload of a folder of small files
// sends): per file, the server checks its term and reads it back.
//
//	go test -run '^$' -bench XetShardManyFiles ./internal/server/
func BenchmarkXetShardManyFiles(b *testing.B) {
	const files = 2000
	h := servertest.New(b, sqltest.SQLite)
	h.CreateRepo(b, h.Alice, "alice/many", false)
	tok := getXetToken(b, h, h.Alice, "alice/many", "write", "main")
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		xorbs, body, _, _ := manySmallXetFiles(int64(i), files)
		sendXorbs(b, h, tok, xorbs)
		b.StartTimer()
		resp := h.Do(b, http.MethodPost, tok.CasURL+"/v1/shards", tok.AccessToken, servertest.Raw{Data: body})
		b.StopTimer()
		if resp.StatusCode != 200 {
			b.Fatalf("shard: %d %s", resp.StatusCode, servertest.Body(resp))
		}
	}
	b.ReportMetric(float64(files*b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkCommitManyXetFiles: one commit naming 10,000 small files
// uploaded through Xet (lfsFile lines), in folders of 100.
//
//	go test -run '^$' -bench CommitManyXetFiles ./internal/server/
func BenchmarkCommitManyXetFiles(b *testing.B) {
	const files = 10000
	h := servertest.New(b, sqltest.SQLite)
	h.CreateRepo(b, h.Alice, "alice/many", false)
	tok := getXetToken(b, h, h.Alice, "alice/many", "write", "main")
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		xorbs, body, sums, sizes := manySmallXetFiles(int64(i), files)
		sendXorbs(b, h, tok, xorbs)
		if resp := h.Do(b, http.MethodPost, tok.CasURL+"/v1/shards", tok.AccessToken, servertest.Raw{Data: body}); resp.StatusCode != 200 {
			b.Fatalf("shard: %d %s", resp.StatusCode, servertest.Body(resp))
		}
		ops := make([]servertest.Op, files)
		for f := range ops {
			ops[f] = servertest.LFSFile(fmt.Sprintf("r%d/d%02d/f%05d.bin", i, f%100, f), sums[f], sizes[f])
		}
		b.StartTimer()
		h.Commit(b, h.Alice, "alice/many", "main", ops...)
	}
	b.ReportMetric(float64(files*b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkXetBridge: GET resolve of a file stored only through Xet (the
// bridge: xorbs decoded back into the file's bytes), against reading the
// same bytes from memory.
//
//	go test -run '^$' -bench XetBridge ./internal/server/
func BenchmarkXetBridge(b *testing.B) {
	const size = 256 << 20
	h := servertest.New(b, sqltest.SQLite)
	h.CreateRepo(b, h.Alice, "alice/bridge", false)
	data := randomBytes(99, size)
	u := buildXet(b, data, 8192, xorb.SchemeNone)
	u.send(b, h, getXetToken(b, h, h.Alice, "alice/bridge", "write", "main"))
	h.Commit(b, h.Alice, "alice/bridge", "main", servertest.LFSFile("w.bin", u.sha256, size))
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest(http.MethodGet, h.URL+servertest.Web("alice/bridge")+"/resolve/main/w.bin", nil)
		req.Header.Set("Authorization", "Bearer "+h.Alice)
		resp, err := h.Client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || n != size {
			b.Fatalf("read %d bytes: %v", n, err)
		}
	}
}

// BenchmarkPreupload10k: the preupload calls of an upload of 10,000 small
// binary files (40 calls of 250 files) into a repo with the default
// .gitattributes.
//
//	go test -run '^$' -bench Preupload10k ./internal/server/
func BenchmarkPreupload10k(b *testing.B) {
	const files, per = 10000, 250
	h := servertest.New(b, sqltest.SQLite)
	h.CreateRepo(b, h.Alice, "alice/many", false)
	sample := base64.StdEncoding.EncodeToString([]byte("\x00\x01binary"))
	var bodies [][]byte
	for start := 0; start < files; start += per {
		var fs []map[string]any
		for f := start; f < start+per; f++ {
			fs = append(fs, map[string]any{"path": fmt.Sprintf("d%02d/f%05d.bin", f%100, f), "sample": sample, "size": 5000})
		}
		body, _ := json.Marshal(map[string]any{"files": fs})
		bodies = append(bodies, body)
	}
	b.ResetTimer()
	for range b.N {
		for _, body := range bodies {
			resp := h.Do(b, http.MethodPost, h.URL+servertest.API("alice/many")+"/preupload/main", h.Alice, servertest.Raw{Data: body, ContentType: "application/json"})
			if resp.StatusCode != 200 {
				b.Fatalf("preupload: %d %s", resp.StatusCode, servertest.Body(resp))
			}
		}
	}
	b.ReportMetric(float64(files*b.N)/b.Elapsed().Seconds(), "files/s")
}
