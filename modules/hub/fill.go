package hub

import (
	"context"
	"sync"
	"time"

	"github.com/rtserver/rt/modules/backoff"
	"github.com/rtserver/rt/modules/bus"
)

// A gap fill reads history up to fillAttempts times, fillTimeout each,
// backing off between attempts; then it gives up and delivers what it
// holds. Every room of a node fills at once when its link comes back, so
// the jitter spreads their retries against a struggling history.
const (
	fillAttempts = 5
	fillTimeout  = 5 * time.Second
)

var fillBackoff = backoff.Policy{Min: 200 * time.Millisecond, Max: 2 * time.Second}

// fills runs the rooms' gap fills, each on a goroutine of its own, and ends
// them at stop: a fill reads history and backs off for seconds, and at
// shutdown it has nobody left to deliver to, while the history it reads is
// about to close.
type fills struct {
	ctx    context.Context // ended by stop; every fill reads and waits under it
	cancel context.CancelFunc
	// mu orders starts against stop: no fill is added to wg once stop has
	// begun waiting on it.
	mu      sync.Mutex
	stopped bool
	wg      sync.WaitGroup
}

func newFills() *fills {
	ctx, cancel := context.WithCancel(context.Background())
	return &fills{ctx: ctx, cancel: cancel}
}

// run starts fill on its own goroutine, unless stop has been called.
func (f *fills) run(fill func(ctx context.Context)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return
	}
	f.wg.Go(func() { fill(f.ctx) })
}

// stop cancels every running fill and waits for them to return.
func (f *fills) stop() {
	f.mu.Lock()
	f.stopped = true
	f.mu.Unlock()
	f.cancel()
	f.wg.Wait()
}

// startFill starts reading what r missed during g; r.mu is held, so the
// read runs on its own goroutine.
func (rs *rooms) startFill(r *room, g *gap) {
	rs.fills.run(func(ctx context.Context) { rs.fillGap(ctx, r, g) })
}

// fillGap reads from history what r missed during g and delivers it. A fill
// cut short by stop just ends: the room's sockets are gone.
func (rs *rooms) fillGap(ctx context.Context, r *room, g *gap) {
	entries, complete, err := rs.readGap(ctx, r.name, g.from)
	if ctx.Err() != nil {
		return
	}
	r.mu.Lock()
	n := r.filled(g, entries)
	r.mu.Unlock()
	rs.stats.gapRecovered.Add(float64(n))
	switch {
	case err != nil:
		rs.stats.gapFills.WithLabelValues("failed").Inc()
		rs.log.Warn("gap fill: history unreadable; messages published while the Pub/Sub link was down are missed", "room", r.name, "err", err)
	case (!complete && !g.fromFloor) || g.dropped > 0:
		rs.stats.gapFills.WithLabelValues("incomplete").Inc()
		rs.log.Warn("gap fill: history no longer holds every message missed", "room", r.name, "recovered", n)
	default:
		rs.stats.gapFills.WithLabelValues("complete").Inc()
	}
}

// readGap reads the room's history after from, retrying with backoff until
// fillAttempts have failed or ctx ends.
func (rs *rooms) readGap(ctx context.Context, room, from string) ([]bus.Entry, bool, error) {
	wait := fillBackoff.Start()
	for attempt := 1; ; attempt++ {
		entries, complete, err := rs.readOnce(ctx, room, from)
		if err == nil {
			return entries, complete, nil
		}
		if ctx.Err() != nil { // the hub stopped: not history's failure
			return nil, false, err
		}
		rs.stats.historyErrors.WithLabelValues("read").Inc()
		if attempt == fillAttempts || !wait.Wait(ctx) {
			return nil, false, err
		}
	}
}

// readOnce is one attempt of readGap, bounded by fillTimeout.
func (rs *rooms) readOnce(ctx context.Context, room, from string) ([]bus.Entry, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, fillTimeout)
	defer cancel()
	return rs.bus.After(ctx, room, from)
}
