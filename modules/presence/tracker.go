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

	"github.com/rtserver/rt/modules/backoff"
)

// refreshTimeout bounds one refresh batch so a hung store delays the next
// batch instead of stopping refreshes for good.
const refreshTimeout = 5 * time.Second

// After a failed refresh the loop retries after about retryMin, doubling
// while it keeps failing up to retryMax, never later than the regular
// period: a Redis that is back must not wait a whole PRESENCE_TTL/3 for its
// entries.
const (
	retryMin = time.Second
	retryMax = 5 * time.Second
)

// stopWorkers bounds how many leaves Stop runs at once; the Redis client
// pipelines concurrent calls, so a node with many entries stops quickly.
const stopWorkers = 32

// ErrStopped is returned by Join and JoinAll after Stop: the entries could
// no longer be refreshed or removed.
var ErrStopped = errors.New("presence: tracker stopped")

// Tracker remembers this node's live entries, refreshes them all every
// ttl/3 in one batch (at once when asked, soon after a failure), tells
// readiness whether presence writes work, and on Stop removes them all.
type Tracker struct {
	store Store
	every time.Duration
	log   *slog.Logger
	// refreshFailures counts refresh batches that failed.
	refreshFailures prometheus.Counter

	// batch is held shared by Join and Leave across their store call and
	// exclusively by a refresh, so a refresh never re-adds an entry that a
	// concurrent Leave has just removed, nor makes a Join miss its edge.
	batch   sync.RWMutex
	mu      sync.Mutex // guards entries, stopped and writeErr
	entries map[Entry]struct{}
	stopped bool
	// writeErr is the outcome of the last write to the store (a join, a
	// refresh or a write check); readiness fails while it is an error.
	writeErr error

	now  chan struct{} // refresh at once (Redis is back); holds one request
	soon chan struct{} // a join failed: start retrying; holds one request

	cancel context.CancelFunc // ends the refresh loop; nil until Start
	done   chan struct{}      // closed when the refresh loop has returned
}

// writeChecker is a Store that can tell whether it would accept a write
// without writing (Redis). A Store without it is taken to accept writes.
type writeChecker interface {
	CheckWrite(ctx context.Context) error
}

// NewTracker returns a tracker over store; entries live ttl after a
// refresh. log gets the refreshes that fail and recover.
func NewTracker(store Store, ttl time.Duration, log *slog.Logger) *Tracker {
	every := ttl / 3 // two refreshes may fail before an entry expires
	if every <= 0 {
		every = time.Second
	}
	return &Tracker{store: store, every: every, log: log, entries: make(map[Entry]struct{}),
		now: make(chan struct{}, 1), soon: make(chan struct{}, 1),
		refreshFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rt_presence_refresh_failures_total",
			Help: "Presence refresh batches that failed; entries expire after PRESENCE_TTL without a refresh.",
		})}
}

// Join adds e to the store, tracks it and returns the store's edge. On
// error e is not tracked (it expires by itself if the store applied it), so
// the caller need not Leave.
func (t *Tracker) Join(ctx context.Context, e Entry) (Edge, error) {
	t.batch.RLock()
	defer t.batch.RUnlock()
	if t.isStopped() {
		return NoEdge, ErrStopped
	}
	edge, err := t.store.Join(ctx, e)
	if err != nil {
		t.joinFailed(err)
		return NoEdge, err
	}
	t.mu.Lock()
	t.entries[e] = struct{}{}
	t.writeErr = nil
	t.mu.Unlock()
	return edge, nil
}

// JoinAll is Join for every entry in one batch of the store's (one round
// trip to Redis): edges[i] is entries[i]'s edge. On error none of them
// is tracked, as for Join, whatever the store applied before failing.
func (t *Tracker) JoinAll(ctx context.Context, entries []Entry) ([]Edge, error) {
	t.batch.RLock()
	defer t.batch.RUnlock()
	if t.isStopped() {
		return nil, ErrStopped
	}
	if len(entries) == 0 {
		return []Edge{}, nil // no write: says nothing about the store
	}
	edges, err := t.store.JoinAll(ctx, entries)
	if err != nil {
		t.joinFailed(err)
		return nil, err
	}
	t.mu.Lock()
	for _, e := range entries {
		t.entries[e] = struct{}{}
	}
	t.writeErr = nil
	t.mu.Unlock()
	return edges, nil
}

// joinFailed marks presence writes as failing, unless the error says
// nothing about the store (a bad room, a caller that gave up), and has the
// loop retry soon: with no entry to refresh it checks writes instead, so
// readiness recovers without waiting for a join that would not come.
func (t *Tracker) joinFailed(err error) {
	if errors.Is(err, ErrBadRoom) || errors.Is(err, context.Canceled) {
		return
	}
	t.setWriteErr(err)
	signal(t.soon)
}

