package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"go.uber.org/fx"

	rtc "github.com/rtserver/rt/client"
	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/app"
	"github.com/rtserver/rt/modules/drain"
	"github.com/rtserver/rt/modules/redis/redistest"
	"github.com/rtserver/rt/modules/server"
)

// The tests of the drain (DRAIN_DELAY, SHUTDOWN_SPREAD): a node assembled
// as main assembles it (app.Modules, whose stop runs the delay), stopped
// the way an embedder stops it (app.Stop).

// startDraining starts what main starts for cfg and returns it with its
// drain, which the test may Hurry. Its stop is hurried at the end of the
// test, so a long delay never holds the cleanup.
func startDraining(t *testing.T, cfg config.Config) (*node, *drain.Drain) {
	t.Helper()
	n := &node{}
	var srv *server.Server
	var d *drain.Drain
	n.app = fx.New(app.Modules(cfg), fx.NopLogger, fx.Populate(&srv, &d),
		fx.Decorate(func(*slog.Logger) *slog.Logger { return slog.New(slog.DiscardHandler) }))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.app.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	n.addr = srv.Addr().String()
	t.Cleanup(func() { n.stop(t) })
	t.Cleanup(d.Hurry) // runs first
	return n, d
}

// stopInBackground stops n on a goroutine of its own; the returned wait
// waits for that stop to end.
func stopInBackground(t *testing.T, n *node) (wait func()) {
	done := make(chan struct{})
	go func() { defer close(done); n.stop(t) }()
	return func() {
		select {
		case <-done:
		case <-time.After(libWait):
			t.Fatalf("the stop did not end within %s", libWait)
		}
	}
}

// readyz is /readyz's status and body, as `503 {"status":"draining"}`.
func readyz(n *node) string {
	resp, err := http.Get("http://" + n.addr + "/readyz")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
}

const drainingReadyz = `503 {"status":"draining"}`

// During DRAIN_DELAY /readyz answers 503 draining, and everything else
// serves as before: a new handshake is accepted and its socket chats with
// one opened before the stop. Once the delay is over (hurried here) both
// are closed with 1001.
func TestDrainDelayKeepsServing(t *testing.T) {
	cfg := testConfig()
	cfg.DrainDelay = time.Hour // ended by Hurry below: no timing in this test
	n, d := startDraining(t, cfg)
	alice := dial(t, n, "deploy", "alice")
	alice.expect("presence.join")
	if got := readyz(n); got != `200 {"status":"ready"}` {
		t.Fatalf("before the stop: %s", got)
	}

	wait := stopInBackground(t, n)
	eventually(t, "/readyz says draining", func() bool { return readyz(n) == drainingReadyz })
	bob := dial(t, n, "deploy", "bob") // the load balancer has not noticed yet
	bob.expect("presence.join", "presence.state")
	bob.chat("still here")
	if f := alice.expect("chat.delivery", presenceNoise...); f.str("text") != "still here" {
		t.Fatalf("alice got %v", f)
	}
	if got := readyz(n); got != drainingReadyz {
		t.Fatalf("after the chat: %s", got)
	}

	d.Hurry()
	for _, c := range []*client{alice, bob} {
		if code := c.closeCode(); code != 1001 {
			t.Fatalf("close code %d, want 1001", code)
		}
	}
	wait()
}

// With SHUTDOWN_SPREAD the sockets are not closed at once: half-way
// through the spread some are closed and some still open, and every one
// ends with 1001. The spread is long enough (4 s for 80 sockets, 50 ms
// apart) that only a stall of seconds could close them all by then.
func TestDrainSpreadsTheCloses(t *testing.T) {
	const sockets = 80
	cfg := testConfig()
	cfg.ShutdownSpread = 4 * time.Second
	n, _ := startDraining(t, cfg)
	clients := make([]*client, sockets)
	for i := range clients {
		clients[i] = dial(t, n, fmt.Sprintf("spread-%d", i), fmt.Sprintf("user-%d", i))
		clients[i].expect("presence.join")
	}
	var closed atomic.Int32
	first := make(chan struct{})
	var firstOnce sync.Once
	codes := make(chan int, sockets)
	for _, c := range clients {
		go func() {
			for range c.frames { // until the reader ends; c.err is then set
			}
			closed.Add(1)
			firstOnce.Do(func() { close(first) })
			code := 0
			var ce *websocket.CloseError
			if errors.As(c.err, &ce) {
				code = ce.Code
			}
			codes <- code
		}()
	}

	wait := stopInBackground(t, n)
	select {
	case <-first:
	case <-time.After(libWait):
		t.Fatal("no socket closed")
	}
	time.Sleep(drain.Span(sockets, cfg.ShutdownSpread) / 2)
	if got := closed.Load(); got < 2 || got >= sockets {
		t.Fatalf("half-way through the spread %d of %d sockets closed, want some but not all", got, sockets)
	}
	for range sockets {
		if code := <-codes; code != 1001 {
			t.Fatalf("close code %d, want 1001", code)
		}
	}
	wait()
}

// readyDial is a client's Dial that plays the load balancer: it sends
// each new connection to the first of nodes whose /readyz answers 200, as
// a balancer that probes them does once it has noticed (here at once).
// It counts the connections each node got.
type readyDial struct {
	nodes []*node
	mu    sync.Mutex
	got   map[string]int // by node address
}

