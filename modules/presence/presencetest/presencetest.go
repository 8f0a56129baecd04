// Package presencetest is the contract every presence.Store keeps, run
// on the Memory store by package presence and on the Redis store by
// package redisbus, and the checks their tests share.
package presencetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/presence"
)

// LongTTL never runs out during a test; ShortTTL is short enough to wait
// for with a real Redis and long enough that a loaded machine keeps an
// entry alive between two consecutive calls.
const (
	LongTTL  = time.Minute
	ShortTTL = 300 * time.Millisecond
)

// NewStore returns an empty store whose entries live ttl.
type NewStore func(t *testing.T, ttl time.Duration) presence.Store

// Run is the contract every presence.Store keeps; each case uses its own
// rooms, so the cases can share one Redis, and runs in parallel. newStore
// returns an empty store whose entries live ttl. The cases about expiry
// wait for it in real time, unless the store has a method
// Advance(d time.Duration) that moves its clock d on.
func Run(t *testing.T, newStore NewStore) {
	cases := map[string]func(*testing.T, NewStore){
		"edges":            testEdges,
		"two tabs":         testTwoTabs,
		"sorted users":     testSortedUsers,
		"expiry":           testExpiry,
		"dead node join":   testDeadNodeJoin,
		"dead node leave":  testDeadNodeLeave,
		"refresh":          testRefresh,
		"no collisions":    testNoCollisions,
		"bad room":         testBadRoom,
		"concurrent tab":   testConcurrent,
		"concurrent users": testConcurrentUsers,
		"join all":         testJoinAll,
		"join all bad":     testJoinAllBadRoom,
		"leave all":        testLeaveAll,
	}
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run(t, newStore)
		})
	}
}

func testTwoTabs(t *testing.T, newStore NewStore) {
	s := newStore(t, LongTTL)
	a, b := entry("tabs", "u1", "c1"), entry("tabs", "u1", "c2")
	WantJoin(t, s, a, roomEdge)
	WantJoin(t, s, b, noEdge)
	WantUsers(t, s, "tabs", "u1")
	WantLeave(t, s, a, noEdge)
	WantUsers(t, s, "tabs", "u1")
	WantLeave(t, s, b, roomEdge)
	WantUsers(t, s, "tabs")
	WantLeave(t, s, b, noEdge) // a repeated leave must not announce twice
}

func testSortedUsers(t *testing.T, newStore NewStore) {
	s := newStore(t, LongTTL)
	first := roomEdge
	for _, u := range []string{"zed", "amy", "bob"} {
		WantJoin(t, s, entry("sorted", u, u+"-1"), first)
		WantJoin(t, s, entry("sorted", u, u+"-2"), noEdge)
		first = userEdge
	}
	WantUsers(t, s, "sorted", "amy", "bob", "zed")
	WantUsers(t, s, "nobody-here") // never nil, checked inside
}

func testExpiry(t *testing.T, newStore NewStore) {
	s := newStore(t, ShortTTL)
	a := entry("expiry", "u1", "c1")
	WantJoin(t, s, a, roomEdge)
	WantUsers(t, s, "expiry", "u1")
	advance(s, ShortTTL+100*time.Millisecond)
	WantUsers(t, s, "expiry")
	WantJoin(t, s, a, roomEdge) // the expired entry does not count as present
	WantLeave(t, s, a, roomEdge)
}

func testRefresh(t *testing.T, newStore NewStore) {
	const ttl = 2 * ShortTTL
	s := newStore(t, ttl)
	a := entry("refresh", "u1", "c1")
	WantJoin(t, s, a, roomEdge)
	advance(s, ttl*2/3)
	if err := s.Refresh(t.Context(), []presence.Entry{a}); err != nil {
		t.Fatal(err)
	}
	advance(s, ttl*2/3) // past the join's own expiry
	WantUsers(t, s, "refresh", "u1")
	advance(s, ttl+100*time.Millisecond)
	WantUsers(t, s, "refresh")

	// A refresh re-adds what the store lost, as after a Redis restart.
	lost := []presence.Entry{entry("refresh-lost", "u2", "c2"), entry("refresh-lost", "u3", "c3")}
	if err := s.Refresh(t.Context(), lost); err != nil {
		t.Fatal(err)
	}
	WantUsers(t, s, "refresh-lost", "u2", "u3")
	WantLeave(t, s, lost[0], userEdge)
	WantLeave(t, s, lost[1], roomEdge)
}

// Without the braces of the key layout, room "a" + user "b:c" and room
// "a:b" + user "c" would share one key.
func testNoCollisions(t *testing.T, newStore NewStore) {
	s := newStore(t, LongTTL)
	WantJoin(t, s, entry("a", "b:c", "1"), roomEdge)
	WantUsers(t, s, "a:b")
	WantJoin(t, s, entry("a:b", "c", "1"), roomEdge)
	WantJoin(t, s, entry("a", "{x}", "1"), userEdge)
	WantJoin(t, s, entry("a", "}:c", "1"), userEdge)
	WantUsers(t, s, "a", "b:c", "{x}", "}:c")
	WantUsers(t, s, "a:b", "c")
	WantLeave(t, s, entry("a:b", "c", "1"), roomEdge)
	WantLeave(t, s, entry("a", "{x}", "1"), userEdge)
	WantUsers(t, s, "a", "b:c", "}:c")
}

func testBadRoom(t *testing.T, newStore NewStore) {
	s := newStore(t, LongTTL)
	if _, err := s.Join(t.Context(), entry("a}b", "u", "c")); !errors.Is(err, presence.ErrBadRoom) {
		t.Fatalf("Join bad room: err = %v, want presence.ErrBadRoom", err)
	}
	if _, err := s.Users(t.Context(), ""); !errors.Is(err, presence.ErrBadRoom) {
		t.Fatalf("Users empty room: err = %v, want presence.ErrBadRoom", err)
	}
}

