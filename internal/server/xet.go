package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wharfhub/wharf/internal/auth"
	"github.com/wharfhub/wharf/internal/lfs"
	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/xetcas"
	"github.com/wharfhub/wharf/wire"
	"github.com/wharfhub/wharf/xet"
	"github.com/wharfhub/wharf/xet/shard"
	"github.com/wharfhub/wharf/xet/xorb"
)

// casPrefix is where the Xet CAS lives on the hub's own port: casUrl is
// the public base URL plus this. "api" is a reserved namespace, so no repo
// URL can collide with it.
const casPrefix = "/api/cas"

// casPath reports whether an escaped request path is a CAS path, and its
// decoded segments after the prefix. hf_xet sends telemetry to /v1/telemetry
// at the root of the CAS host, which is ours too.
func casPath(escaped string) ([]string, bool) {
	if escaped == "/v1/telemetry" {
		return []string{"v1", "telemetry"}, true
	}
	rest, ok := strings.CutPrefix(escaped, casPrefix+"/")
	if !ok {
		return nil, false
	}
	segs, ok := wire.Segments(rest)
	return segs, ok && len(segs) > 0
}

func (s *Server) casURL(r *http.Request) string { return s.baseURL(r) + casPrefix }

// routeCAS serves the CAS API (XET.md §5): the /v1 and /v2 families, and
// the unprefixed and singular aliases older hf_xet releases use.
func (s *Server) routeCAS(w http.ResponseWriter, r *http.Request, segs []string) {
	w.Header().Set(xet.FeaturesHeader, xet.FeatureFileSHA256)
	version := "v1"
	if segs[0] == "v1" || segs[0] == "v2" {
		version, segs = segs[0], segs[1:]
	}
	if len(segs) == 0 {
		s.notFound(w, r)
		return
	}
	m := r.Method
	switch res := strings.TrimSuffix(segs[0], "s"); {
	case res == "xorb" && len(segs) == 3 && (m == http.MethodPost || m == http.MethodPut):
		setRoute(r, "cas.xorb.upload")
		s.casPutXorb(w, r, segs[1], segs[2])
	case res == "xorb" && len(segs) == 3 && m == http.MethodHead:
		setRoute(r, "cas.xorb.head")
		s.casHeadXorb(w, r, segs[1], segs[2])
	case res == "shard" && (len(segs) == 1 || len(segs) == 3) && (m == http.MethodPost || m == http.MethodPut):
		setRoute(r, "cas.shard.upload")
		s.casPutShard(w, r, version == "v2")
	case res == "chunk" && len(segs) == 3 && m == http.MethodGet:
		setRoute(r, "cas.chunk")
		s.casDedup(w, r, segs[1], segs[2])
	case res == "reconstruction" && len(segs) == 2 && m == http.MethodGet:
		setRoute(r, "cas.reconstruction")
		s.casReconstruction(w, r, segs[1], version == "v2")
	case res == "file" && len(segs) == 2 && (m == http.MethodHead || m == http.MethodGet):
		setRoute(r, "cas.file")
		s.casFileInfo(w, r, segs[1])
	case res == "fetch" && len(segs) == 3 && (m == http.MethodGet || m == http.MethodHead):
		setRoute(r, "cas.fetch")
		s.casFetch(w, r, segs[1], segs[2])
	case res == "xorb-grant" && m == http.MethodPost:
		// hf_xet 1.8 first asks for a grant to upload a xorb elsewhere (a
		// bucket); a 404 makes it POST the xorb here, which is what Wharf
		// wants: every xorb is verified as it arrives.
		setRoute(r, "cas.xorb-grant")
		s.fail(w, r, fmt.Errorf("%w: no upload grants here: POST the xorb to /v1/xorbs", xetcas.ErrNotFound))
	case res == "telemetry" && m == http.MethodPost:
		setRoute(r, "cas.telemetry")
		io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		w.WriteHeader(http.StatusOK)
	default:
		s.notFound(w, r)
	}
}

func parseXetHash(s string) (xet.Hash, error) {
	h, err := xet.ParseHash(s)
	if err != nil {
		return h, fmt.Errorf("%w: %q is not a Xet hash (64 hex digits)", xetcas.ErrInvalid, s)
	}
	return h, nil
}

func checkPrefix(prefix string) error {
	if prefix != "default" && prefix != "default-merkledb" {
		return fmt.Errorf("%w: unknown prefix %q (only \"default\" exists)", xetcas.ErrInvalid, prefix)
	}
	return nil
}

