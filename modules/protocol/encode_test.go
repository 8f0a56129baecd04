package protocol

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

var nastyStrings = []string{
	"", "plain", `q"uo"te`, `back\slash`, "</script><script>alert(1)</script>",
	"a&b<c>d", "ctl\x00\x01\x07\b\f\n\r\t\x1f\x7f", "emoji 😀👍🏽 é 中文",
	"bad\xffutf8\xc3", "\xed\xa0\x80 surrogate", "line\u2028para\u2029", "\uFFFD",
	strings.Repeat("x", 5000),
}

// appendString must match encoding/json byte for byte.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	extra := []string{}
	for c := 0; c < 256; c++ {
		extra = append(extra, string([]byte{byte(c)}), "a"+string([]byte{byte(c)})+"b")
	}
	for _, s := range append(nastyStrings, extra...) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}

// decodeObject parses b as a JSON object, keeping key order.
func decodeObject(t *testing.T, b []byte) (keys []string, m map[string]any) {
	t.Helper()
	if !json.Valid(b) {
		t.Fatalf("invalid JSON: %s", b)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	dec = json.NewDecoder(bytes.NewReader(b))
	dec.Token() // '{'
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	return keys, m
}

// want converts s the way JSON encoding does: each invalid byte → U+FFFD.
func want(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r) // range yields U+FFFD per invalid byte
	}
	return b.String()
}

func checkFrame(t *testing.T, b []byte, keys []string, vals map[string]any) {
	t.Helper()
	gotKeys, got := decodeObject(t, b)
	if !reflect.DeepEqual(gotKeys, keys) {
		t.Fatalf("keys %v, want %v in %s", gotKeys, keys, b)
	}
	if !reflect.DeepEqual(got, vals) {
		t.Fatalf("got %#v\nwant %#v", got, vals)
	}
	var compact bytes.Buffer
	if json.Compact(&compact, b); !bytes.Equal(compact.Bytes(), b) {
		t.Fatalf("not compact: %s", b)
	}
}

func TestEncoders(t *testing.T) {
	const ts = int64(1735689600123)
	num := json.Number("1735689600123")
	for _, s := range nastyStrings {
		checkFrame(t, Delivery(s, s+"u", s+"t", nil, "01ID", ts),
			[]string{"type", "room", "user", "text", "id", "ts"},
			map[string]any{"type": "chat.delivery", "room": want(s), "user": want(s + "u"),
				"text": want(s + "t"), "id": "01ID", "ts": num})
		checkFrame(t, PresenceJoin(s, s+"u", ts), []string{"type", "room", "user", "ts"},
			map[string]any{"type": "presence.join", "room": want(s), "user": want(s + "u"), "ts": num})
		checkFrame(t, PresenceLeave(s, s+"u", ts), []string{"type", "room", "user", "ts"},
			map[string]any{"type": "presence.leave", "room": want(s), "user": want(s + "u"), "ts": num})
		checkFrame(t, ErrorFrame(CodeTextTooLong, s), []string{"type", "code", "message"},
			map[string]any{"type": "system.error", "code": "text_too_long", "message": want(s)})
		checkFrame(t, PresenceState(s, []string{"a", s}), []string{"type", "room", "users"},
			map[string]any{"type": "presence.state", "room": want(s), "users": []any{"a", want(s)}})
		checkFrame(t, PresenceDiff(s, []string{s, "b"}, []string{"c" + s}, ts), []string{"type", "room", "joins", "leaves", "ts"},
			map[string]any{"type": "presence.diff", "room": want(s), "joins": []any{want(s), "b"}, "leaves": []any{want("c" + s)}, "ts": num})
	}
	for _, ts := range []int64{0, -1, 1, ts, 1<<63 - 1, -1 << 63} {
		n := json.Number(strconv.FormatInt(ts, 10))
		checkFrame(t, Ping(ts), []string{"type", "ts"}, map[string]any{"type": "system.ping", "ts": n})
		checkFrame(t, Pong(ts), []string{"type", "ts"}, map[string]any{"type": "system.pong", "ts": n})
	}
}

