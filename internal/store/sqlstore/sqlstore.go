package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"

	"github.com/wharfhub/wharf/internal/periodic"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect names the SQL engine behind a DB.
type Dialect int

const (
	SQLite Dialect = iota + 1
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// DB is the metadata database. It is safe for concurrent use.
type DB struct {
	*sql.DB
	Dialect Dialect

	stopCheckpoints func()   // SQLite: stops the background checkpoints
	stmts           sync.Map // query → *sql.Stmt (Prepared)
}

// Prepared returns query prepared once for the life of db, for statements
// run at high rates (a request each): SQLite parses a statement each time
// it is run otherwise, which costs more than running it when it looks up
// one row.
func (db *DB) Prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := db.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// checkpointEvery is how often the WAL of a SQLite database is
// checkpointed, in the background: a commit then does not copy the pages
// of the large transactions before it into the database (which SQLite's
// automatic checkpoints do, in the connection that commits: a tenth of the
// time of registering a shard of 10,000 files).
var checkpointEvery = time.Second

// checkpoints checkpoints the WAL every period (PASSIVE: neither writers
// nor readers wait for it) until ctx ends, then closes done.
func (db *DB) checkpoints(ctx context.Context, period time.Duration, done chan<- struct{}) {
	defer close(done)
	periodic.Run(ctx, period, func(ctx context.Context) {
		db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
	})
}

// Close stops the background checkpoints and closes the database (SQLite
// checkpoints what is left as its last connection closes).
func (db *DB) Close() error {
	if db.stopCheckpoints != nil {
		db.stopCheckpoints()
	}
	db.stmts.Range(func(q, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
	return db.DB.Close()
}

// Open connects to the database named by dsn and applies pending migrations.
// A dsn starting with postgres:// or postgresql:// selects PostgreSQL; anything
// else is a SQLite file path.
func Open(ctx context.Context, dsn string) (*DB, error) {
	var db *DB
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		sdb, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		sdb.SetMaxOpenConns(32)
		sdb.SetMaxIdleConns(16)
		db = &DB{DB: sdb, Dialect: Postgres}
	} else {
		// Every transaction takes the write lock up front (BEGIN IMMEDIATE):
		// a deferred transaction that upgrades to a write fails with
		// SQLITE_BUSY at once instead of waiting for the busy timeout.
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(30000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_pragma", "foreign_keys(ON)")
		// 32 MiB of page cache per connection (the default is 2 MiB): a
		// commit or shard of thousands of files otherwise spills pages
		// to the WAL in the middle of its transaction.
		q.Add("_pragma", "cache_size(-32768)")
		// Statement journals (multi-row INSERTs with ON CONFLICT inside a
		// transaction) in memory, not in temp files written page by page.
		q.Add("_pragma", "temp_store(MEMORY)")
		// Checkpoints in the background (see checkpointEvery).
		q.Add("_pragma", "wal_autocheckpoint(0)")
		q.Add("_pragma", "journal_size_limit(67108864)") // the WAL file shrinks back to 64 MiB when it restarts
		q.Set("_txlock", "immediate")
		sdb, err := sql.Open("sqlite", "file:"+dsn+"?"+q.Encode())
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
		}
		// Every connection kept open, not only database/sql's default of
		// two: a new one costs its pragmas, its statements prepared again
		// and a cold page cache, and bursts of concurrent requests (a
		// client's dedup lookups) otherwise open and close them by the
		// hundred. Idle for minutes, they go (and their caches with them).
		sdb.SetMaxOpenConns(8)
		sdb.SetMaxIdleConns(8)
		sdb.SetConnMaxIdleTime(5 * time.Minute)
		db = &DB{DB: sdb, Dialect: SQLite}
		cctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go db.checkpoints(cctx, checkpointEvery, done)
		var once sync.Once
		db.stopCheckpoints = func() { once.Do(func() { cancel(); <-done }) }
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect %s: %w", db.Dialect, err)
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// render turns a migration template into this dialect's SQL.
func (db *DB) render(src string) string {
	if db.Dialect == Postgres {
		return strings.NewReplacer("{{ID}}", "BIGSERIAL PRIMARY KEY", "{{BYTES}}", "BYTEA").Replace(src)
	}
	return strings.NewReplacer("{{ID}}", "INTEGER PRIMARY KEY AUTOINCREMENT", "{{BYTES}}", "BLOB").Replace(src)
}

// migrationLock is the PostgreSQL advisory lock that serializes the
// migrations of replicas starting at the same time.
const migrationLock = 0x77686172 // "whar"

// lockMigrations takes the migration lock for the transaction (PostgreSQL;
// SQLite transactions already hold the write lock).
func (db *DB) lockMigrations(ctx context.Context, tx *sql.Tx) error {
	if db.Dialect != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock)
	return err
}

func (db *DB) migrate(ctx context.Context) error {
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if err := db.lockMigrations(ctx, tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: bad name", name)
		}
		src, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			if err := db.lockMigrations(ctx, tx); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, v).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, stmt := range strings.Split(stripComments(db.render(string(src))), ";") {
				if strings.TrimSpace(stmt) == "" {
					continue
				}
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("%s: %w", strings.TrimSpace(stmt), err)
				}
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, v, time.Now().Unix())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	return nil
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// Tx runs fn in a transaction and commits it if fn returns nil. On SQLite the
// transaction holds the write lock from the start. Transient lock and
// serialization failures are retried a few times.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = ctx.Err(); err != nil {
			return err
		}
		err = db.tx(ctx, fn)
		if err == nil || !db.transient(err) {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
	}
	return err
}

