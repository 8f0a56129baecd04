package bus

import "sync"

// subscribers is this node's set of deliver funcs per room, shared by both
// buses. The first add and the last remove of a room are reported so the
// Redis bus knows when to SUBSCRIBE and UNSUBSCRIBE.
type subscribers struct {
	mu    sync.RWMutex
	rooms map[string]map[*subscriber]struct{}
}

type subscriber struct{ deliver func(Message) }

func newSubscribers() subscribers {
	return subscribers{rooms: make(map[string]map[*subscriber]struct{})}
}

func (s *subscribers) add(room string, deliver func(Message)) (sub *subscriber, first bool) {
	sub = &subscriber{deliver: deliver}
	s.mu.Lock()
	defer s.mu.Unlock()
	set := s.rooms[room]
	if set == nil {
		set = make(map[*subscriber]struct{})
		s.rooms[room] = set
	}
	set[sub] = struct{}{}
	return sub, len(set) == 1
}

func (s *subscribers) remove(room string, sub *subscriber) (last bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	set, ok := s.rooms[room]
	if !ok {
		return false
	}
	delete(set, sub)
	if len(set) > 0 {
		return false
	}
	delete(s.rooms, room)
	return true
}

// deliver hands m to every subscriber of m.Room.
func (s *subscribers) deliver(m Message) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for sub := range s.rooms[m.Room] {
		sub.deliver(m)
	}
}

func (s *subscribers) has(room string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.rooms[room]) > 0
}

func (s *subscribers) names() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.rooms))
	for room := range s.rooms {
		names = append(names, room)
	}
	return names
}

// cancelOnce wraps a cancel func so calling it twice is harmless.
func cancelOnce(f func()) func() {
	var once sync.Once
	return func() { once.Do(f) }
}
