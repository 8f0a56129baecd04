package drain

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rtserver/rt/config"
)

func newDrain(delay, spread time.Duration) *Drain {
	return New(config.Config{DrainDelay: delay, ShutdownSpread: spread}, slog.New(slog.DiscardHandler))
}

// A node with few sockets does not stretch them over the whole spread:
// at most maxGap apart.
func TestSpan(t *testing.T) {
	for _, tc := range []struct {
		n      int
		spread time.Duration
		want   time.Duration
	}{
		{0, 10 * time.Second, 0},
		{1, 10 * time.Second, 0},
		{2, 10 * time.Second, 100 * time.Millisecond},
		{100, 10 * time.Second, 5 * time.Second},
		{200, 10 * time.Second, 10 * time.Second},
		{10_000, 10 * time.Second, 10 * time.Second},
		{10_000, 0, 0},
	} {
		if got := Span(tc.n, tc.spread); got != tc.want {
			t.Errorf("Span(%d, %s) = %s, want %s", tc.n, tc.spread, got, tc.want)
		}
	}
}

// The count due follows a straight line from none to all, rounded up, so
// that the first batch closes one.
func TestDue(t *testing.T) {
	const span = 10 * time.Second
	for _, tc := range []struct {
		n       int
		elapsed time.Duration
		want    int
	}{
		{10_000, 0, 0},
		{10_000, batchEvery, 20},
		{10_000, span / 2, 5000},
		{10_000, span, 10_000},
		{10_000, 2 * span, 10_000},
		{3, time.Nanosecond, 1},
		{3, span / 2, 2},
		{3, span - time.Nanosecond, 3},
	} {
		if got := due(tc.n, tc.elapsed, span); got != tc.want {
			t.Errorf("due(%d, %s) = %d, want %d", tc.n, tc.elapsed, got, tc.want)
		}
	}
	last := 0
	for e := time.Duration(0); e <= span; e += 7 * time.Millisecond {
		d := due(777, e, span)
		if d < last {
			t.Fatalf("due went back from %d to %d at %s", last, d, e)
		}
		last = d
	}
}

// Without a spread every socket is closed in one call.
func TestSpreadZeroClosesAllAtOnce(t *testing.T) {
	var calls []int
	newDrain(0, 0).Spread(context.Background(), 5, func(k int) { calls = append(calls, k) })
	if len(calls) != 1 || calls[0] != 5 {
		t.Fatalf("calls %v, want [5]", calls)
	}
}

// Hurry, before the spread or during it, closes what is left at once: an
// hour-long spread returns, every socket given to closeNext once.
func TestHurryEndsTheWaits(t *testing.T) {
	d := newDrain(time.Hour, time.Hour)
	d.Hurry()
	d.Hurry() // twice is harmless
	d.Delay(context.Background(), 3)
	if !d.Draining() {
		t.Fatal("not draining after Delay")
	}
	total := 0
	d.Spread(context.Background(), 10_000, func(k int) { total += k })
	if total != 10_000 {
		t.Fatalf("closed %d of 10000", total)
	}
}

// The end of the stop's context ends the waits too.
func TestContextEndsTheWaits(t *testing.T) {
	d := newDrain(time.Hour, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d.Delay(ctx, 0)
	total := 0
	d.Spread(ctx, 500, func(k int) { total += k })
	if total != 500 {
		t.Fatalf("closed %d of 500", total)
	}
}

// Before the stop a node is not draining.
func TestNotDrainingBeforeTheStop(t *testing.T) {
	if newDrain(time.Second, time.Second).Draining() {
		t.Fatal("draining before Delay")
	}
}

// The drain's plan is logged when there is something to wait for, and a
// stop at once (both waits zero, as at a desk) says nothing of a drain.
func TestDelayLogsThePlanOnlyWhenItWaits(t *testing.T) {
	for _, tc := range []struct {
		delay, spread time.Duration
		logged        bool
	}{
		{0, 0, false},
		{time.Millisecond, 0, true},
		{0, time.Second, true},
	} {
		var buf bytes.Buffer
		d := New(config.Config{DrainDelay: tc.delay, ShutdownSpread: tc.spread}, slog.New(slog.NewTextHandler(&buf, nil)))
		d.Delay(t.Context(), 3)
		if got := strings.Contains(buf.String(), "draining:"); got != tc.logged || !d.Draining() {
			t.Errorf("delay %s spread %s: logged %v (%q), draining %v; want logged %v and draining",
				tc.delay, tc.spread, got, buf.String(), d.Draining(), tc.logged)
		}
	}
}
