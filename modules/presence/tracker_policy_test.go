package presence

import (
	"log/slog"
	"testing"
	"time"
)

// Retries start at retryMin and double up to retryMax, but never wait
// longer than the regular period, however short the ttl.
func TestTrackerRetryPolicyWithinThePeriod(t *testing.T) {
	for _, tc := range []struct {
		ttl      time.Duration
		min, max time.Duration
	}{
		{time.Minute, retryMin, retryMax},
		{6 * time.Second, retryMin, 2 * time.Second},
		{900 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond},
	} {
		p := NewTracker(NewMemory(tc.ttl), tc.ttl, slog.New(slog.DiscardHandler)).retryPolicy()
		if p.Min != tc.min || p.Max != tc.max {
			t.Errorf("ttl %v: retries from %v to %v, want %v to %v", tc.ttl, p.Min, p.Max, tc.min, tc.max)
		}
	}
}
