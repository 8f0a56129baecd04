package ws

import (
	"testing"
	"time"
)

// The allowance: a read may start while it is positive and takes what it
// reserves; what a read did not use is given back, at least
// minHistoryCharge kept; it refills at its rate up to its burst; a user's
// sockets that closed and came back find it as they left it.
func TestHistoryAllowance(t *testing.T) {
	now := time.Unix(0, 0)
	clock := func() time.Time { return now }
	a := newHistoryAllowance(HistoryBudget{Rate: 100 << 10, Burst: 1 << 20}, clock)
	const page = 512 << 10
	for i := 0; i < 2; i++ {
		if d := a.reserve(page); d != 0 {
			t.Fatalf("read %d waits %v with the burst unspent", i, d)
		}
	}
	d := a.reserve(page) // the burst is spent: wait for a byte's worth
	if d <= 0 {
		t.Fatal("a third page read at once past a burst of two")
	}
	a.settle(page, 100) // the second read found 100 bytes: it costs 16 KiB
	if d := a.reserve(page); d != 0 {
		t.Fatalf("after a refund of %d bytes, still waiting %v", page-minHistoryCharge, d)
	}
	if a.whole() {
		t.Fatal("a spent allowance reported whole")
	}
	now = now.Add(time.Minute) // refilled, but never past the burst
	if !a.whole() || a.tokens != 1<<20 {
		t.Fatalf("after a minute: whole %v, %v bytes", a.whole(), a.tokens)
	}
}

// With no budget configured reads never wait.
func TestHistoryAllowanceOff(t *testing.T) {
	a := newHistoryAllowance(HistoryBudget{}, time.Now)
	for i := 0; i < 100; i++ {
		if d := a.reserve(1 << 30); d != 0 {
			t.Fatalf("waits %v with no budget", d)
		}
	}
	var none *historyAllowance
	if d := none.reserve(1); d != 0 || !none.take(t.Context(), 1) {
		t.Fatal("a socket without an allowance waits")
	}
}
