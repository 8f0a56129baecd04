package webhook

import (
	"sync"

	"github.com/oklog/ulid/v2"
)

// buffer holds the events recorded on this node and not yet in the
// Queue, oldest first, at most bound of them. Record only appends under a
// lock, so the hub never waits on Redis or the backend.
type buffer struct {
	bound int
	// ready wakes the flusher: when the buffer gets its first event (a
	// flush is due in FlushEvery) and when it reaches MaxBatch (due now).
	ready chan struct{}

	mu     sync.Mutex
	events []Event
}

func newBuffer(bound int) *buffer {
	return &buffer{bound: max(bound, 1), ready: make(chan struct{}, 1)}
}

// add appends copies of events with new ids and says how many of the
// oldest it dropped to stay within the bound.
func (b *buffer) add(events []Event) (dropped int) {
	b.mu.Lock()
	before := len(b.events)
	for _, e := range events {
		e.ID = ulid.Make().String()
		b.events = append(b.events, e)
	}
	dropped = b.trim()
	after := len(b.events)
	b.mu.Unlock()
	if before == 0 || (before < MaxBatch && after >= MaxBatch) {
		select {
		case b.ready <- struct{}{}:
		default: // the flusher has a wake-up waiting already
		}
	}
	return dropped
}

// trim drops the oldest events past the bound.
func (b *buffer) trim() int {
	over := len(b.events) - b.bound
	if over <= 0 {
		return 0
	}
	clear(b.events[:over]) // the array outlives the slice: drop the messages
	b.events = b.events[over:]
	return over
}

// take removes and returns up to limit of the oldest events.
func (b *buffer) take(limit int) []Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := min(limit, len(b.events))
	chunk := copied(b.events[:n])
	clear(b.events[:n])
	b.events = b.events[n:]
	return chunk
}

// putBack returns a chunk the Queue refused to the front, where it came
// from, and says how many events the bound then dropped.
func (b *buffer) putBack(chunk []Event) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(chunk, b.events...)
	return b.trim()
}

func (b *buffer) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.events)
}

// copied copies events out of the buffer's array.
func copied(events []Event) []Event { return append([]Event(nil), events...) }
