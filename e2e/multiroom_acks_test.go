package e2e

import (
	"regexp"
	"strings"
	"testing"
)

// A chat.message with a ref is answered chat.ack {room, ref, id, ts} with
// the id its delivery has; without a ref there is no ack; an error
// answering a frame with a ref carries it, and every direct answer does.
func TestMultiroomAcksAndRefs(t *testing.T) {
	cfg := mrConfig()
	cfg.MaxMessageBytes = 64
	mrEach(t, cfg, func(t *testing.T, env mrEnv) {
		bob := dial(t, env.b.node, "acks", "bob")
		bob.ready()
		alice := dialMulti(t, env.a.node, "alice")
		alice.ready()
		mrJoin(alice, "acks", "j")

		mrChat(alice, "acks", "one", "ref", "m1")
		var ack, own frame
		for ack == nil || own == nil { // either may come first
			raw := mrRaw(alice)
			f := mrDecode(t, raw)
			switch f.str("type") {
			case "chat.ack":
				ack = f
				ackShape := regexp.MustCompile(`^\{"type":"chat\.ack","room":"acks","ref":"m1","id":"[0-9a-f]{28}","ts":[0-9]+\}$`)
				if !ackShape.Match(raw) {
					t.Fatalf("ack %s, want {type,room,ref,id,ts} in that order", raw)
				}
			case "chat.delivery":
				own = f
				mrKeys(t, f, "type", "room", "user", "text", "id", "ts")
			default:
				t.Fatalf("waiting for the ack and the delivery: %s", raw)
			}
		}
		if ack.str("id") != own.str("id") {
			t.Fatalf("ack %v, delivery %v: want the same id", ack, own)
		}
		if f := mrWait(bob, "bob's delivery", is("chat.delivery", "acks", ""), isPresence); f.str("id") != ack.str("id") {
			t.Fatalf("bob got %v, the ack said %s", f, ack.str("id"))
		}

		// Without a ref: the delivery, and no ack before a later pong.
		mrChat(alice, "acks", "two")
		mrWait(alice, "delivery of two", is("chat.delivery", "acks", ""), isPresence)
		mrQuiet(alice, "no-ack", isPresence)

		// A ref of 64 printable characters is fine and comes back as sent.
		long := `!"#$%&'()*+,-./:;<=>?@[\]^_{|}~` + "`" + strings.Repeat("A", 32)
		mrChat(alice, "acks", "three", "ref", long)
		mrAckAndDelivery(alice, "acks", long)

		// Errors carry the ref.
		mrError(alice, `{"type":"chat.message","room":"elsewhere","text":"x","ref":"e1"}`, "e1", "not_joined")
		mrError(alice, `{"type":"chat.message","room":"acks","text":"x","data":"`+strings.Repeat("d", 64)+`","ref":"e2"}`, "e2", "message_too_long")
		mrError(alice, `{"type":"chat.message","room":"acks","ref":"e3"}`, "e3", "bad_message")
		mrError(alice, `{"type":"nope","ref":"e4"}`, "e4", "unknown_type")
		mrError(alice, `{"type":"room.leave","room":"never","ref":"e5"}`, "e5", "not_joined")

		// Bad refs are bad_message, and nothing is delivered for them.
		for _, ref := range []string{`""`, `7`, `["r"]`, `"` + strings.Repeat("r", 65) + `"`, `"tab\there"`, `"caf\u00e9"`, `"nul\u0000"`} {
			alice.sendRaw(`{"type":"chat.message","room":"acks","text":"bad ref","ref":` + ref + `}`)
			if f := mrWait(alice, "bad_message for ref "+ref, is("system.error", "", ""), isPresence); f.str("code") != "bad_message" {
				t.Fatalf("ref %s: %v, want bad_message", ref, f)
			}
		}

		// Other direct answers carry the ref.
		alice.send(map[string]any{"type": "system.ping", "ref": "p"})
		mrKeys(t, mrWait(alice, "pong", is("system.pong", "", "p"), isPresence), "type", "ts", "ref")
		alice.send(map[string]any{"type": "presence.list", "room": "acks", "ref": "pl"})
		mrWait(alice, "presence.state", is("presence.state", "acks", "pl"), isPresence)
		alice.send(map[string]any{"type": "history.get", "room": "acks", "limit": 10, "ref": "hg"})
		page, _ := histPageFrame(alice, mrWait(alice, "history.page", is("history.page", "acks", "hg"), isPresence))
		if len(page) != 3 || !sameList(texts(page), []string{"one", "two", "three"}) {
			t.Fatalf("history %v, want one, two, three and nothing refused", texts(page))
		}
		for _, m := range page {
			if _, has := m["ref"]; has {
				t.Fatalf("a stored message carries its ref: %v", m)
			}
		}

		// bob saw exactly the three messages.
		for _, want := range []string{"two", "three"} {
			if f := mrWait(bob, "bob's delivery", is("chat.delivery", "acks", ""), isPresence); f.str("text") != want {
				t.Fatalf("bob got %v, want %s", f, want)
			}
		}
		mrQuiet(bob, "bob", isPresence)

		// A /ws/:room socket may use refs too; the room may be omitted.
		mrChat(bob, "", "from bob", "ref", "b1")
		mrAckAndDelivery(bob, "acks", "b1")
	})
}

