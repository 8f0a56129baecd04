package presence

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// longTTL never runs out during a test; shortTTL is short enough to wait for
// with a real Redis and long enough that a loaded machine keeps an entry
// alive between two consecutive calls.
const (
	longTTL  = time.Minute
	shortTTL = 300 * time.Millisecond
)

// testStore is the contract every Store keeps; each case uses its own rooms
// so the cases can share one Redis and run in parallel.
func testStore(t *testing.T, newStore func(t *testing.T, ttl time.Duration) Store) {
	cases := map[string]func(*testing.T, func(*testing.T, time.Duration) Store){
		"two tabs":       testTwoTabs,
		"sorted users":   testSortedUsers,
		"expiry":         testExpiry,
		"refresh":        testRefresh,
		"no collisions":  testNoCollisions,
		"bad room":       testBadRoom,
		"concurrent tab": testConcurrent,
	}
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run(t, newStore)
		})
	}
}

func testTwoTabs(t *testing.T, newStore func(*testing.T, time.Duration) Store) {
	s := newStore(t, longTTL)
	a, b := Entry{"tabs", "u1", "c1"}, Entry{"tabs", "u1", "c2"}
	wantJoin(t, s, a, true)
	wantJoin(t, s, b, false)
	wantUsers(t, s, "tabs", "u1")
	wantLeave(t, s, a, false)
	wantUsers(t, s, "tabs", "u1")
	wantLeave(t, s, b, true)
	wantUsers(t, s, "tabs")
	wantLeave(t, s, b, false) // a repeated leave must not announce twice
}

func testSortedUsers(t *testing.T, newStore func(*testing.T, time.Duration) Store) {
	s := newStore(t, longTTL)
	for _, u := range []string{"zed", "amy", "bob"} {
		wantJoin(t, s, Entry{"sorted", u, u + "-1"}, true)
		wantJoin(t, s, Entry{"sorted", u, u + "-2"}, false)
	}
	wantUsers(t, s, "sorted", "amy", "bob", "zed")
	wantUsers(t, s, "nobody-here") // never nil, checked inside
}

func testExpiry(t *testing.T, newStore func(*testing.T, time.Duration) Store) {
	s := newStore(t, shortTTL)
	a := Entry{"expiry", "u1", "c1"}
	wantJoin(t, s, a, true)
	wantUsers(t, s, "expiry", "u1")
	advance(s, shortTTL+100*time.Millisecond)
	wantUsers(t, s, "expiry")
	wantJoin(t, s, a, true) // the expired entry does not count as present
	wantLeave(t, s, a, true)
}

func testRefresh(t *testing.T, newStore func(*testing.T, time.Duration) Store) {
	const ttl = 2 * shortTTL
	s := newStore(t, ttl)
	a := Entry{"refresh", "u1", "c1"}
	wantJoin(t, s, a, true)
	advance(s, ttl*2/3)
	if err := s.Refresh(t.Context(), []Entry{a}); err != nil {
		t.Fatal(err)
	}
	advance(s, ttl*2/3) // past the join's own expiry
	wantUsers(t, s, "refresh", "u1")
	advance(s, ttl+100*time.Millisecond)
	wantUsers(t, s, "refresh")

	// A refresh re-adds what the store lost, as after a Redis restart.
	lost := []Entry{{"refresh-lost", "u2", "c2"}, {"refresh-lost", "u3", "c3"}}
	if err := s.Refresh(t.Context(), lost); err != nil {
		t.Fatal(err)
	}
	wantUsers(t, s, "refresh-lost", "u2", "u3")
	wantLeave(t, s, lost[0], true)
}

// Without the braces of the key layout, room "a" + user "b:c" and room
// "a:b" + user "c" would share one key.
func testNoCollisions(t *testing.T, newStore func(*testing.T, time.Duration) Store) {
	s := newStore(t, longTTL)
	wantJoin(t, s, Entry{"a", "b:c", "1"}, true)
	wantUsers(t, s, "a:b")
	wantJoin(t, s, Entry{"a:b", "c", "1"}, true)
	wantJoin(t, s, Entry{"a", "{x}", "1"}, true)
	wantJoin(t, s, Entry{"a", "}:c", "1"}, true)
	wantUsers(t, s, "a", "b:c", "{x}", "}:c")
	wantUsers(t, s, "a:b", "c")
	wantLeave(t, s, Entry{"a:b", "c", "1"}, true)
	wantLeave(t, s, Entry{"a", "{x}", "1"}, true)
	wantUsers(t, s, "a", "b:c", "}:c")
}

func testBadRoom(t *testing.T, newStore func(*testing.T, time.Duration) Store) {
	s := newStore(t, longTTL)
	if _, err := s.Join(t.Context(), Entry{"a}b", "u", "c"}); !errors.Is(err, ErrBadRoom) {
		t.Fatalf("Join bad room: err = %v, want ErrBadRoom", err)
	}
	if _, err := s.Users(t.Context(), ""); !errors.Is(err, ErrBadRoom) {
		t.Fatalf("Users empty room: err = %v, want ErrBadRoom", err)
	}
}

// Many tabs of one user opening together, then closing together, announce
// exactly one join and one leave.
func testConcurrent(t *testing.T, newStore func(*testing.T, time.Duration) Store) {
	s := newStore(t, longTTL)
	const n = 32
	var firsts, lasts atomic.Int32
	parallel(t, n, func(i int) (err error) {
		first, err := s.Join(t.Context(), Entry{"crowd", "u1", string(rune('A' + i))})
		if first {
			firsts.Add(1)
		}
		return err
	})
	wantUsers(t, s, "crowd", "u1")
	parallel(t, n, func(i int) (err error) {
		last, err := s.Leave(t.Context(), Entry{"crowd", "u1", string(rune('A' + i))})
		if last {
			lasts.Add(1)
		}
		return err
	})
	if firsts.Load() != 1 || lasts.Load() != 1 {
		t.Fatalf("firsts = %d, lasts = %d, want 1 and 1", firsts.Load(), lasts.Load())
	}
	wantUsers(t, s, "crowd")
}