func TestEncodersExact(t *testing.T) {
	cases := []struct {
		want string
		got  []byte
	}{
		{`{"type":"chat.delivery","room":"test","user":"u1","text":"hi","id":"X","ts":5}`, Delivery("test", "u1", "hi", nil, "X", 5)},
		{`{"type":"system.ping","ts":7}`, Ping(7)},
		{`{"type":"system.pong","ts":7}`, Pong(7)},
		{`{"type":"presence.state","room":"r","users":[]}`, PresenceState("r", nil)},
		{`{"type":"presence.state","room":"r","users":[]}`, PresenceState("r", []string{})},
		{`{"type":"presence.state","room":"r","users":["u1","u2"]}`, PresenceState("r", []string{"u1", "u2"})},
		{`{"type":"presence.join","room":"r","user":"u","ts":1}`, PresenceJoin("r", "u", 1)},
		{`{"type":"presence.diff","room":"r","joins":["a","b"],"leaves":[],"ts":3}`, PresenceDiff("r", []string{"a", "b"}, nil, 3)},
		{`{"type":"presence.diff","room":"r","joins":[],"leaves":["c"],"ts":3}`, PresenceDiff("r", []string{}, []string{"c"}, 3)},
		{`{"type":"presence.leave","room":"r","user":"u","ts":1}`, PresenceLeave("r", "u", 1)},
		{`{"type":"system.error","code":"bad_json","message":"m"}`, ErrorFrame(CodeBadJSON, "m")},
		{`{"type":"system.error","code":"rate_limited","message":"\u003c/script\u003e"}`, ErrorFrame(CodeRateLimited, "</script>")},
	}
	for _, c := range cases {
		if string(c.got) != c.want {
			t.Errorf("got  %s\nwant %s", c.got, c.want)
		}
	}
}

// Each call returns its own buffer.
func TestEncodersFresh(t *testing.T) {
	a, b := Delivery("r", "u", "t", nil, "i", 1), Delivery("r", "u", "t", nil, "i", 1)
	a[0] = 'X'
	if b[0] != '{' {
		t.Fatal("encoders share a buffer")
	}
}

func TestDeliveryDraftWithIDIsDelivery(t *testing.T) {
	for _, text := range []string{"hi", `a"b\c`, "héllo 👋", strings.Repeat("x", 5000), ""} {
		for _, data := range [][]byte{nil, []byte(`{"a":[1,"<b>"]}`), []byte(`null`), []byte(strings.Repeat("7", 3000))} {
			if text == "" && data == nil {
				continue
			}
			id := FormatID(1764500000000, 7)
			frame, at := DeliveryDraft("room", "u1", text, data, 1764500000123)
			SetID(frame, at, id)
			if want := Delivery("room", "u1", text, data, id, 1764500000123); string(frame) != string(want) {
				t.Fatalf("draft with id\n%s\nwant\n%s", frame, want)
			}
		}
	}
}

func TestHistoryFrames(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{string(Recovered("r", 3, true)), `{"type":"history.recovered","room":"r","count":3,"complete":true}`},
		{string(Recovered("r", 0, false)), `{"type":"history.recovered","room":"r","count":0,"complete":false}`},
		{string(HistoryPage("r", nil, false)), `{"type":"history.page","room":"r","messages":[],"more":false}`},
		{string(HistoryPage("r", [][]byte{[]byte(`{"a":1}`), []byte(`{"b":2}`)}, true)), `{"type":"history.page","room":"r","messages":[{"a":1},{"b":2}],"more":true}`},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got  %s\nwant %s", tc.got, tc.want)
		}
		if !json.Valid([]byte(tc.got)) {
			t.Errorf("not JSON: %s", tc.got)
		}
	}
}

// MaxDeliveryBytes bounds the worst deliveries: the longest room, a user
// and a text of the characters that escape the longest.
func TestMaxDeliveryBytes(t *testing.T) {
	room := strings.Repeat("r", 64)
	for _, tc := range []struct{ user, text string }{
		{strings.Repeat("<", MaxUserBytes), strings.Repeat("<", 4096)},
		{strings.Repeat("\x01", MaxUserBytes), strings.Repeat("\xff", 4096)},
		{"u", ""},
	} {
		frame, _ := DeliveryDraft(room, tc.user, tc.text, nil, 1<<62)
		if n := MaxDeliveryBytes(len(tc.text)); len(frame) > n {
			t.Errorf("%.10q: %d bytes, bound %d", tc.text, len(frame), n)
		}
	}
	// With data, the limit bounds text plus data; data is written as is.
	for _, tc := range []struct{ text, data string }{
		{"", `"` + strings.Repeat("x", 4094) + `"`},
		{strings.Repeat("<", 2048), `"` + strings.Repeat("x", 2046) + `"`},
		{strings.Repeat("<", 4095), `1`},
	} {
		user := strings.Repeat("<", MaxUserBytes)
		frame, _ := DeliveryDraft(room, user, tc.text, []byte(tc.data), 1<<62)
		limit := MessageBytes(tc.text, []byte(tc.data))
		if n := MaxDeliveryBytes(limit); len(frame) > n || limit != 4096 {
			t.Errorf("text %d, data %d: %d bytes, bound %d", len(tc.text), len(tc.data), len(frame), n)
		}
		if um := UserMessage(user, tc.text, []byte(tc.data), FormatID(1, 1), 1<<62); len(um) > MaxDeliveryBytes(limit) {
			t.Errorf("user.message: %d bytes, bound %d", len(um), MaxDeliveryBytes(limit))
		}
	}
}

