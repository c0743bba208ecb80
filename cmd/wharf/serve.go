package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/server"
	"github.com/wharfhub/wharf/internal/store/blob"
	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/internal/web"
)

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	var sf storeFlags
	sf.register(fs)
	addr := fs.String("addr", envOr("WHARF_ADDR", "127.0.0.1:8080"), "address to listen on")
	publicURL := fs.String("public-url", os.Getenv("WHARF_PUBLIC_URL"), "base URL put into returned URLs (default: from each request's Host)")
	secretFile := fs.String("secret-file", os.Getenv("WHARF_SECRET_FILE"), "file holding the server secret (64+ hex digits) that signs transfer URLs and Xet tokens; replicas must share it (default: DATA/secret, created on first start)")
	gcInterval := fs.Duration("gc-interval", 0, "run garbage collection (gc --apply) this often, e.g. 6h; replicas take turns (default: never)")
	gcGrace := fs.Duration("gc-grace", time.Hour, "grace period of the background gc (see wharf admin gc -h)")
	logFormat := fs.String("log-format", envOr("WHARF_LOG_FORMAT", "text"), "log lines as text or json")
	shutdownTimeout := fs.Duration("shutdown-timeout", 30*time.Second, "on SIGTERM, how long running requests (uploads, commits) may take to finish")
	metricsAddr := fs.String("metrics-addr", os.Getenv("WHARF_METRICS_ADDR"), "serve Prometheus metrics at http://ADDR/metrics, e.g. 127.0.0.1:9090 (default: off)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := sf.resolve(); err != nil {
		return err
	}
	var logger *slog.Logger
	switch *logFormat {
	case "text":
		logger = slog.New(slog.NewTextHandler(stderr, nil))
	case "json":
		logger = slog.New(slog.NewJSONHandler(stderr, nil))
	default:
		return fmt.Errorf("--log-format %q: want text or json: %w", *logFormat, errUsage)
	}
	db, err := sqlstore.Open(ctx, sf.db)
	if err != nil {
		return err
	}
	defer db.Close()
	accounts := auth.New(db)
	if err := bootstrapAdmin(ctx, accounts, sf.data, stdout); err != nil {
		return err
	}
	tmp := filepath.Join(sf.data, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	bs, err := sf.openBlobs(ctx)
	if err != nil {
		return err
	}
	var key []byte
	switch {
	case *secretFile != "":
		key, err = loadSecret(*secretFile)
	case db.Dialect == sqlstore.Postgres && strings.HasPrefix(sf.blobs, "s3://"):
		return errors.New("serve: with PostgreSQL and S3 every replica must sign with the same secret: pass --secret-file (or WHARF_SECRET_FILE)")
	default:
		key, err = loadOrCreateSecret(filepath.Join(sf.data, "secret"))
	}
	if err != nil {
		return err
	}
	engine := repo.New(db, repo.Options{TempDir: tmp, Logger: logger})
	pages := web.New(web.Config{Engine: engine, Auth: accounts, PublicURL: *publicURL, Logger: logger})
	blobs := blob.New(bs)
	srv := server.New(server.Config{
		Engine: engine, Auth: accounts, Blobs: blobs, PublicURL: *publicURL,
		Logger: logger, TempDir: tmp, SigningKey: key, Pages: pages,
	})
	pages.SetXet(srv.Xet())
	go srv.RunSweeper(ctx, 10*time.Minute)
	if *gcInterval > 0 {
		go runGC(ctx, engine, blobs, *gcInterval, max(*gcGrace, time.Minute), logger, srv.Metrics())
	}
	if *metricsAddr != "" {
		stopMetrics, err := serveMetrics(*metricsAddr, srv.Metrics(), stdout)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 30 * time.Second}
	fmt.Fprintf(stdout, "wharf: serving http://%s (data %s, %s)\n", ln.Addr(), sf.data, db.Dialect)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Shutdown stops accepting connections and waits for running requests;
	// a commit is one transaction, so one cut short leaves nothing half-done.
	shutdown, cancel := context.WithTimeout(context.Background(), *shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// loadOrCreateSecret returns the server secret kept at path (hex, mode
// 0600), creating it on first start. Signed transfer URLs and Xet CAS tokens
// are derived from it, so they stay valid across restarts.
func loadOrCreateSecret(path string) ([]byte, error) {
	if key, err := loadSecret(path); !errors.Is(err, os.ErrNotExist) {
		return key, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	return key, nil
}

// loadSecret reads a server secret: at least 64 hex digits.
func loadSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("secret %s: want at least 64 hex digits", path)
	}
	return key, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// bootstrapAdmin creates the admin account when the hub has no
// administrator (its first start) and writes its
// token to DATA/admin-token (mode 0600), so it never appears in logs.
func bootstrapAdmin(ctx context.Context, accounts *auth.Store, dataDir string, stdout io.Writer) error {
	n, err := accounts.CountAdmins(ctx)
	if err != nil || n > 0 {
		return err
	}
	admin := &auth.Account{Name: "admin", Fullname: "Administrator", IsAdmin: true}
	if err := accounts.CreateAccount(ctx, admin); errors.Is(err, auth.ErrExists) {
		fmt.Fprintln(stdout, "wharf: no administrator yet and the name admin is taken; create one with `wharf admin user add NAME --admin`")
		return nil
	} else if err != nil {
		return err
	}
	token, err := accounts.AddToken(ctx, admin, auth.RoleWrite, "bootstrap", "")
	if err != nil {
		return err
	}
	path := filepath.Join(dataDir, "admin-token")
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wharf: created the admin account; its token is in %s (cat it, then delete the file)\n", path)
	return nil
}