func (rd *readyDial) dial(ctx context.Context, network, _ string) (net.Conn, error) {
	for _, n := range rd.nodes {
		if !strings.HasPrefix(readyz(n), "200 ") {
			continue
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, network, n.addr)
		if err == nil {
			rd.mu.Lock()
			rd.got[n.addr]++
			rd.mu.Unlock()
			return c, nil
		}
	}
	return nil, errors.New("no node is ready")
}

func (rd *readyDial) count(n *node) int {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	return rd.got[n.addr]
}

// throughBalancer routes a client through rd.
func throughBalancer(rd *readyDial) func(*rtc.Config) {
	return func(c *rtc.Config) {
		c.URL = "ws://rt.invalid:8000"
		c.Dial = rd.dial
	}
}

// steadyPublisher publishes into a room, each message after the previous
// one's ack, until stopped. A publish in flight when its socket is closed
// fails with ErrDisconnected (the library never resends one: it may have
// been stored); any other failure is kept for the test to report.
type steadyPublisher struct {
	stopping atomic.Bool
	done     chan struct{}
	mu       sync.Mutex
	acked    []string
	cut      int // publishes ended by ErrDisconnected
	errs     []error
}

func publishSteadily(r *rtc.Room) *steadyPublisher {
	p := &steadyPublisher{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for i := 0; !p.stopping.Load(); i++ {
			ctx, cancel := context.WithTimeout(context.Background(), libWait)
			ack, err := r.Publish(ctx, fmt.Sprintf("m%d", i), nil)
			cancel()
			p.mu.Lock()
			switch {
			case err == nil:
				p.acked = append(p.acked, ack.ID)
			case errors.Is(err, rtc.ErrDisconnected):
				p.cut++
			default:
				p.errs = append(p.errs, err)
			}
			p.mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return p
}

func (p *steadyPublisher) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.acked)
}

func (p *steadyPublisher) stop(t *testing.T) (acked []string, cut int) {
	t.Helper()
	p.stopping.Store(true)
	<-p.done
	if len(p.errs) > 0 {
		t.Fatalf("%d publishes failed, the first: %v", len(p.errs), p.errs[0])
	}
	return p.acked, p.cut
}

// roomHistory is every id room's history holds, oldest first, read by a
// client of its own on n.
func roomHistory(t *testing.T, n *node, room string) []string {
	t.Helper()
	auditor := connected(t, n.addr, "auditor")
	r := auditor.join(t, room)
	var ids []string
	before := ""
	for {
		page, err := r.History(ctxWait(t), before, 100)
		if err != nil {
			t.Fatalf("history: %v", err)
		}
		ids = append(pageIDs(page), ids...)
		if !page.More || len(page.Messages) == 0 {
			break
		}
		before = page.Messages[0].ID
	}
	auditor.Close()
	return ids
}

// A rolling deploy of node A of two on one Redis: the clients on A (Go
// library clients behind a balancer that follows /readyz) receive and
// publish while A drains with a delay and a spread. Every one reconnects,
// to B, and has every message of the room exactly once and in order,
// what was published while it moved included.
func TestDrainMovesClientsWithoutLoss(t *testing.T) {
	const receivers = 12
	srv := redistest.Start(t)
	cfg := testConfig()
	cfg.RedisURL = srv.URL()
	cfg.HistorySize = 5000
	b := startNode(t, cfg)
	cfg.DrainDelay, cfg.ShutdownSpread = 300*time.Millisecond, 2*time.Second
	a, _ := startDraining(t, cfg)
	rd := &readyDial{nodes: []*node{a, b}, got: map[string]int{}}

	libs := make([]*lib, receivers)
	for i := range libs {
		libs[i] = connected(t, "", fmt.Sprintf("r%d", i), throughBalancer(rd), func(c *rtc.Config) { c.NoPresence = true })
		libs[i].join(t, "deploy")
	}
	pub := connected(t, "", "pub", throughBalancer(rd), func(c *rtc.Config) { c.SendRate, c.SendBurst = 200, 20 })
	publisher := publishSteadily(pub.join(t, "deploy"))
	if rd.count(a) != receivers+1 || rd.count(b) != 0 {
		t.Fatalf("before the deploy A has %d sockets, B %d; want all on A", rd.count(a), rd.count(b))
	}
	libEventually(t, "messages before the deploy", func() bool { return publisher.count() >= 20 })

	wait := stopInBackground(t, a)
	libEventually(t, "every client reconnected to B", func() bool {
		for _, l := range libs {
			if l.Stats().Reconnects < 1 || l.State().State != rtc.Connected {
				return false
			}
		}
		return rd.count(b) >= receivers+1
	})
	wait()
	moved := publisher.count()
	libEventually(t, "messages after the deploy", func() bool { return publisher.count() >= moved+20 })
	acked, cut := publisher.stop(t)

	truth := roomHistory(t, b, "deploy")
	for _, id := range acked {
		if !slices.Contains(truth, id) {
			t.Fatalf("acked %s is not in the room's history", id)
		}
	}
	for i, l := range libs {
		libEventually(t, fmt.Sprintf("r%d has the last message", i), func() bool { return len(l.rec.ids("deploy")) >= len(truth) })
		if got := l.rec.ids("deploy"); !slices.Equal(got, truth) {
			t.Fatalf("r%d got %s, history holds %s", i, describe(got), describe(truth))
		}
	}
	var dup uint64
	for _, l := range libs {
		dup += l.Stats().Duplicates
	}
	t.Logf("%d messages, %d acked, %d publishes cut by the close, %d duplicate deliveries dropped by the clients, connections A %d B %d",
		len(truth), len(acked), cut, dup, rd.count(a), rd.count(b))
}
