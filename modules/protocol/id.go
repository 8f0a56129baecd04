package protocol

import (
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

var (
	idMu   sync.Mutex
	lastID ulid.ULID
)

// NewID returns a new message id: a 26-character ULID string from
// ulid.Make. Ids are unique and sort lexically in the order NewID returned
// them within this process, also across goroutines and if the wall clock
// steps back: ulid.Make alone reads the clock outside its lock, so an id
// that would not sort after the previous one is replaced by the previous
// one plus one.
func NewID() string {
	id := ulid.Make()
	idMu.Lock()
	if id.Compare(lastID) <= 0 {
		id = increment(lastID)
	}
	lastID = id
	idMu.Unlock()
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

// Now returns the current time in Unix milliseconds, the unit of every ts.
func Now() int64 { return time.Now().UnixMilli() }
