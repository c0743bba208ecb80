package gc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/gc"
	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/usage"
)

func content(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed*7+1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// storedBytes is what the blob store holds.
func storedBytes(t *testing.T, h *servertest.Hub) (n int, size int64) {
	t.Helper()
	err := h.Blobs.List(context.Background(), func(oid string, s int64) error {
		n++
		size += s
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n, size
}

func run(t *testing.T, h *servertest.Hub, opts gc.Options) *gc.Report {
	t.Helper()
	rep, err := gc.New(h.Engine, h.Blobs, opts).Run(context.Background())
	if err != nil {
		t.Fatalf("gc: %v", err)
	}
	return rep
}

// at returns a clock d from now.
func at(d time.Duration) func() time.Time {
	now := time.Now()
	return func() time.Time { return now.Add(d) }
}

// TestGCReclaimsDeletedRepo is the scenario: a 30 kB file
// overwritten by a 20 kB one, then delete_repo: gc gives all 50 kB back,
// once the grace period has passed twice (unregister, then delete).
func TestGCReclaimsDeletedRepo(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		a, b := content(30000, 1), content(20000, 2)
		h.Commit(t, h.Alice, "alice/m", "main", servertest.LFSFile("w.bin", h.UploadLFS(t, h.Alice, "alice/m", a), 30000))
		h.Commit(t, h.Alice, "alice/m", "main", servertest.LFSFile("w.bin", h.UploadLFS(t, h.Alice, "alice/m", b), 20000))
		// A repo that stays keeps its content.
		h.CreateRepo(t, h.Bob, "bob/keep", false)
		k := content(7000, 3)
		h.Commit(t, h.Bob, "bob/keep", "main", servertest.LFSFile("k.bin", h.UploadLFS(t, h.Bob, "bob/keep", k), 7000))
		if n, size := storedBytes(t, h); n != 3 || size != 57000 {
			t.Fatalf("stored %d blobs, %d bytes; want 3, 57000", n, size)
		}
		h.JSON(t, http.MethodDelete, "/api/repos/delete", h.Alice, map[string]any{"type": "model", "name": "m", "organization": "alice"}, http.StatusOK, nil)

		// Within the grace period nothing goes.
		rep := run(t, h, gc.Options{Apply: true})
		if rep.Unlinked != 0 || rep.BlobsDeleted != 0 {
			t.Fatalf("gc within the grace period removed content: %+v", rep)
		}
		// A dry run later says what would go, and changes nothing.
		rep = run(t, h, gc.Options{Now: at(2 * time.Hour)})
		if rep.Unlinked != 2 || rep.UnlinkedBytes != 50000 {
			t.Fatalf("dry run: %+v, want 2 contents of 50000 bytes to unregister", rep)
		}
		rep = run(t, h, gc.Options{Apply: true, Now: at(2 * time.Hour)})
		if rep.Unlinked != 2 || rep.UnlinkedBytes != 50000 || rep.BlobsDeleted != 0 || rep.BlobsPending != 2 || rep.BlobBytesPending != 50000 {
			t.Fatalf("first run after the grace period: %+v, want 50000 bytes unregistered and pending", rep)
		}
		rep = run(t, h, gc.Options{Apply: true, Now: at(4 * time.Hour)})
		if rep.BlobsDeleted != 2 || rep.BlobBytesDeleted != 50000 || rep.BlobsPending != 0 {
			t.Fatalf("second run: %+v, want 50000 bytes deleted", rep)
		}
		if n, size := storedBytes(t, h); n != 1 || size != 7000 {
			t.Fatalf("after gc: %d blobs, %d bytes stored; want 1, 7000", n, size)
		}
		if got := h.Download(t, h.Bob, "bob/keep", "main", "k.bin"); !bytes.Equal(got, k) {
			t.Fatal("kept file changed")
		}
		// Nothing left to do.
		rep = run(t, h, gc.Options{Apply: true, Now: at(6 * time.Hour)})
		if rep.Objects+rep.Unlinked+rep.BlobsDeleted+rep.BlobsPending != 0 {
			t.Fatalf("third run: %+v", rep)
		}
	})
}

// TestGCSquashGivesBytesBack: after a super-squash, the old versions'
// objects and content go, usage drops, and the current files stay.
func TestGCSquashGivesBytesBack(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := context.Background()
		h.CreateRepo(t, h.Alice, "alice/m", false)
		var last []byte
		for i := range 3 {
			last = content(10000+1000*i, uint64(10+i))
			h.Commit(t, h.Alice, "alice/m", "main",
				servertest.LFSFile("w.bin", h.UploadLFS(t, h.Alice, "alice/m", last), int64(len(last))),
				servertest.File(fmt.Sprintf("notes%d.txt", i), []byte("v")))
		}
		u := usage.New(h.DB, usage.Options{})
		key := h.Repo(t, "alice/m").Key
		if n, _ := u.RepoBytes(ctx, key); n != 33000 {
			t.Fatalf("usage %d before squash, want 33000", n)
		}
		h.JSON(t, http.MethodPost, "/api/models/alice/m/super-squash/main", h.Alice, map[string]any{"message": "squash"}, http.StatusOK, nil)
		rep := run(t, h, gc.Options{Apply: true, Grace: -1})
		if rep.Objects == 0 || rep.BlobsDeleted != 2 || rep.BlobBytesDeleted != 21000 {
			t.Fatalf("gc after squash: %+v, want the 2 old versions (21000 bytes) deleted", rep)
		}
		if n, _ := u.RepoBytes(ctx, key); n != 12000 {
			t.Fatalf("usage %d after squash and gc, want 12000", n)
		}
		if got := h.Download(t, h.Alice, "alice/m", "main", "w.bin"); !bytes.Equal(got, last) {
			t.Fatal("current file changed")
		}
		if got := h.Download(t, h.Alice, "alice/m", "main", "notes0.txt"); string(got) != "v" {
			t.Fatal("small file changed")
		}
	})
}

