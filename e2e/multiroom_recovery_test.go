package e2e

import (
	"strconv"
	"testing"
)

// A /ws socket in several rooms remembers each room's last id, goes away
// while messages are sent, and comes back with room.join {since} per room:
// each room replays what it missed, in order, then history.recovered
// {room, count, complete:true}; live messages follow, none twice.
func TestMultiroomReconnectWithSince(t *testing.T) {
	mrEach(t, mrConfig(), func(t *testing.T, env mrEnv) {
		rooms := mrRooms("rec", 6)
		bob := dialMulti(t, env.b.node, "bob")
		bob.ready()
		alice := dialMulti(t, env.a.node, "alice")
		alice.ready()
		for i, room := range rooms {
			mrJoin(bob, room, "b"+strconv.Itoa(i))
			mrJoin(alice, room, "a"+strconv.Itoa(i))
		}
		last := map[string]string{}
		for _, room := range rooms {
			for k := range 2 {
				mrSendFrom(t, bob, room, room+" before "+strconv.Itoa(k))
			}
		}
		for _, f := range mrGather(alice, 2*len(rooms), "chat.delivery", is("chat.delivery", "", ""), isPresence) {
			last[f.str("room")] = f.str("id")
		}
		alice.ws.Close()

		missed := map[string][]string{} // room → ids alice has not seen
		for i, room := range rooms {
			for k := range i % 4 { // 0 to 3 messages: a room may have missed none
				missed[room] = append(missed[room], mrSendAndID(t, bob, room, room+" missed "+strconv.Itoa(k)))
			}
		}

		alice = dialMulti(t, env.a.node, "alice")
		for i, room := range rooms {
			alice.send(map[string]any{"type": "room.join", "room": room, "since": last[room], "ref": "r" + strconv.Itoa(i)})
		}
		mrRecoverAll(t, alice, rooms, missed)

		for _, room := range rooms { // live after the replay, once each
			id := mrSendAndID(t, bob, room, room+" live")
			f := mrWait(alice, "live delivery in "+room, is("chat.delivery", room, ""), isPresence)
			if f.str("id") != id || f.str("text") != room+" live" {
				t.Fatalf("after the replay alice got %v, want the live message %s", f, id)
			}
		}
		mrQuiet(alice, "done", isPresence)
	})
}

// mrRecoverAll reads the answers to one room.join {since, ref r<i>} per
// room: in each room room.joined first, then exactly the missed ids in
// order, then history.recovered with their count and complete:true.
// Rooms may interleave.
func mrRecoverAll(t *testing.T, c *client, rooms []string, missed map[string][]string) {
	t.Helper()
	joined := map[string]bool{}
	replayed := map[string][]string{}
	done := map[string]bool{}
	for len(done) < len(rooms) {
		f := c.next()
		room := f.str("room")
		switch f.str("type") {
		case "room.joined":
			if joined[room] || f.str("ref") != "r"+strconv.Itoa(indexOf(rooms, room)) {
				t.Fatalf("room.joined %v (joined already: %v)", f, joined[room])
			}
			joined[room] = true
		case "chat.delivery":
			if !joined[room] || done[room] {
				t.Fatalf("%v arrived outside its room's replay (joined %v, recovered %v)", f, joined[room], done[room])
			}
			replayed[room] = append(replayed[room], f.str("id"))
		case "history.recovered":
			if !joined[room] || done[room] {
				t.Fatalf("%v before room.joined or twice", f)
			}
			if !sameList(replayed[room], missed[room]) {
				t.Fatalf("room %s replayed %v, want %v", room, replayed[room], missed[room])
			}
			checkRecovered(t, f, room, len(missed[room]), true)
			done[room] = true
		default:
			if !isPresence(f) {
				t.Fatalf("during recovery: %v", f)
			}
		}
	}
}

// mrSendAndID sends text into room from c, waits for c's own delivery and
// returns its id.
func mrSendAndID(t *testing.T, c *client, room, text string) string {
	t.Helper()
	mrChat(c, room, text)
	f := mrWait(c, "own delivery of "+text, func(f frame) bool {
		return f.str("type") == "chat.delivery" && f.str("text") == text
	}, func(f frame) bool { return isPresence(f) || f.str("type") == "chat.delivery" })
	return f.str("id")
}

// room.join's since is checked like the handshake's (bad_since, with the
// ref), and a since from another room's stream is not one this room's
// history holds: complete:false. A join without since replays nothing.
func TestMultiroomJoinSinceEdges(t *testing.T) {
	mrEach(t, mrConfig(), func(t *testing.T, env mrEnv) {
		alice := dialMulti(t, env.a.node, "alice")
		alice.ready()
		mrJoin(alice, "first", "f")
		other := mrSendAndID(t, alice, "first", "in first")

		for _, since := range []string{`"x"`, `"` + other[:27] + `"`, `"` + other + `0"`} {
			mrError(alice, `{"type":"room.join","room":"second","since":`+since+`,"ref":"s"}`, "s", "bad_since")
		}
		// The refusals joined nothing.
		mrError(alice, `{"type":"chat.message","room":"second","text":"x","ref":"nj"}`, "nj", "not_joined")

		alice.send(map[string]any{"type": "room.join", "room": "second", "since": other, "ref": "foreign"})
		mrWait(alice, "room.joined second", is("room.joined", "second", "foreign"), isPresence)
		rec := mrWait(alice, "history.recovered second", is("history.recovered", "second", ""), isPresence)
		checkRecovered(t, rec, "second", 0, false)

		// Joining a joined room again changes nothing: no replay, no frame but
		// room.joined.
		mrJoin(alice, "first", "again")
		mrQuiet(alice, "q", isPresence)

		// since naming the newest message: nothing missed, complete.
		alice.send(map[string]any{"type": "room.leave", "room": "first", "ref": "out"})
		mrWait(alice, "room.left", is("room.left", "first", "out"), isPresence)
		alice.send(map[string]any{"type": "room.join", "room": "first", "since": other, "ref": "back"})
		mrWait(alice, "room.joined first", is("room.joined", "first", "back"), isPresence)
		checkRecovered(t, mrWait(alice, "history.recovered first", is("history.recovered", "first", ""), isPresence), "first", 0, true)
	})
}
