package xetcas

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/wharfhub/wharf/xet"
	"github.com/wharfhub/wharf/xet/shard"
)

// Plan is a reconstruction of a byte range of a file: the terms that cover
// it (trimmed to the range's chunks) and, per xorb, the merged chunk ranges
// to fetch with their byte ranges in the stored xorb.
type Plan struct {
	Offset uint64 // bytes to drop from the first term's data
	Terms  []xet.Term
	Fetch  map[xet.Hash][]Span
}

// Span is a run of chunks of a xorb and the inclusive byte range that
// holds their headers and payloads.
type Span struct {
	Chunks xet.ChunkRange
	Bytes  xet.ByteRange
}

// PlanRange plans the reconstruction of bytes [start, end] (inclusive) of
// f; end is clamped to the last byte (clients send 2^64-2 for "to the
// end"). A start at or past the end of a non-empty file wraps ErrRange; an
// empty file has an empty plan.
func (s *Service) PlanRange(ctx context.Context, f *File, start, end uint64) (*Plan, error) {
	p := &Plan{Terms: []xet.Term{}, Fetch: map[xet.Hash][]Span{}}
	if f.Size == 0 {
		return p, nil
	}
	size := uint64(f.Size)
	if start >= size {
		return nil, errorf(ErrRange, "range start %d is past the end of the file (%d bytes)", start, size)
	}
	if end >= size {
		end = size - 1
	}
	if end < start {
		return nil, errorf(ErrRange, "range end %d is before its start %d", end, start)
	}
	type run struct{ start, end uint32 }
	runs := map[xet.Hash][]run{}
	var off uint64 // file offset of the current term
	first := true
	for _, t := range f.Terms {
		tEnd := off + uint64(t.Unpacked)
		if tEnd <= start {
			off = tEnd
			continue
		}
		if off > end {
			break
		}
		x, err := s.loadXorb(ctx, t.Xorb)
		if err != nil {
			return nil, err
		}
		base := x.rawOff[t.Start]
		cs, ce := t.Start, t.End
		// drop leading chunks that end at or before start
		for cs < ce && off+x.rawOff[cs+1]-base <= start {
			cs++
		}
		// drop trailing chunks that start after end
		for ce > cs && off+x.rawOff[ce-1]-base > end {
			ce--
		}
		if first {
			p.Offset = start - (off + x.rawOff[cs] - base)
			first = false
		}
		p.Terms = append(p.Terms, xet.Term{Hash: t.Xorb, UnpackedLength: uint32(x.rawOff[ce] - x.rawOff[cs]), Range: xet.ChunkRange{Start: cs, End: ce}})
		runs[t.Xorb] = append(runs[t.Xorb], run{cs, ce})
		off = tEnd
	}
	for h, rs := range runs {
		x, err := s.loadXorb(ctx, h)
		if err != nil {
			return nil, err
		}
		sort.Slice(rs, func(i, j int) bool { return rs[i].start < rs[j].start })
		merged := rs[:1]
		for _, r := range rs[1:] {
			last := &merged[len(merged)-1]
			if r.start <= last.end {
				last.end = max(last.end, r.end)
			} else {
				merged = append(merged, r)
			}
		}
		spans := make([]Span, len(merged))
		for i, r := range merged {
			spans[i] = Span{Chunks: xet.ChunkRange{Start: r.start, End: r.end}, Bytes: xet.ByteRange{Start: x.byteOff[r.start], End: x.byteOff[r.end] - 1}}
		}
		p.Fetch[h] = spans
	}
	return p, nil
}

// URLFunc returns the signed fetch URL of bytes r of xorb h.
type URLFunc func(h xet.Hash, r xet.ByteRange) string

// V1 returns the plan as a v1 reconstruction answer.
func (p *Plan) V1(url URLFunc) *xet.Reconstruction {
	out := &xet.Reconstruction{OffsetIntoFirstRange: p.Offset, Terms: p.Terms, FetchInfo: map[xet.Hash][]xet.FetchInfo{}}
	for h, spans := range p.Fetch {
		fi := make([]xet.FetchInfo, len(spans))
		for i, sp := range spans {
			fi[i] = xet.FetchInfo{Range: sp.Chunks, URL: url(h, sp.Bytes), URLRange: sp.Bytes}
		}
		out.FetchInfo[h] = fi
	}
	return out
}

