package hub

import (
	"sync"

	"github.com/oklog/ulid/v2"
)

// IDs makes the ids of connections (a presence entry each); message ids
// are positions in a room's history and come from the bus. It is a value
// of the app (fx.Decorate can swap it in a test), not package state.
type IDs interface {
	Next() string
}

// ULIDs makes 26-character ULIDs that are unique and sort lexically in the
// order Next returned them, across goroutines and even if the wall clock
// steps back: ulid.Make alone reads the clock outside its lock, so an id
// that would not sort after the previous one becomes the previous one plus
// one.
type ULIDs struct {
	mu   sync.Mutex
	last ulid.ULID
}

// NewULIDs returns a generator that has made no id yet.
func NewULIDs() *ULIDs { return &ULIDs{} }

// Next returns a new id.
func (g *ULIDs) Next() string {
	id := ulid.Make()
	g.mu.Lock()
	if id.Compare(g.last) <= 0 {
		id = increment(g.last)
	}
	g.last = id
	g.mu.Unlock()
	return id.String()
}

// increment adds one to id read as a 128-bit big-endian number. A carry out
// of the 80 random bits moves the timestamp on by a millisecond, which keeps
// the order.
func increment(id ulid.ULID) ulid.ULID {
	for i := len(id) - 1; i >= 0; i-- {
		id[i]++
		if id[i] != 0 {
			break
		}
	}
	return id
}
