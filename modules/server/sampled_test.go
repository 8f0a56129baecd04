package server

import (
	"testing"
	"time"
)

// testSampler is a sampler on a test's clock, whose timers run only when
// the test fires them, and which records its reports.
type testSampler struct {
	*sampler
	clock   time.Time
	timers  []func()
	reports []int
}

func newTestSampler() *testSampler {
	ts := &testSampler{clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	ts.sampler = newSampler(func(_ refusalKind, n int) { ts.reports = append(ts.reports, n) })
	ts.now = func() time.Time { return ts.clock }
	ts.after = func(_ time.Duration, f func()) { ts.timers = append(ts.timers, f) }
	return ts
}

// admitN offers n refusals of k and returns how many got a line.
func (ts *testSampler) admitN(k refusalKind, n int) int {
	logged := 0
	for range n {
		if ts.admit(k) {
			logged++
		}
	}
	return logged
}

func (ts *testSampler) fireTimers() {
	timers := ts.timers
	ts.timers = nil
	for _, f := range timers {
		f()
	}
}

var tooMany = refusalKind{429, "too_many_handshakes"}

func TestSamplerLogsTheFirstOfEachSecondAndReportsTheRest(t *testing.T) {
	ts := newTestSampler()
	if got := ts.admitN(tooMany, 1000); got != refusalLinesPerSecond {
		t.Fatalf("%d lines of 1000 refusals in one second, want %d", got, refusalLinesPerSecond)
	}
	if got := ts.admitN(refusalKind{401, "token_invalid"}, 5); got != 5 {
		t.Fatalf("another reason got %d lines of 5, want all", got)
	}
	if len(ts.reports) != 0 || len(ts.timers) != 1 {
		t.Fatalf("before the second ends: reports %v, %d timers; want none and one timer", ts.reports, len(ts.timers))
	}
	ts.clock = ts.clock.Add(time.Second)
	ts.fireTimers()
	if want := []int{1000 - refusalLinesPerSecond}; len(ts.reports) != 1 || ts.reports[0] != want[0] {
		t.Fatalf("reports %v, want %v", ts.reports, want)
	}
	// The next second starts afresh, and its report is not repeated.
	if got := ts.admitN(tooMany, 15); got != refusalLinesPerSecond {
		t.Fatalf("%d lines in the next second, want %d", got, refusalLinesPerSecond)
	}
	ts.clock = ts.clock.Add(time.Second)
	if !ts.admit(tooMany) { // a refusal after the window reports it at once...
		t.Fatal("the first refusal of a new second got no line")
	}
	ts.fireTimers() // ...and its timer, coming later, finds nothing to add
	if want := []int{990, 5}; len(ts.reports) != 2 || ts.reports[1] != want[1] {
		t.Fatalf("reports %v, want %v", ts.reports, want)
	}
}

func TestSamplerQuietSecondReportsNothing(t *testing.T) {
	ts := newTestSampler()
	for range 5 {
		if got := ts.admitN(tooMany, refusalLinesPerSecond); got != refusalLinesPerSecond {
			t.Fatalf("%d lines, want all %d", got, refusalLinesPerSecond)
		}
		ts.clock = ts.clock.Add(time.Second)
	}
	if len(ts.reports) != 0 || len(ts.timers) != 0 {
		t.Fatalf("reports %v, %d timers; want none", ts.reports, len(ts.timers))
	}
}

func TestSamplerKindsAreBounded(t *testing.T) {
	ts := newTestSampler()
	for i := range 2 * maxRefusalKinds {
		ts.admit(refusalKind{400, string(rune('a'+i%26)) + string(rune(i))})
	}
	if n := len(ts.kinds); n > maxRefusalKinds+1 {
		t.Fatalf("%d kinds kept, want at most %d", n, maxRefusalKinds+1)
	}
}
