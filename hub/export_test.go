package hub

// SetXetStreamMin sets the size from which uploads are streamed (see
// xet_stream.go) and returns a function that restores it. Tests that call
// it must not run in parallel.
func SetXetStreamMin(n int64) (restore func()) {
	old := xetStreamMin
	xetStreamMin = n
	return func() { xetStreamMin = old }
}

// SetKeptMax sets how many bytes of small files a commit keeps in memory
// from their sampling on (see commit.go) and returns a function that
// restores it. Tests that call it must not run in parallel.
func SetKeptMax(n int64) (restore func()) {
	old := keptMax
	keptMax = n
	return func() { keptMax = old }
}
