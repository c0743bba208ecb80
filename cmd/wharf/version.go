package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is set at release builds: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

// cmdVersion prints the version, the commit the binary was built from
// (when the build had VCS information) and the Go version.
func cmdVersion(stdout io.Writer) error {
	rev, modified := "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified {
		rev += "+dirty"
	}
	if rev == "" {
		rev = "unknown"
	}
	fmt.Fprintf(stdout, "wharf %s (commit %s, %s %s/%s)\n", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
