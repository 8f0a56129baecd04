package presence

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// refreshTimeout bounds one refresh batch so a hung store delays the next
// batch instead of stopping refreshes for good.
const refreshTimeout = 5 * time.Second

// stopWorkers bounds how many leaves Stop runs at once; the Redis client
// pipelines concurrent calls, so a node with many entries stops quickly.
const stopWorkers = 32

// ErrStopped is returned by Join after Stop: the entry could no longer be
// refreshed or removed.
var ErrStopped = errors.New("presence: tracker stopped")

// Tracker remembers this node's live entries, refreshes them all every
// ttl/3 in one batch, and on Stop removes them all.
type Tracker struct {
	store Store
	every time.Duration
	log   *slog.Logger
	// refreshFailures counts refresh batches that failed.
	refreshFailures prometheus.Counter

	// batch is held shared by Join and Leave across their store call and
	// exclusively by a refresh, so a refresh never re-adds an entry that a
	// concurrent Leave has just removed, nor makes a Join miss its first.
	batch   sync.RWMutex
	mu      sync.Mutex // guards entries and stopped
	entries map[Entry]struct{}
	stopped bool

	cancel context.CancelFunc // ends the refresh loop; nil until Start
	done   chan struct{}      // closed when the refresh loop has returned
}

// NewTracker returns a tracker over store; entries live ttl after a refresh.
func NewTracker(store Store, ttl time.Duration) *Tracker {
	every := ttl / 3 // two refreshes may fail before an entry expires
	if every <= 0 {
		every = time.Second
	}
	return &Tracker{store: store, every: every, log: slog.Default(), entries: make(map[Entry]struct{}),
		refreshFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rt_presence_refresh_failures_total",
			Help: "Presence refresh batches that failed; entries expire after PRESENCE_TTL without a refresh.",
		})}
}

// Join adds e to the store and tracks it. On error e is not tracked (it
// expires by itself if the store applied it), so the caller need not Leave.
func (t *Tracker) Join(ctx context.Context, e Entry) (bool, error) {
	t.batch.RLock()
	defer t.batch.RUnlock()
	if t.isStopped() {
		return false, ErrStopped
	}
	first, err := t.store.Join(ctx, e)
	if err != nil {
		return false, err
	}
	t.mu.Lock()
	t.entries[e] = struct{}{}
	t.mu.Unlock()
	return first, nil
}

// Leave stops tracking e and removes it from the store. On error the entry
// expires by itself after the ttl.
func (t *Tracker) Leave(ctx context.Context, e Entry) (bool, error) {
	t.batch.RLock()
	defer t.batch.RUnlock()
	t.mu.Lock()
	delete(t.entries, e)
	t.mu.Unlock()
	return t.store.Leave(ctx, e)
}

// Users lists the room's live users on every node.
func (t *Tracker) Users(ctx context.Context, room string) ([]string, error) {
	return t.store.Users(ctx, room)
}

// Start runs the refresh loop until Stop.
func (t *Tracker) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	t.cancel, t.done = cancel, make(chan struct{})
	go t.loop(ctx)
}

// Stop ends the refresh loop, waits for it, and leaves every remaining
// entry; later Joins fail with ErrStopped.
func (t *Tracker) Stop(ctx context.Context) error {
	if t.cancel != nil {
		t.cancel()
		<-t.done
	}
	t.batch.Lock()
	t.mu.Lock()
	t.stopped = true
	left := t.snapshot()
	clear(t.entries)
	t.mu.Unlock()
	t.batch.Unlock()
	return t.leaveAll(ctx, left)
}

func (t *Tracker) loop(ctx context.Context) {
	defer close(t.done)
	tick := time.NewTicker(t.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			t.refresh(ctx)
		}
	}
}

// refresh pushes every tracked entry's expiry in one batch; a failure is
// logged and the next tick tries again.
func (t *Tracker) refresh(ctx context.Context) {
	t.batch.Lock()
	defer t.batch.Unlock()
	t.mu.Lock()
	entries := t.snapshot()
	t.mu.Unlock()
	if len(entries) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	err := t.store.Refresh(ctx, entries)
	if err != nil && !errors.Is(ctx.Err(), context.Canceled) { // Canceled: Stop, not a failure
		t.refreshFailures.Inc()
		t.log.Warn("presence refresh failed; retrying next tick", "entries", len(entries), "err", err)
	}
}

// Collectors are the tracker's metrics.
func (t *Tracker) Collectors() []prometheus.Collector {
	return []prometheus.Collector{t.refreshFailures}
}

// leaveAll removes entries from the store, a few at a time. It reports the
// first failure and a count rather than thousands of identical errors.
func (t *Tracker) leaveAll(ctx context.Context, entries []Entry) error {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		first  error
		failed int
	)
	sem := make(chan struct{}, stopWorkers)
	for _, e := range entries {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := t.store.Leave(ctx, e); err != nil {
				mu.Lock()
				first, failed = cmp.Or(first, err), failed+1
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if failed > 0 {
		return fmt.Errorf("presence: %d of %d leaves failed, they expire by ttl: %w", failed, len(entries), first)
	}
	return nil
}

// snapshot lists the tracked entries. The caller holds t.mu.
func (t *Tracker) snapshot() []Entry {
	entries := make([]Entry, 0, len(t.entries))
	for e := range t.entries {
		entries = append(entries, e)
	}
	return entries
}

func (t *Tracker) isStopped() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stopped
}
