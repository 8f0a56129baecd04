package e2e

import (
	"errors"
	"sync"
	"testing"
	"time"

	rtc "github.com/rtserver/rt/client"
)

// joinAll joins rooms concurrently and fails on any refusal.
func joinAll(t *testing.T, l *lib, rooms []string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(rooms))
	for _, room := range rooms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Room(room).Join(ctxWait(t)); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("join: %v", err)
	}
}

// With the server's default rate limit (20 frames/s, burst 40), the
// client's default pacing joins 100 rooms, and rejoins them all after a
// cut, without one rate_limited answer.
func TestGoLibPacedRejoin(t *testing.T) {
	cfg := mrConfig()
	cfg.RateLimit, cfg.RateBurst = 20, 40
	n := startAPINode(t, cfg)
	p := startProxy(t, n.addr)
	l := connected(t, "", "alice", viaProxy(p))
	rooms := mrRooms("paced-", 100)
	joinAll(t, l, rooms)

	p.cut()
	libEventually(t, "the client notices the cut", func() bool { return l.State().State == rtc.Connecting })
	p.restore()
	libEventually(t, "100 rooms rejoined", func() bool { return l.rec.joinedCount() == 200 })
	// Every presence.list after a rejoin is answered: the last frames
	// the client sent went through too. Each room had two presence
	// events before the cut (its own join, the list's state); the
	// rejoin's state makes at least a third.
	libEventually(t, "presence listed again in every room", func() bool { return l.rec.roomsWithPresences(3) == 100 })
	l.rec.mu.Lock()
	defer l.rec.mu.Unlock()
	if len(l.rec.errs) > 0 {
		t.Fatalf("%d errors, the first: %v", len(l.rec.errs), l.rec.errs[0])
	}
}

// A join the server dropped for its rate limit (answered rate_limited
// without the ref) is sent again after AckTimeout, so every room is
// joined in the end even by a client paced far too fast.
func TestGoLibJoinResentAfterRateLimit(t *testing.T) {
	cfg := mrConfig()
	cfg.RateLimit, cfg.RateBurst, cfg.RateWarnings = 20, 5, 1000
	n := startAPINode(t, cfg)
	l := connected(t, n.addr, "alice", func(c *rtc.Config) {
		c.SendRate, c.SendBurst, c.AckTimeout = 1000, 1000, 300*time.Millisecond
	})
	joinAll(t, l, mrRooms("hasty-", 20))

	l.rec.mu.Lock()
	defer l.rec.mu.Unlock()
	limited := 0
	for _, err := range l.rec.errs {
		if errors.Is(err, &rtc.Error{Code: "rate_limited"}) {
			limited++
		}
	}
	if limited == 0 {
		t.Fatalf("the server never refused a join; errors %v", l.rec.errs)
	}
}

func (r *recorder) joinedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.joined)
}

// roomsWithPresences is how many rooms had at least n presence events.
func (r *recorder) roomsWithPresences(n int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := 0
	for _, c := range r.presences {
		if c >= n {
			k++
		}
	}
	return k
}
