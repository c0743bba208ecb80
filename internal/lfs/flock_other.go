//go:build !unix

package lfs

import (
	"errors"
	"os"
)

func lockFile(f *os.File, exclusive bool) error { return errors.ErrUnsupported }

// Without file locks, completion copies the staged file instead of
// adopting it (a late part writer could change it after verification).
const canLock = false

func tryLockFile(f *os.File) (bool, error) { return false, errors.ErrUnsupported }
