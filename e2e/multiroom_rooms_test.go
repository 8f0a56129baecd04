package e2e

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"
)

// One socket on node a joins 30 rooms and gets every room's messages, sent
// from sockets on node b (a /ws/:room socket for each of the first 15
// rooms, one /ws socket in the other 15). It leaves 10 and, after their
// room.left, gets nothing more from them.
func TestMultiroomThirtyRoomsOneSocket(t *testing.T) {
	mrEach(t, mrConfig(), func(t *testing.T, env mrEnv) {
		rooms := mrRooms("hall", 30)
		senders := make(map[string]*client) // room → a socket on b in it
		carol := dialMulti(t, env.b.node, "carol")
		carol.ready()
		for i, room := range rooms {
			if i < 15 {
				c := dial(t, env.b.node, room, "s"+strconv.Itoa(i))
				c.ready()
				senders[room] = c
				continue
			}
			mrJoin(carol, room, "c"+strconv.Itoa(i))
			senders[room] = carol
		}

		alice := dialMulti(t, env.a.node, "alice")
		for i, room := range rooms { // pipelined: every answer names its ref
			alice.send(map[string]any{"type": "room.join", "room": room, "ref": "j" + strconv.Itoa(i)})
		}
		joined := mrGather(alice, 30, "room.joined", is("room.joined", "", ""), isPresence)
		for _, f := range joined {
			i := slices.Index(rooms, f.str("room"))
			if i < 0 || f.str("ref") != "j"+strconv.Itoa(i) {
				t.Fatalf("room.joined %v does not carry its room's ref", f)
			}
			mrKeys(t, f, "type", "room", "ref")
		}

		for _, room := range rooms {
			mrSendFrom(t, senders[room], room, "hello "+room)
		}
		mrEveryRoom(alice, rooms, "hello ")

		left, kept := rooms[:10], rooms[10:]
		for i, room := range left {
			alice.send(map[string]any{"type": "room.leave", "room": room, "ref": "l" + strconv.Itoa(i)})
		}
		for _, f := range mrGather(alice, 10, "room.left", is("room.left", "", ""), isPresence) {
			i := slices.Index(left, f.str("room"))
			if i < 0 || f.str("reason") != "left" || f.str("ref") != "l"+strconv.Itoa(i) {
				t.Fatalf("room.left %v, want reason left and its room's ref", f)
			}
			mrKeys(t, f, "type", "room", "reason", "ref")
		}
		if env.srv != nil {
			for _, room := range left {
				eventually(t, "node a unsubscribed from "+room, func() bool { return numsub(t, env.srv, room) == 1 })
			}
		}

		// More into the rooms left, each published (its sender has it) before
		// the marker goes into a kept room: nothing of the left rooms may
		// reach alice before the marker, nor after it.
		for _, room := range left {
			mrSendFrom(t, senders[room], room, "after "+room)
		}
		mrSendFrom(t, senders[kept[0]], kept[0], "marker")
		mrWait(alice, "the marker", is("chat.delivery", kept[0], ""), mrNotFrom(left, isPresence))
		mrQuiet(alice, "quiet", mrNotFrom(left, isPresence))
		time.Sleep(200 * time.Millisecond)
		mrQuiet(alice, "still quiet", mrNotFrom(left, isPresence))

		for _, room := range kept { // the kept rooms still deliver
			mrSendFrom(t, senders[room], room, "still "+room)
		}
		mrEveryRoom(alice, kept, "still ")
	})
}

// mrEveryRoom reads one chat.delivery "<prefix><room>" from each of rooms,
// in any order; presence may come between them, nothing else. It names
// the rooms missing when they do not all come.
func mrEveryRoom(c *client, rooms []string, prefix string) {
	c.t.Helper()
	seen := map[string]bool{}
	for len(seen) < len(rooms) {
		f, ok := c.poll(readWait)
		if !ok {
			var missing []string
			for _, room := range rooms {
				if !seen[room] {
					missing = append(missing, room)
				}
			}
			c.t.Fatalf("no delivery within %s from %d rooms: %v (reader: %v)", readWait, len(missing), missing, c.err)
		}
		switch {
		case f.str("type") == "system.ping" || isPresence(f):
		case f.str("type") == "chat.delivery" && slices.Contains(rooms, f.str("room")) &&
			f.str("text") == prefix+f.str("room") && !seen[f.str("room")]:
			seen[f.str("room")] = true
		default:
			c.t.Fatalf("waiting for a delivery from each of %d rooms, got %v (seen %d)", len(rooms), f, len(seen))
		}
	}
}

// mrSendFrom sends text into room from c and waits for c's own delivery of
// it: once c has it, it is published.
func mrSendFrom(t *testing.T, c *client, room, text string) {
	t.Helper()
	mrChat(c, room, text)
	mrWait(c, "own delivery of "+text, func(f frame) bool {
		return f.str("type") == "chat.delivery" && f.str("text") == text
	}, func(f frame) bool { return isPresence(f) || f.str("type") == "chat.delivery" })
}

// mrNotFrom allows a frame that names none of rooms and satisfies also
// (nil: any such frame).
func mrNotFrom(rooms []string, also func(frame) bool) func(frame) bool {
	return func(f frame) bool {
		if slices.Contains(rooms, f.str("room")) {
			return false
		}
		return also == nil || also(f)
	}
}

