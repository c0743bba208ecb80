package backup_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/backup"
	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/blob/local"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
)

// TestBackupScale compares a backup of a hub holding WHARF_BACKUP_SCALE_MIB
// MiB of LFS content (skipped when unset) with cp -r of its blob directory
// on the same disk.
func TestBackupScale(t *testing.T) {
	mib, _ := strconv.Atoi(os.Getenv("WHARF_BACKUP_SCALE_MIB"))
	if mib == 0 {
		t.Skip("set WHARF_BACKUP_SCALE_MIB to run")
	}
	ctx := context.Background()
	dir := t.TempDir()
	h := servertest.NewWith(t, sqltest.SQLite, servertest.Options{Backend: func(testing.TB) blob.Backend {
		b, err := local.Open(filepath.Join(dir, "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}})
	buf := make([]byte, 16<<20)
	for i := 0; i < mib/16; i++ {
		rand.Read(buf)
		s := sha256.Sum256(buf)
		oid := hex.EncodeToString(s[:])
		if err := h.Blobs.PutFile(ctx, oid, int64(len(buf)), writeTemp(t, buf)); err != nil {
			t.Fatal(err)
		}
		h.DB.ExecContext(ctx, `INSERT INTO lfs_objects (oid, size, created_at) VALUES ($1, $2, $3)`, oid, len(buf), time.Now().UnixMilli())
	}
	exec.Command("sync").Run()
	t0 := time.Now()
	if out, err := exec.Command("cp", "-r", filepath.Join(dir, "blobs"), filepath.Join(t.TempDir(), "copy")).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	exec.Command("sync").Run()
	cp := time.Since(t0)
	t0 = time.Now()
	m, err := backup.Backup(ctx, h.DB, h.Blobs, "", filepath.Join(t.TempDir(), "bk"))
	if err != nil {
		t.Fatal(err)
	}
	bk := time.Since(t0)
	t.Logf("%d MiB in %d blobs: cp -r %s, wharf admin backup %s (%.2fx; backup verifies every sha256 and fsyncs every blob)",
		m.Bytes>>20, len(m.Blobs), cp.Round(time.Millisecond), bk.Round(time.Millisecond), bk.Seconds()/cp.Seconds())
}

func writeTemp(t *testing.T, data []byte) string {
	p := filepath.Join(t.TempDir(), "c")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
