package ws

import (
	"maps"
	"slices"
	"sync"

	"github.com/rtserver/rt/modules/protocol"
)

// roomSet is the rooms a connection is in or is joining. The reader adds a
// room as it accepts a room.join, so that the frames after it may name the
// room and MAX_ROOMS_PER_CONN counts it at once, and removes one as it
// accepts a room.leave (or the server takes the room away). The hub's join
// and leave run later, in the order the frames came, on the connection's
// request runner (requests.go), each holding the room's membership.
type roomSet struct {
	mu     sync.Mutex
	home   string // the room of the URL (/ws/:room); "" for /ws
	byName map[string]*membership
}

// membership is the connection's place in one room.
type membership struct {
	room string
	mu   sync.Mutex
	// hub is the hub's join: set once it succeeded, nil before, after the
	// leave, or when the join failed.
	hub leaver
	// gone: the room was left (or taken away) before the join finished, so
	// the join is undone as soon as it does.
	gone bool
}

// leaver is the hub's join of one room (*hub.Joined).
type leaver interface{ Leave() }

// joined records the hub's join, or undoes it at once when the room was
// left meanwhile.
func (mb *membership) joined(j leaver) {
	mb.mu.Lock()
	if mb.gone {
		mb.mu.Unlock()
		j.Leave()
		return
	}
	mb.hub = j
	mb.mu.Unlock()
}

// end leaves the room, now if joined, or as soon as the join finishes.
func (mb *membership) end() {
	if j := mb.take(); j != nil {
		j.Leave()
	}
}

// take marks the room left and returns the hub's join to undo, nil when
// there is none yet (the join, when it finishes, is undone at once).
func (mb *membership) take() leaver {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	j := mb.hub
	mb.hub, mb.gone = nil, true
	return j
}

// isJoined reports whether the hub's join succeeded and was not undone.
func (mb *membership) isJoined() bool {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.hub != nil
}

// What a connection is told when a room it names is not one of its rooms.
var (
	errRoomRequired = &protocol.Error{Code: protocol.CodeBadMessage, Message: "room is required: this connection was opened without one"}
	errNotJoined    = &protocol.Error{Code: protocol.CodeNotJoined, Message: "this connection has not joined that room"}
	errRoomMismatch = &protocol.Error{Code: protocol.CodeRoomMismatch, Message: "room must be this connection's room"}
	errTooManyRooms = &protocol.Error{Code: protocol.CodeTooManyRooms, Message: "this connection is in as many rooms as it may be (MAX_ROOMS_PER_CONN)"}
)

// add puts room in the set, unless it is there already (fresh false, the
// membership there) or the set is full.
func (s *roomSet) add(room string, limit int) (mb *membership, fresh bool, err *protocol.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if mb := s.byName[room]; mb != nil {
		return mb, false, nil
	}
	if len(s.byName) >= limit {
		return nil, false, errTooManyRooms
	}
	if s.byName == nil {
		s.byName = make(map[string]*membership)
	}
	mb = &membership{room: room}
	s.byName[room] = mb
	return mb, true, nil
}

// remove takes room out of the set and returns its membership, or nil when
// it was not there.
func (s *roomSet) remove(room string) *membership {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := s.byName[room]
	delete(s.byName, room)
	return mb
}

// forget takes mb out of the set if it is still room's membership there: a
// join that failed.
func (s *roomSet) forget(mb *membership) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byName[mb.room] == mb {
		delete(s.byName, mb.room)
	}
}

// has reports whether room is in the set.
func (s *roomSet) has(room string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byName[room] != nil
}

// only reports whether room is the set's one room.
func (s *roomSet) only(room string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byName) == 1 && s.byName[room] != nil
}

// names lists the rooms in the set, sorted.
func (s *roomSet) names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.byName))
}

// drain empties the set and returns what it held.
func (s *roomSet) drain() []*membership {
	s.mu.Lock()
	defer s.mu.Unlock()
	mbs := slices.Collect(maps.Values(s.byName))
	clear(s.byName)
	return mbs
}

// resolve is the room a frame is about: the one it names or, when it names
// none, the room of the URL. The room must be in the set. On a connection
// opened at /ws/:room, naming a room it is not in is room_mismatch, as it
// was before connections could join rooms.
func (s *roomSet) resolve(named string) (string, *protocol.Error) {
	room := named
	if room == "" {
		if s.home == "" {
			return "", errRoomRequired
		}
		room = s.home
	}
	if s.has(room) {
		return room, nil
	}
	if s.home != "" && room != s.home {
		return "", errRoomMismatch
	}
	return "", errNotJoined
}
