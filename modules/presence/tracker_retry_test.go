package presence_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/presence"
	"github.com/rtserver/rt/modules/presence/presencetest"
)

// A failed refresh is retried about RetryMin later, not a whole period
// (ttl/3) later: entries must not wait that long for a Redis that is back.
func TestTrackerRetriesFailedRefreshSoon(t *testing.T) {
	const ttl = 9 * time.Second // period 3 s, three RetryMin
	fs := &fakeStore{Store: presence.NewMemory(ttl), refreshErr: errors.New("down")}
	tr := presence.NewTracker(fs, ttl, discardLog)
	tr.Start()
	defer tr.Stop(context.Background())
	presencetest.WantJoin(t, tr, entry("r", "u", "c"), presence.RoomEdge)
	presenceWait(t, "the first periodic refresh", func() bool { return fs.refreshCount() >= 1 })
	failed := time.Now()
	presenceWait(t, "a retry", func() bool { return fs.refreshCount() >= 2 })
	if d := time.Since(failed); d > 2*presence.RetryMin {
		t.Fatalf("retried %v after a failed refresh, want about %v", d.Round(time.Millisecond), presence.RetryMin)
	}
}

// RefreshNow never blocks, before Start and after Stop included, and
// requests made while one is pending are merged.
func TestTrackerRefreshNowNeverBlocks(t *testing.T) {
	tr := presence.NewTracker(presence.NewMemory(presencetest.LongTTL), presencetest.LongTTL, discardLog)
	for range 3 {
		tr.RefreshNow()
	}
	tr.Start()
	if err := tr.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	tr.RefreshNow()
}
