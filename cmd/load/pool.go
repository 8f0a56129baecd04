package main

import (
	"context"
	"sync"
)

// inPool calls fn for each item, on n goroutines, handing the items out in
// order until ctx ends (the rest are not called), and returns once every
// call has returned.
func inPool[T any](ctx context.Context, items []T, n int, fn func(T)) {
	jobs := make(chan T)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for it := range jobs {
				fn(it)
			}
		})
	}
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		jobs <- it
	}
	close(jobs)
	wg.Wait()
}
