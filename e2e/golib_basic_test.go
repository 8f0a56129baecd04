package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	rtc "github.com/rtserver/rt/client"
)

// A publish is acked with the id its delivery carries, and every member
// gets the delivery once, the sender included; in redis mode across
// nodes.
func TestGoLibPublishAckDelivery(t *testing.T) {
	mrEach(t, mrConfig(), func(t *testing.T, env mrEnv) {
		alice := connected(t, env.a.addr, "alice")
		bob := connected(t, env.b.addr, "bob")
		ra := alice.join(t, "lobby")
		bob.join(t, "lobby")

		var acks []string
		for i, text := range []string{"one", "two", "three"} {
			var data json.RawMessage
			if i == 1 {
				data = json.RawMessage(`{"n": 2}`)
			}
			acks = append(acks, publish(t, ra, text, data).ID)
		}
		for _, l := range []*lib{alice, bob} {
			libEventually(t, "three deliveries", func() bool { return len(l.rec.ids("lobby")) == 3 })
			if got := l.rec.ids("lobby"); !slices.Equal(got, acks) {
				t.Fatalf("delivered %v, acked %v", got, acks)
			}
		}
		m := bob.rec.messages["lobby"][1]
		if m.User != "alice" || m.Text != "two" || string(m.Data) != `{"n":2}` || m.TS == 0 {
			t.Fatalf("delivery %+v", m)
		}
		if got := bob.Room("lobby").Position(); got != acks[2] {
			t.Fatalf("position %s, want %s", got, acks[2])
		}
		if st := alice.Stats(); st.Acks != 3 || st.Duplicates != 0 || st.Connects != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// Join refusals carry the server's code; the refused room is not wanted
// afterwards, so publishing there is not_joined.
func TestGoLibJoinRefused(t *testing.T) {
	cfg := mrConfig()
	cfg.MaxRoomsPerConn = 2
	n := startAPINode(t, cfg)

	l := connected(t, n.addr, "alice")
	l.join(t, "r1")
	l.join(t, "r2")
	err := l.Room("r3").Join(ctxWait(t))
	if !errors.Is(err, &rtc.Error{Code: "too_many_rooms"}) {
		t.Fatalf("third join: %v, want too_many_rooms", err)
	}
	if _, err := l.Room("r3").Publish(ctxWait(t), "hi", nil); !errors.Is(err, &rtc.Error{Code: "not_joined"}) {
		t.Fatalf("publish into the refused room: %v", err)
	}

	limited := newLib(t, n.addr, staticToken("bob", jwt.MapClaims{"rooms": []string{"team-*"}}))
	if err := limited.Connect(ctxWait(t)); err != nil {
		t.Fatal(err)
	}
	limited.join(t, "team-a")
	err = limited.Room("secret").Join(ctxWait(t))
	var e *rtc.Error
	if !errors.As(err, &e) || e.Code != "room_forbidden" || e.Message == "" {
		t.Fatalf("join outside the rooms claim: %v, want room_forbidden", err)
	}
}

// Leave is confirmed; the room gets nothing after it and publishing there
// is not_joined.
func TestGoLibLeave(t *testing.T) {
	n := startAPINode(t, mrConfig())
	alice := connected(t, n.addr, "alice")
	bob := connected(t, n.addr, "bob")
	ra := alice.join(t, "lobby")
	rb := bob.join(t, "lobby")
	publish(t, ra, "before", nil)
	libEventually(t, "bob got the first message", func() bool { return len(bob.rec.ids("lobby")) == 1 })

	if err := rb.Leave(ctxWait(t)); err != nil {
		t.Fatalf("leave: %v", err)
	}
	if _, err := rb.Publish(ctxWait(t), "after", nil); !errors.Is(err, &rtc.Error{Code: "not_joined"}) {
		t.Fatalf("publish after leave: %v", err)
	}
	publish(t, ra, "after", nil)
	// bob is still connected: a message of another room proves the socket
	// has read past anything the lobby could still send.
	other := bob.join(t, "other")
	publish(t, other, "marker", nil)
	libEventually(t, "bob got the marker", func() bool { return len(bob.rec.ids("other")) == 1 })
	if got := bob.rec.ids("lobby"); len(got) != 1 {
		t.Fatalf("bob got %v in the lobby after leaving", got)
	}
	if rb.Position() != "" {
		t.Fatalf("position kept after leave: %s", rb.Position())
	}
}

// Handlers run on the dispatcher, fed by an unbounded queue: a handler
// that blocks while more messages arrive than the server's send queue
// holds does not slow the read loop, so the server never closes the
// socket with 4002, and once released every message is handled in order.
func TestGoLibSlowHandler(t *testing.T) {
	cfg := mrConfig() // SEND_QUEUE 256
	n := startAPINode(t, cfg)
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	slow := connected(t, n.addr, "slow", func(c *rtc.Config) {
		rec := c.Handlers.OnMessage
		c.Handlers.OnMessage = func(m rtc.Message) { <-release; rec(m) }
	})
	slow.join(t, "busy")
	pub := connected(t, n.addr, "pub", func(c *rtc.Config) { c.SendRate, c.SendBurst = 1000, 100 })
	r := pub.join(t, "busy")

	const total = 400 // beyond SEND_QUEUE
	var acked []string
	for i := range total {
		acked = append(acked, publish(t, r, fmt.Sprint(i), nil).ID)
	}
	// The slow client has read them all (its position moves in the read
	// loop, before the handler runs) while its handler is still blocked.
	libEventually(t, "the slow client read everything", func() bool { return slow.Room("busy").Position() == acked[total-1] })
	once.Do(func() { close(release) })
	libEventually(t, "every message handled", func() bool { return len(slow.rec.ids("busy")) == total })
	if got := slow.rec.ids("busy"); !slices.Equal(got, acked) {
		t.Fatalf("handled %s, want %s", describe(got), describe(acked))
	}
	if st := slow.Stats(); st.Connects != 1 {
		t.Fatalf("the slow client was reconnected: %+v, states %+v", st, slow.rec.states)
	}
}