// casPrefixed checks the CAS token (write or read scope) of a request for
// PREFIX/HASH and parses both.
func (s *Server) casPrefixed(r *http.Request, write bool, prefix, hash string) (xetcas.Claims, xet.Hash, error) {
	claims, err := s.xet.CheckToken(r.Header.Get("Authorization"), write)
	if err != nil {
		return claims, xet.Hash{}, err
	}
	h, err := parseXetHash(hash)
	if err == nil {
		err = checkPrefix(prefix)
	}
	return claims, h, err
}

func (s *Server) casPutXorb(w http.ResponseWriter, r *http.Request, prefix, hash string) {
	claims, h, err := s.casPrefixed(r, true, prefix, hash)
	if err == nil {
		err = s.checkXorbQuota(r.Context(), claims.Repo, max(r.ContentLength, 0))
	}
	if err == nil && r.ContentLength > xorb.MaxSerialized {
		err = fmt.Errorf("%w: xorb of %d bytes is larger than the limit of %d", xetcas.ErrInvalid, r.ContentLength, xorb.MaxSerialized)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	inserted, err := s.xet.PutXorb(r.Context(), h, http.MaxBytesReader(w, r.Body, xorb.MaxSerialized), r.ContentLength, r.Header.Get(xetcas.ChainHeader))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = fmt.Errorf("%w: xorb is larger than the limit of %d bytes", xetcas.ErrInvalid, xorb.MaxSerialized)
		}
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, xet.UploadXorbResponse{WasInserted: inserted})
}

func (s *Server) casHeadXorb(w http.ResponseWriter, r *http.Request, prefix, hash string) {
	_, h, err := s.casPrefixed(r, false, prefix, hash)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	size, ok, err := s.xet.HasXorb(r.Context(), h)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
}

// readShard reads a shard upload body, bounded.
func readShard(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > shard.MaxUploadSize {
		return nil, fmt.Errorf("%w: shard too large: %d bytes, the limit is %d", xetcas.ErrInvalid, r.ContentLength, shard.MaxUploadSize)
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, shard.MaxUploadSize))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, fmt.Errorf("%w: shard too large: the limit is %d bytes", xetcas.ErrInvalid, shard.MaxUploadSize)
	}
	return data, err
}

// shardKeepAlive is how often /v2/shards repeats its last progress frame
// while it works: hf_xet keeps a 120 s read timeout on that stream.
const shardKeepAlive = 15 * time.Second

func (s *Server) casPutShard(w http.ResponseWriter, r *http.Request, v2 bool) {
	claims, err := s.xet.CheckToken(r.Header.Get("Authorization"), true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data, err := readShard(w, r)
	if err == nil {
		err = s.reserveShard(r.Context(), claims.Repo, data)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	if !v2 {
		n, sums, err := s.xet.PutShard(ctx, claims.Repo, data, nil)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, xet.UploadShardResponse{Result: n, FileSHA256: sums})
		return
	}
	// v2: NDJSON progress frames, then a result or an error frame.
	h := w.Header()
	h.Set("Content-Type", "application/x-ndjson")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	var mu sync.Mutex
	last := map[string]any{"type": "validating", "verified": 0, "total": 0}
	send := func(frame map[string]any) {
		mu.Lock()
		defer mu.Unlock()
		if frame != nil {
			last = frame
		}
		b, _ := json.Marshal(last)
		w.Write(append(b, '\n'))
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	send(nil)
	type outcome struct {
		n   int
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		n, _, err := s.xet.PutShard(ctx, claims.Repo, data, func(verified, total int) {
			send(map[string]any{"type": "validating", "verified": verified, "total": total})
		})
		done <- outcome{n, err}
	}()
	tick := time.NewTicker(shardKeepAlive)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			send(nil)
			continue
		case o := <-done:
			if o.err != nil {
				logError(r, o.err)
				msg := classify(o.err).Msg
				send(map[string]any{"type": "error", "message": msg, "retryable": classify(o.err).Status >= 500})
				return
			}
			send(map[string]any{"type": "committing", "stage": "syncing"})
			send(map[string]any{"type": "result", "result": o.n})
			return
		}
	}
}

