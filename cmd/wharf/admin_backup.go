package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/wharfhub/wharf/internal/backup"
	"github.com/wharfhub/wharf/internal/fsck"
	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/sqlstore"
	storeusage "github.com/wharfhub/wharf/internal/usage"
)

func init() {
	adminCommands["backup"] = cmdAdminBackup
	adminCommands["restore"] = cmdAdminRestore
	adminCommands["verify"] = cmdAdminVerify
}

// cmdAdminBackup takes an online backup of a hub on SQLite.
func cmdAdminBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin backup", stderr)
	var sf storeFlags
	sf.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: wharf admin backup DEST\n\nA consistent snapshot while the server serves: the SQLite database as of one instant\n(VACUUM INTO), every blob it references (verified as copied), the server secret and\nMANIFEST.json. DEST must not exist or be empty. PostgreSQL: see docs/DEPLOY.md.\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("admin backup: expected DEST: %w", errUsage)
	}
	db, blobs, err := openAdminStores(ctx, &sf)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	m, err := backup.Backup(ctx, db, blobs, filepath.Join(sf.data, "secret"), pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup in %s: database %s (%d bytes), %d blobs (%s), in %.1fs\n",
		pos[0], m.DBSHA256[:12], m.DBSize, len(m.Blobs), storeusage.FormatBytes(m.Bytes), time.Since(start).Seconds())
	return nil
}

// openAdminStores opens the database and the blob store the store flags
// name. On error nothing is left open; otherwise the caller closes db.
func openAdminStores(ctx context.Context, sf *storeFlags) (*sqlstore.DB, *blob.Store, error) {
	db, err := openAdminDB(ctx, sf)
	if err != nil {
		return nil, nil, err
	}
	bs, err := sf.openBlobs(ctx)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, blob.New(bs), nil
}

// cmdAdminRestore restores a backup into an empty data directory.
func cmdAdminRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin restore", stderr)
	var sf storeFlags
	sf.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: wharf admin restore SRC --data DIR [--blobs local|s3://...]\n\nRestores the backup in SRC into an empty data directory (and blob store), checking\nevery file against the manifest. Then run wharf admin verify and wharf serve.\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("admin restore: expected SRC: %w", errUsage)
	}
	if err := sf.resolve(); err != nil {
		return err
	}
	if sf.db != filepath.Join(sf.data, "wharf.db") {
		return fmt.Errorf("admin restore: restores SQLite backups into DATA/wharf.db; for PostgreSQL see docs/DEPLOY.md")
	}
	bs, err := sf.openBlobs(ctx)
	if err != nil {
		return err
	}
	m, err := backup.Restore(ctx, pos[0], sf.db, blob.New(bs), filepath.Join(sf.data, "secret"))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored the backup of %s into %s: %d blobs (%s)\n", m.CreatedAt.Format(time.RFC3339), sf.data, len(m.Blobs), storeusage.FormatBytes(m.Bytes))
	return nil
}

// cmdAdminVerify checks a hub (fsck).
func cmdAdminVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin verify", stderr)
	var sf storeFlags
	sf.register(fs)
	noHash := fs.Bool("no-hash", false, "check blob sizes only, without reading their content")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: wharf admin verify [--no-hash] [--json]\n\nChecks every git object's id, every repo's history, every registered blob (exists, size,\nsha256), every Xet file and xorb. Exit status 1 when something is wrong.\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("admin verify: no arguments expected: %w", errUsage)
	}
	db, blobs, err := openAdminStores(ctx, &sf)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := verifyHub(ctx, db, blobs, *noHash)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := writeJSONTo(stdout, rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "repos %d, git objects %d, contents %d (%s), Xet files %d, xorbs %d\n",
			rep.Repos, rep.Objects, rep.Contents, storeusage.FormatBytes(rep.Bytes), rep.XetFiles, rep.Xorbs)
		for _, p := range rep.Problems {
			fmt.Fprintln(stdout, "PROBLEM:", p)
		}
	}
	if !rep.OK() {
		return fmt.Errorf("verify: %d problems", rep.NProblems)
	}
	if !*asJSON {
		fmt.Fprintln(stdout, "ok")
	}
	return nil
}

func verifyHub(ctx context.Context, db *sqlstore.DB, blobs *blob.Store, noHash bool) (*fsck.Report, error) {
	tmp, err := os.MkdirTemp("", "wharf-verify-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	return fsck.Run(ctx, repo.New(db, repo.Options{TempDir: tmp}), blobs, fsck.Options{SkipContentHash: noHash})
}
