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

// conns maps a connection id to its expiry.
type conns map[string]time.Time

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
	delete(cs, e.Conn)
	if cs.purge(now) > 0 {
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
	for user, cs := range m.rooms[room] {
		if cs.purge(now) == 0 {
			m.drop(room, user) // deleting during range is allowed in Go
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
	if m.rooms[e.Room][e.User].purge(now) == 0 {
		edge = UserEdge
		if !m.occupied(e.Room, now) { // may drop the room: read it again below
			edge = RoomEdge
		}
	}
	users := m.rooms[e.Room]
	if users == nil {
		users = make(map[string]conns)
		m.rooms[e.Room] = users
	}
	cs := users[e.User]
	if cs == nil {
		cs = make(conns)
		users[e.User] = cs
	}
	cs[e.Conn] = now.Add(m.ttl)
	return edge
}

// occupied reports whether any user has a live connection in room. It
// drops the users it finds expired (a dead node's, or the caller's own
// emptied entry) and stops at the first live one, so each expired user
// costs one look and a busy room one. The caller holds m.mu.
func (m *Memory) occupied(room string, now time.Time) bool {
	for user, cs := range m.rooms[room] {
		if cs.purge(now) > 0 {
			return true
		}
		m.drop(room, user) // deleting during range is allowed in Go
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

// purge deletes expired connections and returns how many live ones remain.
// Live means the expiry is after now, the same rule as the Redis scores.
func (cs conns) purge(now time.Time) int {
	for conn, exp := range cs {
		if !exp.After(now) {
			delete(cs, conn)
		}
	}
	return len(cs)
}
