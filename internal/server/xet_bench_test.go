package server_test

import (
	"crypto/sha256"
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
		rng := rand.New(rand.NewSource(int64(i)))
		xb := xorb.NewBuilder(xorb.SchemeNone)
		var sf []shard.File
		for f := 0; f < files; f++ {
			data := make([]byte, 1024+rng.Intn(9*1024))
			rng.Read(data)
			ch := xet.ChunkHash(data)
			idx := xb.Add(ch, data)
			sum := sha256.Sum256(data)
			sf = append(sf, shard.File{Hash: xet.FileHash([]xet.Leaf{{Hash: ch, Size: uint64(len(data))}}), Verified: true, HasSHA256: true, SHA256: sum,
				Terms: []shard.Term{{UnpackedBytes: uint32(len(data)), Start: uint32(idx), End: uint32(idx + 1), RangeHash: xet.RangeHash([]xet.Hash{ch})}}})
		}
		xh := xb.Hash()
		for f := range sf {
			sf[f].Terms[0].Xorb = xh
		}
		if resp := h.Do(b, http.MethodPost, tok.CasURL+"/v1/xorbs/default/"+xh.String(), tok.AccessToken, servertest.Raw{Data: xb.Bytes()}); resp.StatusCode != 200 {
			b.Fatalf("xorb: %d", resp.StatusCode)
		}
		body := (&shard.Shard{Files: sf}).AppendUpload(nil)
		b.StartTimer()
		resp := h.Do(b, http.MethodPost, tok.CasURL+"/v1/shards", tok.AccessToken, servertest.Raw{Data: body})
		b.StopTimer()
		if resp.StatusCode != 200 {
			b.Fatalf("shard: %d %s", resp.StatusCode, servertest.Body(resp))
		}
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
