package periodic_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharfhub/wharf/internal/periodic"
)

// TestRun: fn runs again and again, never two at once, and not at all
// once Run has returned after ctx ended.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var calls, running atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		periodic.Run(ctx, time.Millisecond, func(ctx context.Context) {
			if running.Add(1) != 1 {
				t.Error("two calls at once")
			}
			if calls.Add(1) == 5 {
				cancel()
			}
			time.Sleep(2 * time.Millisecond) // longer than the period
			running.Add(-1)
		})
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("Run did not return after its context ended")
	}
	n := calls.Load()
	if n != 5 {
		t.Fatalf("%d calls, want 5 (the fifth cancels)", n)
	}
	time.Sleep(5 * time.Millisecond)
	if calls.Load() != n {
		t.Fatal("fn called after Run returned")
	}
}
