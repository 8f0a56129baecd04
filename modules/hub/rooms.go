package hub

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"rt/modules/bus"
)

// clockSkew is how far this node's clock may be ahead of the one that
// numbers history: a room that loses its link before delivering anything
// fills its gap from this long before it was subscribed.
const clockSkew = time.Second

// A gap fill reads history up to fillAttempts times, fillTimeout each,
// waiting fillBackoff, doubled, between attempts; then it gives up and
// delivers what it holds.
const (
	fillAttempts = 5
	fillTimeout  = 5 * time.Second
	fillBackoff  = 200 * time.Millisecond
)

// rooms is the set of rooms with local members. A room holds exactly one
// bus subscription while it has local members: taken when the first member
// joins, cancelled when the last one leaves. Each message arrives from the
// bus once per node, already encoded, and the same bytes are queued to every
// member; queuing never blocks, so one slow socket cannot hold up a room.
type rooms struct {
	bus    bus.Bus
	stats  stats
	log    *slog.Logger
	mu     sync.Mutex
	byName map[string]*room
}

func newRooms(b bus.Bus, s stats, log *slog.Logger) *rooms {
	return &rooms{bus: b, stats: s, log: log, byName: make(map[string]*room)}
}

// join adds m to the room, subscribing the room on the bus if m is the
// first local member. Messages published after join returns reach m; a
// recovering m holds them until recovered.
func (rs *rooms) join(ctx context.Context, name string, m Member, recovering bool) {
	for {
		r := rs.room(name)
		if r.join(ctx, rs.bus, m, recovering) {
			return
		}
		// r emptied and closed between lookup and join; take the new one.
		rs.forget(name, r)
	}
}

// leave removes m; the last member's leave cancels the room's subscription.
func (rs *rooms) leave(name string, m Member) {
	rs.mu.Lock()
	r := rs.byName[name]
	rs.mu.Unlock()
	if r != nil && r.leave(m) {
		rs.forget(name, r)
	}
}

// existing returns the room if it has local members, or nil.
func (rs *rooms) existing(name string) *room {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.byName[name]
}

// count reports how many rooms have local members.
func (rs *rooms) count() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return len(rs.byName)
}

// members reports how many local members the room has.
func (rs *rooms) members(name string) int {
	rs.mu.Lock()
	r := rs.byName[name]
	rs.mu.Unlock()
	if r == nil {
		return 0
	}
	return r.size()
}

func (rs *rooms) room(name string) *room {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	r := rs.byName[name]
	if r == nil {
		r = newRoom(name, rs.stats, rs.fillGap)
		rs.byName[name] = r
	}
	return r
}

// forget drops r from the map if it is still the entry for name and empty.
func (rs *rooms) forget(name string, r *room) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.byName[name] == r && r.closed() {
		delete(rs.byName, name)
	}
}

// fillGap reads from history what r missed during g and delivers it; it
// runs on its own goroutine, started when the link came back.
func (rs *rooms) fillGap(r *room, g *gap) {
	entries, complete, err := rs.readGap(r.name, g.from)
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

// readGap reads the room's history after from, retrying with backoff.
func (rs *rooms) readGap(room, from string) ([]bus.Entry, bool, error) {
	wait := fillBackoff
	var err error
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), fillTimeout)
		entries, complete, e := rs.bus.After(ctx, room, from)
		cancel()
		if e == nil {
			return entries, complete, nil
		}
		rs.stats.historyErrors.WithLabelValues("read").Inc()
		if err = e; attempt == fillAttempts {
			return nil, false, err
		}
		time.Sleep(wait)
		wait *= 2
	}
}
