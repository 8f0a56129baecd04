package e2e

import (
	"encoding/json"
	"slices"
	"testing"

	rtc "github.com/rtserver/rt/client"
)

// Presence is folded from the server's frames: a second user joining
// shows up in the first one's list, and leaving takes them out.
func TestGoLibPresenceFold(t *testing.T) {
	mrEach(t, mrConfig(), func(t *testing.T, env mrEnv) {
		alice := connected(t, env.a.addr, "alice")
		ra := alice.join(t, "lobby")
		// Both of alice's presence frames first: her own presence.join and
		// the presence.state her client asked for. A state read after bob
		// joined could list him before his join is announced, and if he
		// left within the same 200 ms window neither his join nor his
		// leave would ever be announced (docs/protocol.md, "Presence is
		// state"): alice's list would keep him until the next state.
		// Three events: her own join, the list read at the join and the one
		// read a second later. After them bob's arrival can only be a live
		// announcement, not a list.
		libEventually(t, "alice's presence.join and both lists", func() bool {
			alice.rec.mu.Lock()
			defer alice.rec.mu.Unlock()
			return alice.rec.presences["lobby"] >= 3
		})
		if _, ok := alice.rec.change("lobby", func(p rtc.Presence) bool { return p.Listed }); !ok {
			t.Fatalf("no listed presence event: %+v", alice.rec.changes)
		}
		if got := ra.Users(); !slices.Equal(got, []string{"alice"}) {
			t.Fatalf("alice alone sees %v", got)
		}

		bob := connected(t, env.b.addr, "bob")
		rb := bob.join(t, "lobby")
		libEventually(t, "alice sees bob join", func() bool {
			return slices.Equal(ra.Users(), []string{"alice", "bob"}) &&
				slices.Equal(alice.rec.users("lobby"), []string{"alice", "bob"})
		})
		libEventually(t, "bob sees both", func() bool {
			return slices.Equal(rb.Users(), []string{"alice", "bob"})
		})
		live := func(joins, leaves []string) func(rtc.Presence) bool {
			return func(p rtc.Presence) bool {
				return !p.Listed && slices.Equal(p.Joins, joins) && slices.Equal(p.Leaves, leaves)
			}
		}
		if _, ok := alice.rec.change("lobby", live([]string{"bob"}, nil)); !ok {
			t.Fatalf("bob's join is not a live change of alice's list: %+v", alice.rec.changes)
		}

		if err := rb.Leave(ctxWait(t)); err != nil {
			t.Fatal(err)
		}
		libEventually(t, "alice sees bob leave", func() bool {
			return slices.Equal(ra.Users(), []string{"alice"}) &&
				slices.Equal(alice.rec.users("lobby"), []string{"alice"})
		})
		if _, ok := alice.rec.change("lobby", live(nil, []string{"bob"})); !ok {
			t.Fatalf("bob's leave is not a live change of alice's list: %+v", alice.rec.changes)
		}
		if got := rb.Users(); len(got) != 0 {
			t.Fatalf("bob's list after leaving: %v", got)
		}
	})
}

// History pages come oldest first, page backwards with before, and do not
// move the position.
func TestGoLibHistory(t *testing.T) {
	mrEach(t, mrConfig(), func(t *testing.T, env mrEnv) {
		alice := connected(t, env.a.addr, "alice")
		r := alice.join(t, "news")
		var ids []string
		for _, text := range []string{"m0", "m1", "m2", "m3", "m4"} {
			ids = append(ids, publish(t, r, text, nil).ID)
		}
		libEventually(t, "the five deliveries", func() bool { return len(alice.rec.ids("news")) == 5 })

		page, err := r.History(ctxWait(t), "", 3)
		if err != nil {
			t.Fatal(err)
		}
		if got := pageIDs(page); !slices.Equal(got, ids[2:]) || !page.More {
			t.Fatalf("newest page %v more %v, want %v more true", got, page.More, ids[2:])
		}
		if m := page.Messages[0]; m.Room != "news" || m.User != "alice" || m.Text != "m2" || m.TS == 0 {
			t.Fatalf("page message %+v", m)
		}
		older, err := r.History(ctxWait(t), page.Messages[0].ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := pageIDs(older); !slices.Equal(got, ids[:2]) || older.More {
			t.Fatalf("older page %v more %v, want %v more false", got, older.More, ids[:2])
		}
		if r.Position() != ids[4] {
			t.Fatalf("position %s after history, want %s", r.Position(), ids[4])
		}
	})
}

func pageIDs(p rtc.Page) []string {
	out := make([]string, len(p.Messages))
	for i, m := range p.Messages {
		out[i] = m.ID
	}
	return out
}

// A signal reaches the room's other users, not the sender.
func TestGoLibSignal(t *testing.T) {
	mrEach(t, mrConfig(), func(t *testing.T, env mrEnv) {
		alice := connected(t, env.a.addr, "alice")
		bob := connected(t, env.b.addr, "bob")
		ra := alice.join(t, "game")
		rb := bob.join(t, "game")
		libEventually(t, "both present for bob", func() bool { return len(rb.Users()) == 2 })

		if err := ra.Signal(json.RawMessage(`{"typing": true}`)); err != nil {
			t.Fatal(err)
		}
		libEventually(t, "bob gets the signal", func() bool {
			bob.rec.mu.Lock()
			defer bob.rec.mu.Unlock()
			return len(bob.rec.signals) == 1
		})
		s := bob.rec.signals[0]
		if s.Room != "game" || s.User != "alice" || string(s.Data) != `{"typing":true}` || s.TS == 0 {
			t.Fatalf("signal %+v", s)
		}
		// alice's own signal is not echoed: a message after it arrives
		// without one before it.
		publish(t, ra, "after", nil)
		libEventually(t, "alice's message", func() bool { return len(alice.rec.ids("game")) == 1 })
		alice.rec.mu.Lock()
		defer alice.rec.mu.Unlock()
		if len(alice.rec.signals) != 0 {
			t.Fatalf("sender got its own signal: %+v", alice.rec.signals)
		}
	})
}

// A personal message from the server API reaches the user wherever their
// socket is, whatever rooms it is in.
func TestGoLibUserMessage(t *testing.T) {
	mrEach(t, mrConfig(), func(t *testing.T, env mrEnv) {
		bob := connected(t, env.b.addr, "bob")
		// The server registers a socket for personal messages just after
		// its 101, as it starts serving it; an answered join proves it
		// has (a message sent in between is not for this socket).
		bob.join(t, "lobby")
		got := env.a.ok(t, "POST", "/api/users/bob/messages", `{"text":"your order shipped","data":{"order":42}}`, 202)
		libEventually(t, "bob gets the personal message", func() bool {
			bob.rec.mu.Lock()
			defer bob.rec.mu.Unlock()
			return len(bob.rec.personal) == 1
		})
		m := bob.rec.personal[0]
		if m.User != "bob" || m.Text != "your order shipped" || string(m.Data) != `{"order":42}` || m.ID != got["id"] || m.TS == 0 {
			t.Fatalf("personal message %+v, API said %v", m, got)
		}
	})
}
