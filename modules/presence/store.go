package presence

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rtserver/rt/modules/protocol"
)

// Entry is one connection of one user in one room.
type Entry struct{ Room, User, Conn string }

// Store says who is in which room across all nodes. A user is present while
// at least one of their connections (on any node) is; each connection's entry
// expires ttl after its last refresh.
type Store interface {
	// Join adds or refreshes e. first: the user had no live connection in
	// the room before this one.
	Join(ctx context.Context, e Entry) (first bool, err error)
	// JoinAll is Join for every entry, in order, in one batch (one round
	// trip to Redis): firsts[i] is entries[i]'s first. On error it returns
	// no firsts; some entries may have been applied, and expire by
	// themselves. A bad room in any entry refuses the whole batch before
	// anything is written.
	JoinAll(ctx context.Context, entries []Entry) (firsts []bool, err error)
	// Leave removes e. last: this call ended the user's presence in the
	// room, so a second Leave of the same entry reports false.
	Leave(ctx context.Context, e Entry) (last bool, err error)
	// LeaveAll is Leave for every entry, in order, in one batch (a socket
	// in many rooms closing): lasts[i] is entries[i]'s last. On error it
	// returns no lasts; entries not removed expire by themselves. A bad
	// room in any entry refuses the whole batch before anything is
	// removed.
	LeaveAll(ctx context.Context, entries []Entry) (lasts []bool, err error)
	// Refresh pushes every entry's expiry to now+ttl in one batch,
	// re-adding entries the store lost (such as after a Redis restart).
	Refresh(ctx context.Context, entries []Entry) error
	// Users lists the room's live users, sorted, each once, never nil.
	Users(ctx context.Context, room string) ([]string, error)
}

var _ Store = (*Memory)(nil)

// ErrBadRoom is returned for a room name outside SPEC §3's rule; the Redis
// key layout relies on that rule, and both stores check it so they agree.
var ErrBadRoom = errors.New("presence: bad room name")

// CheckRoom returns ErrBadRoom, naming room, unless it is a valid name.
func CheckRoom(room string) error {
	if !protocol.ValidRoom(room) {
		return fmt.Errorf("%w: %q", ErrBadRoom, room)
	}
	return nil
}

// CheckRooms is CheckRoom for every entry's room.
func CheckRooms(entries []Entry) error {
	for _, e := range entries {
		if err := CheckRoom(e.Room); err != nil {
			return err
		}
	}
	return nil
}

// minTTL keeps a zero or negative ttl from deleting entries as they are
// written; config rejects such values, this only guards direct callers.
const minTTL = time.Millisecond

func clampTTL(ttl time.Duration) time.Duration { return max(ttl, minTTL) }
