package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/xetcas"
	"github.com/wharfhub/wharf/xet"
	"github.com/wharfhub/wharf/xet/chunk"
	"github.com/wharfhub/wharf/xet/shard"
	"github.com/wharfhub/wharf/xet/xorb"
)

// TestXetCutUpload: a xorb upload whose connection dies halfway stores
// nothing; the same xorb then uploads normally.
func TestXetCutUpload(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		r := "alice/cut"
		h.CreateRepo(t, h.Alice, r, false)
		u := buildXet(t, randomBytes(11, 600_000), 1000, xorb.SchemeNone)
		tok := getXetToken(t, h, h.Alice, r, "write", "main")
		addr := strings.TrimPrefix(h.URL, "http://")
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		body := u.bodies[0]
		fmt.Fprintf(conn, "POST /api/cas/v1/xorbs/default/%s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n",
			u.xorbs[0], addr, tok.AccessToken, len(body))
		conn.Write(body[:len(body)/2])
		time.Sleep(50 * time.Millisecond)
		conn.Close()
		// The handler sees the cut and aborts; give it time to misbehave,
		// then nothing may be visible.
		time.Sleep(time.Second)
		if n := countRows(t, h, "xet_xorbs"); n != 0 {
			t.Fatalf("%d xorb rows after a cut upload", n)
		}
		if n := countBlobs(t, h); n != 0 {
			t.Fatalf("%d blobs after a cut upload", n)
		}
		u.send(t, h, tok)
		h.Commit(t, h.Alice, r, "main", servertest.LFSFile("f.bin", u.sha256, int64(len(u.data))))
		if got := h.Download(t, h.Alice, r, "main", "f.bin"); !bytes.Equal(got, u.data) {
			t.Fatal("download after a cut upload and a retry")
		}
	})
}

// TestXetRacingUploads: writers racing with the same xorbs and shard all
// succeed and leave one copy; a racing commit sees the file.
func TestXetRacingUploads(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		r := "alice/race"
		h.CreateRepo(t, h.Alice, r, false)
		u := buildXet(t, randomBytes(12, 700_000), 3, xorb.SchemeLZ4)
		tok := getXetToken(t, h, h.Alice, r, "write", "main")
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				u.send(t, h, tok)
			}()
		}
		wg.Wait()
		if n, want := countRows(t, h, "xet_xorbs"), len(u.xorbs); n != want {
			t.Fatalf("%d xorb rows, want %d", n, want)
		}
		if n := countRows(t, h, "xet_files"); n != 1 {
			t.Fatalf("%d file rows, want 1", n)
		}
		h.Commit(t, h.Alice, r, "main", servertest.LFSFile("f.bin", u.sha256, int64(len(u.data))))
		if got := h.Download(t, h.Alice, r, "main", "f.bin"); !bytes.Equal(got, u.data) {
			t.Fatal("download after racing uploads")
		}
	})
}