// A /ws/:room client sees exactly the frames of protocol 1: no ref, no
// ack, a text-only delivery with the fields it always had, in order.
func TestMultiroomProtocolOneUnchanged(t *testing.T) {
	mrEach(t, mrConfig(), func(t *testing.T, env mrEnv) {
		alice := dial(t, env.a.node, "p1", "alice")
		mrMatch(t, mrRawAny(alice), `\{"type":"presence\.join","room":"p1","user":"alice","ts":[0-9]+\}`)
		bob := dial(t, env.b.node, "p1", "bob")
		bob.ready()
		// Read before bob leaves: a join and a leave within one presence
		// window cancel out, and alice would be told neither.
		mrMatch(t, mrRawAny(alice), `\{"type":"presence\.join","room":"p1","user":"bob","ts":[0-9]+\}`)

		alice.chat("hi <b>")
		for _, c := range []*client{alice, bob} {
			mrMatch(t, mrRaw(c), `\{"type":"chat\.delivery","room":"p1","user":"alice","text":"hi \\u003cb\\u003e","id":"[0-9a-f]{28}","ts":[0-9]+\}`)
		}
		alice.send(map[string]string{"type": "system.ping"})
		mrMatch(t, mrRaw(alice), `\{"type":"system\.pong","ts":[0-9]+\}`)
		alice.sendRaw(`{"type":"chat.message","room":"elsewhere","text":"x"}`)
		mrMatch(t, mrRaw(alice), `\{"type":"system\.error","code":"room_mismatch","message":"room must be this connection's room"\}`)
		alice.sendRaw(`{"type":"presence.list"}`)
		mrMatch(t, mrRaw(alice), `\{"type":"presence\.state","room":"p1","users":\["alice","bob"\]\}`)
		alice.sendRaw(`{"type":"history.get"}`)
		mrMatch(t, mrRaw(alice), `\{"type":"history\.page","room":"p1","messages":\[\{"type":"chat\.delivery","room":"p1","user":"alice","text":"hi \\u003cb\\u003e","id":"[0-9a-f]{28}","ts":[0-9]+\}\],"more":false\}`)
		mrQuiet(bob, "bob", isPresence)

		bob.ws.Close()
		mrMatch(t, mrRawAny(alice), `\{"type":"presence\.leave","room":"p1","user":"bob","ts":[0-9]+\}`)
	})
}

// mrAckAndDelivery reads c's ack with ref and its own delivery, in either
// order, and checks they name the same message.
func mrAckAndDelivery(c *client, room, ref string) {
	c.t.Helper()
	var ack, own frame
	for ack == nil || own == nil {
		f := mrWait(c, "ack "+ref+" and own delivery", func(f frame) bool {
			return is("chat.ack", room, ref)(f) || is("chat.delivery", room, "")(f)
		}, isPresence)
		if f.str("type") == "chat.ack" && ack == nil {
			ack = f
		} else if f.str("type") == "chat.delivery" && own == nil {
			own = f
		} else {
			c.t.Fatalf("a second %v", f)
		}
	}
	if ack.str("id") != own.str("id") {
		c.t.Fatalf("ack %v for delivery %v", ack, own)
	}
}

// mrMatch reports raw unless pattern matches all of it; the test goes on
// to the frames after it.
func mrMatch(t *testing.T, raw []byte, pattern string) {
	t.Helper()
	if !regexp.MustCompile(`^` + pattern + `$`).Match(raw) {
		t.Errorf("frame %s\nwant      %s", raw, pattern)
	}
}
