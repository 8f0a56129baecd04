package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// mrDataCase is one chat.message with data: the data as JSON text, and
// the text sent with it ("" for none).
type mrDataCase struct{ data, text string }

var mrDataCases = []mrDataCase{
	{`{"kind":"reaction","emoji":"👍","to":"m1","n":3}`, ""},
	{`[1,"two",{"three":3},[4],null,true]`, ""},
	{`"just a string <&> \"quoted\" \u2028"`, ""},
	{`12345678901234567890`, ""}, // past float64's integers: kept as written
	{`-3.25`, ""},
	{`true`, ""},
	{`false`, ""}, // falsy values are given, not absent
	{`0`, ""},
	{`""`, ""},
	{`{}`, ""},
	{`[]`, ""},
	{`{"a":{"b":{"c":[{"d":[1,2,{"e":"deep"}]}]}}}`, ""},
	{` { "spaced" : [ 1 , 2 ] } `, ""},
	{`{"link":"https://example.com/x?a=1&b=2"}`, "text and data"},
	{strings.Repeat("[", 30) + strings.Repeat("]", 30), ""}, // 31 levels with the frame: allowed
}

// data round-trips as sent (compared as parsed JSON, numbers to the
// digit) in chat.delivery on both nodes, in history.get and in the API's
// history; text is present only when sent. Bad data is refused and
// nothing is delivered for it.
func TestMultiroomDataRoundTrips(t *testing.T) {
	cfg := mrConfig()
	cfg.MaxMessageBytes = 256
	mrEach(t, cfg, func(t *testing.T, env mrEnv) {
		bob := dial(t, env.b.node, "data", "bob")
		bob.ready()
		alice := dialMulti(t, env.a.node, "alice")
		alice.ready()
		mrJoin(alice, "data", "j")

		for i, tc := range mrDataCases {
			text := ""
			if tc.text != "" {
				text = `"text":"` + tc.text + `",`
			}
			alice.sendRaw(fmt.Sprintf(`{"type":"chat.message","room":"data",%s"data":%s,"ref":"d%d"}`, text, tc.data, i))
			for _, c := range []*client{alice, bob} {
				mrCheckData(t, mrDecode(t, mrRawType(c, "chat.delivery")), tc)
			}
		}
		mrQuiet(bob, "bob", isPresence)

		// History holds the same, in both readers.
		alice.send(map[string]any{"type": "history.get", "room": "data", "limit": 100})
		mrCheckPage(t, mrDecode(t, mrRawType(alice, "history.page")))
		for _, n := range []*apiNode{env.a, env.b} {
			status, body := n.call(t, "GET", "/api/rooms/data/history?limit=100", "Bearer "+apiKey, "")
			if status != 200 {
				t.Fatalf("API history: %d %s", status, body)
			}
			mrCheckPage(t, mrDecode(t, body))
		}

		// The API publishes data too.
		got := env.a.ok(t, "POST", "/api/rooms/data/messages", `{"user":"bot","data":{"from":"backend","n":[1,2]}}`, 201)
		for _, c := range []*client{alice, bob} {
			f := mrDecode(t, mrRawType(c, "chat.delivery"))
			mrCheckData(t, f, mrDataCase{data: `{"from":"backend","n":[1,2]}`})
			if f.str("id") != got["id"] || f.str("user") != "bot" {
				t.Fatalf("delivery %v of the API's message %v", f, got)
			}
		}

		long := strings.Repeat("x", 250)
		deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
		for _, tt := range []struct{ frame, code string }{
			{`{"type":"chat.message","room":"data","data":null,"ref":"e"}`, "bad_message"},
			{`{"type":"chat.message","room":"data","text":"","data":null,"ref":"e"}`, "bad_message"},
			{`{"type":"chat.message","room":"data","text":null,"data":null,"ref":"e"}`, "bad_message"},
			{`{"type":"chat.message","room":"data","text":"` + long + `","data":"` + long[:10] + `","ref":"e"}`, "message_too_long"},
			{`{"type":"chat.message","room":"data","data":"` + long + long + `","ref":"e"}`, "message_too_long"},
			{`{"type":"chat.message","room":"data","text":"` + long + long + `","ref":"e"}`, "text_too_long"},
			{`{"type":"chat.message","room":"data","data":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `,"ref":"e"}`, "bad_json"},
			{`{"type":"chat.message","room":"data","data":` + deep + `,"ref":"e"}`, "bad_json"},
		} {
			alice.sendRaw(tt.frame)
			f := mrWait(alice, "the error", is("system.error", "", ""), isPresence)
			if f.str("code") != tt.code {
				t.Errorf("%.90s: got %v, want %s", tt.frame, f, tt.code)
			}
		}
		alice.sendRaw(`{"type":"chat.message","room":"data","data":}`)
		if f := mrWait(alice, "bad_json", is("system.error", "", ""), isPresence); f.str("code") != "bad_json" {
			t.Errorf("malformed data: %v, want bad_json", f)
		}
		// Nothing refused reached bob; alice's socket still works.
		mrQuiet(bob, "bob after the refusals", isPresence)
		alice.sendRaw(`{"type":"chat.message","room":"data","text":"ok"}`)
		if f := mrWait(bob, "ok", is("chat.delivery", "data", ""), isPresence); f.str("text") != "ok" {
			t.Fatalf("bob got %v", f)
		}
	})
}

// mrRawType reads c's frames up to the next one of type typ and returns
// its bytes; alice's own acks and presence may come first.
func mrRawType(c *client, typ string) []byte {
	c.t.Helper()
	for {
		raw := mrRaw(c)
		switch mrDecode(c.t, raw).str("type") {
		case typ:
			return raw
		case "chat.ack":
		default:
			c.t.Fatalf("waiting for %s: %s", typ, raw)
		}
	}
}

// mrCheckData checks a chat.delivery of tc.
func mrCheckData(t *testing.T, f frame, tc mrDataCase) {
	t.Helper()
	if f.str("type") != "chat.delivery" || !sameJSON(t, f["data"], tc.data) {
		t.Fatalf("delivery %v, want data %s", f, tc.data)
	}
	if tc.text == "" {
		mrKeys(t, f, "type", "room", "user", "data", "id", "ts")
	} else if f.str("text") != tc.text {
		t.Fatalf("delivery %v, want text %q", f, tc.text)
	} else {
		mrKeys(t, f, "type", "room", "user", "text", "data", "id", "ts")
	}
}

// mrCheckPage checks a history page of room data holds the cases in order.
func mrCheckPage(t *testing.T, page frame) {
	t.Helper()
	msgs, _ := page["messages"].([]any)
	if page.str("type") != "history.page" || len(msgs) != len(mrDataCases) {
		t.Fatalf("page %v, want %d messages", page, len(mrDataCases))
	}
	for i, m := range msgs {
		obj, _ := m.(map[string]any)
		mrCheckData(t, frame(obj), mrDataCases[i])
	}
}