// TestXetDuplicate: lfs-files/duplicate copies Xet content to a repo the
// caller can write, by reference; content the source lacks is reported.
func TestXetDuplicate(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		src, dst := "alice/src", "alice/dst"
		h.CreateRepo(t, h.Alice, src, false)
		h.CreateRepo(t, h.Alice, dst, false)
		u := buildXet(t, randomBytes(13, 300_000), 100, xorb.SchemeNone)
		u.send(t, h, getXetToken(t, h, h.Alice, src, "write", "main"))
		h.Commit(t, h.Alice, src, "main", servertest.LFSFile("a.bin", u.sha256, int64(len(u.data))))
		missing := servertest.SHA256([]byte("not uploaded"))
		var out struct {
			Failed []struct {
				SHA256 string `json:"sha256"`
				Error  string `json:"error"`
			} `json:"failed"`
		}
		body := map[string]any{"target": map[string]string{"type": "model", "name": dst}, "files": []map[string]string{
			{"xetHash": u.file.String(), "sha256": u.sha256, "filename": "a.bin"},
			{"sha256": missing, "filename": "b.bin"},
		}}
		// bob cannot write alice's repo.
		resp := h.Do(t, http.MethodPost, servertest.API(src)+"/lfs-files/duplicate", h.Bob, body)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("bob duplicates into alice's repo: %d %s", resp.StatusCode, servertest.Body(resp))
		}
		h.JSON(t, http.MethodPost, servertest.API(src)+"/lfs-files/duplicate", h.Alice, body, http.StatusOK, &out)
		if len(out.Failed) != 1 || out.Failed[0].SHA256 != missing {
			t.Fatalf("failed: %+v, want only %s", out.Failed, missing)
		}
		h.Commit(t, h.Alice, dst, "main", servertest.LFSFile("copy.bin", u.sha256, int64(len(u.data))))
		if got := h.Download(t, h.Alice, dst, "main", "copy.bin"); !bytes.Equal(got, u.data) {
			t.Fatal("download of the duplicated file")
		}
		var tree []map[string]any
		h.JSON(t, http.MethodGet, servertest.API(dst)+"/tree/main", h.Alice, nil, 200, &tree)
		found := false
		for _, e := range tree {
			found = found || (e["path"] == "copy.bin" && e["xetHash"] == u.file.String())
		}
		if !found {
			t.Fatalf("tree of the target: %v", tree)
		}
	})
}

