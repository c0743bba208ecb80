//go:build !linux

package local

import "os"

// oDirect is 0 where direct I/O is not used.
const oDirect = 0

func clearDirect(f *os.File) error { return nil }
