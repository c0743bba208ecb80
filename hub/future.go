package hub

// Future is the result of a job queued with [RunAsFuture].
type Future[T any] struct {
	done  chan struct{}
	value T
	err   error
}

// Done is closed when the job has finished.
func (f *Future[T]) Done() <-chan struct{} { return f.done }

// Wait blocks until the job has finished and returns its result.
func (f *Future[T]) Wait() (T, error) {
	<-f.done
	return f.value, f.err
}

// RunAsFuture queues fn on c's background queue and returns at once. Jobs
// of one client run one at a time, in the order they were queued (like
// huggingface_hub's run_as_future), so queued uploads land as commits in
// submission order.
func RunAsFuture[T any](c *Client, fn func() (T, error)) *Future[T] {
	c.futureOnce.Do(func() {
		c.futures = make(chan func(), 1<<16)
		go func() {
			for job := range c.futures {
				job()
			}
		}()
	})
	f := &Future[T]{done: make(chan struct{})}
	c.futures <- func() {
		defer close(f.done)
		defer func() {
			if p := recover(); p != nil {
				f.err = panicError{p}
			}
		}()
		f.value, f.err = fn()
	}
	return f
}

type panicError struct{ v any }

func (p panicError) Error() string { return "hub: background job panicked: " + fmtAny(p.v) }

func fmtAny(v any) string {
	if e, ok := v.(error); ok {
		return e.Error()
	}
	if s, ok := v.(string); ok {
		return s
	}
	return "non-error panic"
}