// TestXetChainedSHA256: xorbs sent with the chain header (the previous
// xorb of the file) are hashed as they arrive, and the shard takes the
// file's sha256 from the chain; wrong hints only cost a read back, and a
// shard's wrong sha256 is refused either way.
func TestXetChainedSHA256(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/chain", false)
		tok := getXetToken(t, h, h.Alice, "alice/chain", "write", "main")
		// sendChained sends the xorbs of u in order (or in the order of
		// the indexes given), each with its hint in prevs.
		sendChained := func(u *xetUpload, prevs []string, order ...int) {
			t.Helper()
			if order == nil {
				for i := range u.xorbs {
					order = append(order, i)
				}
			}
			for _, i := range order {
				x := u.xorbs[i]
				req, _ := http.NewRequest(http.MethodPost, tok.CasURL+"/v1/xorbs/default/"+x.String(), bytes.NewReader(u.bodies[i]))
				req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
				if prevs[i] != "" {
					req.Header.Set(xetcas.ChainHeader, prevs[i])
				}
				resp, err := h.Client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("xorb %d: %d", i, resp.StatusCode)
				}
			}
		}
		postShard := func(sh *shard.Shard) *http.Response {
			return h.Do(t, http.MethodPost, tok.CasURL+"/v1/shards", tok.AccessToken, servertest.Raw{Data: sh.AppendUpload(nil)})
		}
		sources := func() (int64, int64) { return h.Srv.Xet().SHA256Sources() }
		// register posts u's shard and commits its file as path; the
		// sha256 of the new files so far came from a chain wantChain
		// times and was read back wantReadBack times.
		register := func(u *xetUpload, path string, wantChain, wantReadBack int64) {
			t.Helper()
			if resp := postShard(u.shard); resp.StatusCode != http.StatusOK {
				t.Fatalf("shard: %d %s", resp.StatusCode, servertest.Body(resp))
			}
			if chain, readBack := sources(); chain != wantChain || readBack != wantReadBack {
				t.Fatalf("sha256 from chain %d, read back %d; want %d and %d", chain, readBack, wantChain, wantReadBack)
			}
			h.Commit(t, h.Alice, "alice/chain", "main", servertest.LFSFile(path, u.sha256, int64(len(u.data))))
		}

		// A file of three xorbs, chained in order.
		u := buildXet(t, randomBytes(41, 3<<20), 16, xorb.SchemeNone)
		if len(u.xorbs) < 3 {
			t.Fatalf("%d xorbs, want 3 or more", len(u.xorbs))
		}
		prevs := []string{xetcas.ChainStart}
		for _, x := range u.xorbs[:len(u.xorbs)-1] {
			prevs = append(prevs, x.String())
		}
		// A first attempt at the first xorb is cut short (refused): its
		// claim on the chain goes, and the retry below takes it.
		req, _ := http.NewRequest(http.MethodPost, tok.CasURL+"/v1/xorbs/default/"+u.xorbs[0].String(), bytes.NewReader(u.bodies[0][:len(u.bodies[0])/2]))
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set(xetcas.ChainHeader, xetcas.ChainStart)
		resp, err := h.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("truncated xorb: %d", resp.StatusCode)
		}
		// The shard first claims a wrong sha256: refused, chain or not.
		good := u.shard.Files[0].SHA256
		u.shard.Files[0].SHA256[0] ^= 1
		sendChained(u, prevs)
		if resp := postShard(u.shard); resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(servertest.Body(resp)), "sha256") {
			t.Fatalf("shard with a wrong sha256: %d", resp.StatusCode)
		}
		u.shard.Files[0].SHA256 = good
		if resp := postShard(u.shard); resp.StatusCode != http.StatusOK {
			t.Fatalf("shard: %d %s", resp.StatusCode, servertest.Body(resp))
		}
		// Both shards (the refused one too) took the sha256 from the chain.
		if chain, readBack := sources(); chain != 2 || readBack != 0 {
			t.Fatalf("sha256 from chain %d, read back %d; want 2 and 0", chain, readBack)
		}
		h.Commit(t, h.Alice, "alice/chain", "main", servertest.LFSFile("a.bin", u.sha256, int64(len(u.data))))
		if got := servertest.Body(h.Do(t, http.MethodGet, h.URL+servertest.Web("alice/chain")+"/resolve/main/a.bin", h.Alice, nil)); !bytes.Equal(got, u.data) {
			t.Fatalf("download: %d bytes differ from the %d uploaded", len(got), len(u.data))
		}

		// Hints in the wrong order (the second xorb, sent first, starts
		// the chain): the shard reads the file back.
		v := buildXet(t, randomBytes(42, 3<<20), 16, xorb.SchemeNone)
		wrong := []string{v.xorbs[1].String(), xetcas.ChainStart}
		order := []int{1, 0}
		for i := range v.xorbs[2:] {
			wrong = append(wrong, "not-a-hash")
			order = append(order, i+2)
		}
		sendChained(v, wrong, order...)
		register(v, "b.bin", 2, 1)

		// Xorbs stored already (sent without hints, then again with
		// them) are read back and hashed in the background.
		w := buildXet(t, randomBytes(43, 3<<20), 16, xorb.SchemeNone)
		noHints := make([]string, len(w.xorbs))
		hints := []string{xetcas.ChainStart}
		for i, x := range w.xorbs {
			noHints[i] = ""
			if i < len(w.xorbs)-1 {
				hints = append(hints, x.String())
			}
		}
		sendChained(w, noHints)
		sendChained(w, hints)
		register(w, "c.bin", 3, 1)

		// Xorbs arriving before their predecessors (the last first): the
		// first ones wait in memory to be hashed, those beyond the
		// memory's room are read back once stored; the chain still
		// gives the right sha256 (the shard's, checked).
		z := buildXet(t, randomBytes(44, 3<<20), 3, xorb.SchemeNone)
		if len(z.xorbs) < 12 {
			t.Fatalf("%d xorbs, want 12 or more", len(z.xorbs))
		}
		zPrevs := []string{xetcas.ChainStart}
		var reverse []int
		for i, x := range z.xorbs {
			if i < len(z.xorbs)-1 {
				zPrevs = append(zPrevs, x.String())
			}
			reverse = append([]int{i}, reverse...)
		}
		sendChained(z, zPrevs, reverse...)
		register(z, "d.bin", 4, 1)
		if got := h.Download(t, h.Alice, "alice/chain", "main", "d.bin"); !bytes.Equal(got, z.data) {
			t.Fatal("download of the file chained in reverse")
		}
	})
}

