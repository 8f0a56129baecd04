package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	rtc "github.com/rtserver/rt/client"
)

// The drain scenario's clients are the project's Go client library
// (client/), as an application uses it: it reconnects after the 1001 with
// full-jitter backoff (its defaults, 500 ms to 20 s), rejoins with since
// = the last id it saw, and drops a delivery it already has. Presence is
// off (NoPresence): the clients measure messages, not who is in a room.

// movers is every client of a drain run and what they received.
type movers struct {
	members []*mover
	// reconnects are the times of the handshakes after a client's first:
	// every one of them lands on B (A is draining or gone).
	mu         sync.Mutex
	reconnects []time.Time
	drops      map[string]int // after the first socket: why a socket or a dial ended, by code and reason
}

// mover is one library client in one room, and the ids it was given.
type mover struct {
	c         *rtc.Client
	room      string
	connected atomic.Int32 // times it reached Connected
	mu        sync.Mutex
	ids       []string
}

func newLibClient(url, sub string, h rtc.Handlers, tweak func(*rtc.Config)) (*rtc.Client, error) {
	cfg := rtc.Config{
		URL: url, Origin: origin,
		GetToken:   func(context.Context) (string, error) { return token(sub) },
		Dial:       dialLoopback,
		NoPresence: true,
		Handlers:   h,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	return rtc.New(cfg)
}

// connectFleet connects conns clients through url, dialers at a time,
// each into room i % len(rooms).
func connectFleet(ctx context.Context, url string, conns, dialers int, rooms []string) (*movers, error) {
	f := &movers{members: make([]*mover, conns), drops: map[string]int{}}
	sem := make(chan struct{}, dialers)
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Value
	for i := range f.members {
		m := &mover{room: rooms[i%len(rooms)]}
		f.members[i] = m
		c, err := newLibClient(url, fmt.Sprintf("d%d", i), f.handlers(m), nil)
		if err != nil {
			return f, err
		}
		m.c = c
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			jctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			err := c.Connect(jctx)
			if err == nil {
				err = c.Room(m.room).Join(jctx)
			}
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return f, fmt.Errorf("%d of %d clients did not connect and join, the first: %v", n, conns, firstErr.Load())
	}
	return f, nil
}

func (f *movers) handlers(m *mover) rtc.Handlers {
	return rtc.Handlers{
		OnState: func(s rtc.State) {
			switch {
			case s.State == rtc.Connected && m.connected.Add(1) > 1:
				f.mu.Lock()
				f.reconnects = append(f.reconnects, time.Now())
				f.mu.Unlock()
			case s.State == rtc.Connecting && m.connected.Load() > 0:
				f.mu.Lock()
				f.drops[fmt.Sprintf("%d %s", s.Code, dropReason(s.Reason))]++
				f.mu.Unlock()
			}
		},
		OnMessage: func(msg rtc.Message) {
			m.mu.Lock()
			m.ids = append(m.ids, msg.ID)
			m.mu.Unlock()
		},
	}
}

// moved is how many clients have reconnected since their first socket.
func (f *movers) moved() int {
	n := 0
	for _, m := range f.members {
		if m.connected.Load() > 1 {
			n++
		}
	}
	return n
}

func (f *movers) reconnectTimes() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reconnects)
}

// duplicatesDropped sums the deliveries the clients dropped because they
// already had them (a rejoin's replay overlapping the live stream).
func (f *movers) duplicatesDropped() uint64 {
	var n uint64
	for _, m := range f.members {
		n += m.c.Stats().Duplicates
	}
	return n
}

func (f *movers) close() {
	var wg sync.WaitGroup
	for _, m := range f.members {
		if m.c != nil {
			wg.Go(func() { m.c.Close() })
		}
	}
	wg.Wait()
}

// drainTally compares what every mover was given with its room's history:
// lost are ids in history a mover never got, duplicated ids it got
// twice, extra ids it got that history does not hold.
type drainTally struct {
	Lost, Duplicated, Extra int
	Complete                int // members with exactly their room's history, in order
}

