// Package sqlstore opens the metadata database, SQLite or PostgreSQL, and
// keeps its schema current. The same SQL text runs on both engines: queries
// use $N placeholders, which both drivers bind by number.
package sqlstore
