package server

import (
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// maxRanges is how many ranges one request may ask for; past it the
// whole file is served (RFC 9110 §14.2 lets a server ignore Range), so a
// header of thousands of tiny ranges costs no more than one download.
const maxRanges = 32

// serveContent serves content with Range support, as http.ServeContent,
// but answers 416 to a Range no part of which can be served ("bytes=-0":
// a suffix of zero bytes; RFC 9110 §14.1.1) and serves the whole file to
// a Range of more than maxRanges ranges.
func serveContent(w http.ResponseWriter, r *http.Request, content io.ReadSeeker) {
	if rng := r.Header.Get("Range"); rng != "" {
		if spec, ok := strings.CutPrefix(rng, "bytes="); ok {
			parts := strings.Split(spec, ",")
			if len(parts) > maxRanges {
				r.Header.Del("Range")
			} else if allEmptySuffixes(parts) {
				size, err := content.Seek(0, io.SeekEnd)
				if err == nil {
					w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
				}
				http.Error(w, "requested range not satisfiable", http.StatusRequestedRangeNotSatisfiable)
				return
			}
		}
	}
	http.ServeContent(w, r, "", time.Time{}, osFile(content))
}

// osFile returns the *os.File under a local blob, which the server sends
// with sendfile(2) (the response writer's ReadFrom), or content itself.
func osFile(content io.ReadSeeker) io.ReadSeeker {
	if f, ok := content.(interface{ OSFile() *os.File }); ok {
		return f.OSFile()
	}
	return content
}

// allEmptySuffixes reports whether every range spec is "-0".
func allEmptySuffixes(parts []string) bool {
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if !strings.HasPrefix(p, "-") {
			return false
		}
		if n, err := strconv.ParseInt(p[1:], 10, 64); err != nil || n != 0 {
			return false
		}
	}
	return true
}