func (f *movers) tally(truth map[string][]string) drainTally {
	var t drainTally
	for _, m := range f.members {
		m.mu.Lock()
		got := slices.Clone(m.ids)
		m.mu.Unlock()
		want := truth[m.room]
		seen := make(map[string]int, len(got))
		for _, id := range got {
			seen[id]++
		}
		inTruth := make(map[string]bool, len(want))
		for _, id := range want {
			inTruth[id] = true
			if seen[id] == 0 {
				t.Lost++
			}
		}
		for id, n := range seen {
			t.Duplicated += n - 1
			if !inTruth[id] {
				t.Extra++
			}
		}
		if slices.Equal(got, want) {
			t.Complete++
		}
	}
	return t
}

// steadyPublisher is one library client in every room, publishing round-robin
// across them at a steady rate through the drain (its own socket moves
// too). A publish in flight when its socket closes fails with
// ErrDisconnected: the library never resends one, since it may have been
// stored; history says whether it was.
type steadyPublisher struct {
	c     *rtc.Client
	rooms []string
	mu    sync.Mutex
	acked int
	cut   int
	errs  []error
	stop  chan struct{}
	done  sync.WaitGroup
}

func startPublisher(ctx context.Context, url string, rooms []string, rate float64) (*steadyPublisher, error) {
	c, err := newLibClient(url, "publisher", rtc.Handlers{}, func(cfg *rtc.Config) {
		cfg.SendRate, cfg.SendBurst, cfg.PublishQueue = rate*2+100, 200, 10_000
	})
	if err != nil {
		return nil, err
	}
	p := &steadyPublisher{c: c, rooms: rooms, stop: make(chan struct{})}
	jctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := c.Connect(jctx); err != nil {
		return nil, err
	}
	for _, r := range rooms {
		if err := c.Room(r).Join(jctx); err != nil {
			c.Close()
			return nil, fmt.Errorf("steadyPublisher joining %s: %w", r, err)
		}
	}
	p.done.Go(func() { p.run(rate) })
	return p, nil
}

// run publishes one message every 1/rate, each on a goroutine of its own
// (at most 256 waiting for their acks) so a slow ack does not slow the
// rate.
func (p *steadyPublisher) run(rate float64) {
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	inflight := make(chan struct{}, 256)
	for i := 0; ; i++ {
		select {
		case <-p.stop:
			for range cap(inflight) {
				inflight <- struct{}{}
			}
			return
		case <-tick.C:
		}
		inflight <- struct{}{}
		room := p.c.Room(p.rooms[i%len(p.rooms)])
		go func() {
			defer func() { <-inflight }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_, err := room.Publish(ctx, fmt.Sprintf("m%d", i), nil)
			cancel()
			p.record(err)
		}()
	}
}

func (p *steadyPublisher) record(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case err == nil:
		p.acked++
	case errors.Is(err, rtc.ErrDisconnected):
		p.cut++
	default:
		p.errs = append(p.errs, err)
	}
}

// finish stops publishing, waits for every ack, and closes the client.
func (p *steadyPublisher) finish() (acked, cut int, errs []error) {
	close(p.stop)
	p.done.Wait()
	p.c.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.acked, p.cut, p.errs
}

// roomHistories reads every room's history, oldest first, through a
// client of its own at url.
func roomHistories(ctx context.Context, url string, rooms []string) (map[string][]string, error) {
	c, err := newLibClient(url, "auditor", rtc.Handlers{}, func(cfg *rtc.Config) { cfg.SendRate, cfg.SendBurst = 1000, 200 })
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.Connect(ctx); err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(rooms))
	for _, name := range rooms {
		r := c.Room(name)
		if err := r.Join(ctx); err != nil {
			return nil, err
		}
		var ids []string
		before := ""
		for {
			page, err := r.History(ctx, before, 100)
			if err != nil {
				return nil, fmt.Errorf("history of %s: %w", name, err)
			}
			pageIDs := make([]string, len(page.Messages))
			for i, m := range page.Messages {
				pageIDs[i] = m.ID
			}
			ids = append(pageIDs, ids...)
			if !page.More || len(page.Messages) == 0 {
				break
			}
			before = page.Messages[0].ID
		}
		out[name] = ids
		_ = r.Leave(ctx)
	}
	return out, nil
}

// dropReason shortens a dial error to what groups it.
func dropReason(reason string) string {
	for _, r := range []string{"connection refused", "connection reset", "EOF", "timeout", "server shutting down"} {
		if strings.Contains(reason, r) {
			return r
		}
	}
	if len(reason) > 60 {
		return reason[:60]
	}
	return reason
}

func (f *movers) dropCounts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.drops)
}
