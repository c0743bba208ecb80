package backup_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wharfhub/wharf/hub"
	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/backup"
	"github.com/wharfhub/wharf/internal/fsck"
	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/server"
	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/blob/local"
	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
	"github.com/wharfhub/wharf/wire"
)

func content(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 3))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestBackupDuringUploadsRestoreServe backs a hub up while a writer keeps
// uploading and committing, restores it into an empty data directory,
// checks it with fsck and serves it: every file committed before the
// backup downloads with the right bytes, and so does every file the
// restored heads name.
func TestBackupDuringUploadsRestoreServe(t *testing.T) {
	ctx := context.Background()
	h := servertest.New(t, sqltest.SQLite)
	h.CreateRepo(t, h.Alice, "alice/m", false)
	before := map[string][]byte{}
	for i := range 5 {
		c := content(2000+i*100, uint64(i))
		p := fmt.Sprintf("w%d.bin", i)
		h.Commit(t, h.Alice, "alice/m", "main", servertest.LFSFile(p, h.UploadLFS(t, h.Alice, "alice/m", c), int64(len(c))), servertest.File(p+".txt", []byte(p)))
		before[p] = c
	}
	// A file uploaded through Xet: its xorb is a blob named by its Xet
	// hash and layout (xetcas.XorbKey), copied and checked as a xorb.
	xc, err := hub.New(&hub.Options{Endpoint: h.URL, Token: h.Alice, XetCacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	before["xet.bin"] = content(3<<20, 77)
	if _, err := xc.UploadFile(ctx, hub.Repo{ID: "alice/m"}, "xet.bin", hub.FromBytes(before["xet.bin"]), nil); err != nil {
		t.Fatal(err)
	}
	stop, started := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 100; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			c := content(3000, uint64(i))
			oid := h.PutLFS(t, "alice/m", c)
			resp := h.PostCommit(t, h.Alice, "alice/m", "main", "", servertest.Lines(servertest.Header("w", ""), servertest.LFSFile(fmt.Sprintf("x%d.bin", i), oid, 3000)))
			if resp.StatusCode != http.StatusOK {
				t.Errorf("commit during backup: %d", resp.StatusCode)
				close(started)
				return
			}
			if i == 103 {
				close(started)
			}
		}
	}()
	<-started
	dest := filepath.Join(t.TempDir(), "backup")
	secret := filepath.Join(t.TempDir(), "secret")
	m, err := backup.Backup(ctx, h.DB, h.Blobs, secret, dest)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if len(m.Blobs) < 5 {
		t.Fatalf("backup has %d blobs", len(m.Blobs))
	}

	data := t.TempDir()
	lb, err := local.Open(filepath.Join(data, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	blobs := blob.New(lb)
	if _, err := backup.Restore(ctx, dest, filepath.Join(data, "wharf.db"), blobs, ""); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if _, err := backup.Restore(ctx, dest, filepath.Join(data, "wharf.db"), blobs, ""); err == nil {
		t.Fatal("restore over a hub succeeded")
	}
	db, err := sqlstore.Open(ctx, filepath.Join(data, "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	engine := repo.New(db, repo.Options{TempDir: t.TempDir()})
	rep, err := fsck.Run(ctx, engine, blobs, fsck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Contents < 5 || rep.Xorbs < 1 {
		t.Fatalf("fsck of the restored hub: %+v", rep)
	}
	ts := httptest.NewServer(server.New(server.Config{Engine: engine, Auth: auth.New(db), Blobs: blobs, TempDir: t.TempDir()}))
	defer ts.Close()
	get := func(p string) []byte {
		resp, err := http.Get(ts.URL + "/alice/m/resolve/main/" + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("download %s from the restored hub: %d", p, resp.StatusCode)
		}
		return b.Bytes()
	}
	for p, want := range before {
		if got := get(p); !bytes.Equal(got, want) {
			t.Errorf("%s: restored content differs", p)
		}
	}
	rp, err := engine.GetRepo(ctx, wire.Model, mustID(t, "alice/m"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := engine.Resolve(ctx, rp, "main")
	if err != nil {
		t.Fatal(err)
	}
	ents, _, err := engine.ListTree(ctx, rp, res.Commit, repo.ListOptions{Recursive: true, Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if e.LFS != nil {
			got := get(e.Path)
			if servertest.SHA256(got) != string(e.LFS.OID) {
				t.Errorf("%s: restored content has the wrong sha256", e.Path)
			}
			n++
		}
	}
	t.Logf("backup of %d blobs (%d bytes); the restored head has %d LFS files", len(m.Blobs), m.Bytes, n)
	// git itself finds the restored history complete.
	home := t.TempDir()
	gitEnv := append(os.Environ(), "HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "GIT_LFS_SKIP_SMUDGE=1")
	clone := filepath.Join(home, "clone")
	for _, args := range [][]string{{"clone", "-q", ts.URL + "/alice/m", clone}, {"-C", clone, "fsck", "--full", "--strict"}} {
		cmd := exec.Command("git", args...)
		cmd.Env = gitEnv
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s on the restored hub: %v\n%s", args[0], err, out)
		}
	}
}

// TestFsckFindsDamage: a missing blob, a corrupted one and a missing git
// object are reported.
func TestFsckFindsDamage(t *testing.T) {
	ctx := context.Background()
	h := servertest.New(t, sqltest.SQLite)
	h.CreateRepo(t, h.Alice, "alice/m", false)
	a, b := content(1000, 1), content(1000, 2)
	oa, ob := h.UploadLFS(t, h.Alice, "alice/m", a), h.UploadLFS(t, h.Alice, "alice/m", b)
	h.Commit(t, h.Alice, "alice/m", "main", servertest.LFSFile("a.bin", oa, 1000), servertest.LFSFile("b.bin", ob, 1000), servertest.File("r.txt", []byte("readme")))
	rep, err := fsck.Run(ctx, h.Engine, h.Blobs, fsck.Options{})
	if err != nil || !rep.OK() {
		t.Fatalf("fsck of a sound hub: %+v %v", rep, err)
	}
	if err := h.Blobs.Delete(ctx, oa); err != nil {
		t.Fatal(err)
	}
	h.Blobs.Delete(ctx, ob)
	// Same oid, other bytes: written to the backend directly.
	st, _ := h.Blobs.Backend().Create(ctx)
	st.Write(content(1000, 3))
	if err := st.Commit(ctx, ob); err != nil {
		t.Fatal(err)
	}
	if _, err := h.DB.ExecContext(ctx, `DELETE FROM objects WHERE oid = $1`, servertest.GitBlobID([]byte("readme"))); err != nil {
		t.Fatal(err)
	}
	rep, err = fsck.Run(ctx, h.Engine, h.Blobs, fsck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.NProblems != 3 {
		t.Fatalf("fsck found %d problems, want 3: %q", rep.NProblems, rep.Problems)
	}
}

func mustID(t *testing.T, s string) wire.RepoID {
	t.Helper()
	id, err := wire.ParseRepoID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
