package server_test

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/server/servertest"
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