// TestXetXorbFraming: a xorb of unknown length (chunked) is stored as one
// with a Content-Length; a body past the size limit is refused whatever its
// framing, and leaves nothing behind.
func TestXetXorbFraming(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/framing", false)
		tok := getXetToken(t, h, h.Alice, "alice/framing", "write", "main")
		post := func(x xet.Hash, body io.Reader) (int, string) {
			t.Helper()
			req, _ := http.NewRequest(http.MethodPost, tok.CasURL+"/v1/xorbs/default/"+x.String(), body)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			resp, err := h.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			return resp.StatusCode, string(servertest.Body(resp))
		}
		u := buildXet(t, randomBytes(61, 2<<20), 1000, xorb.SchemeNone)
		// io.MultiReader hides the length: the request is chunked.
		if code, msg := post(u.xorbs[0], io.MultiReader(bytes.NewReader(u.bodies[0]))); code != http.StatusOK {
			t.Fatalf("chunked xorb: %d %s", code, msg)
		}
		if resp := h.Do(t, http.MethodPost, tok.CasURL+"/v1/shards", tok.AccessToken, servertest.Raw{Data: u.shard.AppendUpload(nil)}); resp.StatusCode != http.StatusOK {
			t.Fatalf("shard: %d %s", resp.StatusCode, servertest.Body(resp))
		}
		h.Commit(t, h.Alice, "alice/framing", "main", servertest.LFSFile("a.bin", u.sha256, int64(len(u.data))))
		if got := h.Download(t, h.Alice, "alice/framing", "main", "a.bin"); !bytes.Equal(got, u.data) {
			t.Fatal("download of the file sent in a chunked xorb")
		}

		// A valid xorb followed by more bytes than the limit allows.
		big := buildXet(t, randomBytes(62, 1<<20), 1000, xorb.SchemeNone)
		over := io.MultiReader(bytes.NewReader(big.bodies[0]), bytes.NewReader(make([]byte, xorb.MaxSerialized)))
		if code, msg := post(big.xorbs[0], over); code != http.StatusBadRequest || !strings.Contains(msg, "larger than") {
			t.Fatalf("oversized chunked xorb: %d %s", code, msg)
		}
		if resp := h.Do(t, http.MethodHead, tok.CasURL+"/v1/xorbs/default/"+big.xorbs[0].String(), tok.AccessToken, nil); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("HEAD of the refused xorb: %d", resp.StatusCode)
		}
	})
}

