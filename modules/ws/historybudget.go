package ws

import (
	"context"
	"sync"
	"time"
)

// minHistoryCharge is the least one history read costs, so that a flood of
// reads that find nothing still pays for the round trips.
const minHistoryCharge = 16 << 10

// HistoryBudget is how many bytes of history one user may read on this node:
// Rate per second on average, Burst at once (HISTORY_BUDGET,
// HISTORY_BUDGET_BURST).
type HistoryBudget struct {
	Rate  int
	Burst int
}

// historyAllowance is one user's HistoryBudget on this node, shared by all
// of the user's sockets here: scrollback pages and since replays draw on
// it. A read waits until the allowance is positive and takes the most it
// may read (a page's bytes) at once, so that sockets waiting together do
// not all start on the same allowance; once its size is known, what it did
// not use is given back (a read costs at least minHistoryCharge).
type historyAllowance struct {
	mu     sync.Mutex
	budget HistoryBudget
	tokens float64
	last   time.Time
	now    func() time.Time
}

func newHistoryAllowance(b HistoryBudget, now func() time.Time) *historyAllowance {
	return &historyAllowance{budget: b, tokens: float64(b.Burst), last: now(), now: now}
}

// take returns once a read of up to reserve bytes may start, having taken
// reserve from the allowance, or false when ctx ends first. With no budget
// configured (a test's zero HistoryBudget) reads never wait.
func (a *historyAllowance) take(ctx context.Context, reserve int) bool {
	for {
		d := a.reserve(reserve)
		if d <= 0 {
			return true
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false
		}
	}
}

// reserve takes n bytes if the allowance is positive, or says how long
// until it is.
func (a *historyAllowance) reserve(n int) time.Duration {
	if a == nil || a.budget.Rate <= 0 {
		return 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refillLocked()
	if a.tokens > 0 {
		a.tokens -= float64(n)
		return 0
	}
	return time.Duration((1 - a.tokens) / float64(a.budget.Rate) * float64(time.Second))
}

// settle gives back what a read that took reserved did not use: it costs
// the bytes it read, at least minHistoryCharge.
func (a *historyAllowance) settle(reserved, read int) {
	if a == nil || a.budget.Rate <= 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tokens += float64(reserved - max(read, minHistoryCharge))
}

func (a *historyAllowance) refillLocked() {
	now := a.now()
	a.tokens += now.Sub(a.last).Seconds() * float64(a.budget.Rate)
	a.tokens = min(a.tokens, float64(a.budget.Burst))
	a.last = now
}

// whole says whether the allowance is back at its burst, as a new one
// would be.
func (a *historyAllowance) whole() bool {
	if a.budget.Rate <= 0 {
		return true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refillLocked()
	return a.tokens >= float64(a.budget.Burst)
}
