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
		checkFrame(t, Delivery(s, s+"u", s+"t", "01ID", ts),
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
		{`{"type":"chat.delivery","room":"test","user":"u1","text":"hi","id":"X","ts":5}`, Delivery("test", "u1", "hi", "X", 5)},
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
	a, b := Delivery("r", "u", "t", "i", 1), Delivery("r", "u", "t", "i", 1)
	a[0] = 'X'
	if b[0] != '{' {
		t.Fatal("encoders share a buffer")
	}
}

func TestDeliveryDraftWithIDIsDelivery(t *testing.T) {
	for _, text := range []string{"hi", `a"b\c`, "héllo 👋", strings.Repeat("x", 5000)} {
		id := FormatID(1764500000000, 7)
		frame, at := DeliveryDraft("room", "u1", text, 1764500000123)
		SetID(frame, at, id)
		if want := Delivery("room", "u1", text, id, 1764500000123); string(frame) != string(want) {
			t.Fatalf("draft with id\n%s\nwant\n%s", frame, want)
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
		frame, _ := DeliveryDraft(room, tc.user, tc.text, 1<<62)
		if n := MaxDeliveryBytes(len(tc.text)); len(frame) > n {
			t.Errorf("%.10q: %d bytes, bound %d", tc.text, len(frame), n)
		}
	}
}
