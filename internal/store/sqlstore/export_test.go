package sqlstore

import "time"

// SetCheckpointEvery sets how often SQLite databases opened from now on
// checkpoint their WAL and returns a function that restores it. Tests that
// call it must not run in parallel.
func SetCheckpointEvery(d time.Duration) (restore func()) {
	old := checkpointEvery
	checkpointEvery = d
	return func() { checkpointEvery = old }
}