// TestGCKeepsUploadsAwaitingCommit: content uploaded and not committed yet
// survives gc within the grace period, and can then be committed.
func TestGCKeepsUploadsAwaitingCommit(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/m", false)
		c := content(5000, 5)
		oid := h.UploadLFS(t, h.Alice, "alice/m", c)
		for range 3 {
			if rep := run(t, h, gc.Options{Apply: true}); rep.BlobsDeleted != 0 || rep.Unlinked != 0 {
				t.Fatalf("gc removed an upload awaiting its commit: %+v", rep)
			}
		}
		h.Commit(t, h.Alice, "alice/m", "main", servertest.LFSFile("c.bin", oid, 5000))
		if got := h.Download(t, h.Alice, "alice/m", "main", "c.bin"); !bytes.Equal(got, c) {
			t.Fatal("content changed")
		}
	})
}

// TestGCOneAtATime: a second applying run is refused while one holds the
// lease.
func TestGCOneAtATime(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		if _, err := h.DB.ExecContext(context.Background(), `UPDATE gc_lease SET holder = 'other', expires_at = $1`, time.Now().Add(time.Hour).UnixMilli()); err != nil {
			t.Fatal(err)
		}
		if _, err := gc.New(h.Engine, h.Blobs, gc.Options{Apply: true}).Run(context.Background()); err == nil {
			t.Fatal("second gc ran")
		}
		if _, err := gc.New(h.Engine, h.Blobs, gc.Options{}).Run(context.Background()); err != nil {
			t.Fatalf("dry run during a gc: %v", err)
		}
	})
}

