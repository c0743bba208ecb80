// Package periodic runs background work at a fixed interval: WAL
// checkpoints, garbage collection, the upload sweeper.
package periodic

import (
	"context"
	"time"
)

// Run calls fn every period, the first time one period after Run starts,
// until ctx ends; a call that takes longer than period delays the next
// one (calls never overlap). Once ctx is done, fn is not called again;
// Run returns when the call running, if any, does.
func Run(ctx context.Context, period time.Duration, fn func(context.Context)) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if ctx.Err() != nil {
				return // both were ready: select picked the tick
			}
			fn(ctx)
		}
	}
}
