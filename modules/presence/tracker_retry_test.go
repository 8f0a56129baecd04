package presence

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"rt/modules/redis/redistest"
)

// A failed refresh is retried about retryMin later, not a whole period
// (ttl/3) later: entries must not wait that long for a Redis that is back.
func TestTrackerRetriesFailedRefreshSoon(t *testing.T) {
	const ttl = 9 * time.Second // period 3 s, three retryMin
	fs := &fakeStore{Store: NewMemory(ttl), refreshErr: errors.New("down")}
	tr := NewTracker(fs, ttl, discardLog)
	tr.Start()
	defer tr.Stop(context.Background())
	wantJoin(t, tr, Entry{"r", "u", "c"}, true)
	presenceWait(t, "the first periodic refresh", func() bool { return fs.refreshCount() >= 1 })
	failed := time.Now()
	presenceWait(t, "a retry", func() bool { return fs.refreshCount() >= 2 })
	if d := time.Since(failed); d > 2*retryMin {
		t.Fatalf("retried %v after a failed refresh, want about %v", d.Round(time.Millisecond), retryMin)
	}
}

// RefreshNow (fired on a Redis reconnect) puts back the entries a Redis
// restart lost at once, long before the periodic refresh would.
func TestTrackerRefreshNowAfterRestart(t *testing.T) {
	srv := redistest.Start(t)
	s := newRedisStore(t, srv, longTTL)
	tr := NewTracker(s, longTTL, discardLog) // periodic refresh in 20 s
	tr.Start()
	defer tr.Stop(context.Background())
	wantJoin(t, tr, Entry{"back", "u1", "c1"}, true)
	wantJoin(t, tr, Entry{"back", "u2", "c2"}, true)

	srv.Restart(t)
	restarted := time.Now()
	tr.RefreshNow()
	presenceWait(t, "presence back after the restart", func() bool {
		users, err := s.Users(t.Context(), "back")
		return err == nil && slices.Equal(users, []string{"u1", "u2"})
	})
	if d := time.Since(restarted); d > 3*retryMin {
		t.Fatalf("presence back %v after the restart, want within a few retries of %v", d, retryMin)
	}
}

// RefreshNow never blocks, before Start and after Stop included, and
// requests made while one is pending are merged.
func TestTrackerRefreshNowNeverBlocks(t *testing.T) {
	tr := NewTracker(NewMemory(longTTL), longTTL, discardLog)
	for range 3 {
		tr.RefreshNow()
	}
	tr.Start()
	if err := tr.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	tr.RefreshNow()
}

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
		p := NewTracker(NewMemory(tc.ttl), tc.ttl, discardLog).retryPolicy()
		if p.Min != tc.min || p.Max != tc.max {
			t.Errorf("ttl %v: retries from %v to %v, want %v to %v", tc.ttl, p.Min, p.Max, tc.min, tc.max)
		}
	}
}
