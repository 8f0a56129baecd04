package webhook

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// Memory is the Queue of embedded mode: the events in this process, at
// most bound of them, lost when it stops. It keeps the Queue's contract
// whole, claims included, so the sender sees the same queue in either
// mode.
type Memory struct {
	bound      int
	claimAfter time.Duration

	mu      sync.Mutex
	entries []memoryEntry // by seq; done ones only before fresh
	fresh   int           // index of the first entry never taken
	live    int           // entries not done
	seq     uint64        // of the last entry added
	added   chan struct{} // closed and replaced when entries are added
}

type memoryEntry struct {
	seq   uint64
	event jsontext.Value
	held  time.Time // when last taken or held; zero while never taken
	done  bool
}

var _ Queue = (*Memory)(nil)

// NewMemory returns an empty queue of at most bound events (at least one)
// whose taken batches may be claimed after claimAfter (ClaimAfter's floor,
// a second, when 0).
func NewMemory(bound int, claimAfter time.Duration) *Memory {
	if claimAfter <= 0 {
		claimAfter = ClaimAfter(0)
	}
	return &Memory{bound: max(bound, 1), claimAfter: claimAfter, added: make(chan struct{})}
}

// Add appends events; past the bound the oldest are dropped.
func (m *Memory) Add(_ context.Context, events []jsontext.Value) (int, error) {
	if len(events) == 0 {
		return 0, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range events {
		m.seq++
		m.entries = append(m.entries, memoryEntry{seq: m.seq, event: e})
	}
	m.live += len(events)
	dropped := 0
	for m.live > m.bound {
		if !m.popFront() {
			dropped++
		}
	}
	close(m.added)
	m.added = make(chan struct{})
	return dropped, nil
}

// popFront removes the oldest entry and says whether it was done
// already (else it is one more event dropped).
func (m *Memory) popFront() (done bool) {
	done = m.entries[0].done
	m.entries[0] = memoryEntry{} // the array outlives the slice: drop the event
	m.entries = m.entries[1:]
	m.fresh = max(m.fresh-1, 0)
	if !done {
		m.live--
	}
	return done
}

// Take returns claimable events first, else fresh ones; it waits until
// there are some or ctx ends.
func (m *Memory) Take(ctx context.Context, limit int) ([]Pending, error) {
	for {
		m.mu.Lock()
		now := time.Now()
		batch, wait := m.takeLocked(limit, now)
		added := m.added
		m.mu.Unlock()
		if len(batch) > 0 {
			return batch, nil
		}
		if err := waitFor(ctx, added, wait); err != nil {
			return nil, err
		}
	}
}

// waitFor waits until added is closed, wait has passed (never if 0) or
// ctx ends, which is its error.
func waitFor(ctx context.Context, added <-chan struct{}, wait time.Duration) error {
	var timeout <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-added:
	case <-timeout:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// takeLocked takes up to limit events, claims first, and otherwise says
// how long until the first taken one may be claimed (0: none is taken).
func (m *Memory) takeLocked(limit int, now time.Time) ([]Pending, time.Duration) {
	var batch []Pending
	var wait time.Duration
	for i := range m.entries[:m.fresh] {
		e := &m.entries[i]
		if e.done {
			continue
		}
		if idle := now.Sub(e.held); idle < m.claimAfter {
			if left := m.claimAfter - idle; wait == 0 || left < wait {
				wait = left
			}
			continue
		}
		if len(batch) < limit {
			batch = append(batch, m.take(e, now))
		}
	}
	if len(batch) > 0 {
		return batch, 0
	}
	for m.fresh < len(m.entries) && len(batch) < limit {
		batch = append(batch, m.take(&m.entries[m.fresh], now))
		m.fresh++
	}
	return batch, wait
}

func (m *Memory) take(e *memoryEntry, now time.Time) Pending {
	e.held = now
	return Pending{Ref: strconv.FormatUint(e.seq, 10), Event: e.event}
}

// Hold restarts the idle time of the batch's events still queued.
func (m *Memory) Hold(_ context.Context, batch []Pending) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now, held := time.Now(), 0
	for _, p := range batch {
		if e := m.find(p.Ref); e != nil {
			e.held = now
			held++
		}
	}
	return held, nil
}

// Done removes the batch's events.
func (m *Memory) Done(_ context.Context, batch []Pending) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range batch {
		if e := m.find(p.Ref); e != nil {
			e.done = true
			m.live--
		}
	}
	for len(m.entries) > 0 && m.entries[0].done {
		m.popFront()
	}
	m.compact()
	return nil
}

// find is the taken, not done entry of ref, or nil.
func (m *Memory) find(ref string) *memoryEntry {
	seq, err := strconv.ParseUint(ref, 10, 64)
	if err != nil {
		return nil
	}
	i, ok := slices.BinarySearchFunc(m.entries[:m.fresh], seq, func(e memoryEntry, s uint64) int {
		return cmp.Compare(e.seq, s)
	})
	if !ok || m.entries[i].done {
		return nil
	}
	return &m.entries[i]
}

// compact drops the done entries behind a taken one that is not, once
// they outnumber the live ones: a batch abandoned at the front must not
// keep every later delivered event in memory until it is claimed.
func (m *Memory) compact() {
	holes := len(m.entries) - m.live
	if holes < 2*MaxBatch || holes < m.live {
		return
	}
	kept := m.entries[:0]
	fresh := 0
	for i, e := range m.entries {
		if e.done {
			continue
		}
		if i < m.fresh {
			fresh++
		}
		kept = append(kept, e)
	}
	clear(m.entries[len(kept):])
	m.entries, m.fresh = kept, fresh
}

// Len is how many events are queued, taken or not.
func (m *Memory) Len(context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.live, nil
}
