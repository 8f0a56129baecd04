package e2e

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The token's rooms claim, MAX_ROOMS_PER_CONN, bad names, leaving a room
// not joined and frames that do not name a joined room are refused with
// their codes and refs; the socket stays open through all of them.
func TestMultiroomLimits(t *testing.T) {
	cfg := mrConfig()
	cfg.MaxRoomsPerConn = 3
	mrEach(t, cfg, func(t *testing.T, env mrEnv) {
		claimed := dialMulti(t, env.a.node, "claimed", jwt.MapClaims{"rooms": []string{"team-*", "lobby"}})
		claimed.ready()
		mrError(claimed, `{"type":"room.join","room":"elsewhere","ref":"f1"}`, "f1", "room_forbidden")
		mrError(claimed, `{"type":"room.join","room":"team","ref":"f2"}`, "f2", "room_forbidden")
		mrJoin(claimed, "team-a", "ok1")
		mrJoin(claimed, "lobby", "ok2")

		alice := dialMulti(t, env.a.node, "alice")
		alice.ready()
		for _, room := range []string{"r1", "r2", "r3"} {
			mrJoin(alice, room, "j-"+room)
		}
		mrError(alice, `{"type":"room.join","room":"r4","ref":"many"}`, "many", "too_many_rooms")
		mrJoin(alice, "r3", "again") // a room joined already does not count twice
		alice.send(map[string]any{"type": "room.leave", "room": "r1", "ref": "out"})
		mrWait(alice, "room.left r1", is("room.left", "r1", "out"), isPresence)
		mrJoin(alice, "r4", "now")

		for _, room := range []string{`"-bad"`, `"a b"`, `"` + strings.Repeat("r", 65) + `"`, `"a/b"`} {
			mrError(alice, `{"type":"room.join","room":`+room+`,"ref":"br"}`, "br", "bad_room")
		}
		for _, frame := range []string{`{"type":"room.join","ref":"nr"}`, `{"type":"room.join","room":"","ref":"nr"}`, `{"type":"room.join","room":7,"ref":"nr"}`} {
			alice.sendRaw(frame)
			f := mrWait(alice, "an error", is("system.error", "", "nr"), isPresence)
			if c := f.str("code"); c != "bad_message" && c != "bad_room" {
				t.Errorf("%s: %v, want bad_message or bad_room", frame, f)
			}
		}
		mrError(alice, `{"type":"room.leave","room":"r1","ref":"nl"}`, "nl", "not_joined")
		mrError(alice, `{"type":"room.leave","room":"never","ref":"nl2"}`, "nl2", "not_joined")

		// On a socket without a handshake room, room-scoped frames name a
		// joined room.
		for _, tt := range []struct{ frame, code string }{
			{`{"type":"chat.message","text":"x","ref":"c1"}`, "bad_message"},
			{`{"type":"chat.message","room":null,"text":"x","ref":"c1"}`, "bad_message"},
			{`{"type":"chat.message","room":"r1","text":"x","ref":"c1"}`, "not_joined"},
			{`{"type":"presence.list","ref":"c1"}`, "bad_message"},
			{`{"type":"presence.list","room":"r1","ref":"c1"}`, "not_joined"},
			{`{"type":"history.get","ref":"c1"}`, "bad_message"},
			{`{"type":"history.get","room":"r1","ref":"c1"}`, "not_joined"},
		} {
			mrError(alice, tt.frame, "c1", tt.code)
		}
		for _, c := range []*client{claimed, alice} {
			c.alive()
		}
	})
}

// Joining a room twice is answered room.joined twice and makes one
// presence entry: one leave takes it away.
func TestMultiroomJoinTwiceOnePresence(t *testing.T) {
	mrEach(t, mrConfig(), func(t *testing.T, env mrEnv) {
		bob := dial(t, env.b.node, "twice", "bob")
		bob.ready()
		alice := dialMulti(t, env.a.node, "alice")
		alice.ready()
		mrJoin(alice, "twice", "one")
		mrJoin(alice, "twice", "two")
		aboutAlice := func(f frame) bool { return isPresence(f) && containsStr(mrUsers(f), "alice") }
		notAboutAlice := func(f frame) bool { return isPresence(f) && !aboutAlice(f) }
		if f := mrWait(bob, "alice's join", aboutAlice, notAboutAlice); f.str("type") == "presence.leave" || len(toStrings(f["leaves"])) > 0 {
			t.Fatalf("bob saw %v, want alice's join", f)
		}
		for _, n := range []*apiNode{env.a, env.b} {
			if got := n.ok(t, "GET", "/api/rooms/twice/presence", "", 200); !reflect.DeepEqual(got["users"], []any{"alice", "bob"}) {
				t.Fatalf("API presence %v", got)
			}
		}
		alice.send(map[string]any{"type": "presence.list", "room": "twice", "ref": "p"})
		if f := mrWait(alice, "presence.state", is("presence.state", "twice", "p"), isPresence); !reflect.DeepEqual(toStrings(f["users"]), []string{"alice", "bob"}) {
			t.Fatalf("presence.state %v", f)
		}
		mrQuiet(bob, "no second join", notAboutAlice)

		alice.send(map[string]any{"type": "room.leave", "room": "twice", "ref": "out"})
		mrWait(alice, "room.left", is("room.left", "twice", "out"), isPresence)
		if f := mrWait(bob, "alice's leave", aboutAlice, notAboutAlice); f.str("type") != "presence.leave" {
			if f.str("type") != "presence.diff" || !reflect.DeepEqual(toStrings(f["leaves"]), []string{"alice"}) {
				t.Fatalf("bob saw %v, want alice's leave", f)
			}
		}
		for _, n := range []*apiNode{env.a, env.b} {
			if got := n.ok(t, "GET", "/api/rooms/twice/presence", "", 200); !reflect.DeepEqual(got["users"], []any{"bob"}) {
				t.Fatalf("API presence after one leave %v", got)
			}
		}
		mrError(alice, `{"type":"chat.message","room":"twice","text":"x","ref":"gone"}`, "gone", "not_joined")
	})
}