// A burst of joins and leaves keeps the socket working, is answered in
// order, and does not flood another member of a room with presence:
// changes within the announcement window cancel out.
func TestMultiroomJoinLeaveBurst(t *testing.T) {
	mrEach(t, mrConfig(), func(t *testing.T, env mrEnv) {
		burster := dialMulti(t, env.a.node, "burster")
		burster.ready()

		// 100 rooms (the cap) joined, then left, without waiting.
		rooms := mrRooms("b", 100)
		for i, room := range rooms {
			burster.send(map[string]any{"type": "room.join", "room": room, "ref": "j" + strconv.Itoa(i)})
		}
		for i, room := range rooms {
			burster.send(map[string]any{"type": "room.leave", "room": room, "ref": "l" + strconv.Itoa(i)})
		}
		mrGatherBurst(burster, func(i int) (string, string) { return rooms[i], rooms[i] }, len(rooms), "j", "l")

		// One room joined and left 100 times while a member on the other
		// node watches it.
		watcher := dial(t, env.b.node, "busy", "watcher")
		watcher.ready()
		start := time.Now()
		for i := range 100 {
			burster.send(map[string]any{"type": "room.join", "room": "busy", "ref": "bj" + strconv.Itoa(i)})
			burster.send(map[string]any{"type": "room.leave", "room": "busy", "ref": "bl" + strconv.Itoa(i)})
		}
		mrGatherBurst(burster, func(int) (string, string) { return "busy", "busy" }, 100, "bj", "bl")
		took := time.Since(start)

		// The socket still works, in a room and out of one.
		mrJoin(burster, "busy", "final")
		mrChat(burster, "busy", "still here")
		mrWait(watcher, "the delivery", is("chat.delivery", "busy", ""), isPresence)
		burster.send(map[string]any{"type": "room.leave", "room": "busy", "ref": "out"})
		mrWait(burster, "room.left out", is("room.left", "busy", "out"), func(f frame) bool {
			return isPresence(f) || is("chat.delivery", "busy", "")(f)
		})

		// Let the last window close, then read the watcher's view.
		time.Sleep(3 * announceWindowForTests)
		watcher.send(map[string]any{"type": "presence.list", "ref": "view"})
		pic, count := picture{}, 0
		for {
			f := watcher.next()
			if is("presence.state", "busy", "view")(f) {
				pic.apply(f)
				break
			}
			if !isPresence(f) {
				continue // the delivery above, read already; anything else is no presence
			}
			pic.apply(f)
			if slices.Contains(mrUsers(f), "burster") {
				count++
			}
		}
		if got := pic.users(); !slices.Equal(got, []string{"watcher"}) {
			t.Fatalf("watcher's presence at the end %v, want [watcher]", got)
		}
		// Each window of the burst may announce once, plus the final join and
		// leave; without coalescing it would be 202.
		limit := int(took/announceWindowForTests) + 4
		if count > limit {
			t.Fatalf("the watcher got %d presence frames about the burster in %s (at most %d expected)", count, took, limit)
		}
		t.Logf("%d presence frames about 200 joins and leaves in %s", count, took)
	})
}

// announceWindowForTests is the hub's presence announcement window.
const announceWindowForTests = 200 * time.Millisecond

// mrGatherBurst reads the answers to n joins (refs <join><i>) and n
// leaves (refs <leave><i>) of the rooms rooms(i) names: each answered
// once, with its room, the leave after the join it follows. Answers to
// different rooms may come in any order.
func mrGatherBurst(c *client, rooms func(int) (join, leave string), n int, join, leave string) {
	c.t.Helper()
	want := map[string]string{}  // ref → "type room"
	after := map[string]string{} // a leave's ref → its join's
	for i := range n {
		j, l := rooms(i)
		js, ls := join+strconv.Itoa(i), leave+strconv.Itoa(i)
		want[js], want[ls], after[ls] = "room.joined "+j, "room.left "+l, js
	}
	seen := map[string]bool{}
	for len(seen) < 2*n {
		f := mrWait(c, fmt.Sprintf("answer %d of %d", len(seen)+1, 2*n), func(f frame) bool { return !isPresence(f) }, isPresence)
		ref := f.str("ref")
		if want[ref] != f.str("type")+" "+f.str("room") || seen[ref] || (after[ref] != "" && !seen[after[ref]]) {
			c.t.Fatalf("answer %v: want %q once, after %q (seen %v)", f, want[ref], after[ref], seen[after[ref]])
		}
		seen[ref] = true
	}
}

// room.joined means the room is being received: a message published into
// the room as soon as the joiner has its room.joined, from the other node,
// reaches the joiner. (A message published before would not, and without
// since nothing replays it; so the answer must wait for the subscription.)
func TestMultiroomJoinedMeansReceiving(t *testing.T) {
	mrEach(t, mrConfig(), func(t *testing.T, env mrEnv) {
		rooms := mrRooms("recv", 30)
		carol := dialMulti(t, env.b.node, "carol")
		carol.ready()
		for i, room := range rooms {
			mrJoin(carol, room, "c"+strconv.Itoa(i))
		}
		alice := dialMulti(t, env.a.node, "alice")
		for i, room := range rooms {
			alice.send(map[string]any{"type": "room.join", "room": room, "ref": "j" + strconv.Itoa(i)})
		}
		for _, f := range mrGather(alice, len(rooms), "room.joined", is("room.joined", "", ""), isPresence) {
			mrChat(carol, f.str("room"), "right after "+f.str("room"))
		}
		mrEveryRoom(alice, rooms, "right after ")
	})
}
