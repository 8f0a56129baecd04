package bus

import (
	"time"

	"github.com/rtserver/rt/modules/protocol"
)

// Entry is one chat message in a room's history: its id and its encoded
// chat.delivery frame, which must not be changed.
type Entry struct {
	ID    string
	Frame []byte
}

// Draft is a chat message on its way into history: its chat.delivery frame
// with a placeholder for the id at IDAt (protocol.DeliveryDraft), and when
// it was said, in Unix milliseconds.
type Draft struct {
	Room  string
	At    int64
	Frame []byte
	IDAt  int
}

// Settings are the size and age limits of every room's history.
type Settings struct {
	// Size is how many messages a room keeps; 0 keeps none, though ids are
	// still positions.
	Size int
	// TTL is the longest a message is kept.
	TTL time.Duration
	// Now is the clock the TTL is read against; nil is time.Now. Tests
	// move it to expire messages without waiting.
	Now func() time.Time
}

// Clock returns s.Now, or time.Now when it is nil.
func (s Settings) Clock() func() time.Time {
	if s.Now == nil {
		return time.Now
	}
	return s.Now
}

// FloorID is an id below every message published at or after ms (Unix
// milliseconds): the last position of the millisecond before, so that
// After(FloorID(ms)) reads everything from ms on.
func FloorID(ms int64) string {
	return protocol.FormatID(uint64(max(ms, 1)-1), 1<<64-1)
}

// Expired says whether the message with id was published more than ttl
// before now.
func Expired(id string, now time.Time, ttl time.Duration) bool {
	ms, _, _ := protocol.ParseID(id)
	return int64(ms) < now.Add(-ttl).UnixMilli()
}