// uploadLFS uploads content through the batch API (basic transfer) and
// returns an error instead of failing the test: it runs on writer
// goroutines.
func uploadLFS(h *servertest.Hub, token, r string, c []byte) (string, error) {
	oid := servertest.SHA256(c)
	body, _ := json.Marshal(map[string]any{"operation": "upload", "transfers": []string{"basic"}, "hash_algo": "sha256",
		"objects": []any{map[string]any{"oid": oid, "size": len(c)}}})
	req, _ := http.NewRequest(http.MethodPost, h.URL+servertest.Web(r)+".git/info/lfs/objects/batch", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/vnd.git-lfs+json")
	resp, err := h.Client.Do(req)
	if err != nil {
		return "", err
	}
	var batch struct {
		Objects []struct {
			Actions map[string]struct {
				Href string `json:"href"`
			} `json:"actions"`
		} `json:"objects"`
	}
	err = json.NewDecoder(resp.Body).Decode(&batch)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(batch.Objects) != 1 {
		return "", fmt.Errorf("batch: %d %v", resp.StatusCode, err)
	}
	for _, a := range []string{"upload", "verify"} {
		act, ok := batch.Objects[0].Actions[a]
		if !ok {
			continue
		}
		var rq *http.Request
		if a == "upload" {
			rq, _ = http.NewRequest(http.MethodPut, act.Href, bytes.NewReader(c))
		} else {
			b, _ := json.Marshal(map[string]any{"oid": oid, "size": len(c)})
			rq, _ = http.NewRequest(http.MethodPost, act.Href, bytes.NewReader(b))
			rq.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := h.Client.Do(rq)
		if err != nil {
			return "", err
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return "", fmt.Errorf("%s: %d", a, resp.StatusCode)
		}
	}
	return oid, nil
}

// TestGCRacesUploadsAndCommits runs applying gcs back to back, with a
// short grace period, while writers upload and commit (new content and
// content that earlier squashes made unreferenced) and squash. A commit
// may be refused (its content was collected before it came: the client
// uploads again), but every commit that succeeded must keep every file
// downloadable with the right bytes.
func TestGCRacesUploadsAndCommits(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		const writers = 4
		dur := 4 * time.Second
		if testing.Short() {
			dur = time.Second
		}
		if s, err := strconv.Atoi(os.Getenv("WHARF_GC_RACE_SECONDS")); err == nil {
			dur = time.Duration(s) * time.Second
		}
		for w := range writers {
			h.CreateRepo(t, h.Alice, fmt.Sprintf("alice/r%d", w), false)
		}
		stop := make(chan struct{})
		var gcRuns, gcDeleted, commits, refused, failedUploads atomic.Int64
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				rep, err := gc.New(h.Engine, h.Blobs, gc.Options{Apply: true, Grace: 150 * time.Millisecond}).Run(context.Background())
				if err != nil {
					t.Errorf("gc: %v", err)
					return
				}
				gcRuns.Add(1)
				gcDeleted.Add(rep.BlobsDeleted)
			}
		}()
		final := make([]map[string][]byte, writers)
		for w := range writers {
			final[w] = map[string][]byte{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := fmt.Sprintf("alice/r%d", w)
				rng := rand.New(rand.NewPCG(uint64(w), 99))
				var old [][]byte
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					var c []byte
					if len(old) > 0 && rng.IntN(3) == 0 {
						c = old[rng.IntN(len(old))] // content a squash released
					} else {
						c = content(1000+rng.IntN(4000), uint64(w*100000+i))
					}
					path := fmt.Sprintf("f%d.bin", rng.IntN(3))
					oid, err := uploadLFS(h, h.Alice, r, c)
					if err != nil {
						// Content re-uploaded at the instant gc deletes
						// its orphaned blob fails visibly; the client
						// uploads again.
						failedUploads.Add(1)
						continue
					}
					resp := h.PostCommit(t, h.Alice, r, "main", "", servertest.Lines(servertest.Header("w", ""), servertest.LFSFile(path, oid, int64(len(c)))))
					switch resp.StatusCode {
					case http.StatusOK:
						commits.Add(1)
						final[w][path] = c
					case http.StatusUnprocessableEntity:
						refused.Add(1) // collected before the commit: upload again
						continue
					default:
						t.Errorf("commit: %d %s", resp.StatusCode, servertest.Body(resp))
						return
					}
					old = append(old, c)
					if rng.IntN(4) == 0 {
						resp := h.Do(t, http.MethodPost, servertest.API(r)+"/super-squash/main", h.Alice, map[string]any{"message": "squash"})
						if resp.StatusCode != http.StatusOK {
							t.Errorf("squash: %d %s", resp.StatusCode, servertest.Body(resp))
							return
						}
					}
				}
			}()
		}
		// Run for dur, and on past it (up to a minute) until gc has run
		// often enough and deleted something: on a loaded machine a few
		// seconds may hold too few squashes for a blob to be seen
		// unreferenced by two runs a grace period apart.
		start := time.Now()
		for !t.Failed() && (time.Since(start) < dur || (gcRuns.Load() < 5 || gcDeleted.Load() == 0) && time.Since(start) < time.Minute) {
			time.Sleep(50 * time.Millisecond)
		}
		close(stop)
		wg.Wait()
		if t.Failed() {
			return
		}
		t.Logf("%d gc runs deleted %d blobs during %d commits (%d commits refused, %d uploads failed, retried)",
			gcRuns.Load(), gcDeleted.Load(), commits.Load(), refused.Load(), failedUploads.Load())
		if gcRuns.Load() < 5 || gcDeleted.Load() == 0 {
			t.Fatalf("the race did not happen: %d gc runs, %d blobs deleted", gcRuns.Load(), gcDeleted.Load())
		}
		// A last collection long after: only garbage goes.
		run(t, h, gc.Options{Apply: true, Grace: -1})
		for w := range writers {
			r := fmt.Sprintf("alice/r%d", w)
			for path, want := range final[w] {
				if got := h.Download(t, h.Alice, r, "main", path); !bytes.Equal(got, want) {
					t.Errorf("%s %s: %d bytes downloaded, sha256 %s, want %s", r, path, len(got), servertest.SHA256(got), servertest.SHA256(want))
				}
			}
		}
	})
}

