package repo

import (
	"context"
	"fmt"

	"github.com/wharfhub/wharf/internal/store/sqlstore"
	"github.com/wharfhub/wharf/wire"
)

// countLFS records that the repo stores LFS pointers to ptrs, for storage
// accounting (table repo_usage_oids, see internal/usage). It runs in the
// transaction that writes the pointer blobs, so usage moves exactly when
// they are stored.
func countLFS(ctx context.Context, q querier, d sqlstore.Dialect, repoKey int64, ptrs []*wire.Pointer) error {
	rows := make([][]any, len(ptrs))
	for i, p := range ptrs {
		rows[i] = []any{repoKey, string(p.OID), p.Size}
	}
	if _, err := d.InsertRows(ctx, q, `INSERT INTO repo_usage_oids (repo_id, oid, size)`, `ON CONFLICT DO NOTHING`, rows); err != nil {
		return fmt.Errorf("count lfs content: %w", err)
	}
	return nil
}
