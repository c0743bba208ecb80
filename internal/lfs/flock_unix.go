//go:build unix

package lfs

import (
	"os"
	"syscall"
)

// lockFile takes an advisory lock on f: shared for part writers, exclusive
// for the completion that publishes the staged file. It blocks.
func lockFile(f *os.File, exclusive bool) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}

const canLock = true
