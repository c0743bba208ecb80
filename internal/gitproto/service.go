package gitproto

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/go-git/go-git/v6/plumbing/protocol"
	"github.com/go-git/go-git/v6/plumbing/transport"

	"github.com/wharfhub/wharf/internal/repo"
)

// Services, as named in info/refs?service= and in the RPC URLs.
const (
	UploadPack  = transport.UploadPackService  // "git-upload-pack": clone and fetch
	ReceivePack = transport.ReceivePackService // "git-receive-pack": push
)

// ErrUnknownService is a service other than git-upload-pack and
// git-receive-pack.
var ErrUnknownService = errors.New("unknown git service")

// Options configures a Service.
type Options struct {
	// MaxPushBytes bounds the objects one push may bring (uncompressed);
	// they are held in memory until the push is validated. Default 1 GiB.
	MaxPushBytes int64
	// MaxFileSize is the size from which a file must be stored with git-lfs.
	// Default 10 MiB, as on the Hub.
	MaxFileSize int64
	// Logger gets what cannot be told to the client. Default: discard.
	Logger *slog.Logger
}

// Service serves git smart HTTP for the repos of an engine. It holds no
// per-request state and is safe for concurrent use.
type Service struct {
	eng  *repo.Engine
	opts Options
}

// New returns a Service over eng.
func New(eng *repo.Engine, opts Options) *Service {
	if opts.MaxPushBytes <= 0 {
		opts.MaxPushBytes = 1 << 30
	}
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = 10 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{eng: eng, opts: opts}
}

// InfoRefs writes the answer to GET info/refs?service=svc: the ref
// advertisement with its "# service=" preamble, or for protocol v2
// (gitProtocol "version=2", the Git-Protocol header) the capability
// advertisement.
func (s *Service) InfoRefs(ctx context.Context, w io.Writer, r *repo.Repo, svc, gitProtocol string) error {
	st, err := newStore(ctx, s.eng, r, s.opts.MaxPushBytes)
	if err != nil {
		return err
	}
	out := newSyncWriter(w)
	switch svc {
	case UploadPack:
		err = transport.UploadPack(ctx, st, nil, out, &transport.UploadPackRequest{
			GitProtocol: gitProtocol, AdvertiseRefs: true, StatelessRPC: true,
		})
	case ReceivePack:
		err = transport.ReceivePack(ctx, st, nil, out, &transport.ReceivePackRequest{
			GitProtocol: gitProtocol, AdvertiseRefs: true, StatelessRPC: true,
		})
	default:
		return fmt.Errorf("%w %q", ErrUnknownService, svc)
	}
	if ferr := out.flush(); err == nil {
		err = ferr
	}
	return err
}

// UploadPack answers POST git-upload-pack: negotiation and the pack of a
// clone or fetch (shallow too). Objects stream from SQL in batches.
func (s *Service) UploadPack(ctx context.Context, w io.Writer, r *repo.Repo, body io.Reader, gitProtocol string) error {
	st, err := newStore(ctx, s.eng, r, s.opts.MaxPushBytes)
	if err != nil {
		return err
	}
	out := newSyncWriter(w)
	// Stateless requests are small (wants and haves): read one, serve it
	// ourselves when we can (see fetch.go), hand anything else to go-git.
	req, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	v2 := transport.ProtocolVersion(gitProtocol) == protocol.V2
	if bytes.Equal(req, []byte("0000")) {
		return nil // a client that wants nothing
	}
	wants, err := checkUploadRequest(req, v2)
	if err != nil {
		return err
	}
	if h, ok, err := s.firstMissing(ctx, r, wants); err != nil {
		return err
	} else if ok {
		// As git: an in-band error the client prints.
		if err := notOurRef(out, h); err != nil {
			return err
		}
		return out.flush()
	}
	if v2 {
		if args := parseFetchV2(req); args != nil {
			err = s.fetchV2(ctx, st, args, out)
			if ferr := out.flush(); err == nil {
				err = ferr
			}
			return err
		}
	} else if clone, round, ok := parseCloneV0(req); ok {
		err = s.cloneV0(ctx, st, clone, round, out)
		if ferr := out.flush(); err == nil {
			err = ferr
		}
		return err
	}
	body = bytes.NewReader(req)
	err = transport.UploadPack(ctx, st, io.NopCloser(body), out, &transport.UploadPackRequest{
		GitProtocol: gitProtocol, StatelessRPC: true,
		// Objects are stored whole, not as deltas: computing deltas on every
		// clone costs more CPU than the bytes it saves on a LAN.
		SkipDeltaCompression: true,
	})
	if ferr := out.flush(); err == nil {
		err = ferr
	}
	return err
}

// ReceivePack answers POST git-receive-pack: it reads the pushed pack into
// memory, validates it like an API commit (see validatePush) and only then
// writes the objects and moves the refs in one transaction. A refused push
// is reported to git per ref ("! [remote rejected] main -> main (reason)"),
// not as an error: the error return is for failures of the exchange.
func (s *Service) ReceivePack(ctx context.Context, w io.Writer, r *repo.Repo, body io.Reader, gitProtocol string, pusher repo.Author) error {
	st, err := newStore(ctx, s.eng, r, s.opts.MaxPushBytes)
	if err != nil {
		return err
	}
	if body, err = checkReceiveCommands(body); err != nil {
		return err
	}
	out := newSyncWriter(w)
	p := &push{svc: s, st: st, r: r, pusher: pusher}
	err = transport.ReceivePack(ctx, st, io.NopCloser(body), out, &transport.ReceivePackRequest{
		GitProtocol: gitProtocol, StatelessRPC: true,
		Hooks: transport.ReceivePackHooks{PreReceive: p.preReceive},
	})
	if ferr := out.flush(); err == nil {
		err = ferr
	}
	if p.rejected != nil && errors.Is(err, p.rejected) {
		// Told to the client in the report; not a failure of the exchange.
		return nil
	}
	return err
}

// syncWriter buffers the response and serializes writes: go-git writes
// from helper goroutines, and a context cancellation may leave one running.
type syncWriter struct {
	mu  sync.Mutex
	bw  *bufio.Writer
	err error
}

func newSyncWriter(w io.Writer) *syncWriter {
	return &syncWriter{bw: bufio.NewWriterSize(w, 64<<10)}
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.bw.Write(p)
	w.err = err
	return n, err
}

// Close does not close the underlying writer: go-git closes its output
// when it is done, but the HTTP response is the caller's.
func (w *syncWriter) Close() error { return w.flush() }

func (w *syncWriter) flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	w.err = w.bw.Flush()
	return w.err
}
