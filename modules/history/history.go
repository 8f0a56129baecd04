// Package history keeps each room's recent chat messages and is the one
// place their ids come from: a message's id is its position in the room's
// history, so ids are one total order per room across every node, and a
// client or a node that missed messages reads them back by id. Appending a
// message and publishing it on the bus are one step (Log.Append): nothing
// is delivered live without being in history, nor stored without being
// published.
//
// Embedded mode keeps history in memory (Memory); redis mode in a Redis
// Stream per room, appended and published by one Lua script (Redis).
package history

import (
	"context"
	"time"

	"rt/modules/protocol"
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

// Log is every room's recent history.
type Log interface {
	// Append gives each draft the next position in its room, writes the id
	// into its frame, stores it and publishes it on the bus, in order, each
	// as one step. It returns each draft's id, or an error: then the
	// message was not stored and published, or, when the error is a
	// timeout, may still be, once a stalled backend resumes.
	Append(ctx context.Context, drafts []Draft) (ids []string, errs []error)
	// After returns the room's messages with ids greater than since, oldest
	// first: at most the configured size of history, the newest of them.
	// complete says that history still holds since itself and that nothing
	// after it was left out, so the caller misses nothing.
	After(ctx context.Context, room, since string) (entries []Entry, complete bool, err error)
	// Range returns up to limit of the room's messages with ids greater
	// than after, oldest first: a recovery reads its replay with it page by
	// page. held says that history still holds after itself, so nothing
	// between it and the first entry returned is missing.
	Range(ctx context.Context, room, after string, limit int) (entries []Entry, held bool, err error)
	// Before returns up to limit of the room's messages with ids less than
	// before ("" for the newest), oldest first, and whether older ones exist.
	Before(ctx context.Context, room, before string, limit int) (entries []Entry, more bool, err error)
}

// Settings are the size and age limits of every room's history.
type Settings struct {
	// Size is how many messages a room keeps; 0 keeps none, though ids are
	// still positions.
	Size int
	// TTL is the longest a message is kept.
	TTL time.Duration
}

// FloorID is an id below every message published at or after ms (Unix
// milliseconds): the last position of the millisecond before, so that
// After(FloorID(ms)) reads everything from ms on.
func FloorID(ms int64) string {
	return protocol.FormatID(uint64(max(ms, 1)-1), 1<<64-1)
}

// expired says whether the message with id was published more than ttl
// before now.
func expired(id string, now time.Time, ttl time.Duration) bool {
	ms, _, _ := protocol.ParseID(id)
	return int64(ms) < now.Add(-ttl).UnixMilli()
}
