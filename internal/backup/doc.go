// Package backup takes consistent online backups of a hub on SQLite (the
// database snapshot plus every blob it references, with a manifest of
// hashes) and restores them.
package backup
