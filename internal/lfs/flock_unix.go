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

// tryLockFile takes an exclusive lock on f if nobody holds one.
func tryLockFile(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err == syscall.EWOULDBLOCK {
		return false, nil
	}
	return err == nil, err
}
