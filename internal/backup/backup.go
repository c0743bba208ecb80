package backup

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/wharfhub/wharf/internal/gc"
	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/blob/local"
	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/internal/xetcas"
	"github.com/wharfhub/wharf/xet"
)

// File names inside a backup directory.
const (
	ManifestFile = "MANIFEST.json"
	DBFile       = "wharf.db"
	BlobsDir     = "blobs"
	SecretFile   = "secret"
)

// Manifest describes a backup.
type Manifest struct {
	Format    int       `json:"format"`
	CreatedAt time.Time `json:"createdAt"`
	DBSHA256  string    `json:"dbSha256"`
	DBSize    int64     `json:"dbSize"`
	Secret    bool      `json:"secret"`
	Blobs     []Blob    `json:"blobs"`
	Bytes     int64     `json:"blobBytes"`
}

// Blob is one copied blob: its oid is the sha256 of its content, or for a
// xorb (Xorb set: its Xet hash) the name xetcas.XorbKey gives it.
type Blob struct {
	OID  string `json:"oid"`
	Size int64  `json:"size"`
	Xorb string `json:"xorb,omitempty"`
}

// ErrNotSQLite is returned for PostgreSQL: back it up with pg_dump (see
// docs/DEPLOY.md).
var ErrNotSQLite = errors.New("online backup needs SQLite; back up PostgreSQL with pg_dump and the bucket with versioning (docs/DEPLOY.md)")

// Backup writes a consistent snapshot of the hub to dest, which must not
// exist or be empty: the database as of one instant (SQLite VACUUM INTO,
// while the server keeps serving), every blob that snapshot references
// (LFS content and xorbs, each verified against its sha256 as it is
// copied), the server secret if secretPath names one, and a manifest. It
// holds the gc lease while it copies, so no referenced blob is collected
// under it.
func Backup(ctx context.Context, db *sqlstore.DB, blobs *blob.Store, secretPath, dest string) (*Manifest, error) {
	if db.Dialect != sqlstore.SQLite {
		return nil, ErrNotSQLite
	}
	if err := emptyDir(dest); err != nil {
		return nil, err
	}
	release, err := gc.Lease(ctx, db, time.Now())
	if err != nil {
		return nil, fmt.Errorf("backup: %w (wait for the gc run to finish)", err)
	}
	defer release()
	m := &Manifest{Format: 1, CreatedAt: time.Now().UTC()}
	dbPath := filepath.Join(dest, DBFile)
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dbPath); err != nil {
		return nil, fmt.Errorf("backup: snapshot the database: %w", err)
	}
	if m.DBSHA256, m.DBSize, err = hashFile(dbPath); err != nil {
		return nil, err
	}
	snap, err := sqlstore.Open(ctx, dbPath)
	if err != nil {
		return nil, fmt.Errorf("backup: open the snapshot: %w", err)
	}
	// The snapshot has this backup's gc lease: a restored hub must not
	// wait for it to expire.
	_, err = snap.ExecContext(ctx, `UPDATE gc_lease SET expires_at = 0`)
	var refs []Blob
	if err == nil {
		refs, err = referencedBlobs(ctx, snap)
	}
	snap.Close()
	os.Remove(dbPath + "-wal")
	os.Remove(dbPath + "-shm")
	if err != nil {
		return nil, err
	}
	// Opening the snapshot may have touched it (WAL checkpoint): hash it
	// again now that it is closed.
	if m.DBSHA256, m.DBSize, err = hashFile(dbPath); err != nil {
		return nil, err
	}
	lb, err := local.Open(filepath.Join(dest, BlobsDir))
	if err != nil {
		return nil, err
	}
	to := blob.New(lb)
	for _, b := range refs {
		if err := copyBlob(ctx, blobs, to, b); err != nil {
			return nil, fmt.Errorf("backup: blob %s: %w", b.OID, err)
		}
		m.Blobs = append(m.Blobs, b)
		m.Bytes += b.Size
	}
	if secretPath != "" {
		if data, err := os.ReadFile(secretPath); err == nil {
			if err := os.WriteFile(filepath.Join(dest, SecretFile), data, 0o600); err != nil {
				return nil, err
			}
			m.Secret = true
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dest, ManifestFile), append(data, '\n'), 0o600); err != nil {
		return nil, err
	}
	return m, nil
}

