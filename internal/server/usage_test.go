package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wharfhub/wharf/hub"
	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/usage"
)

func usedStorage(t *testing.T, h *servertest.Hub, token, r string) int64 {
	t.Helper()
	var info struct {
		UsedStorage *int64 `json:"usedStorage"`
	}
	h.JSON(t, http.MethodGet, servertest.API(r)+"?expand[]=usedStorage", token, nil, http.StatusOK, &info)
	if info.UsedStorage == nil {
		t.Fatalf("%s: no usedStorage in repo info", r)
	}
	return *info.UsedStorage
}

func content(n int, seed byte) []byte {
	return bytes.Repeat([]byte{seed, seed + 1, seed + 2}, n/3+1)[:n]
}

// TestUsedStorage checks usage as a user sees it: the whole history (an
// overwritten file counts), PR refs, one repo's content counted in each
// repo that uses it, and the namespace and server totals.
func TestUsedStorage(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := context.Background()
		u := usage.New(h.DB, usage.Options{})
		h.CreateRepo(t, h.Alice, "alice/m", false)
		if got := usedStorage(t, h, h.Alice, "alice/m"); got != 0 {
			t.Fatalf("new repo uses %d bytes", got)
		}
		a, b, c := content(30000, 1), content(20000, 7), content(5000, 13)
		oa := h.UploadLFS(t, h.Alice, "alice/m", a)
		h.Commit(t, h.Alice, "alice/m", "main", servertest.LFSFile("w.bin", oa, int64(len(a))))
		ob := h.UploadLFS(t, h.Alice, "alice/m", b)
		h.Commit(t, h.Alice, "alice/m", "main", servertest.LFSFile("w.bin", ob, int64(len(b))))
		if got := usedStorage(t, h, h.Alice, "alice/m"); got != 50000 {
			t.Fatalf("after overwrite: usedStorage %d, want 50000 (both versions are in history)", got)
		}
		// The same content again in another file adds nothing.
		h.Commit(t, h.Alice, "alice/m", "main", servertest.LFSFile("copy.bin", oa, int64(len(a))))
		if got := usedStorage(t, h, h.Alice, "alice/m"); got != 50000 {
			t.Fatalf("after a copy: usedStorage %d, want 50000", got)
		}
		// A pull request's content counts.
		var pr struct {
			Num int `json:"num"`
		}
		h.JSON(t, http.MethodPost, servertest.API("alice/m")+"/discussions", h.Alice, map[string]any{"title": "more", "pullRequest": true}, http.StatusOK, &pr)
		oc := h.UploadLFS(t, h.Alice, "alice/m", c)
		h.Commit(t, h.Alice, "alice/m", fmt.Sprintf("refs/pr/%d", pr.Num), servertest.LFSFile("c.bin", oc, int64(len(c))))
		if got := usedStorage(t, h, h.Alice, "alice/m"); got != 55000 {
			t.Fatalf("after a PR commit: usedStorage %d, want 55000", got)
		}
		// Shared content counts in each repo, once in the server total.
		h.CreateRepo(t, h.Alice, "datasets/alice/d", true)
		h.UploadLFS(t, h.Alice, "datasets/alice/d", a)
		h.Commit(t, h.Alice, "datasets/alice/d", "main", servertest.LFSFile("a.bin", oa, int64(len(a))))
		if got := usedStorage(t, h, h.Alice, "datasets/alice/d"); got != 30000 {
			t.Fatalf("dataset: usedStorage %d, want 30000", got)
		}
		ns, err := u.Namespaces(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) != 1 || ns[0].Bytes != 85000 || ns[0].PrivateBytes != 30000 || ns[0].Repos != 2 {
			t.Fatalf("namespace usage %+v, want 85000 bytes (30000 private) in 2 repos", ns)
		}
		tot, err := u.Total(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if tot.Referenced != 55000 || tot.RepoSum != 85000 {
			t.Fatalf("totals %+v, want referenced 55000 and sum of repos 85000", tot)
		}
		// Deleting a repo gives its usage back.
		h.Do(t, http.MethodDelete, "/api/repos/delete", h.Alice, map[string]any{"type": "model", "name": "m", "organization": "alice"})
		ns, err = u.Namespaces(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) != 1 || ns[0].Bytes != 30000 {
			t.Fatalf("after delete: namespace usage %+v, want 30000", ns)
		}
	})
}

// batchUpload asks the LFS batch API for an upload of content and returns
// the answer.
func batchUpload(t *testing.T, h *servertest.Hub, token, r string, contents ...[]byte) *http.Response {
	t.Helper()
	var objs []any
	for _, c := range contents {
		objs = append(objs, map[string]any{"oid": servertest.SHA256(c), "size": len(c)})
	}
	data, _ := json.Marshal(map[string]any{"operation": "upload", "transfers": []string{"basic"}, "hash_algo": "sha256", "objects": objs})
	return h.Do(t, http.MethodPost, servertest.Web(r)+".git/info/lfs/objects/batch", token,
		servertest.Raw{ContentType: "application/vnd.git-lfs+json", Data: data}, "Accept", "application/vnd.git-lfs+json")
}