func TestFrames2Exact(t *testing.T) {
	id := FormatID(1764500000000, 7)
	data := []byte(`{"x":[1,true,null,"<&>"]}`)
	cases := []struct {
		want string
		got  []byte
	}{
		{`{"type":"chat.delivery","room":"r","user":"u","text":"hi","data":{"x":[1,true,null,"<&>"]},"id":"I","ts":5}`, Delivery("r", "u", "hi", data, "I", 5)},
		{`{"type":"chat.delivery","room":"r","user":"u","data":{"x":[1,true,null,"<&>"]},"id":"I","ts":5}`, Delivery("r", "u", "", data, "I", 5)},
		{`{"type":"chat.delivery","room":"r","user":"u","data":0,"id":"I","ts":5}`, Delivery("r", "u", "", []byte("0"), "I", 5)},
		{`{"type":"chat.delivery","room":"r","user":"u","text":"hi","id":"I","ts":5}`, Delivery("r", "u", "hi", []byte{}, "I", 5)},
		{`{"type":"room.joined","room":"lobby"}`, RoomJoined("lobby")},
		{`{"type":"room.left","room":"lobby","reason":"left"}`, RoomLeft("lobby", LeftByClient)},
		{`{"type":"room.left","room":"lobby","reason":"forbidden"}`, RoomLeft("lobby", LeftForbidden)},
		{`{"type":"room.left","room":"lobby","reason":"disconnected"}`, RoomLeft("lobby", LeftDisconnected)},
		{`{"type":"chat.ack","room":"lobby","ref":"c1","id":"` + id + `","ts":9}`, ChatAck("lobby", "c1", id, 9)},
		{`{"type":"room.signal","room":"r","user":"u","data":{"x":[1,true,null,"<&>"]},"ts":-1}`, Signal("r", "u", data, -1)},
		{`{"type":"room.signal","room":"r","user":"u","data":null,"ts":1}`, Signal("r", "u", nil, 1)},
		{`{"type":"user.message","user":"u","text":"hi","id":"I","ts":3}`, UserMessage("u", "hi", nil, "I", 3)},
		{`{"type":"user.message","user":"u","data":[],"id":"I","ts":3}`, UserMessage("u", "", []byte("[]"), "I", 3)},
		{`{"type":"user.message","user":"u","text":"a","data":"b","id":"I","ts":3}`, UserMessage("u", "a", []byte(`"b"`), "I", 3)},
		{`{"type":"room.joined","room":"lobby","ref":"j-1"}`, WithRef(RoomJoined("lobby"), "j-1")},
		{`{"type":"system.pong","ts":7,"ref":"p"}`, WithRef(Pong(7), "p")},
		{`{"type":"system.error","code":"not_joined","message":"m","ref":"a\"b\\c \u003c~"}`, WithRef(ErrorFrame(CodeNotJoined, "m"), `a"b\c <~`)},
		{`{"type":"history.page","room":"r","messages":[],"more":false,"ref":"h"}`, WithRef(HistoryPage("r", nil, false), "h")},
		{`{"type":"auth.refreshed","exp":0,"ref":"x"}`, WithRef(AuthRefreshed(0), "x")},
		{`{"ref":"x"}`, WithRef([]byte(`{}`), "x")},
	}
	for _, c := range cases {
		if string(c.got) != c.want {
			t.Errorf("got  %s\nwant %s", c.got, c.want)
		}
		if !json.Valid(c.got) {
			t.Errorf("not JSON: %s", c.got)
		}
	}
}