// TestXetReadBack: the sha256 of a file a stock client registers is read
// back from its xorbs: a xorb larger than one read (several pieces), and a
// file made of chunk ranges from the middle of xorbs (pieces that start
// past a xorb's first chunk) come back with the right bytes, and a shard
// that lies about such a file's sha256 is refused.
func TestXetReadBack(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		r := "alice/readback"
		h.CreateRepo(t, h.Alice, r, false)
		// 22 MiB in one xorb (more than one 16 MiB read), part of it
		// compressible.
		data := append(randomBytes(21, 18<<20), bytes.Repeat([]byte("read back "), 400<<10)...)
		u := buildXet(t, data, 1<<20, xorb.SchemeAuto)
		if len(u.xorbs) != 1 || len(u.bodies[0]) <= 17<<20 {
			t.Fatalf("%d xorbs, the first of %d bytes: want one of more than 17 MiB", len(u.xorbs), len(u.bodies[0]))
		}
		tok := getXetToken(t, h, h.Alice, r, "write", "main")
		u.send(t, h, tok) // its sha256 is checked against the bytes read back
		_, readBack := h.Srv.Xet().SHA256Sources()

		// A file of two ranges of that xorb, the later one first.
		ends := chunk.Boundaries(data)
		starts := append([]int{0}, ends[:len(ends)-1]...)
		n := len(ends)
		ranges := [][2]int{{n / 2, n - 3}, {2, n/2 - 1}}
		var content []byte
		var leaves []xet.Leaf
		var terms []shard.Term
		for _, rg := range ranges {
			content = append(content, data[starts[rg[0]]:ends[rg[1]-1]]...)
			for c := rg[0]; c < rg[1]; c++ {
				leaves = append(leaves, xet.Leaf{Hash: u.chunks[c], Size: uint64(ends[c] - starts[c])})
			}
			terms = append(terms, shard.Term{Xorb: u.xorbs[0], Start: uint32(rg[0]), End: uint32(rg[1]),
				UnpackedBytes: uint32(ends[rg[1]-1] - starts[rg[0]]), RangeHash: xet.RangeHash(u.chunks[rg[0]:rg[1]])})
		}
		sum := sha256.Sum256(content)
		file := shard.File{Hash: xet.FileHash(leaves), Terms: terms, Verified: true, HasSHA256: true, SHA256: sum}
		lying := file
		lying.SHA256[5] ^= 1
		sh := &shard.Shard{Files: []shard.File{lying}}
		servertest.ExpectError(t, h.Do(t, http.MethodPost, tok.CasURL+"/v1/shards", tok.AccessToken, servertest.Raw{Data: sh.AppendUpload(nil)}), 400, "", "sha256")
		sh.Files[0] = file
		resp := h.Do(t, http.MethodPost, tok.CasURL+"/v1/shards", tok.AccessToken, servertest.Raw{Data: sh.AppendUpload(nil)})
		var out xet.UploadShardResponse
		if err := json.Unmarshal(servertest.Body(resp), &out); resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("shard of the ranges: %d %v", resp.StatusCode, err)
		}
		// The sha256 the server computed comes back (a Wharf extension).
		if got := out.FileSHA256[file.Hash.String()]; out.Result != 1 || got != hex.EncodeToString(sum[:]) || resp.Header.Get(xet.FeaturesHeader) != xet.FeatureFileSHA256 {
			t.Fatalf("shard answer %+v, features %q: want result 1 and sha256 %x for %s", out, resp.Header.Get(xet.FeaturesHeader), sum, file.Hash)
		}
		if _, after := h.Srv.Xet().SHA256Sources(); after-readBack != 2 {
			t.Fatalf("%d files read back, want 2 (the lie and the truth)", after-readBack)
		}
		h.Commit(t, h.Alice, r, "main", servertest.LFSFile("whole.bin", u.sha256, int64(len(data))),
			servertest.LFSFile("ranges.bin", hex.EncodeToString(sum[:]), int64(len(content))))
		if got := h.Download(t, h.Alice, r, "main", "ranges.bin"); !bytes.Equal(got, content) {
			t.Fatalf("ranges.bin: %d bytes downloaded, want the %d registered", len(got), len(content))
		}
		if got := h.Download(t, h.Alice, r, "main", "whole.bin"); !bytes.Equal(got, data) {
			t.Fatalf("whole.bin: %d bytes downloaded, want %d", len(got), len(data))
		}

		// The xorb's blob lost (a damaged disk): a new file of it cannot
		// be read back, and is not registered.
		var oid string
		if err := h.DB.QueryRowContext(t.Context(), `SELECT blob_oid FROM xet_xorbs WHERE hash = $1`, u.xorbs[0].String()).Scan(&oid); err != nil {
			t.Fatal(err)
		}
		if err := h.Blobs.Delete(t.Context(), oid); err != nil {
			t.Fatal(err)
		}
		file.Terms = file.Terms[:1]
		file.Hash = xet.FileHash(leaves[:ranges[0][1]-ranges[0][0]])
		file.HasSHA256 = false
		sh.Files[0] = file
		if resp := h.Do(t, http.MethodPost, tok.CasURL+"/v1/shards", tok.AccessToken, servertest.Raw{Data: sh.AppendUpload(nil)}); resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("shard of a file whose xorb is gone: %d %s, want 500", resp.StatusCode, servertest.Body(resp))
		}
		if resp := h.Do(t, http.MethodHead, tok.CasURL+"/v1/files/"+file.Hash.String(), tok.AccessToken, nil); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("HEAD of the file that could not be read back: %d, want 404", resp.StatusCode)
		}
	})
}
