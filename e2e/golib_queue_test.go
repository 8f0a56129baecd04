package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"

	rtc "github.com/rtserver/rt/client"
)

// viaProxy makes a client reach its server through p, by Config.Dial: the
// URL names a host that does not exist, so every byte goes through p.
func viaProxy(p *cutProxy) func(*rtc.Config) {
	return func(c *rtc.Config) {
		c.URL = "ws://rt.invalid:8000"
		c.Dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, p.addr())
		}
	}
}

type publishResult struct {
	ack rtc.Ack
	err error
}

// Publishes made while disconnected are queued up to PublishQueue, the
// next one fails with ErrQueueFull at once, and the queued ones are sent
// in order once the room is rejoined.
func TestGoLibPublishQueue(t *testing.T) {
	n := startAPINode(t, mrConfig())
	p := startProxy(t, n.addr)
	alice := connected(t, "", "alice", viaProxy(p), func(c *rtc.Config) { c.PublishQueue = 3 })
	ra := alice.join(t, "lobby")
	bob := connected(t, n.addr, "bob")
	bob.join(t, "lobby")

	p.cut()
	libEventually(t, "alice notices the cut", func() bool { return alice.State().State == rtc.Connecting })
	results := make([]chan publishResult, 3)
	for i := range results {
		results[i] = make(chan publishResult, 1)
		go func() {
			ack, err := ra.Publish(context.Background(), fmt.Sprintf("queued %d", i), nil)
			results[i] <- publishResult{ack, err}
		}()
		libEventually(t, fmt.Sprintf("%d queued", i+1), func() bool { return alice.Stats().Queued == i+1 })
	}
	if _, err := ra.Publish(ctxWait(t), "one too many", nil); !errors.Is(err, rtc.ErrQueueFull) {
		t.Fatalf("publish beyond the queue: %v, want ErrQueueFull", err)
	}

	p.restore()
	var acked []string
	for i, ch := range results {
		res := <-ch
		if res.err != nil {
			t.Fatalf("queued publish %d: %v", i, res.err)
		}
		acked = append(acked, res.ack.ID)
	}
	libEventually(t, "bob gets the queued messages", func() bool { return len(bob.rec.ids("lobby")) == 3 })
	if got := bob.rec.ids("lobby"); !slices.Equal(got, acked) || !slices.IsSorted(acked) {
		t.Fatalf("bob got %v, acks %v (in publish order)", got, acked)
	}
	for i, m := range bob.rec.messages["lobby"] {
		if m.Text != fmt.Sprintf("queued %d", i) {
			t.Fatalf("message %d is %q", i, m.Text)
		}
	}
	if st := alice.Stats(); st.Queued != 0 || st.Reconnects == 0 {
		t.Fatalf("stats %+v", st)
	}
}

// A publish sent but not acked when the socket drops fails with
// ErrDisconnected and is not resent: here it never reached the server
// (the proxy dropped it), and the next message is the only one bob gets.
func TestGoLibPublishInFlight(t *testing.T) {
	n := startAPINode(t, mrConfig())
	p := startProxy(t, n.addr)
	alice := connected(t, "", "alice", viaProxy(p))
	ra := alice.join(t, "lobby")
	bob := connected(t, n.addr, "bob")
	bob.join(t, "lobby")

	p.stall()
	res := make(chan publishResult, 1)
	go func() {
		ack, err := ra.Publish(context.Background(), "lost", nil)
		res <- publishResult{ack, err}
	}()
	libEventually(t, "the publish left the client", func() bool { return p.dropped.Load() > 0 })
	p.cut()
	if r := <-res; !errors.Is(r.err, rtc.ErrDisconnected) {
		t.Fatalf("in-flight publish: %+v, want ErrDisconnected", r)
	}
	p.restore()
	publish(t, ra, "after", nil) // queued until the rejoin, then sent
	libEventually(t, "bob gets the next message", func() bool { return len(bob.rec.ids("lobby")) == 1 })
	if m := bob.rec.messages["lobby"][0]; m.Text != "after" {
		t.Fatalf("bob got %q first, want the message after the lost one", m.Text)
	}
}

// Close fails what is pending with ErrDisconnected; afterwards every call
// is ErrClosed.
func TestGoLibClose(t *testing.T) {
	n := startAPINode(t, mrConfig())
	p := startProxy(t, n.addr)
	alice := connected(t, "", "alice", viaProxy(p))
	ra := alice.join(t, "lobby")
	p.cut()
	libEventually(t, "alice notices the cut", func() bool { return alice.State().State == rtc.Connecting })
	res := make(chan error, 1)
	go func() {
		_, err := ra.Publish(context.Background(), "queued", nil)
		res <- err
	}()
	libEventually(t, "queued", func() bool { return alice.Stats().Queued == 1 })
	if err := alice.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-res; !errors.Is(err, rtc.ErrDisconnected) {
		t.Fatalf("queued publish at Close: %v", err)
	}
	if st := alice.State(); st.State != rtc.Disconnected {
		t.Fatalf("state after Close: %+v", st)
	}
	if last := alice.rec.lastState(); last.State != rtc.Disconnected {
		t.Fatalf("last OnState: %+v", last)
	}
	if _, err := ra.Publish(ctxWait(t), "late", nil); !errors.Is(err, rtc.ErrClosed) {
		t.Fatalf("publish after Close: %v", err)
	}
	if err := ra.Join(ctxWait(t)); !errors.Is(err, rtc.ErrClosed) {
		t.Fatalf("join after Close: %v", err)
	}
	if err := alice.Connect(ctxWait(t)); !errors.Is(err, rtc.ErrClosed) {
		t.Fatalf("connect after Close: %v", err)
	}
}

// After a reconnect a room that had seen no message cannot be recovered:
// the client says so with Recovered{0, false}; a room with a position is
// recovered by the server's replay; a room joined while disconnected is
// joined on connect, as a first join (no Recovered).
func TestGoLibRejoinRecovery(t *testing.T) {
	n := startAPINode(t, mrConfig())
	p := startProxy(t, n.addr)
	alice := connected(t, "", "alice", viaProxy(p))
	alice.join(t, "quiet")
	busy := alice.join(t, "busy")
	first := publish(t, busy, "before the cut", nil)
	libEventually(t, "the first delivery", func() bool { return busy.Position() == first.ID })

	p.cut()
	libEventually(t, "alice notices the cut", func() bool { return alice.State().State == rtc.Connecting })
	bob := connected(t, n.addr, "bob")
	missed := publish(t, bob.join(t, "busy"), "during the cut", nil)
	joined := make(chan error, 1)
	go func() { joined <- alice.Room("later").Join(context.Background()) }()
	p.restore()
	if err := <-joined; err != nil {
		t.Fatalf("join made while disconnected: %v", err)
	}
	libEventually(t, "two recoveries", func() bool { return alice.rec.recoveredCount() == 2 })
	alice.rec.mu.Lock()
	got := slices.Clone(alice.rec.recovered)
	alice.rec.mu.Unlock()
	slices.SortFunc(got, func(a, b rtc.Recovered) int { return strings.Compare(a.Room, b.Room) })
	want := []rtc.Recovered{{Room: "busy", Count: 1, Complete: true}, {Room: "quiet", Count: 0, Complete: false}}
	if !slices.Equal(got, want) {
		t.Fatalf("recovered %+v, want %+v", got, want)
	}
	if ids := alice.rec.ids("busy"); !slices.Equal(ids, []string{first.ID, missed.ID}) {
		t.Fatalf("busy delivered %v, want %v", ids, []string{first.ID, missed.ID})
	}
}