func (db *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		if cerr := ctx.Err(); cerr != nil {
			// database/sql rolls a transaction back when its context ends,
			// and later statements then fail with "transaction has already
			// been committed or rolled back": report the cause instead.
			return cerr
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		return err
	}
	return nil
}

// transient reports whether err is a lock timeout or serialization failure
// that a retry of the whole transaction may cure.
func (db *DB) transient(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLSTATE 40001") || strings.Contains(msg, "SQLSTATE 40P01")
}

// IsUniqueViolation reports whether err is a unique or primary key violation.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return strings.Contains(err.Error(), "SQLSTATE 23505")
}

// Querier is what QueryIn needs: a *sql.DB, *sql.Tx or *sql.Conn.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// MaxIn is the number of values QueryIn binds in one IN list.
const MaxIn = 500

// QueryIn runs query, whose one %s is replaced by a list of placeholders,
// once per batch of at most MaxIn ids, binding lead first ($1 to $k in
// query) and then the batch, and calls scan for every row. The list's
// placeholders are "$N" on PostgreSQL and plain "?" on SQLite, which
// numbers them after the lead's and would otherwise search a list of
// hundreds of named ones linearly for each as it compiles the query
// (a third of the time of a 500-id query).
func (d Dialect) QueryIn(ctx context.Context, q Querier, query string, lead []any, ids []string, scan func(*sql.Rows) error) error {
	for len(ids) > 0 {
		n := min(MaxIn, len(ids))
		chunk := ids[:n]
		ids = ids[n:]
		args := make([]any, 0, n+len(lead))
		args = append(args, lead...)
		var ph strings.Builder
		for i, id := range chunk {
			if i > 0 {
				ph.WriteByte(',')
			}
			if d == SQLite {
				ph.WriteByte('?')
			} else {
				ph.WriteString("$" + strconv.Itoa(i+len(lead)+1))
			}
			args = append(args, id)
		}
		rows, err := q.QueryContext(ctx, fmt.Sprintf(query, ph.String()), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Execer is what InsertRows needs: a *sql.DB, *sql.Tx or *sql.Conn.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// insertRowsMax is the number of rows InsertRows puts in one statement.
const insertRowsMax = 500

// InsertRows inserts rows (all of the same width) with one statement per
// batch of at most 500: head names the table and columns ("INSERT INTO t
// (a, b)"), tail follows the VALUES lists ("ON CONFLICT DO NOTHING"). It
// returns the rows affected. Placeholders are plain "?" on SQLite, which
// searches numbered ones linearly when it compiles and binds them, and
// "$N" on PostgreSQL.
func (d Dialect) InsertRows(ctx context.Context, q Execer, head, tail string, rows [][]any) (int64, error) {
	var total int64
	for len(rows) > 0 {
		n := min(insertRowsMax, len(rows))
		var b strings.Builder
		b.WriteString(head)
		b.WriteString(" VALUES ")
		args := make([]any, 0, n*len(rows[0]))
		for i, row := range rows[:n] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('(')
			for j, v := range row {
				if j > 0 {
					b.WriteByte(',')
				}
				args = append(args, v)
				if d == SQLite {
					b.WriteByte('?')
				} else {
					b.WriteString("$" + strconv.Itoa(len(args)))
				}
			}
			b.WriteByte(')')
		}
		if tail != "" {
			b.WriteByte(' ')
			b.WriteString(tail)
		}
		res, err := q.ExecContext(ctx, b.String(), args...)
		if err != nil {
			return total, err
		}
		if k, err := res.RowsAffected(); err == nil {
			total += k
		}
		rows = rows[n:]
	}
	return total, nil
}
