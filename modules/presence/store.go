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

// Edge is what a join or a leave changed besides the connection itself:
// whether the user, and with them the room, went from absent to present or
// back. The caller turns it into presence.join and presence.leave frames
// and the room.occupied and room.vacated webhooks.
type Edge uint8

const (
	// NoEdge: the user had another live connection in the room (a join),
	// still has one, or had already left (a leave).
	NoEdge Edge = iota
	// UserEdge: the user's first connection in the room (a join), or the
	// last one gone (a leave), while other users are present.
	UserEdge
	// RoomEdge is a UserEdge that also made the room occupied (its first
	// user on any node) or vacated (its last user gone from every node).
	RoomEdge
)

// String names e for logs and test failures.
func (e Edge) String() string {
	switch e {
	case NoEdge:
		return "NoEdge"
	case UserEdge:
		return "UserEdge"
	case RoomEdge:
		return "RoomEdge"
	}
	return fmt.Sprintf("Edge(%d)", uint8(e))
}

// Store says who is in which room across all nodes. A user is present while
// at least one of their connections (on any node) is; each connection's entry
// expires ttl after its last refresh. Expired entries never count: a room
// whose only users are those of a dead node (expired, not yet removed) is
// empty, so the next join reports RoomEdge.
//
// A known limit: the users of a node that died without stopping expire by
// their TTL with no leave, so nothing reports the room vacated (no RoomEdge
// on a leave), and its next join reports it occupied again.
type Store interface {
	// Join adds or refreshes e: UserEdge when the user had no live
	// connection in the room before this one, RoomEdge when the room had
	// no live user at all, else NoEdge.
	Join(ctx context.Context, e Entry) (Edge, error)
	// JoinAll is Join for every entry, in order, in one batch (one round
	// trip to Redis): edges[i] is entries[i]'s edge. On error it returns
	// no edges; some entries may have been applied, and expire by
	// themselves. A bad room in any entry refuses the whole batch before
	// anything is written.
	JoinAll(ctx context.Context, entries []Entry) (edges []Edge, err error)
	// Leave removes e: UserEdge when this call ended the user's presence
	// in the room, RoomEdge when it also left the room without a live
	// user, else NoEdge; so a second Leave of the same entry reports
	// NoEdge.
	Leave(ctx context.Context, e Entry) (Edge, error)
	// LeaveAll is Leave for every entry, in order, in one batch (a socket
	// in many rooms closing): edges[i] is entries[i]'s edge. On error it
	// returns no edges; entries not removed expire by themselves. A bad
	// room in any entry refuses the whole batch before anything is
	// removed.
	LeaveAll(ctx context.Context, entries []Entry) (edges []Edge, err error)
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
