package e2e

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	rtc "github.com/rtserver/rt/client"
)

// A client in 5 rooms behind a proxy that is cut and restored 10 times
// while another client publishes into all 5 without pause: every
// published id reaches it exactly once, in order, through the replays of
// its rejoins (in redis mode its reconnects alternate between two nodes).
// Afterwards no goroutine of either client is left (goleak).
func TestGoLibCutAndRestore(t *testing.T) {
	mrEach(t, mrConfig(), func(t *testing.T, env mrEnv) {
		const cuts, step = 10, 5 // step: new messages seen before each cut, and published during each outage
		rooms := mrRooms("cut-", 5)
		p := startProxy(t, env.a.addr, env.b.addr)
		baseline := goleak.IgnoreCurrent()

		sub := newLib(t, "", staticToken("sub"), viaProxy(p))
		if err := sub.Connect(ctxWait(t)); err != nil {
			t.Fatal(err)
		}
		for _, room := range rooms {
			sub.join(t, room)
		}
		pub := connected(t, env.a.addr, "pub", func(c *rtc.Config) { c.SendRate, c.SendBurst = 100, 10 })
		for _, room := range rooms {
			pub.join(t, room)
		}

		acks := startPublishing(t, pub, rooms)
		// Every room has a position before the first cut, so every rejoin
		// can be recovered.
		libEventually(t, "a message in every room", func() bool {
			return !slices.ContainsFunc(rooms, func(r string) bool { return len(sub.rec.ids(r)) == 0 })
		})
		for i := range cuts {
			seen := sub.Stats().Messages
			libEventually(t, fmt.Sprintf("cut %d: traffic before it", i), func() bool { return sub.Stats().Messages >= seen+step })
			p.cut()
			libEventually(t, fmt.Sprintf("cut %d: the client notices", i), func() bool { return sub.State().State == rtc.Connecting })
			sent := acks.count()
			libEventually(t, fmt.Sprintf("cut %d: traffic during it", i), func() bool { return acks.count() >= sent+step })
			p.restore()
			// Rejoined and recovered: each rejoin ends with a
			// history.recovered, the replay of the outage before it.
			recovered := len(rooms) * (i + 1)
			libEventually(t, fmt.Sprintf("cut %d: rooms recovered", i), func() bool { return sub.rec.recoveredCount() >= recovered })
		}
		published := acks.stop(t)

		for _, room := range rooms {
			libEventually(t, "every message in "+room, func() bool { return len(sub.rec.ids(room)) >= len(published[room]) })
			if got := sub.rec.ids(room); !slices.Equal(got, published[room]) {
				t.Fatalf("%s: delivered %s, published %s", room, describe(got), describe(published[room]))
			}
		}
		st := sub.Stats()
		if st.Reconnects < cuts || st.Connects != st.Reconnects+1 {
			t.Fatalf("stats %+v, want at least %d reconnects", st, cuts)
		}
		sub.rec.mu.Lock()
		for _, r := range sub.rec.recovered {
			if !r.Complete {
				t.Errorf("incomplete recovery %+v", r)
			}
		}
		recovered := len(sub.rec.recovered)
		sub.rec.mu.Unlock()
		if recovered != cuts*len(rooms) {
			t.Fatalf("%d recoveries for %d rejoins", recovered, cuts*len(rooms))
		}
		t.Logf("%d messages, %+v", st.Messages, st)

		// Close both clients, the proxy and the nodes (whose idle workers
		// and Redis connections outlive a socket): whatever is left beyond
		// what ran before the clients existed is theirs.
		sub.Close()
		pub.Close()
		p.close()
		env.a.stop(t)
		env.b.stop(t)
		if err := goleak.Find(append(slices.Clone(leakOptions), baseline)...); err != nil {
			t.Fatalf("goroutines left after Close: %v", err)
		}
	})
}

func (r *recorder) recoveredCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.recovered)
}

// publisher publishes into every room, one goroutine per room, each
// message after the previous one's ack, and keeps the acked ids. It stops
// between two publishes, never in the middle of one, so every message it
// sent was acked and is in its list.
type publisher struct {
	stopping atomic.Bool
	wg       sync.WaitGroup
	mu       sync.Mutex
	ids      map[string][]string
	n        int
	errs     []error
}

func startPublishing(t *testing.T, l *lib, rooms []string) *publisher {
	p := &publisher{ids: map[string][]string{}}
	for _, room := range rooms {
		r := l.Room(room)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for i := 0; !p.stopping.Load(); i++ {
				ctx, cancel := context.WithTimeout(context.Background(), libWait)
				ack, err := r.Publish(ctx, fmt.Sprintf("%s #%d", room, i), nil)
				cancel()
				p.record(room, ack, err)
			}
		}()
	}
	t.Cleanup(func() { p.stop(t) })
	return p
}

func (p *publisher) record(room string, ack rtc.Ack, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.errs = append(p.errs, err)
		return
	}
	p.ids[room] = append(p.ids[room], ack.ID)
	p.n++
}

func (p *publisher) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// stop ends the publishing and returns the acked ids by room; any failed
// publish fails the test (the publisher is never cut).
func (p *publisher) stop(t *testing.T) map[string][]string {
	t.Helper()
	p.stopping.Store(true)
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.errs) > 0 {
		t.Fatalf("%d publishes failed, the first: %v", len(p.errs), p.errs[0])
	}
	return p.ids
}
