package client

import (
	"testing"
	"time"
)

func TestBackoffCeiling(t *testing.T) {
	lo, hi := 500*time.Millisecond, 20*time.Second
	cases := []struct {
		attempt int
		want    time.Duration
	}{
		{0, 500 * time.Millisecond},
		{1, time.Second},
		{2, 2 * time.Second},
		{5, 16 * time.Second},
		{6, 20 * time.Second}, // 32 s capped
		{40, 20 * time.Second},
		{1 << 30, 20 * time.Second}, // no overflow, no endless doubling
	}
	for _, tc := range cases {
		if got := backoffCeiling(tc.attempt, lo, hi); got != tc.want {
			t.Errorf("attempt %d: ceiling %s, want %s", tc.attempt, got, tc.want)
		}
	}
}

// The delay is full jitter: anywhere from 0 to the ceiling, both ends
// reachable, never beyond.
func TestBackoffBounds(t *testing.T) {
	lo, hi := 500*time.Millisecond, 20*time.Second
	lowest := func(int64) int64 { return 0 }
	highest := func(n int64) int64 { return n - 1 }
	for attempt := range 12 {
		ceiling := backoffCeiling(attempt, lo, hi)
		if got := backoff(attempt, lo, hi, lowest); got != 0 {
			t.Errorf("attempt %d: lowest draw %s, want 0", attempt, got)
		}
		if got := backoff(attempt, lo, hi, highest); got != ceiling {
			t.Errorf("attempt %d: highest draw %s, want %s", attempt, got, ceiling)
		}
		for range 200 {
			if got := backoff(attempt, lo, hi, jitter); got < 0 || got > ceiling {
				t.Fatalf("attempt %d: %s outside [0, %s]", attempt, got, ceiling)
			}
		}
	}
	if got := backoff(3, 0, hi, jitter); got != 0 {
		t.Fatalf("no minimum: %s, want 0", got)
	}
}
