package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/internal/store/sqlstore/sqltest"
)

// TestConcurrentMigrations: replicas that start at the same time on a new
// PostgreSQL database all come up; the migrations run once.
func TestConcurrentMigrations(t *testing.T) {
	dsn := sqltest.FreshPostgres(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := sqlstore.Open(context.Background(), dsn)
			if err != nil {
				errs <- err
				return
			}
			db.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("replica start: %v", err)
	}
	db, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, distinct int
	if err := db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != distinct || n == 0 {
		t.Fatalf("schema_migrations: %d rows, %d versions", n, distinct)
	}
}

// TestQueryInAndInsertRows: rows inserted in batches come back from IN
// queries of more than MaxIn ids, with lead arguments bound by number
// (even when the query names $2 before $1).
func TestQueryInAndInsertRows(t *testing.T) {
	for _, d := range sqltest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) {
			ctx := t.Context()
			db := sqltest.Open(t, d)
			if _, err := db.ExecContext(ctx, `CREATE TABLE qin (k TEXT PRIMARY KEY, grp INTEGER NOT NULL, v INTEGER NOT NULL)`); err != nil {
				t.Fatal(err)
			}
			n := 2*sqlstore.MaxIn + 17
			var rows [][]any
			var ids []string
			for i := range n {
				k := fmt.Sprintf("k%05d", i)
				rows = append(rows, []any{k, i % 2, i})
				ids = append(ids, k)
			}
			ids = append(ids, "missing")
			if got, err := db.Dialect.InsertRows(ctx, db, `INSERT INTO qin (k, grp, v)`, `ON CONFLICT DO NOTHING`, rows); err != nil || got != int64(n) {
				t.Fatalf("InsertRows: %d rows, %v; want %d", got, err, n)
			}
			seen := map[string]int{}
			err := db.Dialect.QueryIn(ctx, db, `SELECT k, v + $2 FROM qin WHERE grp = $1 AND k IN (%s)`, []any{1, 1000}, ids, func(r *sql.Rows) error {
				var k string
				var v int
				if err := r.Scan(&k, &v); err != nil {
					return err
				}
				seen[k] = v
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(seen) != n/2 {
				t.Fatalf("%d rows of group 1, want %d", len(seen), n/2)
			}
			for k, v := range seen {
				var i int
				fmt.Sscanf(k, "k%05d", &i)
				if i%2 != 1 || v != i+1000 {
					t.Fatalf("row %s: v+1000 = %d", k, v)
				}
			}
		})
	}
}

// TestBackgroundCheckpoints: a SQLite database's commits leave their pages
// in the WAL (no automatic checkpoint in the committing connection); the
// background checkpoints copy them into the database file.
func TestBackgroundCheckpoints(t *testing.T) {
	fill := func(every time.Duration) (dbFile string, db *sqlstore.DB) {
		t.Helper()
		defer sqlstore.SetCheckpointEvery(every)()
		dbFile = filepath.Join(t.TempDir(), "wharf.db")
		db, err := sqlstore.Open(t.Context(), dbFile)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := db.ExecContext(t.Context(), `CREATE TABLE fill (k TEXT PRIMARY KEY, v BLOB)`); err != nil {
			t.Fatal(err)
		}
		rows := make([][]any, 8000)
		for i := range rows {
			rows[i] = []any{fmt.Sprintf("key-%06d", i), make([]byte, 1000)}
		}
		if _, err := db.Dialect.InsertRows(t.Context(), db, `INSERT INTO fill (k, v)`, "", rows); err != nil {
			t.Fatal(err)
		}
		return dbFile, db
	}
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// Checkpoints far apart: 8 MB of rows wait in the WAL.
	slow, _ := fill(time.Hour)
	if db, wal := size(slow), size(slow+"-wal"); db > 1<<20 || wal < 6<<20 {
		t.Fatalf("without a checkpoint: database file %d bytes, WAL %d; want the rows in the WAL", db, wal)
	}
	// Frequent checkpoints: the rows reach the database file.
	fast, _ := fill(10 * time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for size(fast) < 6<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes after 10 s of background checkpoints", size(fast))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPrepared: a query is prepared once and shared by concurrent callers,
// each query string has its own statement, a query that does not prepare
// is an error every time (nothing cached), and Close closes the statements.
func TestPrepared(t *testing.T) {
	for _, d := range sqltest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) {
			ctx := t.Context()
			db := sqltest.Open(t, d)
			if _, err := db.ExecContext(ctx, `CREATE TABLE prep (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
				t.Fatal(err)
			}
			for i := range 20 {
				if _, err := db.ExecContext(ctx, `INSERT INTO prep (k, v) VALUES ($1, $2)`, i, fmt.Sprint("v", i)); err != nil {
					t.Fatal(err)
				}
			}
			const q = `SELECT v FROM prep WHERE k = $1`
			stmts := make([]*sql.Stmt, 8)
			var wg sync.WaitGroup
			for g := range stmts {
				wg.Go(func() {
					for i := range 50 {
						st, err := db.Prepared(ctx, q)
						if err != nil {
							t.Error(err)
							return
						}
						stmts[g] = st
						var v string
						if err := st.QueryRowContext(ctx, i%20).Scan(&v); err != nil || v != fmt.Sprint("v", i%20) {
							t.Errorf("row %d: %q, %v", i%20, v, err)
							return
						}
					}
				})
			}
			wg.Wait()
			for g, st := range stmts {
				if st != stmts[0] {
					t.Fatalf("goroutine %d got another statement for the same query", g)
				}
			}
			other, err := db.Prepared(ctx, `SELECT k FROM prep WHERE v = $1`)
			if err != nil || other == stmts[0] {
				t.Fatalf("another query: %p (the first %p), %v", other, stmts[0], err)
			}
			for range 2 {
				if _, err := db.Prepared(ctx, `SELECT nothing FROM nowhere`); err == nil {
					t.Fatal("a query on a missing table prepared")
				}
			}
			db.Close()
			var v string
			if err := stmts[0].QueryRowContext(ctx, 1).Scan(&v); err == nil {
				t.Fatal("a statement still runs after Close")
			}
		})
	}
}

// TestSQLiteKeepsConnections: connections a burst opened stay open for the
// next one (database/sql keeps two idle by default, and a new SQLite
// connection costs its pragmas, its prepared statements and its cache).
func TestSQLiteKeepsConnections(t *testing.T) {
	ctx := t.Context()
	db := sqltest.Open(t, sqltest.SQLite)
	for round := range 2 {
		var conns []*sql.Conn
		for range 8 {
			c, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var one int
			if err := c.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Close()
		}
		st := db.Stats()
		if st.MaxIdleClosed != 0 || st.OpenConnections != 8 || st.Idle != 8 {
			t.Fatalf("round %d: %d connections open, %d idle, %d closed for the idle limit; want 8, 8, 0", round, st.OpenConnections, st.Idle, st.MaxIdleClosed)
		}
	}
}