// V2 returns the plan as a v2 reconstruction answer: one URL per merged
// range, so that every client fetches it with a single-range request.
func (p *Plan) V2(url URLFunc) *xet.ReconstructionV2 {
	out := &xet.ReconstructionV2{OffsetIntoFirstRange: p.Offset, Terms: p.Terms, Xorbs: map[xet.Hash][]xet.XorbFetchV2{}}
	for h, spans := range p.Fetch {
		fs := make([]xet.XorbFetchV2, len(spans))
		for i, sp := range spans {
			fs[i] = xet.XorbFetchV2{URL: url(h, sp.Bytes), Ranges: []xet.XorbRangeV2{{Chunks: sp.Chunks, Bytes: sp.Bytes}}}
		}
		out.Xorbs[h] = fs
	}
	return out
}

// SignFetch returns the query string (exp and sig) that authorizes GETs of
// bytes r of xorb h until the fetch TTL passes.
func (s *Service) SignFetch(h xet.Hash, r xet.ByteRange) string {
	exp := strconv.FormatInt(s.now().Add(s.cfg.FetchTTL).Unix(), 10)
	return "exp=" + exp + "&sig=" + s.fetchMAC(h, r, exp)
}

func (s *Service) fetchMAC(h xet.Hash, r xet.ByteRange, exp string) string {
	m := hmac.New(sha256.New, s.fetchKey)
	fmt.Fprintf(m, "%s\n%d-%d\n%s", h, r.Start, r.End, exp)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:24])
}

// CheckFetch verifies a fetch URL's signature and expiry. The error wraps
// ErrForbidden: clients then ask for a fresh reconstruction.
func (s *Service) CheckFetch(h xet.Hash, r xet.ByteRange, exp, sig string) error {
	sec, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !hmac.Equal([]byte(sig), []byte(s.fetchMAC(h, r, exp))) {
		return errorf(ErrForbidden, "invalid signature on this xorb fetch URL")
	}
	if s.now().Unix() > sec {
		return errorf(ErrForbidden, "this xorb fetch URL expired at %s; get a new reconstruction", time.Unix(sec, 0).UTC().Format(time.RFC3339))
	}
	return nil
}

// XorbObject returns the blob holding a stored xorb's chunks, for serving
// signed fetches, and its size.
func (s *Service) XorbObject(ctx context.Context, h xet.Hash) (blobOID string, size uint64, err error) {
	x, err := s.loadXorb(ctx, h)
	if err != nil {
		return "", 0, err
	}
	return x.blobOID, x.byteOff[x.n()], nil
}

// maxDedupXorbs bounds the xorbs one dedup answer lists.
const maxDedupXorbs = 32

// DedupShard answers a global-dedup query for chunk h: a shard listing the
// xorb that holds it and the other xorbs of the file it was registered
// with, chunk hashes keyed with the server's dedup key. The error wraps
// ErrNotFound when the chunk is not indexed.
func (s *Service) DedupShard(ctx context.Context, h xet.Hash) ([]byte, error) {
	var xs, fs string
	st, err := s.db.Prepared(ctx, `SELECT xorb_hash, file_hash FROM xet_dedup WHERE chunk_hash = $1`)
	if err != nil {
		return nil, err
	}
	if err := st.QueryRowContext(ctx, h.String()).Scan(&xs, &fs); err != nil {
		return nil, errorf(ErrNotFound, "chunk %s is not known", h)
	}
	first, err := xet.ParseHash(xs)
	if err != nil {
		return nil, err
	}
	order := []xet.Hash{first}
	seen := map[xet.Hash]bool{first: true}
	if fh, err := xet.ParseHash(fs); err == nil {
		if f, err := s.LoadFile(ctx, fh); err == nil {
			for _, t := range f.Terms {
				if !seen[t.Xorb] && len(order) < maxDedupXorbs {
					seen[t.Xorb] = true
					order = append(order, t.Xorb)
				}
			}
		}
	}
	xorbs := make([]shard.Xorb, 0, len(order))
	for _, xh := range order {
		x, err := s.loadXorb(ctx, xh)
		if err != nil {
			continue // listed but gone: answer with the rest
		}
		sx := shard.Xorb{Hash: xh, RawBytes: uint32(x.rawOff[x.n()]), StoredBytes: uint32(x.byteOff[x.n()]), Chunks: make([]shard.XorbChunk, x.n())}
		for i := range x.hashes {
			sx.Chunks[i] = shard.XorbChunk{Hash: x.hashes[i], Offset: uint32(x.rawOff[i]), Size: uint32(x.rawOff[i+1] - x.rawOff[i])}
		}
		xorbs = append(xorbs, sx)
	}
	if len(xorbs) == 0 {
		return nil, errorf(ErrNotFound, "chunk %s is not known", h)
	}
	now := s.now()
	return shard.AppendDedup(nil, xorbs, s.dedupKey, now, now.Add(s.cfg.DedupTTL)), nil
}
