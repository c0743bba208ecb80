package local

import (
	"os"
	"syscall"
)

// oDirect is the open flag for direct I/O: staged files are written past
// the page cache (see staged.Write).
const oDirect = syscall.O_DIRECT

// clearDirect turns direct I/O off for f: its remaining writes go through
// the page cache, and so need no alignment.
func clearDirect(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		flags, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
		if e != 0 {
			serr = e
			return
		}
		if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETFL, flags&^syscall.O_DIRECT); e != 0 {
			serr = e
		}
	})
	if err != nil {
		return err
	}
	return serr
}
