package e2e

import (
	"regexp"
	"testing"
)

// room.signal reaches the other users' sockets in the room on both nodes
// as {type, room, user, data, ts}: not the sender's sockets, not sockets
// outside the room; it has no id and is never in history or a replay.
func TestMultiroomSignals(t *testing.T) {
	mrEach(t, mrConfig(), func(t *testing.T, env mrEnv) {
		alice := dialMulti(t, env.a.node, "alice")
		alice.ready()
		mrJoin(alice, "sig", "j")
		aliceTab := dial(t, env.b.node, "sig", "alice") // the sender's other socket
		aliceTab.ready()
		bob := dial(t, env.b.node, "sig", "bob")
		bob.ready()
		carol := dialMulti(t, env.a.node, "carol")
		carol.ready()
		mrJoin(carol, "sig", "j")
		dave := dialMulti(t, env.b.node, "dave") // in another room only
		dave.ready()
		mrJoin(dave, "other", "j")

		first := mrSendAndID(t, alice, "sig", "before the signals")
		alice.sendRaw(`{"type":"room.signal","room":"sig","data":{"typing":true,"n":12345678901234567890}}`)
		for _, c := range []*client{bob, carol} {
			f := mrDecode(t, mrRawSkipChat(c))
			if f.str("type") != "room.signal" || f.str("room") != "sig" || f.str("user") != "alice" ||
				!sameJSON(t, f["data"], `{"typing":true,"n":12345678901234567890}`) {
				t.Fatalf("got %v, want alice's signal", f)
			}
			mrKeys(t, f, "type", "room", "user", "data", "ts")
		}
		// A /ws/:room socket signals its handshake room without naming it.
		bob.sendRaw(`{"type":"room.signal","data":"typing"}`)
		for i, c := range []*client{alice, aliceTab, carol} {
			name := []string{"alice, the first signal's sender,", "alice's other socket", "carol"}[i]
			for {
				f := mrDecode(t, mrRawSkipChat(c))
				if f.str("type") == "room.signal" && f.str("user") == "alice" && i < 2 {
					t.Errorf("%s got alice's own signal %v", name, f) // and read on
					continue
				}
				if f.str("type") != "room.signal" || f.str("user") != "bob" || f.str("room") != "sig" || f.str("data") != "typing" {
					t.Fatalf("%s got %v, want bob's signal", name, f)
				}
				break
			}
		}
		noSignal := func(f frame) bool { return isPresence(f) || f.str("type") == "chat.delivery" }
		mrQuiet(alice, "sender", noSignal)
		mrQuiet(aliceTab, "the sender's other socket", noSignal)
		mrQuiet(dave, "outside", noSignal)
		mrSignalNotEchoed(t, bob)

		mrError(alice, `{"type":"room.signal","data":1,"ref":"s1"}`, "s1", "bad_message")
		mrError(alice, `{"type":"room.signal","room":"other","data":1,"ref":"s2"}`, "s2", "not_joined")
		mrError(alice, `{"type":"room.signal","room":"sig","ref":"s3"}`, "s3", "bad_message")
		mrQuiet(carol, "refused signals", noSignal)

		last := mrSendAndID(t, alice, "sig", "after the signals")
		alice.send(map[string]any{"type": "history.get", "room": "sig", "limit": 100})
		page, _ := histPageFrame(alice, mrWait(alice, "history.page", is("history.page", "sig", ""), noSignal))
		if !sameList(ids(page), []string{first, last}) {
			t.Fatalf("history %v, want only the two chat messages", page)
		}
		_, body := env.b.call(t, "GET", "/api/rooms/sig/history", "Bearer "+apiKey, "")
		if regexp.MustCompile(`room\.signal|typing`).Match(body) {
			t.Fatalf("API history holds a signal: %s", body)
		}

		// A replay has the chat message only.
		erin := dialMulti(t, env.b.node, "erin")
		erin.send(map[string]any{"type": "room.join", "room": "sig", "since": first, "ref": "r"})
		mrWait(erin, "room.joined", is("room.joined", "sig", "r"), isPresence)
		replay, rec := histRecovery(erin)
		if !sameList(ids(replay), []string{last}) {
			t.Fatalf("replay %v, want only %s", replay, last)
		}
		checkRecovered(t, rec, "sig", 1, true)
	})
}