// A refresh whose rooms claim no longer covers a joined room leaves it
// with room.left reason forbidden; the others stay. A server-API
// disconnect for one room leaves it with reason disconnected; the socket
// stays open in its other rooms.
func TestMultiroomRefreshAndDisconnect(t *testing.T) {
	mrEach(t, mrConfig(), func(t *testing.T, env mrEnv) {
		exp := time.Now().Add(time.Hour).Unix()
		alice := dialMulti(t, env.a.node, "alice", jwt.MapClaims{"rooms": []string{"ra", "rb", "rc"}, "exp": exp})
		alice.ready()
		bob := dialMulti(t, env.b.node, "bob")
		bob.ready()
		for _, room := range []string{"ra", "rb", "rc"} {
			mrJoin(alice, room, "j-"+room)
			mrJoin(bob, room, "j-"+room)
		}

		alice.send(map[string]any{"type": "auth.refresh", "token": token(t, "alice", jwt.MapClaims{"rooms": []string{"ra", "rc"}, "exp": exp + 60}), "ref": "rf"})
		var left, refreshed frame
		for left == nil || refreshed == nil {
			f := mrWait(alice, "room.left and auth.refreshed", func(f frame) bool {
				return f.str("type") == "room.left" || f.str("type") == "auth.refreshed"
			}, isPresence)
			if f.str("type") == "room.left" {
				left = f
			} else {
				refreshed = f
			}
		}
		if left.str("room") != "rb" || left.str("reason") != "forbidden" || refreshed.str("ref") != "rf" {
			t.Fatalf("room.left %v, auth.refreshed %v; want rb forbidden, and the ref on auth.refreshed", left, refreshed)
		}
		mrError(alice, `{"type":"chat.message","room":"rb","text":"x","ref":"x"}`, "x", "not_joined")
		mrError(alice, `{"type":"room.join","room":"rb","ref":"back"}`, "back", "room_forbidden")
		mrCheckRooms(t, alice, bob, []string{"ra", "rc"}, []string{"rb"})

		// The API disconnects alice from rc only; her /ws/:room socket in rc
		// closes with 4003 as before.
		tab := dial(t, env.b.node, "rc", "alice")
		tab.ready()
		env.b.ok(t, "POST", "/api/users/alice/disconnect", `{"room":"rc","reason":"moderated"}`, 202)
		f := mrWait(alice, "room.left rc", is("room.left", "rc", ""), isPresence)
		if f.str("reason") != "disconnected" {
			t.Fatalf("room.left %v, want reason disconnected", f)
		}
		if ce := tab.closeError(); ce.Code != 4003 || ce.Text != "moderated" {
			t.Fatalf("alice's rc socket closed with %d %q", ce.Code, ce.Text)
		}
		mrCheckRooms(t, alice, bob, []string{"ra"}, []string{"rb", "rc"})
		alice.alive()
	})
}

// mrCheckRooms has from send into every room of in and out: c gets the
// messages of in and none of out.
func mrCheckRooms(t *testing.T, c, from *client, in, out []string) {
	t.Helper()
	for _, room := range append(append([]string{}, out...), in...) {
		mrSendFrom(t, from, room, "check "+room)
	}
	for range in {
		f := mrWait(c, "a delivery", is("chat.delivery", "", ""), mrNotFrom(out, isPresence))
		if !containsStr(in, f.str("room")) || f.str("text") != "check "+f.str("room") {
			t.Fatalf("got %v, want the check of one of %v", f, in)
		}
	}
	mrQuiet(c, "rooms checked", mrNotFrom(out, isPresence))
}
