// Package backoff is rt's one retry schedule: delays that double from a
// minimum to a maximum, jittered so that nodes which lost Redis together do
// not all come back in the same millisecond, and waits that end as soon as
// their context does, so a retry never holds up a shutdown.
//
// A connect loop that starts over after each success:
//
//	s := policy.Start()
//	for {
//		if err := connect(ctx); err == nil {
//			s.Reset()
//			serve()
//			continue
//		}
//		if !s.Wait(ctx) {
//			return
//		}
//	}
//
// A retry of n attempts:
//
//	s := policy.Start()
//	for attempt := 1; ; attempt++ {
//		if err = try(ctx); err == nil || attempt == n || !s.Wait(ctx) {
//			break
//		}
//	}
//
// A loop that waits in a select of its own takes s.Next() for its timer.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Jitter is how much of each delay is left to chance.
type Jitter int

const (
	// Equal waits between half the delay and the whole of it: never much
	// sooner than the schedule says, still spread out. The zero value.
	Equal Jitter = iota
	// Full waits anywhere from zero to the delay: the widest spread.
	Full
	// None waits exactly the delay (tests, and loops that are alone).
	None
)

// Policy is a retry schedule: the first delay is Min, each next one twice
// the last, never above Max. A Min of zero or less is taken as one
// millisecond (a schedule of zeros would spin), a Max below Min as Min.
type Policy struct {
	Min, Max time.Duration
	Jitter   Jitter
}

// Schedule is one run of a Policy: the delays of one stretch of failures.
// It is not safe for concurrent use; each loop keeps its own.
type Schedule struct {
	policy Policy
	next   time.Duration // the delay before jitter that Next returns next
}

// Start begins a schedule at p's first delay.
func (p Policy) Start() Schedule {
	p.Min = max(p.Min, time.Millisecond)
	p.Max = max(p.Max, p.Min)
	return Schedule{policy: p, next: p.Min}
}

// Next returns the delay to wait before the next attempt, jittered, and
// doubles the one after it up to Max.
func (s *Schedule) Next() time.Duration {
	if s.next == 0 { // a zero Schedule, not made by Start
		*s = s.policy.Start()
	}
	d := s.next
	if d > s.policy.Max/2 {
		s.next = s.policy.Max // doubling would pass Max, or overflow
	} else {
		s.next = 2 * d
	}
	return jitter(d, s.policy.Jitter)
}

// Reset starts the schedule over at Min: the attempt succeeded, so the
// next failure is the first of a new stretch.
func (s *Schedule) Reset() { *s = s.policy.Start() }

// Wait sleeps for Next() and reports whether it did: false as soon as ctx
// ends, the caller should stop retrying.
func (s *Schedule) Wait(ctx context.Context) bool { return Sleep(ctx, s.Next()) }

// Sleep waits d and reports true, or false as soon as ctx ends (at once if
// it has ended already, whatever d is).
func Sleep(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// jitter picks the wait for delay d under j.
func jitter(d time.Duration, j Jitter) time.Duration {
	switch j {
	case Full:
		return rand.N(d + 1)
	case Equal:
		half := d / 2
		return d - half + rand.N(half+1)
	}
	return d
}
