package client

import (
	"context"
	"testing"
)

// A join sent again after AckTimeout while the first was only slow gets
// two room.joined: the second changes nothing (no second OnJoined, no
// Recovered, no second presence.list).
func TestJoinedTwice(t *testing.T) {
	var joined, recovered int
	c, err := New(Config{
		URL:      "ws://127.0.0.1:1",
		GetToken: func(context.Context) (string, error) { return "", nil },
		Handlers: Handlers{
			OnJoined:    func(string) { joined++ },
			OnRecovered: func(Recovered) { recovered++ },
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := newSession(nil)
	c.mu.Lock()
	c.sess = s
	r := c.room("lobby")
	r.wanted, r.everJoined = true, true // a rejoin, without a position
	c.sendJoin(r)
	c.sendJoin(r) // the resend
	for range 2 {
		f, err := parseFrame([]byte(`{"type":"room.joined","room":"lobby"}`))
		if err != nil {
			t.Fatal(err)
		}
		c.handle(s, f)
	}
	lists := 0
	for _, b := range s.out {
		if string(b) == `{"type":"presence.list","room":"lobby"}` {
			lists++
		}
	}
	c.sess = nil
	c.stopTimers()
	c.mu.Unlock()
	c.Close() // runs the handlers queued so far

	if joined != 1 || recovered != 1 || lists != 1 {
		t.Fatalf("OnJoined %d, OnRecovered %d, presence.list %d; want 1 each", joined, recovered, lists)
	}
}
