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

// Join adds e; first when the user had no live connection in the room.
func (m *Memory) Join(_ context.Context, e Entry) (bool, error) {
	if err := CheckRoom(e.Room); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.touch(e, m.now()), nil
}

// JoinAll adds every entry in order; firsts[i] as Join would report it.
func (m *Memory) JoinAll(_ context.Context, entries []Entry) ([]bool, error) {
	if err := CheckRooms(entries); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	firsts := make([]bool, len(entries))
	for i, e := range entries {
		firsts[i] = m.touch(e, now)
	}
	return firsts, nil
}

// Leave removes e; last when it ended the user's presence in the room.
func (m *Memory) Leave(_ context.Context, e Entry) (bool, error) {
	if err := CheckRoom(e.Room); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.leaveLocked(e), nil
}

// LeaveAll is Leave for every entry, under one lock.
func (m *Memory) LeaveAll(_ context.Context, entries []Entry) ([]bool, error) {
	if err := CheckRooms(entries); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	lasts := make([]bool, len(entries))
	for i, e := range entries {
		lasts[i] = m.leaveLocked(e)
	}
	return lasts, nil
}

// leaveLocked removes e and reports whether it was the user's last
// connection in the room; m.mu is held.
func (m *Memory) leaveLocked(e Entry) bool {
	users := m.rooms[e.Room]
	cs, ok := users[e.User]
	if !ok {
		return false // already gone: the leave was reported before
	}
	delete(cs, e.Conn)
	if cs.purge(m.now()) > 0 {
		return false
	}
	m.drop(e.Room, e.User)
	return true
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

// touch sets e's expiry to now+ttl and reports whether the user had no live
// connection before. The caller holds m.mu.
func (m *Memory) touch(e Entry, now time.Time) (first bool) {
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
	first = cs.purge(now) == 0
	cs[e.Conn] = now.Add(m.ttl)
	return first
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