// TestGCClearsInterruptedClaims: the placeholder row of a run killed in
// the middle of a blob deletion does not block that content for ever.
func TestGCClearsInterruptedClaims(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		ctx := context.Background()
		c := content(4000, 77)
		oid := servertest.SHA256(c)
		if _, err := h.DB.ExecContext(ctx, `INSERT INTO lfs_objects (oid, size, created_at) VALUES ($1, -1, 0)`, oid); err != nil {
			t.Fatal(err)
		}
		run(t, h, gc.Options{Apply: true})
		h.CreateRepo(t, h.Alice, "alice/m", false)
		h.Commit(t, h.Alice, "alice/m", "main", servertest.LFSFile("c.bin", h.UploadLFS(t, h.Alice, "alice/m", c), 4000))
		if got := h.Download(t, h.Alice, "alice/m", "main", "c.bin"); !bytes.Equal(got, c) {
			t.Fatal("content differs")
		}
	})
}

// TestGCAfterPermanentLFSDelete: permanently deleting LFS files with a
// history rewrite (huggingface_hub's permanently_delete_lfs_files) gives
// their bytes back at the next collections, and the repo's usedStorage
// drops to what it still names.
func TestGCAfterPermanentLFSDelete(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		r := "alice/lfsdel"
		h.CreateRepo(t, h.Alice, r, false)
		a, b := content(40000, 11), content(9000, 12)
		oa := h.UploadLFS(t, h.Alice, r, a)
		h.Commit(t, h.Alice, r, "main", servertest.LFSFile("big.bin", oa, 40000), servertest.LFSFile("keep.bin", h.UploadLFS(t, h.Alice, r, b), 9000))
		used := func() int64 {
			var info struct {
				UsedStorage int64 `json:"usedStorage"`
			}
			h.JSON(t, http.MethodGet, servertest.API(r)+"?expand=usedStorage", h.Alice, nil, http.StatusOK, &info)
			return info.UsedStorage
		}
		if u := used(); u != 49000 {
			t.Fatalf("usedStorage %d, want 49000", u)
		}
		h.JSON(t, http.MethodPost, servertest.API(r)+"/lfs-files/batch", h.Alice,
			map[string]any{"deletions": map[string]any{"sha": []string{oa}, "rewriteHistory": true}}, http.StatusOK, nil)
		run(t, h, gc.Options{Apply: true, Now: at(2 * time.Hour)})
		run(t, h, gc.Options{Apply: true, Now: at(4 * time.Hour)})
		if u := used(); u != 9000 {
			t.Fatalf("usedStorage after the delete and gc: %d, want 9000", u)
		}
		if n, size := storedBytes(t, h); n != 1 || size != 9000 {
			t.Fatalf("stored after gc: %d blobs, %d bytes; want 1, 9000", n, size)
		}
		if got := h.Download(t, h.Alice, r, "main", "keep.bin"); !bytes.Equal(got, b) {
			t.Fatal("the file kept changed")
		}
	})
}