// referencedBlobs lists the blobs the database references: LFS content
// stored as blobs, and xorbs.
func referencedBlobs(ctx context.Context, db *sqlstore.DB) ([]Blob, error) {
	rows, err := db.QueryContext(ctx, `SELECT oid, size, '' FROM lfs_objects WHERE size >= 0 AND xet_hash IS NULL
		UNION SELECT blob_oid, size, hash FROM xet_xorbs ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("backup: list blobs: %w", err)
	}
	defer rows.Close()
	var out []Blob
	for rows.Next() {
		var b Blob
		if err := rows.Scan(&b.OID, &b.Size, &b.Xorb); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// copyBlob copies one blob, verified on the way: its size and sha256
// (Put), or for a xorb its chunks, Xet hash and name.
func copyBlob(ctx context.Context, from, to *blob.Store, b Blob) error {
	obj, err := from.Open(ctx, b.OID)
	if err != nil {
		return err
	}
	defer obj.Close()
	if b.Xorb == "" {
		return to.Put(ctx, b.OID, b.Size, obj)
	}
	h, err := xet.ParseHash(b.Xorb)
	if err != nil {
		return fmt.Errorf("blob %s: xorb %q: %w", b.OID, b.Xorb, err)
	}
	_, n, err := to.PutNamed(ctx, func(w io.Writer) (string, error) {
		if err := xetcas.CopyStoredXorb(h, b.OID, bufio.NewReaderSize(obj, 1<<20), w); err != nil {
			return "", err
		}
		return b.OID, nil
	})
	if err == nil && n != b.Size {
		err = fmt.Errorf("xorb blob %s: %d bytes copied, want %d", b.OID, n, b.Size)
	}
	return err
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func emptyDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		return err
	}
	if len(ents) > 0 {
		return fmt.Errorf("%s is not empty", dir)
	}
	return nil
}

// ReadManifest reads the manifest of the backup in dir.
func ReadManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("not a wharf backup: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("backup manifest: %w", err)
	}
	if m.Format != 1 {
		return nil, fmt.Errorf("backup manifest: unknown format %d", m.Format)
	}
	return &m, nil
}

// Restore restores the backup in src: the database to dbPath (which must
// not exist), every blob into blobs (verified against the manifest as it
// is copied), and the secret to secretPath when the backup has one and
// secretPath is not empty.
func Restore(ctx context.Context, src, dbPath string, blobs *blob.Store, secretPath string) (*Manifest, error) {
	m, err := ReadManifest(src)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dbPath); err == nil {
		return nil, fmt.Errorf("restore: %s exists: restore into an empty data directory", dbPath)
	}
	sum, size, err := hashFile(filepath.Join(src, DBFile))
	if err != nil {
		return nil, err
	}
	if sum != m.DBSHA256 || size != m.DBSize {
		return nil, fmt.Errorf("restore: %s does not match the manifest (sha256 %s, %d bytes)", DBFile, sum, size)
	}
	lb, err := local.Open(filepath.Join(src, BlobsDir))
	if err != nil {
		return nil, err
	}
	from := blob.New(lb)
	for _, b := range m.Blobs {
		if err := copyBlob(ctx, from, blobs, b); err != nil {
			return nil, fmt.Errorf("restore: blob %s: %w", b.OID, err)
		}
	}
	if m.Secret && secretPath != "" {
		data, err := os.ReadFile(filepath.Join(src, SecretFile))
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(secretPath, data, 0o600); err != nil {
			return nil, err
		}
	}
	// The database last: a data directory with a database is a hub.
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o700); err != nil {
		return nil, err
	}
	tmp := dbPath + ".restore"
	if err := copyFile(filepath.Join(src, DBFile), tmp); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dbPath); err != nil {
		return nil, err
	}
	return m, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
