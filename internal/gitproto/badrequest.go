package gitproto

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v6/plumbing"
	"github.com/go-git/go-git/v6/plumbing/format/pktline"

	"github.com/wharfhub/wharf/internal/repo"
)

// ErrProtocol is a request body that is not what git sends: the server
// answers 400 before any byte of the exchange, as git's http-backend
// refuses what upload-pack and receive-pack cannot parse.
var ErrProtocol = errors.New("malformed git request")

func protocolErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrProtocol, fmt.Sprintf(format, args...))
}

// pktLines splits b into pkt-lines: payloads, nil for the special packets
// (flush, delim, response-end). It stops at a "PACK" header, which starts
// a pack instead of a pkt-line, and returns where it stopped.
func pktLines(b []byte) (lines [][]byte, rest []byte, err error) {
	for len(b) > 0 {
		if bytes.HasPrefix(b, []byte("PACK")) {
			return lines, b, nil
		}
		if len(b) < 4 {
			return nil, nil, protocolErrorf("truncated pkt-line length %q", b)
		}
		n, perr := strconv.ParseUint(string(b[:4]), 16, 16)
		if perr != nil {
			return nil, nil, protocolErrorf("invalid pkt-line length %q", b[:4])
		}
		switch {
		case n <= 2:
			lines = append(lines, nil)
			b = b[4:]
			continue
		case n == 3 || n > pktline.MaxSize:
			return nil, nil, protocolErrorf("invalid pkt-line length %d", n)
		case int(n) > len(b):
			return nil, nil, protocolErrorf("pkt-line of %d bytes cut at %d", n, len(b))
		}
		lines = append(lines, b[4:n])
		b = b[n:]
	}
	return lines, nil, nil
}

// checkUploadRequest checks an upload-pack request (read whole) before it
// is served: its framing, and that it starts as git's do. It returns the
// ids the request wants.
func checkUploadRequest(req []byte, v2 bool) ([]plumbing.Hash, error) {
	lines, rest, err := pktLines(req)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, protocolErrorf("unexpected pack data in a fetch request")
	}
	var wants []plumbing.Hash
	first := true
	for _, l := range lines {
		if l == nil {
			continue
		}
		s := strings.TrimSuffix(string(l), "\n")
		if first {
			first = false
			if v2 && !strings.HasPrefix(s, "command=") {
				return nil, protocolErrorf("expected a command, got %.40q", s)
			}
			if !v2 && !strings.HasPrefix(s, "want ") {
				return nil, protocolErrorf("expected a want line, got %.40q", s)
			}
		}
		if w, ok := strings.CutPrefix(s, "want "); ok {
			id, _, _ := strings.Cut(w, " ")
			h, ok := plumbing.FromHex(id)
			if !ok || len(id) != 40 {
				return nil, protocolErrorf("invalid object id in want line %.60q", s)
			}
			wants = append(wants, h)
		}
	}
	if len(req) == 0 {
		return nil, protocolErrorf("empty request")
	}
	return wants, nil
}

// checkReceiveCommands reads the command list at the start of a
// receive-pack body and checks it; the returned reader replays the whole
// body.
func checkReceiveCommands(body io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(body, 64<<10)
	var head bytes.Buffer
	inCert := false
	for i := 0; ; i++ {
		lenHex, err := br.Peek(4)
		if err != nil {
			if len(lenHex) == 0 && i == 0 {
				return nil, protocolErrorf("empty request")
			}
			return nil, protocolErrorf("request ends inside its command list")
		}
		n, perr := strconv.ParseUint(string(lenHex), 16, 16)
		if perr != nil {
			return nil, protocolErrorf("invalid pkt-line length %q", lenHex)
		}
		if n == 0 {
			head.Write(lenHex)
			br.Discard(4)
			break
		}
		if n < 4 || n > pktline.MaxSize {
			return nil, protocolErrorf("invalid pkt-line length %d", n)
		}
		line := make([]byte, n)
		if _, err := io.ReadFull(br, line); err != nil {
			return nil, protocolErrorf("pkt-line of %d bytes cut short", n)
		}
		head.Write(line)
		cmd := strings.TrimSuffix(string(line[4:]), "\n")
		cmd, _, hasCaps := strings.Cut(cmd, "\x00")
		if i == 0 && !hasCaps && !strings.HasPrefix(cmd, "shallow ") && !strings.HasPrefix(cmd, "push-cert") {
			return nil, protocolErrorf("the first command carries no capabilities")
		}
		switch {
		case strings.HasPrefix(cmd, "push-cert-end"):
			inCert = false
			continue
		case strings.HasPrefix(cmd, "push-cert"):
			inCert = true
			continue
		case inCert, strings.HasPrefix(cmd, "shallow "):
			continue
		}
		f := strings.Fields(cmd)
		if len(f) != 3 || !plumbing.IsHash(f[0]) || !plumbing.IsHash(f[1]) || !strings.HasPrefix(f[2], "refs/") {
			return nil, protocolErrorf("invalid command %.120q", cmd)
		}
	}
	return io.MultiReader(&head, br), nil
}

// notOurRef is upload-pack's in-band answer to a want of an object the
// repository does not have.
func notOurRef(w io.Writer, h plumbing.Hash) error {
	_, err := pktline.Writef(w, "ERR upload-pack: not our ref %s\n", h)
	return err
}

// firstMissing returns the first of wants that the repository does not
// have, looked up in one query.
func (s *Service) firstMissing(ctx context.Context, r *repo.Repo, wants []plumbing.Hash) (plumbing.Hash, bool, error) {
	if len(wants) == 0 {
		return plumbing.ZeroHash, false, nil
	}
	ids := make([]string, len(wants))
	for i, h := range wants {
		ids[i] = h.String()
	}
	infos, err := s.eng.ObjectInfos(ctx, r, ids)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	for i, id := range ids {
		if _, ok := infos[id]; !ok {
			return wants[i], true, nil
		}
	}
	return plumbing.ZeroHash, false, nil
}
