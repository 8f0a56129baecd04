// Package presencetest is the contract every presence.Store keeps, run
// on the Memory store by package presence and on the Redis store by
// package redisbus, and the checks their tests share.
package presencetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
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
		"two tabs":       testTwoTabs,
		"sorted users":   testSortedUsers,
		"expiry":         testExpiry,
		"refresh":        testRefresh,
		"no collisions":  testNoCollisions,
		"bad room":       testBadRoom,
		"concurrent tab": testConcurrent,
		"join all":       testJoinAll,
		"join all bad":   testJoinAllBadRoom,
		"leave all":      testLeaveAll,
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
	WantJoin(t, s, a, true)
	WantJoin(t, s, b, false)
	WantUsers(t, s, "tabs", "u1")
	WantLeave(t, s, a, false)
	WantUsers(t, s, "tabs", "u1")
	WantLeave(t, s, b, true)
	WantUsers(t, s, "tabs")
	WantLeave(t, s, b, false) // a repeated leave must not announce twice
}

func testSortedUsers(t *testing.T, newStore NewStore) {
	s := newStore(t, LongTTL)
	for _, u := range []string{"zed", "amy", "bob"} {
		WantJoin(t, s, entry("sorted", u, u+"-1"), true)
		WantJoin(t, s, entry("sorted", u, u+"-2"), false)
	}
	WantUsers(t, s, "sorted", "amy", "bob", "zed")
	WantUsers(t, s, "nobody-here") // never nil, checked inside
}

func testExpiry(t *testing.T, newStore NewStore) {
	s := newStore(t, ShortTTL)
	a := entry("expiry", "u1", "c1")
	WantJoin(t, s, a, true)
	WantUsers(t, s, "expiry", "u1")
	advance(s, ShortTTL+100*time.Millisecond)
	WantUsers(t, s, "expiry")
	WantJoin(t, s, a, true) // the expired entry does not count as present
	WantLeave(t, s, a, true)
}

func testRefresh(t *testing.T, newStore NewStore) {
	const ttl = 2 * ShortTTL
	s := newStore(t, ttl)
	a := entry("refresh", "u1", "c1")
	WantJoin(t, s, a, true)
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
	WantLeave(t, s, lost[0], true)
}