// Leave stops tracking e, removes it from the store and returns the
// store's edge. On error the entry expires by itself after the ttl.
func (t *Tracker) Leave(ctx context.Context, e Entry) (Edge, error) {
	t.batch.RLock()
	defer t.batch.RUnlock()
	t.mu.Lock()
	delete(t.entries, e)
	t.mu.Unlock()
	return t.store.Leave(ctx, e)
}

// LeaveAll stops tracking the entries and removes them from the store in
// one batch, edges[i] being entries[i]'s. On error the entries expire by
// themselves after the ttl.
func (t *Tracker) LeaveAll(ctx context.Context, entries []Entry) ([]Edge, error) {
	t.batch.RLock()
	defer t.batch.RUnlock()
	t.mu.Lock()
	for _, e := range entries {
		delete(t.entries, e)
	}
	t.mu.Unlock()
	if len(entries) == 0 {
		return []Edge{}, nil
	}
	return t.store.LeaveAll(ctx, entries)
}

// RefreshNow has the loop refresh every entry at once instead of at the
// next tick: Redis is back after a loss and may have restarted empty. It
// never blocks; requests made while one is pending are merged.
func (t *Tracker) RefreshNow() { signal(t.now) }

// Ready fails while presence writes fail: the last join, refresh or write
// check was refused (e.g. Redis out of memory). It asks the store nothing;
// the loop retries until a write goes through.
func (t *Tracker) Ready(context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.writeErr != nil {
		return fmt.Errorf("presence writes failing: %w", t.writeErr)
	}
	return nil
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

// loop refreshes every period, at once on RefreshNow, and after a failure
// (its own or a join's) on the retry schedule until a write goes through.
// Its waits are all in one select on ctx, so Stop ends it at once.
func (t *Tracker) loop(ctx context.Context) {
	defer close(t.done)
	timer := time.NewTimer(t.every)
	defer timer.Stop()
	retry := t.retryPolicy().Start()
	retrying := false // a write failed and none has gone through since
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.soon:
			if !retrying { // a join failed: retry soon rather than at the period's end
				retrying = true
				timer.Reset(retry.Next())
			}
			continue
		case <-timer.C:
		case <-t.now:
		}
		if retrying = !t.refresh(ctx); retrying {
			timer.Reset(retry.Next())
		} else {
			retry.Reset()
			timer.Reset(t.every)
		}
	}
}

// retryPolicy is retryMin doubling up to retryMax, jittered so that the
// nodes that lost one Redis together do not retry together, and never
// later than the regular period.
func (t *Tracker) retryPolicy() backoff.Policy {
	return backoff.Policy{Min: min(retryMin, t.every), Max: min(retryMax, t.every)}
}

// refresh pushes every tracked entry's expiry in one batch or, with none
// tracked while writes are failing, only checks whether they work again.
// It reports whether the store accepted the write.
func (t *Tracker) refresh(ctx context.Context) bool {
	t.batch.Lock()
	defer t.batch.Unlock()
	t.mu.Lock()
	entries, failing := t.snapshot(), t.writeErr != nil
	t.mu.Unlock()
	if len(entries) == 0 && !failing {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	err := t.write(ctx, entries)
	if errors.Is(ctx.Err(), context.Canceled) {
		return true // Stop, not a failure
	}
	t.recordRefresh(len(entries), failing, err)
	return err == nil
}

func (t *Tracker) write(ctx context.Context, entries []Entry) error {
	if len(entries) > 0 {
		return t.store.Refresh(ctx, entries)
	}
	if wc, ok := t.store.(writeChecker); ok {
		return wc.CheckWrite(ctx)
	}
	return nil
}

// recordRefresh keeps the outcome for readiness, then counts and logs a
// failed batch (a failed write check is counted by the store alone) or
// logs the recovery, once.
func (t *Tracker) recordRefresh(entries int, wasFailing bool, err error) {
	t.setWriteErr(err)
	switch {
	case err != nil && entries > 0:
		t.refreshFailures.Inc()
		t.log.Warn("presence refresh failed; retrying soon", "entries", entries, "err", err)
	case err != nil:
		t.log.Warn("presence writes still failing; retrying soon", "err", err)
	case wasFailing:
		t.log.Info("presence writes work again", "entries", entries)
	}
}

func (t *Tracker) setWriteErr(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writeErr = err
}

// signal leaves a request in ch unless one is already waiting.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
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