// mrSignalNotEchoed checks bob, who signalled last, gets no signal of his
// own: reading on to a pong, any signal of his is reported.
func mrSignalNotEchoed(t *testing.T, bob *client) {
	t.Helper()
	bob.send(map[string]any{"type": "system.ping", "ref": "echo"})
	for {
		f := bob.next()
		switch {
		case is("system.pong", "", "echo")(f):
			return
		case f.str("type") == "room.signal" && f.str("user") == "bob":
			t.Errorf("bob, the sender, got his own signal %v", f)
		case !isPresence(f) && f.str("type") != "chat.delivery":
			t.Fatalf("bob got %v", f)
		}
	}
}

// mrRawSkipChat reads the next frame but heartbeats, presence and chat
// deliveries, as bytes.
func mrRawSkipChat(c *client) []byte {
	c.t.Helper()
	for {
		raw := mrRaw(c)
		if mrDecode(c.t, raw).str("type") != "chat.delivery" {
			return raw
		}
	}
}

// POST /api/users/{user}/messages reaches every socket of the user on
// both nodes, whatever rooms they are in (none included), as user.message
// {user, text?, data?, id, ts} with the id the API answered; 202.
func TestMultiroomPersonalMessages(t *testing.T) {
	mrEach(t, mrConfig(), func(t *testing.T, env mrEnv) {
		roomless := dialMulti(t, env.a.node, "alice") // in no room at all
		roomless.ready()
		inRoom := dial(t, env.b.node, "pm", "alice")
		inRoom.ready()
		bob := dial(t, env.a.node, "pm", "bob")
		bob.ready()

		for i, tc := range []struct{ body, text, data string }{
			{`{"text":"hello alice","data":{"link":"/x","n":[1,2]}}`, "hello alice", `{"link":"/x","n":[1,2]}`},
			{`{"text":"text only"}`, "text only", ""},
			{`{"data":[true,false,null]}`, "", `[true,false,null]`},
		} {
			from := []*apiNode{env.a, env.b}[i%2]
			got := from.ok(t, "POST", "/api/users/alice/messages", tc.body, 202)
			id, _ := got["id"].(string)
			if got["user"] != "alice" || !regexp.MustCompile(`^[0-9a-f]{28}$`).MatchString(id) || got["ts"] == nil || len(got) != 3 {
				t.Fatalf("answer %v, want {user, id, ts}", got)
			}
			for _, c := range []*client{roomless, inRoom} {
				f := mrDecode(t, mrRaw(c))
				keys := []string{"type", "user", "id", "ts"}
				if tc.text != "" {
					keys = append(keys, "text")
				}
				if tc.data != "" {
					keys = append(keys, "data")
					if !sameJSON(t, f["data"], tc.data) {
						t.Fatalf("got %v, want data %s", f, tc.data)
					}
				}
				if f.str("type") != "user.message" || f.str("user") != "alice" || f.str("text") != tc.text || f.str("id") != id {
					t.Fatalf("got %v, want user.message %q with id %s", f, tc.text, id)
				}
				mrKeys(t, f, keys...)
			}
		}
		mrQuiet(bob, "someone else", isPresence)

		for _, body := range []string{`{}`, `{"data":null}`, `{"text":""}`, `{"text":7}`} {
			if status, b := env.a.call(t, "POST", "/api/users/alice/messages", "Bearer "+apiKey, body); status != 400 {
				t.Errorf("%s: %d %s, want 400", body, status, b)
			}
		}
		if status, _ := env.a.call(t, "POST", "/api/users/alice/messages", "", `{"text":"x"}`); status != 401 {
			t.Errorf("without the key: %d, want 401", status)
		}
		env.b.ok(t, "POST", "/api/users/nobody/messages", `{"text":"into the void"}`, 202)
		for _, c := range []*client{roomless, inRoom, bob} {
			mrQuiet(c, "after refused messages", isPresence)
		}
	})
}
