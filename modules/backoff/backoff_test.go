package backoff

import (
	"context"
	"testing"
	"time"
)

const ms = time.Millisecond

// Without jitter the delays double from Min and stay at Max.
func TestScheduleDoubles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy Policy
		want   []time.Duration
	}{
		{"doubles to max", Policy{Min: 100 * ms, Max: time.Second, Jitter: None},
			[]time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, time.Second, time.Second}},
		{"max not a power of two of min", Policy{Min: 300 * ms, Max: 1000 * ms, Jitter: None},
			[]time.Duration{300 * ms, 600 * ms, 1000 * ms, 1000 * ms}},
		{"max below min is min", Policy{Min: 50 * ms, Max: 10 * ms, Jitter: None},
			[]time.Duration{50 * ms, 50 * ms}},
		{"no min is a millisecond", Policy{Max: 4 * ms, Jitter: None},
			[]time.Duration{ms, 2 * ms, 4 * ms, 4 * ms}},
		{"a max near the largest duration does not overflow", Policy{Min: time.Duration(1 << 61), Max: time.Duration(1<<63 - 1), Jitter: None},
			[]time.Duration{1 << 61, 1 << 62, 1<<63 - 1, 1<<63 - 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.policy.Start()
			for i, want := range tc.want {
				if got := s.Next(); got != want {
					t.Fatalf("delay %d: %v, want %v", i+1, got, want)
				}
			}
		})
	}
}

// Each jittered delay stays within its jitter's share of the unjittered
// one, and the draws are spread, not constant.
func TestScheduleJitterBounds(t *testing.T) {
	for _, tc := range []struct {
		name   string
		jitter Jitter
		low    func(d time.Duration) time.Duration
	}{
		{"equal", Equal, func(d time.Duration) time.Duration { return (d + 1) / 2 }},
		{"full", Full, func(time.Duration) time.Duration { return 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exact := Policy{Min: 10 * ms, Max: 640 * ms, Jitter: None}
			for range 200 {
				ceil := exact.Start()
				s := Policy{Min: 10 * ms, Max: 640 * ms, Jitter: tc.jitter}.Start()
				seen := map[time.Duration]bool{}
				for i := range 10 {
					d, got := ceil.Next(), s.Next()
					if got < tc.low(d) || got > d {
						t.Fatalf("delay %d: %v, want within [%v, %v]", i+1, got, tc.low(d), d)
					}
					seen[got] = true
				}
				if len(seen) < 3 {
					t.Fatalf("jittered delays barely vary: %v", seen)
				}
			}
		})
	}
}

// Reset starts over at Min, however far the schedule had gone.
func TestScheduleReset(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps int
	}{
		{"before any delay", 0},
		{"after one", 1},
		{"at max", 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Policy{Min: 5 * ms, Max: 40 * ms, Jitter: None}.Start()
			for range tc.steps {
				s.Next()
			}
			s.Reset()
			if got := s.Next(); got != 5*ms {
				t.Fatalf("after reset: %v, want %v", got, 5*ms)
			}
			if got := s.Next(); got != 10*ms {
				t.Fatalf("second after reset: %v, want %v", got, 10*ms)
			}
		})
	}
}

// A Schedule that was never started still waits, at a millisecond, rather
// than spinning at zero.
func TestZeroScheduleWaits(t *testing.T) {
	var s Schedule
	if got := s.Next(); got <= 0 {
		t.Fatalf("zero schedule: %v", got)
	}
}

// Sleep and Wait return false as soon as the context ends, true after the
// full delay otherwise.
func TestSleepCancellation(t *testing.T) {
	expired, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name    string
		ctx     func(t *testing.T) context.Context
		d       time.Duration
		want    bool
		longest time.Duration
	}{
		{"sleeps the delay", func(*testing.T) context.Context { return context.Background() }, 20 * ms, true, 5 * time.Second},
		{"a zero delay returns at once", func(*testing.T) context.Context { return context.Background() }, 0, true, time.Second},
		{"an ended context returns at once", func(*testing.T) context.Context { return expired }, time.Hour, false, time.Second},
		{"an ended context wins over a zero delay", func(*testing.T) context.Context { return expired }, 0, false, time.Second},
		{"a cancel mid-sleep ends it", func(t *testing.T) context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(20*ms, cancel)
			t.Cleanup(cancel)
			return ctx
		}, time.Hour, false, 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			if got := Sleep(tc.ctx(t), tc.d); got != tc.want {
				t.Fatalf("Sleep: %v, want %v", got, tc.want)
			}
			took := time.Since(start)
			if tc.want && took < tc.d {
				t.Fatalf("slept %v, want at least %v", took, tc.d)
			}
			if took > tc.longest {
				t.Fatalf("slept %v, want at most %v", took, tc.longest)
			}
		})
	}
}

// Wait gives up an hour's delay as soon as its context ends, and with a
// live context waits its delay and reports true.
func TestWaitCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := Policy{Min: time.Hour, Max: time.Hour}.Start()
	time.AfterFunc(20*ms, cancel)
	start := time.Now()
	if s.Wait(ctx) {
		t.Fatal("Wait returned true after its context ended")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("Wait took %v after cancel", took)
	}
	s2 := Policy{Min: ms, Max: ms, Jitter: None}.Start()
	if !s2.Wait(context.Background()) {
		t.Fatal("Wait returned false with a live context")
	}
}
