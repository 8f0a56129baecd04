package presencetest

import (
	"testing"

	"github.com/rtserver/rt/modules/presence"
)

// The cases about edges as such: what the hub turns into presence.join,
// presence.leave, room.occupied and room.vacated.

// testEdges walks a room through every edge: its first user, a second
// user, a second tab, a user leaving while others stay, the last user,
// and a leave said twice.
func testEdges(t *testing.T, newStore NewStore) {
	s := newStore(t, LongTTL)
	amy, amy2, bob := entry("edges", "amy", "a1"), entry("edges", "amy", "a2"), entry("edges", "bob", "b1")
	WantJoin(t, s, amy, roomEdge)   // the room's first user
	WantJoin(t, s, bob, userEdge)   // a second user
	WantJoin(t, s, amy2, noEdge)    // a second connection of a present user
	WantLeave(t, s, amy, noEdge)    // amy still has a2
	WantLeave(t, s, amy2, userEdge) // amy's last connection, bob stays
	WantLeave(t, s, bob, roomEdge)  // the room's last user
	WantLeave(t, s, bob, noEdge)    // a repeated leave reports nothing
	WantLeave(t, s, amy2, noEdge)
	WantUsers(t, s, "edges")
	WantJoin(t, s, amy, roomEdge) // occupied again
}

// A node that dies without stopping leaves its users behind until their
// entries expire; once they have, they do not keep the room occupied: the
// next join is the room's first. The dead node's user is still listed in
// Redis's users set when the join runs (the set's own TTL is later, as
// another user joined after it), so the join purges it rather than finding
// the key gone.
func testDeadNodeJoin(t *testing.T, newStore NewStore) {
	const ttl = 2 * ShortTTL
	s := newStore(t, ttl)
	dead, live, next := entry("dead-join", "dead", "d1"), entry("dead-join", "live", "l1"), entry("dead-join", "next", "n1")
	WantJoin(t, s, dead, roomEdge) // never refreshed, never left: its node died
	advance(s, ttl*2/3)
	WantJoin(t, s, live, userEdge) // dead is not expired yet
	WantLeave(t, s, live, userEdge)
	advance(s, ttl/2) // past dead's expiry, not past the users set's TTL
	WantJoin(t, s, next, roomEdge)
	WantUsers(t, s, "dead-join", "next")
}

// The last live user leaving a room whose other users are a dead node's
// expired ones vacates it.
func testDeadNodeLeave(t *testing.T, newStore NewStore) {
	const ttl = 2 * ShortTTL
	s := newStore(t, ttl)
	dead, live := entry("dead-leave", "dead", "d1"), entry("dead-leave", "live", "l1")
	WantJoin(t, s, dead, roomEdge)
	advance(s, ttl*2/3)
	WantJoin(t, s, live, userEdge)
	advance(s, ttl/2) // past dead's expiry, not past live's
	WantLeave(t, s, live, roomEdge)
	WantUsers(t, s, "dead-leave")
}

// Many users entering an empty room together make it occupied exactly
// once, and leaving together vacate it exactly once: on Redis, each
// script runs whole, so no two see the room empty.
func testConcurrentUsers(t *testing.T, newStore NewStore) {
	s := newStore(t, LongTTL)
	const n = 32
	user := func(i int) presence.Entry { return entry("rush", string(rune('A'+i)), "c") }
	joins := parallelEdges(t, n, func(i int) (presence.Edge, error) { return s.Join(t.Context(), user(i)) })
	leaves := parallelEdges(t, n, func(i int) (presence.Edge, error) { return s.Leave(t.Context(), user(i)) })
	if joins != [3]int{0, n - 1, 1} || leaves != [3]int{0, n - 1, 1} {
		t.Fatalf("edges (none, user, room) of joins = %v, of leaves = %v; want [0 %d 1] for both", joins, leaves, n-1)
	}
	WantUsers(t, s, "rush")
}