// Without the braces of the key layout, room "a" + user "b:c" and room
// "a:b" + user "c" would share one key.
func testNoCollisions(t *testing.T, newStore NewStore) {
	s := newStore(t, LongTTL)
	WantJoin(t, s, entry("a", "b:c", "1"), true)
	WantUsers(t, s, "a:b")
	WantJoin(t, s, entry("a:b", "c", "1"), true)
	WantJoin(t, s, entry("a", "{x}", "1"), true)
	WantJoin(t, s, entry("a", "}:c", "1"), true)
	WantUsers(t, s, "a", "b:c", "{x}", "}:c")
	WantUsers(t, s, "a:b", "c")
	WantLeave(t, s, entry("a:b", "c", "1"), true)
	WantLeave(t, s, entry("a", "{x}", "1"), true)
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

// JoinAll reports each entry's first as Joins one after another would:
// a user's first connection in each room, not the second in the same
// batch, nor one joined before; the same batch again reports none.
func testJoinAll(t *testing.T, newStore NewStore) {
	s := newStore(t, LongTTL)
	WantJoin(t, s, entry("all-a", "u0", "c0"), true)
	batch := []presence.Entry{
		entry("all-a", "u1", "c1"), entry("all-b", "u1", "c1"), // one socket, two rooms
		entry("all-a", "u2", "c2"), entry("all-a", "u2", "c3"), // two tabs in one batch
		entry("all-a", "u0", "c4"), // joined before the batch
		entry("all-c", "u3", "c5"),
	}
	WantJoinAll(t, s, batch, true, true, true, false, false, true)
	WantUsers(t, s, "all-a", "u0", "u1", "u2")
	WantUsers(t, s, "all-b", "u1")
	WantUsers(t, s, "all-c", "u3")
	WantJoinAll(t, s, batch, false, false, false, false, false, false)
	WantJoinAll(t, s, nil)
	WantJoinAll(t, s, []presence.Entry{})
	WantLeave(t, s, batch[0], true)  // the batch's entries are connections like any
	WantLeave(t, s, batch[2], false) // u2 still has c3
	WantLeave(t, s, batch[3], true)
	WantUsers(t, s, "all-a", "u0")
}

// LeaveAll reports each entry's last as Leaves one after another would:
// the user's last connection in each room, not one with another tab left,
// not one gone before; a bad room refuses the batch.
func testLeaveAll(t *testing.T, newStore NewStore) {
	s := newStore(t, LongTTL)
	batch := []presence.Entry{
		entry("left-a", "u1", "c1"), entry("left-b", "u1", "c1"),
		entry("left-a", "u2", "c2"), entry("left-a", "u2", "c3"),
	}
	WantJoinAll(t, s, batch, true, true, true, false)
	lasts, err := s.LeaveAll(t.Context(), []presence.Entry{batch[0], batch[1], batch[2], batch[0]})
	if err != nil || !slices.Equal(lasts, []bool{true, true, false, false}) {
		t.Fatalf("LeaveAll = %v, %v; want lasts [true true false false]", lasts, err)
	}
	WantUsers(t, s, "left-a", "u2")
	WantUsers(t, s, "left-b")
	if lasts, err := s.LeaveAll(t.Context(), []presence.Entry{batch[3], entry("a}b", "u2", "c3")}); !errors.Is(err, presence.ErrBadRoom) || lasts != nil {
		t.Fatalf("LeaveAll with a bad room = %v, %v; want nil, presence.ErrBadRoom", lasts, err)
	}
	WantUsers(t, s, "left-a", "u2") // nothing of the refused batch was removed
	if lasts, err := s.LeaveAll(t.Context(), nil); err != nil || len(lasts) != 0 {
		t.Fatalf("LeaveAll(nil) = %v, %v", lasts, err)
	}
}

// A bad room anywhere in the batch refuses all of it, writing nothing.
func testJoinAllBadRoom(t *testing.T, newStore NewStore) {
	s := newStore(t, LongTTL)
	batch := []presence.Entry{entry("all-bad", "u1", "c1"), entry("a}b", "u1", "c1")}
	if firsts, err := s.JoinAll(t.Context(), batch); !errors.Is(err, presence.ErrBadRoom) || firsts != nil {
		t.Fatalf("JoinAll with a bad room = %v, %v; want nil, presence.ErrBadRoom", firsts, err)
	}
	WantUsers(t, s, "all-bad")
	WantJoin(t, s, batch[0], true) // nothing of the refused batch counts
}

// Many tabs of one user opening together, then closing together, announce
// exactly one join and one leave.
func testConcurrent(t *testing.T, newStore NewStore) {
	s := newStore(t, LongTTL)
	const n = 32
	var firsts, lasts atomic.Int32
	parallel(t, n, func(i int) (err error) {
		first, err := s.Join(t.Context(), entry("crowd", "u1", string(rune('A'+i))))
		if first {
			firsts.Add(1)
		}
		return err
	})
	WantUsers(t, s, "crowd", "u1")
	parallel(t, n, func(i int) (err error) {
		last, err := s.Leave(t.Context(), entry("crowd", "u1", string(rune('A'+i))))
		if last {
			lasts.Add(1)
		}
		return err
	})
	if firsts.Load() != 1 || lasts.Load() != 1 {
		t.Fatalf("firsts = %d, lasts = %d, want 1 and 1", firsts.Load(), lasts.Load())
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

// parallel runs f(0..n-1) on n goroutines released together.
func parallel(t *testing.T, n int, f func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { <-start; errs[i] = f(i) })
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// Members is what the checks need; both a presence.Store and a
// presence.Tracker have it.
type Members interface {
	Join(ctx context.Context, e presence.Entry) (bool, error)
	Leave(ctx context.Context, e presence.Entry) (bool, error)
	Users(ctx context.Context, room string) ([]string, error)
}

// WantJoin joins e and checks whether it was the user's first connection.
func WantJoin(t testing.TB, s Members, e presence.Entry, first bool) {
	t.Helper()
	if got, err := s.Join(t.Context(), e); err != nil || got != first {
		t.Fatalf("Join(%+v) = %v, %v; want first = %v", e, got, err, first)
	}
}

// JoinAller is what WantJoinAll needs; both a presence.Store and a
// presence.Tracker have it.
type JoinAller interface {
	JoinAll(ctx context.Context, entries []presence.Entry) ([]bool, error)
}

// WantJoinAll joins entries in one batch and checks each entry's first.
func WantJoinAll(t testing.TB, s JoinAller, entries []presence.Entry, firsts ...bool) {
	t.Helper()
	got, err := s.JoinAll(t.Context(), entries)
	if err != nil || len(got) != len(entries) || !slices.Equal(got, firsts) {
		t.Fatalf("JoinAll(%+v) = %v, %v; want firsts %v", entries, got, err, firsts)
	}
}

// WantLeave leaves e and checks whether it ended the user's presence.
func WantLeave(t testing.TB, s Members, e presence.Entry, last bool) {
	t.Helper()
	if got, err := s.Leave(t.Context(), e); err != nil || got != last {
		t.Fatalf("Leave(%+v) = %v, %v; want last = %v", e, got, err, last)
	}
}

// WantUsers checks that room's users are exactly want, sorted, and never
// nil.
func WantUsers(t testing.TB, s Members, room string, want ...string) {
	t.Helper()
	got, err := s.Users(t.Context(), room)
	if err != nil || got == nil || !slices.Equal(got, want) {
		t.Fatalf("Users(%q) = %#v, %v; want %q", room, got, err, want)
	}
}

func entry(room, user, conn string) presence.Entry {
	return presence.Entry{Room: room, User: user, Conn: conn}
}
