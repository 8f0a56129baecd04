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
// it. A read waits until the allowance is positive and is charged what it
// read afterwards, since its size is known only then; a large read leaves
// the allowance in debt, and the next read waits that much longer.
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

// wait returns once a read may start, or false when ctx ends first. With no
// budget configured (a test's zero HistoryBudget) reads never wait.
func (a *historyAllowance) wait(ctx context.Context) bool {
	for {
		d := a.delay()
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

// delay is how long until the allowance is positive again.
func (a *historyAllowance) delay() time.Duration {
	if a == nil || a.budget.Rate <= 0 {
		return 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refillLocked()
	if a.tokens > 0 {
		return 0
	}
	return time.Duration((1 - a.tokens) / float64(a.budget.Rate) * float64(time.Second))
}

// charge takes n bytes read (at least minHistoryCharge) from the allowance.
func (a *historyAllowance) charge(n int) {
	if a == nil || a.budget.Rate <= 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refillLocked()
	a.tokens -= float64(max(n, minHistoryCharge))
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
