package hub

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/rtserver/rt/modules/bus"
)

// clockSkew is how far this node's clock may be ahead of the one that
// numbers history: a room that loses its link before delivering anything
// fills its gap from this long before it was subscribed.
const clockSkew = time.Second

// rooms is the set of rooms with local members. A room holds exactly one
// bus subscription while it has local members: taken when the first member
// joins, cancelled when the last one leaves. Each message arrives from the
// bus once per node, already encoded, and the same bytes are queued to every
// member; queuing never blocks, so one slow socket cannot hold up a room.
type rooms struct {
	bus    bus.Bus
	stats  stats
	log    *slog.Logger
	fills  *fills
	mu     sync.Mutex
	byName map[string]*room
}

func newRooms(b bus.Bus, s stats, log *slog.Logger) *rooms {
	return &rooms{bus: b, stats: s, log: log, fills: newFills(), byName: make(map[string]*room)}
}

// join adds m to the room, subscribing the room on the bus if m is the
// first local member. Messages published after join returns reach m; a
// recovering m holds them until recovered. joined, if not nil, is queued to
// m before anything of the room.
func (rs *rooms) join(ctx context.Context, name string, m Member, recovering bool, joined []byte) {
	for {
		r := rs.room(name)
		if r.join(ctx, rs.bus, m, recovering, joined) {
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
		r = newRoom(name, rs.stats, rs.startFill)
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
