package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"
	"unicode/utf8"
)

var knownCodes = map[ErrorCode]bool{CodeBadJSON: true, CodeBadMessage: true, CodeUnknownType: true, CodeBadSince: true}

var clientTypes = map[string]bool{
	TypeChatMessage: true, TypePing: true, TypePong: true, TypePresenceList: true, TypeAuthRefresh: true,
	TypeHistoryGet: true, TypeRoomJoin: true, TypeRoomLeave: true, TypeRoomSignal: true,
}

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
		// protocol 2
		`{"type":"room.join","room":"lobby","ref":"j1"}`,
		`{"type":"room.join","room":"lobby","since":"019ad4c3e2a00000000000000001"}`,
		`{"type":"room.join","room":"lobby","since":"nope","ref":"j2"}`, `{"type":"room.join","ref":"j3"}`,
		`{"type":"room.leave","room":"lobby","ref":"l1"}`, `{"type":"room.leave"}`,
		`{"type":"room.signal","room":"r","data":{"sdp":"v=0\r\n","x":[1,2]}}`,
		`{"type":"room.signal","data":null}`, `{"type":"room.signal", "data" : [ 1 , { "a" : " b " } ] }`,
		`{"type":"chat.message","data":{"k":"v"},"ref":"c1"}`, `{"type":"chat.message","text":"","data":0}`,
		`{"type":"chat.message","text":null,"data":"x","data":"y"}`, `{"type":"chat.message","text":1,"data":true}`,
		`{"type":"system.ping","ref":"\u007f"}`, `{"type":"system.ping","ref":5}`, `{"type":"system.ping","ref":""}`,
		`{"type":"presence.list","ref":"0123456789012345678901234567890123456789012345678901234567890123"}`,
		`{"type":"room.signal","data":"\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}`,
		`{"type":"room.signal","data":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["\\"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := Decode(data)
		if err != nil {
			checkFailure(t, in, err)
			return
		}
		if !clientTypes[in.Type] || !json.Valid(data) || !utf8.ValidString(in.Room+in.Text+in.Ref) {
			t.Fatalf("accepted %q as %+v", data, in)
		}
		if d := depth(t, data); d > MaxDepth {
			t.Fatalf("accepted a frame %d deep: %q", d, data)
		}
		checkRules(t, in)
		crossCheck(t, data, in)
		reencode(t, in)
	})
}

// checkFailure: a failure is a *Error of a known code, with only the type
// and a valid ref kept.
func checkFailure(t *testing.T, in Inbound, err error) {
	var e *Error
	if !errors.As(err, &e) || !knownCodes[e.Code] || e.Message == "" {
		t.Fatalf("bad error %#v", err)
	}
	if !reflect.DeepEqual(in, Inbound{Type: in.Type, Ref: in.Ref}) {
		t.Fatalf("more than type and ref with an error: %+v", in)
	}
	if in.Type != "" && !clientTypes[in.Type] || in.Ref != "" && !validRef(in.Ref) {
		t.Fatalf("bad type or ref with an error: %+v", in)
	}
}

// checkRules checks what each type promises of a decoded frame.
func checkRules(t *testing.T, in Inbound) {
	if in.Ref != "" && !validRef(in.Ref) {
		t.Fatalf("ref rule broken: %+v", in)
	}
	carriesData := in.Type == TypeChatMessage || in.Type == TypeRoomSignal
	if in.Data != nil && (!carriesData || !json.Valid(in.Data)) {
		t.Fatalf("data rule broken: %+v", in)
	}
	switch in.Type {
	case TypeChatMessage:
		if in.Text == "" && in.Data == nil {
			t.Fatalf("chat rule broken: %+v", in)
		}
	case TypeRoomSignal:
		if in.Data == nil {
			t.Fatalf("signal rule broken: %+v", in)
		}
	case TypeRoomJoin, TypeRoomLeave:
		if in.Room == "" || in.Since != "" && (in.Type != TypeRoomJoin || !ValidID(in.Since)) {
			t.Fatalf("join/leave rule broken: %+v", in)
		}
	case TypeHistoryGet:
		if in.Limit < 1 || in.Limit > MaxPageLimit || (in.Before != "" && !ValidID(in.Before)) {
			t.Fatalf("history.get rule broken: %+v", in)
		}
	default:
		if in.Text != "" {
			t.Fatalf("text on %+v", in)
		}
	}
}

// depth is how deeply data nests, as encoding/json reads it.
func depth(t *testing.T, data []byte) int {
	dec := json.NewDecoder(bytes.NewReader(data))
	d, most := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return most
		}
		if err != nil {
			t.Fatalf("encoding/json rejects accepted %q: %v", data, err)
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			d++
			most = max(most, d)
		case json.Delim('}'), json.Delim(']'):
			d--
		}
	}
}

// crossCheck compares a successful Decode with encoding/json's reading.
func crossCheck(t *testing.T, data []byte, in Inbound) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("encoding/json rejects accepted %q: %v", data, err)
	}
	str := func(key string) string {
		var s string
		json.Unmarshal(m[key], &s) // null and absent leave ""
		return s
	}
	if str("type") != in.Type || str("room") != in.Room || str("ref") != in.Ref {
		t.Fatalf("%+v, encoding/json %q", in, m)
	}
	if in.Type == TypeChatMessage && str("text") != in.Text {
		t.Fatalf("text %q, encoding/json %s", in.Text, m["text"])
	}
	if in.Data != nil {
		var want bytes.Buffer
		if err := json.Compact(&want, m["data"]); err != nil || !bytes.Equal(in.Data, want.Bytes()) {
			t.Fatalf("data %s, encoding/json %s", in.Data, want.Bytes())
		}
	}
}

// reencode checks that what a decoded frame holds encodes to valid JSON in
// the frames that carry it.
func reencode(t *testing.T, in Inbound) {
	id := FormatID(1764500000000, 1)
	frames := [][]byte{WithRef(ErrorFrame(CodeBadRoom, "m"), in.Ref), WithRef(RoomJoined(in.Room), in.Ref),
		WithRef(RoomLeft(in.Room, LeftByClient), in.Ref), ChatAck(in.Room, in.Ref, id, 1)}
	switch in.Type {
	case TypeChatMessage:
		draft, at := DeliveryDraft(in.Room, "u", in.Text, in.Data, 1)
		SetID(draft, at, id)
		frames = append(frames, Delivery(in.Room, "u", in.Text, in.Data, id, 1), draft,
			UserMessage("u", in.Text, in.Data, id, 1))
	case TypeRoomSignal:
		frames = append(frames, Signal(in.Room, "u", in.Data, 1))
	}
	for _, b := range frames {
		if !json.Valid(b) {
			t.Fatalf("%+v encodes as invalid JSON: %s", in, b)
		}
	}
}

func FuzzDelivery(f *testing.F) {
	f.Add("test", "u1", "hi", []byte(nil), int64(1))
	f.Add("", "", "", []byte(nil), int64(0))
	f.Add(`r"oom`, "u\\ser", "</script>&\u2028\x00\x1f", []byte(`{"a" : "</script>"}`), int64(-1))
	f.Add("\xff\xfe", "\xc3", "emoji 😀 \xed\xa0\x80", []byte("[1, 2.5e3, null]"), int64(1<<62))
	f.Add("\xca", "\x94", "0", []byte(`"\ud800"`), int64(-10)) // invalid alone, valid if concatenated
	f.Add("r", "u", "", []byte(`{"sdp":"v=0\r\n"}`), int64(7))
	f.Fuzz(func(t *testing.T, room, user, text string, data []byte, ts int64) {
		data = compactOrNil(data)
		const id = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
		b := Delivery(room, user, text, data, id, ts)
		if !json.Valid(b) {
			t.Fatalf("invalid JSON: %q", b)
		}
		if data == nil {
			ref, _ := json.Marshal(struct {
				Type string `json:"type"`
				Room string `json:"room"`
				User string `json:"user"`
				Text string `json:"text,omitempty"`
				ID   string `json:"id"`
				TS   int64  `json:"ts"`
			}{TypeChatDelivery, room, user, text, id, ts})
			if !bytes.Equal(b, ref) {
				t.Fatalf("got %s\nencoding/json %s", b, ref)
			}
		}
		checkRoundTrip(t, b, room, user, text, data)
		checkRoundTrip(t, UserMessage(user, text, data, id, ts), "", user, text, data)
		checkRoundTrip(t, WithRef(Signal(room, user, data, ts), text), room, user, "", data)
		checkRoundTrip(t, ChatAck(room, text, id, ts), room, "", "", nil)
		checkRoundTrip(t, WithRef(RoomLeft(room, text), user), room, "", "", nil)
	})
}

// compactOrNil returns data compacted when it is one JSON value, else nil.
func compactOrNil(data []byte) []byte {
	var b bytes.Buffer
	if len(data) == 0 || json.Compact(&b, data) != nil {
		return nil
	}
	return b.Bytes()
}

// checkRoundTrip checks that frame is valid JSON in which the fields given
// (not "") read back as they were, where valid UTF-8, and data is as given.
func checkRoundTrip(t *testing.T, frame []byte, room, user, text string, data []byte) {
	var got struct {
		Room, User, Text string
		Data             json.RawMessage
	}
	if err := json.Unmarshal(frame, &got); err != nil {
		t.Fatalf("%v: %q", err, frame)
	}
	for _, p := range [][2]string{{got.Room, room}, {got.User, user}, {got.Text, text}} {
		if utf8.ValidString(p[1]) && p[0] != p[1] {
			t.Fatalf("round trip: %q became %q in %s", p[1], p[0], frame)
		}
	}
	if data != nil && !bytes.Equal(got.Data, data) {
		t.Fatalf("data %s became %s", data, got.Data)
	}
}
