package bus

import "sync"

// Subscribers is this node's set of deliver funcs per room, shared by every
// Bus implementation. The first add and the last remove of a room are reported so the
// Redis bus knows when to SUBSCRIBE and UNSUBSCRIBE.
//
// A room's subscribers are a slice, each knowing its index, rather than a
// set: every message walks them, and a slice walks far cheaper than a map,
// while add and remove stay O(1). deliver holds the read lock throughout,
// so once remove returns the removed deliver is neither running nor called
// again.
type Subscribers struct {
	mu    sync.RWMutex
	rooms map[string][]*Subscriber
}

type Subscriber struct {
	deliver func(Message)
	i       int // index in its room's slice
}

// NewSubscribers returns an empty set.
func NewSubscribers() Subscribers {
	return Subscribers{rooms: make(map[string][]*Subscriber)}
}

// Add registers deliver for room; first: room had no subscriber before.
func (s *Subscribers) Add(room string, deliver func(Message)) (sub *Subscriber, first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.rooms[room]
	sub = &Subscriber{deliver: deliver, i: len(list)}
	s.rooms[room] = append(list, sub)
	return sub, len(list) == 0
}

// Remove unregisters sub; last: room has no subscriber left. Removing
// twice is harmless and reports false.
func (s *Subscribers) Remove(room string, sub *Subscriber) (last bool) {
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

// Deliver hands m to every subscriber of m.Room.
func (s *Subscribers) Deliver(m Message) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, sub := range s.rooms[m.Room] {
		sub.deliver(m)
	}
}

// Signal hands a Link message to every subscriber of each of rooms.
func (s *Subscribers) Signal(link Link, rooms []string) {
	for _, room := range rooms {
		s.Deliver(Message{Room: room, Link: link})
	}
}

// Has says whether room has a subscriber.
func (s *Subscribers) Has(room string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.rooms[room]) > 0
}

// Names lists the rooms with subscribers.
func (s *Subscribers) Names() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.rooms))
	for room := range s.rooms {
		names = append(names, room)
	}
	return names
}

// CancelOnce wraps a cancel func so calling it twice is harmless.
func CancelOnce(f func()) func() {
	var once sync.Once
	return func() { once.Do(f) }
}