func TestFrames2(t *testing.T) {
	const ts = int64(1735689600123)
	num := json.Number("1735689600123")
	data := []byte(`{"a":[1,2.5e3,"s",{"b":null}],"c":false}`)
	var dataVal any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&dataVal); err != nil {
		t.Fatal(err)
	}
	for _, s := range nastyStrings {
		checkFrame(t, Delivery(s, s+"u", s+"t", data, "01ID", ts),
			[]string{"type", "room", "user", "text", "data", "id", "ts"},
			map[string]any{"type": "chat.delivery", "room": want(s), "user": want(s + "u"),
				"text": want(s + "t"), "data": dataVal, "id": "01ID", "ts": num})
		checkFrame(t, RoomJoined(s), []string{"type", "room"}, map[string]any{"type": "room.joined", "room": want(s)})
		checkFrame(t, RoomLeft(s, LeftForbidden), []string{"type", "room", "reason"},
			map[string]any{"type": "room.left", "room": want(s), "reason": "forbidden"})
		checkFrame(t, ChatAck(s, s+"r", "01ID", ts), []string{"type", "room", "ref", "id", "ts"},
			map[string]any{"type": "chat.ack", "room": want(s), "ref": want(s + "r"), "id": "01ID", "ts": num})
		checkFrame(t, Signal(s, s+"u", data, ts), []string{"type", "room", "user", "data", "ts"},
			map[string]any{"type": "room.signal", "room": want(s), "user": want(s + "u"), "data": dataVal, "ts": num})
		keys := []string{"type", "user", "text", "data", "id", "ts"}
		vals := map[string]any{"type": "user.message", "user": want(s), "text": want(s), "data": dataVal, "id": "01ID", "ts": num}
		if s == "" {
			keys = []string{"type", "user", "data", "id", "ts"}
			delete(vals, "text")
		}
		checkFrame(t, UserMessage(s, s, data, "01ID", ts), keys, vals)
		checkFrame(t, WithRef(RoomLeft("r", LeftByClient), s+"x"), []string{"type", "room", "reason", "ref"},
			map[string]any{"type": "room.left", "room": "r", "reason": "left", "ref": want(s + "x")})
	}
}

// A text-only delivery is the protocol-1 frame: these are the bytes
// Delivery wrote before it took data.
func TestDeliveryTextOnlyUnchanged(t *testing.T) {
	legacy := func(room, user, text, id string, ts int64) []byte {
		b := []byte(`{"type":"chat.delivery","room":`)
		b = appendString(b, room)
		b = appendString(append(b, `,"user":`...), user)
		b = appendString(append(b, `,"text":`...), text)
		b = appendString(append(b, `,"id":`...), id)
		return appendTS(b, ts)
	}
	for _, s := range nastyStrings {
		if s == "" {
			continue
		}
		id := FormatID(1764500000000, 3)
		if got, w := Delivery("r", s+"u", s, nil, id, 42), legacy("r", s+"u", s, id, 42); !bytes.Equal(got, w) {
			t.Fatalf("got  %s\nwant %s", got, w)
		}
		frame, at := DeliveryDraft("r", s+"u", s, nil, 42)
		SetID(frame, at, id)
		if w := legacy("r", s+"u", s, id, 42); !bytes.Equal(frame, w) {
			t.Fatalf("draft %s\nwant  %s", frame, w)
		}
	}
}

func TestWithRef(t *testing.T) {
	frame := RoomJoined("r")
	if got := WithRef(frame, ""); &got[0] != &frame[0] || len(got) != len(frame) {
		t.Fatal("WithRef with no ref must return the frame itself")
	}
	before := string(frame)
	got := WithRef(frame, "q")
	if string(frame) != before || &got[0] == &frame[0] {
		t.Fatalf("WithRef changed or reused its input: %s", frame)
	}
	for _, odd := range [][]byte{nil, {}, []byte("x"), []byte(`{"a":1`)} {
		if got := WithRef(odd, "q"); !bytes.Equal(got, odd) {
			t.Errorf("WithRef(%q) = %q, want it unchanged", odd, got)
		}
	}
	// The ref a decoded frame carries comes back as it was sent.
	in, err := Decode([]byte(`{"type":"system.ping","ref":"a\"b\\c <>&~ \u0041"}`))
	if err != nil {
		t.Fatal(err)
	}
	var back struct{ Ref string }
	if err := json.Unmarshal(WithRef(Pong(1), in.Ref), &back); err != nil || back.Ref != `a"b\c <>&~ A` {
		t.Fatalf("ref %q, %v", back.Ref, err)
	}
}

func TestMessageBytes(t *testing.T) {
	if n := MessageBytes("héllo", []byte(`{"a":1}`)); n != 6+7 {
		t.Fatalf("MessageBytes = %d", n)
	}
	if n := MessageBytes("", nil); n != 0 {
		t.Fatalf("MessageBytes = %d", n)
	}
}
