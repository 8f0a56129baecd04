package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

var knownCodes = map[ErrorCode]bool{CodeBadJSON: true, CodeBadMessage: true, CodeUnknownType: true}

var clientTypes = map[string]bool{TypeChatMessage: true, TypePing: true, TypePong: true, TypePresenceList: true, TypeAuthRefresh: true, TypeHistoryGet: true}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"chat.message","room":"test","text":"hi"}`, `{"type":"system.ping"}`,
		`{"type":"system.pong"}`, `{"type":"presence.list"}`, `{"type":1}`, `[]`, `42`, `"x"`,
		`null`, `{}`, `{"type":"chat.message"}`, `{"type":"chat.message","text":""}`,
		`{"type":"chat.message","text":5}`, `{"type":"chat.message","room":7,"text":"a"}`,
		`{"type":"chat.message","room":null,"text":"a","user":"root"}`,
		`{"type":"system.ping","x":[{"y":"]}\"["},[[]]],"z":"\\"}`,
		`{"t\u0079pe":"chat.message","text":"\ud83d\ude00\u0000"}`,
		`{"type":"system.ping","type":"system.pong"}`, "{\"type\":\"chat.message\",\"text\":\"\xff\"}",
		`{"type":"chat.delivery"}`, ` { "type" : "system.ping" } `, `{"type":"system.ping"}x`,
		`{"a":-1.5e+3,"b":true,"c":false,"d":null,"type":"presence.list"}`,
		`{"type":"history.get"}`, `{"type":"history.get","before":"019ad4c3e2a00000000000000001","limit":100}`,
		`{"type":"history.get","limit":0}`, `{"type":"history.get","limit":1e2}`, `{"type":"history.get","before":7}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := Decode(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !knownCodes[e.Code] || e.Message == "" {
				t.Fatalf("bad error %#v", err)
			}
			if in != (Inbound{}) {
				t.Fatalf("non-zero Inbound with error: %+v", in)
			}
			return
		}
		if !clientTypes[in.Type] || !json.Valid(data) || !utf8.ValidString(in.Room+in.Text) {
			t.Fatalf("accepted %q as %+v", data, in)
		}
		if (in.Type == TypeChatMessage) != (in.Text != "") {
			t.Fatalf("text rule broken: %+v", in)
		}
		if in.Type == TypeHistoryGet && (in.Limit < 1 || in.Limit > MaxPageLimit || (in.Before != "" && !ValidID(in.Before))) {
			t.Fatalf("history.get rule broken: %+v", in)
		}
		crossCheck(t, data, in)
	})
}

// crossCheck compares a successful Decode with encoding/json's reading.
func crossCheck(t *testing.T, data []byte, in Inbound) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("encoding/json rejects accepted %q: %v", data, err)
	}
	if m["type"] != in.Type {
		t.Fatalf("type %q, encoding/json %v", in.Type, m["type"])
	}
	if r, _ := m["room"].(string); r != in.Room {
		t.Fatalf("room %q, encoding/json %v", in.Room, m["room"])
	}
	if in.Type == TypeChatMessage && m["text"] != in.Text {
		t.Fatalf("text %q, encoding/json %v", in.Text, m["text"])
	}
}

func FuzzDelivery(f *testing.F) {
	f.Add("test", "u1", "hi", int64(1))
	f.Add("", "", "", int64(0))
	f.Add(`r"oom`, "u\\ser", "</script>&\u2028\x00\x1f", int64(-1))
	f.Add("\xff\xfe", "\xc3", "emoji 😀 \xed\xa0\x80", int64(1<<62))
	f.Add("\xca", "\x94", "0", int64(-10)) // invalid alone, valid if concatenated
	f.Fuzz(func(t *testing.T, room, user, text string, ts int64) {
		b := Delivery(room, user, text, "01ARZ3NDEKTSV4RRFFQ69G5FAV", ts)
		if !json.Valid(b) {
			t.Fatalf("invalid JSON: %q", b)
		}
		ref, _ := json.Marshal(struct {
			Type string `json:"type"`
			Room string `json:"room"`
			User string `json:"user"`
			Text string `json:"text"`
			ID   string `json:"id"`
			TS   int64  `json:"ts"`
		}{TypeChatDelivery, room, user, text, "01ARZ3NDEKTSV4RRFFQ69G5FAV", ts})
		if !bytes.Equal(b, ref) {
			t.Fatalf("got %s\nencoding/json %s", b, ref)
		}
		var got struct{ Room, User, Text string }
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		for _, p := range [][2]string{{got.Room, room}, {got.User, user}, {got.Text, text}} {
			if utf8.ValidString(p[1]) && p[0] != p[1] {
				t.Fatalf("round trip: %q became %q", p[1], p[0])
			}
		}
	})
}
