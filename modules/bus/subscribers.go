package bus

import "sync"

// subscribers is this node's set of deliver funcs per room, shared by both
// buses. The first add and the last remove of a room are reported so the
// Redis bus knows when to SUBSCRIBE and UNSUBSCRIBE.
//
// A room's subscribers are a slice, each knowing its index, rather than a
// set: every message walks them, and a slice walks far cheaper than a map,
// while add and remove stay O(1). deliver holds the read lock throughout,
// so once remove returns the removed deliver is neither running nor called
// again.
type subscribers struct {
	mu    sync.RWMutex
	rooms map[string][]*subscriber
}

type subscriber struct {
	deliver func(Message)
	i       int // index in its room's slice
}

func newSubscribers() subscribers {
	return subscribers{rooms: make(map[string][]*subscriber)}
}

func (s *subscribers) add(room string, deliver func(Message)) (sub *subscriber, first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.rooms[room]
	sub = &subscriber{deliver: deliver, i: len(list)}
	s.rooms[room] = append(list, sub)
	return sub, len(list) == 0
}

func (s *subscribers) remove(room string, sub *subscriber) (last bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.rooms[room]
	if sub.i >= len(list) || list[sub.i] != sub {
		return false
	}
	end := len(list) - 1
	list[sub.i] = list[end]
	list[sub.i].i = sub.i
	list[end] = nil
	if end > 0 {
		s.rooms[room] = list[:end]
		return false
	}
	delete(s.rooms, room)
	return true
}

// deliver hands m to every subscriber of m.Room.
func (s *subscribers) deliver(m Message) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, sub := range s.rooms[m.Room] {
		sub.deliver(m)
	}
}

// signal hands a Link message to every subscriber of each of rooms.
func (s *subscribers) signal(link Link, rooms []string) {
	for _, room := range rooms {
		s.deliver(Message{Room: room, Link: link})
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