func (s *Server) casDedup(w http.ResponseWriter, r *http.Request, prefix, hash string) {
	_, h, err := s.casPrefixed(r, false, prefix, hash)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := s.xet.DedupShard(r.Context(), h)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// maxRangeEnd is what hf_xet sends as the end of "the whole file".
const maxRangeEnd = ^uint64(0) - 1

// parseReconstructionRange parses the Range header of a reconstruction
// request: bytes=S-E, bytes=S- or bytes=-N. Absent: the whole file.
func parseReconstructionRange(h string, size uint64) (start, end uint64, err error) {
	if h == "" {
		return 0, maxRangeEnd, nil
	}
	spec, ok := strings.CutPrefix(h, "bytes=")
	a, b, ok2 := strings.Cut(spec, "-")
	if !ok || !ok2 || strings.Contains(spec, ",") {
		return 0, 0, fmt.Errorf("%w: unsupported Range %q: use bytes=START-END", xetcas.ErrRange, h)
	}
	if a == "" {
		n, err := strconv.ParseUint(b, 10, 64)
		if err != nil || n == 0 {
			return 0, 0, fmt.Errorf("%w: invalid Range %q", xetcas.ErrRange, h)
		}
		if n > size {
			n = size
		}
		return size - n, maxRangeEnd, nil
	}
	start, err = strconv.ParseUint(a, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: invalid Range %q", xetcas.ErrRange, h)
	}
	end = maxRangeEnd
	if b != "" {
		if end, err = strconv.ParseUint(b, 10, 64); err != nil || end < start {
			return 0, 0, fmt.Errorf("%w: invalid Range %q", xetcas.ErrRange, h)
		}
	}
	return start, end, nil
}

func (s *Server) casReconstruction(w http.ResponseWriter, r *http.Request, hash string, v2 bool) {
	claims, err := s.xet.CheckToken(r.Header.Get("Authorization"), false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h, err := parseXetHash(hash)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	f, err := s.xet.FileForRepo(ctx, claims.Repo, h)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	start, end, err := parseReconstructionRange(r.Header.Get("Range"), uint64(f.Size))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	plan, err := s.xet.PlanRange(ctx, f, start, end)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	base := s.casURL(r)
	urlFor := func(x xet.Hash, br xet.ByteRange) string {
		return fmt.Sprintf("%s/fetch/%s/%d-%d?%s", base, x, br.Start, br.End, s.xet.SignFetch(x, br))
	}
	if d := s.blobs.Direct(); d != nil {
		// Straight from the bucket, the range bound into the signature.
		var perr error
		urlFor = func(x xet.Hash, br xet.ByteRange) string {
			oid, _, err := s.xet.XorbObject(ctx, x)
			if err == nil {
				var u string
				if u, err = d.PresignGet(ctx, oid, fmt.Sprintf("bytes=%d-%d", br.Start, br.End), time.Hour); err == nil {
					return u
				}
			}
			perr = err
			return ""
		}
		v1, v2r := plan.V1(urlFor), plan.V2(urlFor)
		if perr != nil {
			s.fail(w, r, perr)
			return
		}
		if v2 {
			writeJSON(w, http.StatusOK, v2r)
		} else {
			writeJSON(w, http.StatusOK, v1)
		}
		return
	}
	if v2 {
		writeJSON(w, http.StatusOK, plan.V2(urlFor))
	} else {
		writeJSON(w, http.StatusOK, plan.V1(urlFor))
	}
}

func (s *Server) casFileInfo(w http.ResponseWriter, r *http.Request, hash string) {
	claims, err := s.xet.CheckToken(r.Header.Get("Authorization"), false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h, err := parseXetHash(hash)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := s.xet.FileForRepo(r.Context(), claims.Repo, h)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Length", strconv.FormatInt(f.Size, 10))
	w.WriteHeader(http.StatusOK)
}

// casFetch serves a signed byte range of a stored xorb: the URLs of a
// reconstruction answer. They carry no Authorization (clients fetch them
// with a bare HTTP client); the signature binds the xorb, the range and an
// expiry. Requested ranges must lie within the signed one.
func (s *Server) casFetch(w http.ResponseWriter, r *http.Request, hash, span string) {
	h, err := parseXetHash(hash)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a, b, ok := strings.Cut(span, "-")
	sa, err1 := strconv.ParseUint(a, 10, 64)
	sb, err2 := strconv.ParseUint(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || sb < sa {
		s.notFound(w, r)
		return
	}
	signed := xet.ByteRange{Start: sa, End: sb}
	q := r.URL.Query()
	if err := s.xet.CheckFetch(h, signed, q.Get("exp"), q.Get("sig")); err != nil {
		s.fail(w, r, err)
		return
	}
	rng := r.Header.Get("Range")
	if rng == "" {
		rng = fmt.Sprintf("bytes=%d-%d", sa, sb)
		r.Header.Set("Range", rng)
	}
	if err := rangesWithin(rng, signed); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	oid, size, err := s.xet.XorbObject(ctx, h)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if sb >= size {
		s.fail(w, r, fmt.Errorf("%w: signed range %d-%d is past the end of xorb %s", xetcas.ErrRange, sa, sb, h))
		return
	}
	obj, err := s.blobs.Open(ctx, oid)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer obj.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "", time.Time{}, osFile(obj))
}

// rangesWithin checks that every range of a Range header lies within r.
func rangesWithin(header string, r xet.ByteRange) error {
	spec, ok := strings.CutPrefix(header, "bytes=")
	if !ok {
		return fmt.Errorf("%w: unsupported Range %q", xetcas.ErrRange, header)
	}
	for _, part := range strings.Split(spec, ",") {
		a, b, ok := strings.Cut(strings.TrimSpace(part), "-")
		x, err1 := strconv.ParseUint(a, 10, 64)
		y, err2 := strconv.ParseUint(b, 10, 64)
		if !ok || err1 != nil || err2 != nil || y < x || x < r.Start || y > r.End {
			return fmt.Errorf("%w: range %q is not within the signed range %d-%d", xetcas.ErrRange, part, r.Start, r.End)
		}
	}
	return nil
}

// --- Hub side ---------------------------------------------------------------

// handleXetToken answers xet-read-token and xet-write-token (XET.md §6.1)
// in both forms: the JSON body and the X-Xet-* headers.
func (s *Server) handleXetToken(w http.ResponseWriter, r *http.Request, rr repoRoute, rev string, write bool) {
	need := auth.AccessRead
	if write && !(isPRRevision(rev) || (rev == "None" && queryBool(r, "create_pr"))) {
		need = auth.AccessWrite
	}
	rp, err := s.openRepo(r, rr.typ, rr.id, need)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if write {
		id := identity(r)
		if id == nil {
			s.fail(w, r, httpError(http.StatusUnauthorized, "", "You must be authenticated to upload to %s", rp.ID))
			return
		}
		if !id.CanWrite() {
			s.fail(w, r, httpError(http.StatusForbidden, "", "Your token has the read role: it cannot upload to %s", rp.ID))
			return
		}
	} else if err := s.checkGate(r, rp); err != nil {
		s.fail(w, r, err)
		return
	} else if _, err := s.engine.Resolve(r.Context(), rp, rev); err != nil {
		s.fail(w, r, err)
		return
	}
	info := s.xetTokenInfo(r, rp, write)
	h := w.Header()
	h.Set("X-Xet-Access-Token", info.AccessToken)
	h.Set("X-Xet-Token-Expiration", strconv.FormatInt(info.Exp, 10))
	h.Set("X-Xet-Cas-Url", info.CASURL)
	writeJSON(w, http.StatusOK, info)
}

func isPRRevision(rev string) bool {
	_, ok := wire.ParsePRRef(rev)
	return ok
}

func (s *Server) xetTokenInfo(r *http.Request, rp *repo.Repo, write bool) xet.TokenInfo {
	tok, exp := s.xet.IssueToken(rp.Key, write)
	return xet.TokenInfo{AccessToken: tok, Exp: exp.Unix(), CASURL: s.casURL(r)}
}

// xetTokenURL is the absolute URL of a repo's xet token endpoint.
func (s *Server) xetTokenURL(r *http.Request, rp *repo.Repo, kind, rev string) string {
	return s.baseURL(r) + "/api/" + rp.Type.Plural() + "/" + rp.ID.String() + "/xet-" + kind + "-token/" + url.PathEscape(rev)
}

// xetBatch answers an LFS upload batch that offered the "xet" transfer:
// objects already stored and linked need nothing; the others get the
// write-token endpoint as href and a CAS token in the X-Xet-* headers.
func (s *Server) xetBatch(r *http.Request, rp *repo.Repo, req *wire.BatchRequest) (*wire.BatchResponse, error) {
	ctx := r.Context()
	rev := "main"
	if req.Ref != nil && req.Ref.Name != "" {
		rev = strings.TrimPrefix(req.Ref.Name, "refs/heads/")
	}
	info := s.xetTokenInfo(r, rp, true)
	session := newSessionID()
	resp := &wire.BatchResponse{Transfer: "xet", HashAlgo: "sha256", Objects: make([]wire.BatchObject, 0, len(req.Objects))}
	valid := map[string]int64{}
	for _, o := range req.Objects {
		if oid, berr := lfs.CheckObject(o); berr == nil {
			valid[oid] = o.Size
		}
	}
	present, err := s.lfs.PresentMany(ctx, rp.Key, valid)
	if err != nil {
		return nil, err
	}
	for _, o := range req.Objects {
		out := wire.BatchObject{OID: o.OID, Size: o.Size}
		oid, berr := lfs.CheckObject(o)
		switch {
		case berr != nil:
			out.Error = berr
		default:
			if present[oid] && valid[oid] == o.Size {
				break // stored: no actions
			}
			out.Authenticated = true
			out.Actions = map[string]*wire.BatchAction{"upload": {
				Href: s.xetTokenURL(r, rp, "write", rev),
				Header: map[string]string{
					"X-Xet-Cas-Url":          info.CASURL,
					"X-Xet-Access-Token":     info.AccessToken,
					"X-Xet-Token-Expiration": strconv.FormatInt(info.Exp, 10),
					"X-Xet-Session-Id":       session,
				},
			}}
		}
		resp.Objects = append(resp.Objects, out)
	}
	return resp, nil
}

func newSessionID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// xetFileHeaders sets the headers that send Xet clients to the CAS for a
// file stored as Xet file xh: X-Xet-Hash and the Link rels xet-auth (the
// read-token URL for this commit) and xet-reconstruction-info.
func (s *Server) xetFileHeaders(w http.ResponseWriter, r *http.Request, rp *repo.Repo, commit, xh string) {
	h := w.Header()
	h.Set("X-Xet-Hash", xh)
	h.Set("Link", "<"+s.xetTokenURL(r, rp, "read", commit)+`>; rel="xet-auth", <`+s.casURL(r)+"/v1/reconstructions/"+xh+`>; rel="xet-reconstruction-info"`)
}

// xetFileInfoType is what huggingface.js accepts to learn a file's Xet
// hash without downloading it.
const xetFileInfoType = "application/vnd.xet-fileinfo+json"

// handleDuplicate serves POST {repo}/lfs-files/duplicate: huggingface_hub
// copies LFS files to another repo (a cross-repo CommitOperationCopy) by
// linking the source's content to the target, which the caller must be able
// to write. A file the source does not hold is reported in "failed".
func (s *Server) handleDuplicate(w http.ResponseWriter, r *http.Request, rr repoRoute) {
	src, err := s.openRepo(r, rr.typ, rr.id, auth.AccessRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req struct {
		Target struct {
			Type string `json:"type"`
			Name string `json:"name"`
		} `json:"target"`
		Files []struct {
			XetHash  string `json:"xetHash"`
			SHA256   string `json:"sha256"`
			Filename string `json:"filename"`
		} `json:"files"`
	}
	if err := readJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	tt := wire.Model
	if req.Target.Type != "" {
		if tt, err = wire.ParseRepoType(req.Target.Type); err != nil {
			s.fail(w, r, httpError(http.StatusBadRequest, "", "invalid target type %q", req.Target.Type))
			return
		}
	}
	tid, err := wire.ParseRepoID(req.Target.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	dst, err := s.openRepo(r, tt, tid, auth.AccessWrite)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type failure struct {
		SHA256 string `json:"sha256"`
		Error  string `json:"error"`
	}
	failed := []failure{}
	ctx := r.Context()
	var oids []string
	for _, f := range req.Files {
		oid, err := wire.ParseOID(f.SHA256)
		if err != nil {
			failed = append(failed, failure{f.SHA256, "invalid sha256"})
			continue
		}
		if _, ok, err := s.lfs.Linked(ctx, src.Key, string(oid)); err != nil {
			s.fail(w, r, err)
			return
		} else if !ok {
			failed = append(failed, failure{f.SHA256, "not stored in " + src.ID.String()})
			continue
		}
		if f.XetHash != "" {
			if xh, err := s.xet.XetHash(ctx, string(oid)); err != nil {
				s.fail(w, r, err)
				return
			} else if xh != f.XetHash {
				failed = append(failed, failure{f.SHA256, "xetHash " + f.XetHash + " does not match the stored file"})
				continue
			}
		}
		oids = append(oids, string(oid))
	}
	if err := s.lfs.LinkExisting(ctx, dst.Key, oids); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"failed": failed})
}
