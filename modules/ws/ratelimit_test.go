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
