package presence

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Memory is the Store of embedded mode: one process, so a mutex and maps.
// Expired connections are ignored on read and dropped when next touched.
type Memory struct {
	ttl time.Duration
	now func() time.Time // replaced by tests to move time without sleeping

	mu    sync.Mutex
	rooms map[string]map[string]conns // room → user → that user's connections
}

// conns is one user's connections in one room, each with its expiry. A
// slice, not a map: a user has a few connections in a room (at most
// MAX_CONNS_PER_USER on this node), every change reads them all anyway
// (purge), and a map cost an allocation of about 400 bytes per user in
// each room.
type conns []conn

type conn struct {
	id  string
	exp time.Time
}

// NewMemory returns an empty store whose entries live ttl after each refresh.
func NewMemory(ttl time.Duration) *Memory {
	return &Memory{ttl: clampTTL(ttl), now: time.Now, rooms: make(map[string]map[string]conns)}
}

// Join adds e and reports its edge: UserEdge when the user had no live
// connection in the room, RoomEdge when the room had no live user.
func (m *Memory) Join(_ context.Context, e Entry) (Edge, error) {
	if err := CheckRoom(e.Room); err != nil {
		return NoEdge, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.touch(e, m.now()), nil
}

// JoinAll adds every entry in order; edges[i] as Join would report it.
func (m *Memory) JoinAll(_ context.Context, entries []Entry) ([]Edge, error) {
	return m.each(entries, m.touch)
}

// each applies f to every entry in order, under one lock and at one now,
// after checking every room: a bad one refuses the whole batch.
func (m *Memory) each(entries []Entry, f func(Entry, time.Time) Edge) ([]Edge, error) {
	if err := CheckRooms(entries); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	edges := make([]Edge, len(entries))
	for i, e := range entries {
		edges[i] = f(e, now)
	}
	return edges, nil
}

// Leave removes e and reports its edge: UserEdge when it ended the user's
// presence in the room, RoomEdge when no live user is left.
func (m *Memory) Leave(_ context.Context, e Entry) (Edge, error) {
	if err := CheckRoom(e.Room); err != nil {
		return NoEdge, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.leaveLocked(e, m.now()), nil
}

// LeaveAll is Leave for every entry, under one lock.
func (m *Memory) LeaveAll(_ context.Context, entries []Entry) ([]Edge, error) {
	return m.each(entries, m.leaveLocked)
}

// leaveLocked removes e and reports its edge; m.mu is held.
func (m *Memory) leaveLocked(e Entry, now time.Time) Edge {
	users := m.rooms[e.Room]
	cs, ok := users[e.User]
	if !ok {
		return NoEdge // already gone: the leave was reported before
	}
	if cs = cs.without(e.Conn).purge(now); len(cs) > 0 {
		users[e.User] = cs
		return NoEdge
	}
	m.drop(e.Room, e.User)
	if m.occupied(e.Room, now) {
		return UserEdge
	}
	return RoomEdge
}

// Refresh moves every entry's expiry to now+ttl, re-adding missing ones.
func (m *Memory) Refresh(_ context.Context, entries []Entry) error {
	if err := CheckRooms(entries); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for _, e := range entries {
		m.touch(e, now)
	}
	return nil
}

// Users lists the room's users with a live connection, sorted.
func (m *Memory) Users(_ context.Context, room string) ([]string, error) {
	if err := CheckRoom(room); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	users := []string{}
	for user := range m.rooms[room] {
		if !m.live(room, user, now) {
			continue
		}
		users = append(users, user)
	}
	slices.Sort(users)
	return users, nil
}

// touch sets e's expiry to now+ttl and reports its edge. The caller holds
// m.mu.
func (m *Memory) touch(e Entry, now time.Time) Edge {
	edge := NoEdge
	if !m.live(e.Room, e.User, now) {
		edge = UserEdge
		if !m.occupied(e.Room, now) {
			edge = RoomEdge
		}
	}
	users := m.rooms[e.Room] // live and occupied may have dropped it
	if users == nil {
		users = make(map[string]conns)
		m.rooms[e.Room] = users
	}
	users[e.User] = users[e.User].set(e.Conn, now.Add(m.ttl))
	return edge
}

// live reports whether user has a live connection in room, keeping only
// those and dropping the user (and an empty room) when none is left. The
// caller holds m.mu.
func (m *Memory) live(room, user string, now time.Time) bool {
	users := m.rooms[room]
	cs, ok := users[user]
	if !ok {
		return false
	}
	if cs = cs.purge(now); len(cs) > 0 {
		users[user] = cs
		return true
	}
	m.drop(room, user)
	return false
}

// occupied reports whether any user has a live connection in room. It
// drops the users it finds expired (a dead node's, or the caller's own
// emptied entry) and stops at the first live one, so each expired user
// costs one look and a busy room one. The caller holds m.mu.
func (m *Memory) occupied(room string, now time.Time) bool {
	for user := range m.rooms[room] {
		if m.live(room, user, now) { // deleting during range is allowed in Go
			return true
		}
	}
	return false
}

// drop forgets a user, and the room once it is empty. The caller holds m.mu.
func (m *Memory) drop(room, user string) {
	delete(m.rooms[room], user)
	if len(m.rooms[room]) == 0 {
		delete(m.rooms, room)
	}
}

// purge keeps the live connections, in place, and returns them. Live means
// the expiry is after now, the same rule as the Redis scores.
func (cs conns) purge(now time.Time) conns {
	live := cs[:0]
	for _, c := range cs {
		if c.exp.After(now) {
			live = append(live, c)
		}
	}
	clear(cs[len(live):]) // the ids of the expired ones
	return live
}

// without removes the connection id, in place.
func (cs conns) without(id string) conns {
	return slices.DeleteFunc(cs, func(c conn) bool { return c.id == id })
}

// set gives the connection id the expiry exp, adding it if it is not there.
func (cs conns) set(id string, exp time.Time) conns {
	for i := range cs {
		if cs[i].id == id {
			cs[i].exp = exp
			return cs
		}
	}
	return append(cs, conn{id: id, exp: exp})
}
