package server

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/wharfhub/wharf/internal/repo"
	"github.com/wharfhub/wharf/internal/usage"
	"github.com/wharfhub/wharf/wire"
	"github.com/wharfhub/wharf/xet/shard"
)

// Usage returns the server's storage accounting and quotas.
func (s *Server) Usage() *usage.Service { return s.usage }

// reserveBatch checks an LFS upload batch against the quota of the repo's
// namespace and reserves the bytes of its objects (see usage.Reserve).
// Over the quota it returns an error that answers 403.
func (s *Server) reserveBatch(ctx context.Context, rp *repo.Repo, req *wire.BatchRequest) error {
	items := make([]usage.Item, 0, len(req.Objects))
	for _, o := range req.Objects {
		if oid, err := wire.ParseOID(o.OID); err == nil && o.Size >= 0 {
			items = append(items, usage.Item{OID: string(oid), Size: o.Size})
		}
	}
	return s.countRefusal("lfs", s.usage.Reserve(ctx, rp.ID.Namespace, rp.Key, rp.Private, items))
}

// checkXorbQuota checks that a xorb of need bytes fits in the quota of
// the repo's namespace (see usage.Check).
func (s *Server) checkXorbQuota(ctx context.Context, repoKey, need int64) error {
	return s.countRefusal("xorb", s.usage.Check(ctx, repoKey, need))
}

// countRefusal counts err in the metrics if it is a quota refusal.
func (s *Server) countRefusal(kind string, err error) error {
	if errors.Is(err, usage.ErrQuotaExceeded) {
		s.metrics.Add("wharf_quota_refusals_total", 1, kind)
	}
	return err
}

// reserveShard reserves the bytes of the files a shard registers, by the
// sha256 commits will name them with (or by Xet hash when the shard does
// not say it), before anything is registered.
func (s *Server) reserveShard(ctx context.Context, repoKey int64, data []byte) error {
	sh, err := shard.Parse(data)
	if err != nil {
		return nil // PutShard reports it
	}
	items := make([]usage.Item, 0, len(sh.Files))
	for _, f := range sh.Files {
		var size int64
		for _, t := range f.Terms {
			size += int64(t.UnpackedBytes)
		}
		key := "xet:" + f.Hash.String()
		if f.HasSHA256 {
			key = hex.EncodeToString(f.SHA256[:])
		}
		items = append(items, usage.Item{OID: key, Size: size})
	}
	return s.countRefusal("shard", s.usage.ReserveForRepo(ctx, repoKey, items))
}

// quotaStatus is the answer to an upload over quota: 403, as the Hub
// answers uploads past a storage limit.
const quotaStatus = http.StatusForbidden

// repoUsage returns the usedStorage of a repo (0 if it cannot be read:
// the field is informative).
func (s *Server) repoUsage(r *http.Request, rp *repo.Repo) int64 {
	n, err := s.usage.RepoBytes(r.Context(), rp.Key)
	if err != nil {
		logError(r, err)
	}
	return n
}
