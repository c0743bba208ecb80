package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"

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
