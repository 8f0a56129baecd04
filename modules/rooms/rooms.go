// Package rooms keeps this node's connections per room and fans a room's
// frames out to them.
//
// A room holds exactly one bus subscription while it has local members:
// taken when the first member joins, cancelled when the last one leaves.
// Each frame arrives from the bus once per node, already encoded, and the
// same bytes are queued to every member; queuing never blocks, so one slow
// socket cannot hold up a room.
package rooms

import (
	"context"
	"sync"

	"go.uber.org/fx"

	"rt/modules/bus"
	"rt/modules/metrics/collect"
)

// Member is one local connection as a room sees it.
type Member interface {
	// Send queues frame without blocking and reports whether it did. It
	// must not call back into the Manager or the bus; a member that cannot
	// keep up closes itself.
	Send(frame []byte) bool
}

// Module provides *Manager.
var Module = fx.Module("rooms",
	fx.Provide(New, collect.As((*Manager).Collectors)),
)

// Manager is the set of rooms with local members.
type Manager struct {
	bus   bus.Bus
	stats stats
	mu    sync.Mutex
	rooms map[string]*room
}

// New returns a Manager that subscribes rooms on b.
func New(b bus.Bus) *Manager {
	return &Manager{bus: b, stats: newStats(), rooms: make(map[string]*room)}
}

// Join adds m to the room, subscribing the room on the bus if m is the
// first local member. Frames published after Join returns reach m.
func (mgr *Manager) Join(ctx context.Context, name string, m Member) error {
	for {
		r := mgr.room(name)
		joined, err := r.join(ctx, mgr.bus, m)
		if err != nil || joined {
			if err != nil {
				mgr.forget(name, r)
			}
			return err
		}
		// r emptied and closed between lookup and join; take the new one.
		mgr.forget(name, r)
	}
}

// Leave removes m; the last member's leave cancels the room's subscription.
func (mgr *Manager) Leave(name string, m Member) {
	mgr.mu.Lock()
	r := mgr.rooms[name]
	mgr.mu.Unlock()
	if r != nil && r.leave(m) {
		mgr.forget(name, r)
	}
}

// Publish sends an encoded frame to every member of the room on every node.
func (mgr *Manager) Publish(ctx context.Context, name string, frame []byte) error {
	return mgr.bus.Publish(ctx, name, frame)
}

// Count reports how many rooms have local members.
func (mgr *Manager) Count() int {
	mgr.mu.Lock()
	defer mgr.mu.Unlock()
	return len(mgr.rooms)
}

// Members reports how many local members the room has.
func (mgr *Manager) Members(name string) int {
	mgr.mu.Lock()
	r := mgr.rooms[name]
	mgr.mu.Unlock()
	if r == nil {
		return 0
	}
	return r.size()
}

func (mgr *Manager) room(name string) *room {
	mgr.mu.Lock()
	defer mgr.mu.Unlock()
	r := mgr.rooms[name]
	if r == nil {
		r = newRoom(name, mgr.stats)
		mgr.rooms[name] = r
	}
	return r
}

// forget drops r from the map if it is still the entry for name and empty.
func (mgr *Manager) forget(name string, r *room) {
	mgr.mu.Lock()
	defer mgr.mu.Unlock()
	if mgr.rooms[name] == r && r.closed() {
		delete(mgr.rooms, name)
	}
}
