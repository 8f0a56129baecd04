package ws

import (
	"testing"
	"time"
)

func TestFloodGuard(t *testing.T) {
	g := newFloodGuard(Limits{Rate: 1, Burst: 2, RateWarnings: 2})
	t0 := time.Unix(1000, 0)
	steps := []struct {
		at   time.Duration
		want verdict
	}{
		{0, allow}, {0, allow}, // the burst
		{0, warn}, {0, warn}, // over it: warned
		{time.Second, allow}, // one token back after a second
		{time.Second, expel}, // third warning within the minute
	}
	for i, s := range steps {
		if got := g.check(t0.Add(s.at)); got != s.want {
			t.Fatalf("step %d: %v, want %v", i, got, s.want)
		}
	}
}

func TestFloodGuardForgetsOldWarnings(t *testing.T) {
	g := newFloodGuard(Limits{Rate: 1, Burst: 1, RateWarnings: 1})
	t0 := time.Unix(1000, 0)
	for i, s := range []struct {
		at   time.Duration
		want verdict
	}{
		{0, allow}, {0, warn},
		{2 * time.Minute, allow}, {2 * time.Minute, warn}, // a new window: warned again, not expelled
		{2 * time.Minute, expel},
	} {
		if got := g.check(t0.Add(s.at)); got != s.want {
			t.Fatalf("step %d: %v, want %v", i, got, s.want)
		}
	}
}

// Control frames have a bucket of their own, but their excess counts toward
// the same warnings as data frames.
func TestFloodGuardControlBudget(t *testing.T) {
	g := newFloodGuard(Limits{Rate: 1, Burst: 1, RateWarnings: 1})
	now := time.Unix(1000, 0)
	for i, s := range []struct {
		control bool
		want    verdict
	}{
		{true, allow}, {false, allow}, // one of each: the buckets are separate
		{true, warn},   // control over its budget
		{false, expel}, // data over its budget: the second warning
	} {
		check := g.check
		if s.control {
			check = g.checkControl
		}
		if got := check(now); got != s.want {
			t.Fatalf("step %d: %v, want %v", i, got, s.want)
		}
	}
}

// auth.refresh has a bucket of its own, and its excess counts toward the
// same warnings as data frames.
func TestFloodGuardRefreshBudget(t *testing.T) {
	g := newFloodGuard(Limits{Rate: 1000, Burst: 1000, RateWarnings: 2})
	t0 := time.Unix(1000, 0)
	for i, s := range []struct {
		at      time.Duration
		refresh bool
		want    verdict
	}{
		{0, true, allow}, {0, true, allow}, {0, true, allow}, // the refresh burst
		{0, false, allow},          // data frames are not held back by it
		{0, true, warn},            // a fourth refresh at once: warned
		{time.Second, true, allow}, // one back after a second
		{time.Second, true, warn},  // the second warning
		{time.Second, true, expel}, // the third: more than RateWarnings
	} {
		check := g.check
		if s.refresh {
			check = g.checkRefresh
		}
		if got := check(t0.Add(s.at)); got != s.want {
			t.Fatalf("step %d: %v, want %v", i, got, s.want)
		}
	}
}

// A refresh warning and a data-frame warning add up.
func TestFloodGuardRefreshWarningsShared(t *testing.T) {
	g := newFloodGuard(Limits{Rate: 1, Burst: 1, RateWarnings: 1})
	now := time.Unix(1000, 0)
	for i := 0; i < refreshBurst; i++ {
		g.checkRefresh(now)
	}
	steps := []func(time.Time) verdict{g.check, g.checkRefresh, g.check}
	for i, want := range []verdict{allow, warn, expel} {
		if got := steps[i](now); got != want {
			t.Fatalf("step %d: %v, want %v", i, got, want)
		}
	}
}
