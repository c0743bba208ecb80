// Package sqltest opens throwaway metadata databases for tests: a SQLite
// file in t.TempDir(), and a fresh PostgreSQL database on the server named
// by WHARF_TEST_POSTGRES.
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/wharfhub/wharf/internal/store/sqlstore"
)

// Dialect names a test database flavour.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Dialects returns the dialects to run tests on: always SQLite, and
// PostgreSQL when WHARF_TEST_POSTGRES is set. With WHARF_REQUIRE_POSTGRES=1
// a missing PostgreSQL fails the test instead of being skipped.
func Dialects(t testing.TB) []Dialect {
	t.Helper()
	out := []Dialect{SQLite}
	if os.Getenv("WHARF_TEST_POSTGRES") != "" {
		out = append(out, Postgres)
	} else if os.Getenv("WHARF_REQUIRE_POSTGRES") == "1" {
		t.Fatal("WHARF_REQUIRE_POSTGRES=1 but WHARF_TEST_POSTGRES is not set")
	}
	return out
}

// Open returns a migrated, empty database of dialect d, removed when the
// test ends.
func Open(t testing.TB, d Dialect) *sqlstore.DB {
	t.Helper()
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "wharf.db")
	if d == Postgres {
		dsn = freshPostgres(t)
	}
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// FreshPostgres creates a new, empty (unmigrated) database on the test
// server and returns its DSN; it is dropped when the test ends.
func FreshPostgres(t testing.TB) string { return freshPostgres(t) }

// freshPostgres creates a new database on the test server and returns its DSN.
func freshPostgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv("WHARF_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("WHARF_REQUIRE_POSTGRES") == "1" {
			t.Fatal("WHARF_REQUIRE_POSTGRES=1 but WHARF_TEST_POSTGRES is not set")
		}
		t.Skip("WHARF_TEST_POSTGRES not set")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	name := "wharf_t_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
