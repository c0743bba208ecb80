package hub

// SetXetStreamMin sets the size from which uploads are streamed (see
// xet_stream.go) and returns a function that restores it. Tests that call
// it must not run in parallel.
func SetXetStreamMin(n int64) (restore func()) {
	old := xetStreamMin
	xetStreamMin = n
	return func() { xetStreamMin = old }
}