// JoinAll reports each entry's edge as Joins one after another would:
// a user's first connection in each room, the room's first user, not the
// second connection in the same batch, nor one joined before; the same
// batch again reports none.
func testJoinAll(t *testing.T, newStore NewStore) {
	s := newStore(t, LongTTL)
	WantJoin(t, s, entry("all-a", "u0", "c0"), roomEdge)
	batch := []presence.Entry{
		entry("all-a", "u1", "c1"), entry("all-b", "u1", "c1"), // one socket, two rooms
		entry("all-a", "u2", "c2"), entry("all-a", "u2", "c3"), // two tabs in one batch
		entry("all-a", "u0", "c4"),                             // joined before the batch
		entry("all-c", "u3", "c5"), entry("all-c", "u4", "c6"), // a new room's first and second users
	}
	WantJoinAll(t, s, batch, userEdge, roomEdge, userEdge, noEdge, noEdge, roomEdge, userEdge)
	WantUsers(t, s, "all-a", "u0", "u1", "u2")
	WantUsers(t, s, "all-b", "u1")
	WantUsers(t, s, "all-c", "u3", "u4")
	WantJoinAll(t, s, batch, noEdge, noEdge, noEdge, noEdge, noEdge, noEdge, noEdge)
	WantJoinAll(t, s, nil)
	WantJoinAll(t, s, []presence.Entry{})
	WantLeave(t, s, batch[0], userEdge) // the batch's entries are connections like any
	WantLeave(t, s, batch[2], noEdge)   // u2 still has c3
	WantLeave(t, s, batch[3], userEdge) // u0 is still there
	WantUsers(t, s, "all-a", "u0")
}

// LeaveAll reports each entry's edge as Leaves one after another would:
// the user's last connection in each room, the room's last user, not one
// with another tab left, not one gone before; a bad room refuses the
// batch.
func testLeaveAll(t *testing.T, newStore NewStore) {
	s := newStore(t, LongTTL)
	batch := []presence.Entry{
		entry("left-a", "u1", "c1"), entry("left-b", "u1", "c1"),
		entry("left-a", "u2", "c2"), entry("left-a", "u2", "c3"),
	}
	WantJoinAll(t, s, batch, roomEdge, roomEdge, userEdge, noEdge)
	WantLeaveAll(t, s, []presence.Entry{batch[0], batch[1], batch[2], batch[0]}, userEdge, roomEdge, noEdge, noEdge)
	WantUsers(t, s, "left-a", "u2")
	WantUsers(t, s, "left-b")
	if edges, err := s.LeaveAll(t.Context(), []presence.Entry{batch[3], entry("a}b", "u2", "c3")}); !errors.Is(err, presence.ErrBadRoom) || edges != nil {
		t.Fatalf("LeaveAll with a bad room = %v, %v; want nil, presence.ErrBadRoom", edges, err)
	}
	WantUsers(t, s, "left-a", "u2") // nothing of the refused batch was removed
	WantLeaveAll(t, s, nil)
	WantLeaveAll(t, s, []presence.Entry{batch[3], batch[3]}, roomEdge, noEdge)
}

// A bad room anywhere in the batch refuses all of it, writing nothing.
func testJoinAllBadRoom(t *testing.T, newStore NewStore) {
	s := newStore(t, LongTTL)
	batch := []presence.Entry{entry("all-bad", "u1", "c1"), entry("a}b", "u1", "c1")}
	if edges, err := s.JoinAll(t.Context(), batch); !errors.Is(err, presence.ErrBadRoom) || edges != nil {
		t.Fatalf("JoinAll with a bad room = %v, %v; want nil, presence.ErrBadRoom", edges, err)
	}
	WantUsers(t, s, "all-bad")
	WantJoin(t, s, batch[0], roomEdge) // nothing of the refused batch counts
}

// Many tabs of one user opening together, then closing together, announce
// exactly one join and one leave, both the room's.
func testConcurrent(t *testing.T, newStore NewStore) {
	s := newStore(t, LongTTL)
	const n = 32
	tab := func(i int) presence.Entry { return entry("crowd", "u1", string(rune('A'+i))) }
	joins := parallelEdges(t, n, func(i int) (presence.Edge, error) { return s.Join(t.Context(), tab(i)) })
	WantUsers(t, s, "crowd", "u1")
	leaves := parallelEdges(t, n, func(i int) (presence.Edge, error) { return s.Leave(t.Context(), tab(i)) })
	if joins != [3]int{n - 1, 0, 1} || leaves != [3]int{n - 1, 0, 1} {
		t.Fatalf("edges (none, user, room) of joins = %v, of leaves = %v; want [%d 0 1] for both", joins, leaves, n-1)
	}
	WantUsers(t, s, "crowd")
}

// advance moves the store's clock d on, or waits d in real time for a
// store whose clock cannot be moved.
func advance(s presence.Store, d time.Duration) {
	if c, ok := s.(interface{ Advance(d time.Duration) }); ok {
		c.Advance(d)
		return
	}
	time.Sleep(d)
}

// parallelEdges runs f(0..n-1) on n goroutines released together and
// counts the edges they report, by value.
func parallelEdges(t *testing.T, n int, f func(i int) (presence.Edge, error)) (counts [3]int) {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	edges, errs := make([]presence.Edge, n), make([]error, n)
	for i := range n {
		wg.Go(func() { <-start; edges[i], errs[i] = f(i) })
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for i, e := range edges {
		if int(e) >= len(counts) {
			t.Fatalf("call %d reported %v", i, e)
		}
		counts[e]++
	}
	return counts
}
