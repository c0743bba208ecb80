package repo

import (
	"context"
	"fmt"
	"strings"

	"github.com/wharfhub/wharf/wire"
)

// countLFS records that the repo stores LFS pointers to ptrs, for storage
// accounting (table repo_usage_oids, see internal/usage). It runs in the
// transaction that writes the pointer blobs, so usage moves exactly when
// they are stored. plain selects "?" placeholders (SQLite).
func countLFS(ctx context.Context, q querier, plain bool, repoKey int64, ptrs []*wire.Pointer) error {
	const chunk = 300
	for len(ptrs) > 0 {
		n := min(chunk, len(ptrs))
		var b strings.Builder
		b.WriteString(`INSERT INTO repo_usage_oids (repo_id, oid, size) VALUES `)
		args := make([]any, 0, 3*n)
		for i, p := range ptrs[:n] {
			if i > 0 {
				b.WriteByte(',')
			}
			if plain {
				b.WriteString("(?,?,?)")
			} else {
				k := len(args)
				fmt.Fprintf(&b, "($%d,$%d,$%d)", k+1, k+2, k+3)
			}
			args = append(args, repoKey, string(p.OID), p.Size)
		}
		b.WriteString(` ON CONFLICT DO NOTHING`)
		if _, err := q.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("count lfs content: %w", err)
		}
		ptrs = ptrs[n:]
	}
	return nil
}