func TestQuotaRefusesUploadOverLimit(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := context.Background()
		u := usage.New(h.DB, usage.Options{})
		if err := u.SetQuota(ctx, "alice", 100000, false); err != nil {
			t.Fatal(err)
		}
		h.CreateRepo(t, h.Alice, "alice/m", false)
		a := content(60000, 1)
		oa := h.UploadLFS(t, h.Alice, "alice/m", a)
		h.Commit(t, h.Alice, "alice/m", "main", servertest.LFSFile("a.bin", oa, int64(len(a))))

		b := content(50000, 9)
		resp := batchUpload(t, h, h.Alice, "alice/m", b)
		servertest.ExpectError(t, resp, http.StatusForbidden, "", "Storage quota exceeded for alice: alice uses 60.0 kB of its 100 kB storage quota")
		if !strings.Contains(string(servertest.Body(resp)), "needs 50.0 kB more") {
			t.Errorf("answer does not say what the upload needs: %s", servertest.Body(resp))
		}
		if ok, _ := h.Blobs.Exists(ctx, servertest.SHA256(b)); ok {
			t.Fatal("refused content is stored")
		}
		// Uploading again what the repo already counts costs nothing.
		if resp := batchUpload(t, h, h.Alice, "alice/m", a); resp.StatusCode != http.StatusOK {
			t.Fatalf("re-upload of counted content: %d %s", resp.StatusCode, servertest.Body(resp))
		}
		// Within the limit: fine; the reservation then counts.
		c := content(30000, 20)
		h.UploadLFS(t, h.Alice, "alice/m", c)
		resp = batchUpload(t, h, h.Alice, "alice/m", content(20000, 40))
		servertest.ExpectError(t, resp, http.StatusForbidden, "", "alice uses 90.0 kB of its 100 kB")
		// Other namespaces are not limited.
		h.CreateRepo(t, h.Bob, "bob/m", false)
		h.UploadLFS(t, h.Bob, "bob/m", content(200000, 3))

		qs, err := u.Quotas(ctx, "alice")
		if err != nil || len(qs) != 1 || qs[0].Used != 60000 || qs[0].Reserved != 30000 || qs[0].Limit != 100000 {
			t.Fatalf("quota %+v, %v", qs, err)
		}
		// A private-only quota leaves public repos alone.
		if err := u.SetQuota(ctx, "alice", 1000, true); err != nil {
			t.Fatal(err)
		}
		if resp := batchUpload(t, h, h.Alice, "alice/m", content(20000, 40)); resp.StatusCode != http.StatusOK {
			t.Fatalf("public repo under a private-only quota: %d %s", resp.StatusCode, servertest.Body(resp))
		}
		h.CreateRepo(t, h.Alice, "alice/p", true)
		servertest.ExpectError(t, batchUpload(t, h, h.Alice, "alice/p", content(2000, 50)), http.StatusForbidden, "", "private storage quota")
	})
}

// TestQuotaRacingUploads races uploads to the limit: together they may
// not pass it.
func TestQuotaRacingUploads(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := context.Background()
		u := usage.New(h.DB, usage.Options{})
		h.CreateRepo(t, h.Bob, "acme/m", false)
		if err := u.SetQuota(ctx, "acme", 100000, false); err != nil {
			t.Fatal(err)
		}
		const n = 12
		var wg sync.WaitGroup
		codes := make([]int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = batchUpload(t, h, h.Bob, "acme/m", content(30000, byte(10*i))).StatusCode
			}()
		}
		wg.Wait()
		ok := 0
		for _, c := range codes {
			switch c {
			case http.StatusOK:
				ok++
			case http.StatusForbidden:
			default:
				t.Fatalf("status %d", c)
			}
		}
		if ok != 3 {
			t.Fatalf("%d uploads of 30 kB accepted under a 100 kB quota, want 3", ok)
		}
		qs, _ := u.Quotas(ctx, "acme")
		if qs[0].Reserved != 90000 {
			t.Fatalf("reserved %d, want 90000", qs[0].Reserved)
		}
	})
}

// TestQuotaRefusesXetUpload: a Xet upload over the quota (the SDK asks for
// no LFS batch, as huggingface_hub 2.x) is refused, with the quota message,
// at the first xorb or shard that would pass it: no file is registered,
// and at most the xorb that fitted is stored, for garbage collection.
func TestQuotaRefusesXetUpload(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := context.Background()
		if err := usage.New(h.DB, usage.Options{}).SetQuota(ctx, "alice", 100000, false); err != nil {
			t.Fatal(err)
		}
		h.CreateRepo(t, h.Alice, "alice/m", false)
		dir := t.TempDir()
		c, err := hub.New(&hub.Options{Endpoint: h.URL, Token: h.Alice, XetCacheDir: filepath.Join(dir, "xet")})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "big.bin")
		if err := os.WriteFile(p, content(300000, 5), 0o600); err != nil {
			t.Fatal(err)
		}
		ct, _ := hub.FromPath(p)
		_, err = c.UploadFile(ctx, hub.Repo{ID: "alice/m"}, "big.bin", ct, nil)
		if err == nil || !strings.Contains(err.Error(), "Storage quota exceeded for alice") {
			t.Fatalf("Xet upload over quota: %v", err)
		}
		n := 0
		h.Blobs.List(ctx, func(string, int64) error { n++; return nil })
		var files int
		h.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM xet_files`).Scan(&files)
		if n > 1 || files != 0 {
			t.Fatalf("refused Xet upload stored %d blobs and %d files", n, files)
		}
	})
}
