package protocol

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func TestDecode(t *testing.T) {
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	okDeep := strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1)
	tests := []struct {
		name string
		in   string
		want Inbound
		code ErrorCode // "" means success
	}{
		{"chat", `{"type":"chat.message","room":"test","text":"hi"}`, Inbound{Type: TypeChatMessage, Room: "test", Text: "hi"}, ""},
		{"chat no room", `{"type":"chat.message","text":"hi"}`, Inbound{Type: TypeChatMessage, Room: "", Text: "hi"}, ""},
		{"chat room null", `{"type":"chat.message","room":null,"text":"hi"}`, Inbound{Type: TypeChatMessage, Room: "", Text: "hi"}, ""},
		{"chat room empty", `{"type":"chat.message","room":"","text":"hi"}`, Inbound{Type: TypeChatMessage, Room: "", Text: "hi"}, ""},
		{"ping", `{"type":"system.ping"}`, Inbound{Type: TypePing}, ""},
		{"pong", `{"type":"system.pong"}`, Inbound{Type: TypePong}, ""},
		{"presence list", `{"type":"presence.list"}`, Inbound{Type: TypePresenceList}, ""},
		{"auth refresh", `{"type":"auth.refresh","token":"a.b.c"}`, Inbound{Type: TypeAuthRefresh, Token: "a.b.c"}, ""},
		{"auth refresh without token", `{"type":"auth.refresh"}`, Inbound{}, CodeBadMessage},
		{"auth refresh empty token", `{"type":"auth.refresh","token":""}`, Inbound{}, CodeBadMessage},
		{"auth refresh numeric token", `{"type":"auth.refresh","token":5}`, Inbound{}, CodeBadMessage},
		{"server-only auth.refreshed", `{"type":"auth.refreshed"}`, Inbound{}, CodeUnknownType},
		{"whitespace", " \t\r\n{ \"type\" : \"system.ping\" } \n", Inbound{Type: TypePing}, ""},
		{"text ignored on ping", `{"type":"system.ping","text":5}`, Inbound{Type: TypePing}, ""},
		{"extra fields", `{"a":1,"type":"chat.message","b":[1,{"c":"}"}],"text":"hi","d":{"e":null},"f":true,"g":-1.5e3}`, Inbound{Type: TypeChatMessage, Room: "", Text: "hi"}, ""},
		{"forged user", `{"type":"chat.message","text":"hi","user":"admin","id":"x","ts":1}`, Inbound{Type: TypeChatMessage, Room: "", Text: "hi"}, ""},
		{"nested garbage ignored", `{"type":"system.ping","x":{"y":[[[{"z":"]}\"["}]]],"w":"\\"}}`, Inbound{Type: TypePing}, ""},
		{"deep but legal nesting ignored", `{"type":"system.ping","x":` + okDeep + `}`, Inbound{Type: TypePing}, ""},
		{"escapes", `{"type":"chat.message","text":"a\"b\\c\u00e9\n\ud83d\ude00"}`, Inbound{Type: TypeChatMessage, Room: "", Text: "a\"b\\cé\n😀"}, ""},
		{"lone surrogate escape", `{"type":"chat.message","text":"\ud800"}`, Inbound{Type: TypeChatMessage, Room: "", Text: "\uFFFD"}, ""},
		{"escaped key", `{"t\u0079pe":"system.ping"}`, Inbound{Type: TypePing}, ""},
		{"escaped type value", `{"type":"system\u002eping"}`, Inbound{Type: TypePing}, ""},
		{"utf8 text", `{"type":"chat.message","text":"héllo 👋"}`, Inbound{Type: TypeChatMessage, Room: "", Text: "héllo 👋"}, ""},
		{"whitespace text", `{"type":"chat.message","text":" "}`, Inbound{Type: TypeChatMessage, Room: "", Text: " "}, ""},

		{"history get", `{"type":"history.get"}`, Inbound{Type: TypeHistoryGet, Limit: 50}, ""},
		{"history get null fields", `{"type":"history.get","before":null,"limit":null}`, Inbound{Type: TypeHistoryGet, Limit: 50}, ""},
		{"history get before and limit", `{"type":"history.get","before":"019ad4c3e2a00000000000000001","limit":100}`, Inbound{Type: TypeHistoryGet, Before: "019ad4c3e2a00000000000000001", Limit: 100}, ""},
		{"history get limit 1", `{"type":"history.get","limit":1}`, Inbound{Type: TypeHistoryGet, Limit: 1}, ""},
		{"history get limit 0", `{"type":"history.get","limit":0}`, Inbound{}, CodeBadMessage},
		{"history get limit 101", `{"type":"history.get","limit":101}`, Inbound{}, CodeBadMessage},
		{"history get limit negative", `{"type":"history.get","limit":-1}`, Inbound{}, CodeBadMessage},
		{"history get limit fraction", `{"type":"history.get","limit":5.0}`, Inbound{}, CodeBadMessage},
		{"history get limit exponent", `{"type":"history.get","limit":1e1}`, Inbound{}, CodeBadMessage},
		{"history get limit string", `{"type":"history.get","limit":"5"}`, Inbound{}, CodeBadMessage},
		{"history get limit huge", `{"type":"history.get","limit":99999999999999999999999}`, Inbound{}, CodeBadMessage},
		{"history get before not an id", `{"type":"history.get","before":"x"}`, Inbound{}, CodeBadMessage},
		{"history get before upper case", `{"type":"history.get","before":"019AD4C3E2A00000000000000001"}`, Inbound{}, CodeBadMessage},
		{"history get before number", `{"type":"history.get","before":5}`, Inbound{}, CodeBadMessage},
		{"history get duplicate limit", `{"type":"history.get","limit":5,"limit":6}`, Inbound{}, CodeBadMessage},
		{"limit ignored on ping", `{"type":"system.ping","limit":"x","before":1}`, Inbound{Type: TypePing}, ""},
		{"server-only history.page", `{"type":"history.page"}`, Inbound{}, CodeUnknownType},

		{"empty input", ``, Inbound{}, CodeBadJSON},
		{"spaces only", "  ", Inbound{}, CodeBadJSON},
		{"invalid json", `{"type":`, Inbound{}, CodeBadJSON},
		{"single quotes", `{'type':'system.ping'}`, Inbound{}, CodeBadJSON},
		{"trailing comma", `{"type":"system.ping",}`, Inbound{}, CodeBadJSON},
		{"array", `[]`, Inbound{}, CodeBadJSON},
		{"array of object", `[{"type":"system.ping"}]`, Inbound{}, CodeBadJSON},
		{"number", `42`, Inbound{}, CodeBadJSON},
		{"string", `"x"`, Inbound{}, CodeBadJSON},
		{"null", `null`, Inbound{}, CodeBadJSON},
		{"true", `true`, Inbound{}, CodeBadJSON},
		{"trailing garbage", `{"type":"system.ping"}x`, Inbound{}, CodeBadJSON},
		{"two objects", `{"type":"system.ping"}{"type":"system.ping"}`, Inbound{}, CodeBadJSON},
		{"invalid utf8 in text", "{\"type\":\"chat.message\",\"text\":\"\xff\"}", Inbound{}, CodeBadJSON},
		{"invalid utf8 in unknown key", "{\"type\":\"system.ping\",\"\xc3\":1}", Inbound{}, CodeBadJSON},
		{"raw control char", "{\"type\":\"chat.message\",\"text\":\"a\x01\"}", Inbound{}, CodeBadJSON},
		{"huge nesting", `{"type":"system.ping","x":` + deep + `}`, Inbound{}, CodeBadJSON},
		{"huge nesting bare", deep, Inbound{}, CodeBadJSON},
		{"bad escape", `{"type":"chat.message","text":"\x"}`, Inbound{}, CodeBadJSON},
		{"bom", "\xef\xbb\xbf{\"type\":\"system.ping\"}", Inbound{}, CodeBadJSON},

		{"empty object", `{}`, Inbound{}, CodeBadMessage},
		{"type number", `{"type":1}`, Inbound{}, CodeBadMessage},
		{"type null", `{"type":null}`, Inbound{}, CodeBadMessage},
		{"type object", `{"type":{"x":"chat.message"}}`, Inbound{}, CodeBadMessage},
		{"type array", `{"type":["system.ping"]}`, Inbound{}, CodeBadMessage},
		{"type wrong case key", `{"Type":"system.ping"}`, Inbound{}, CodeBadMessage},
		{"duplicate type", `{"type":"system.ping","type":"chat.message"}`, Inbound{}, CodeBadMessage},
		{"duplicate text", `{"type":"chat.message","text":"a","text":"b"}`, Inbound{}, CodeBadMessage},
		{"duplicate room", `{"type":"chat.message","room":"a","room":"b","text":"x"}`, Inbound{}, CodeBadMessage},
		{"duplicate escaped key", `{"type":"system.ping","typ\u0065":"system.ping"}`, Inbound{}, CodeBadMessage},
		{"chat no text", `{"type":"chat.message"}`, Inbound{}, CodeBadMessage},
		{"chat text empty", `{"type":"chat.message","text":""}`, Inbound{}, CodeBadMessage},
		{"chat text number", `{"type":"chat.message","text":5}`, Inbound{}, CodeBadMessage},
		{"chat text null", `{"type":"chat.message","text":null}`, Inbound{}, CodeBadMessage},
		{"chat text array", `{"type":"chat.message","text":["hi"]}`, Inbound{}, CodeBadMessage},
		{"chat room number", `{"type":"chat.message","room":7,"text":"hi"}`, Inbound{}, CodeBadMessage},
		{"chat room object", `{"type":"chat.message","room":{},"text":"hi"}`, Inbound{}, CodeBadMessage},
		{"chat room bool", `{"type":"chat.message","room":false,"text":"hi"}`, Inbound{}, CodeBadMessage},
		{"ping room number", `{"type":"system.ping","room":7}`, Inbound{}, CodeBadMessage},

		{"unknown type", `{"type":"chat.shout"}`, Inbound{}, CodeUnknownType},
		{"empty type", `{"type":""}`, Inbound{}, CodeUnknownType},
		{"type case", `{"type":"Chat.Message","text":"hi"}`, Inbound{}, CodeUnknownType},
		{"server-only delivery", `{"type":"chat.delivery","text":"hi"}`, Inbound{}, CodeUnknownType},
		{"server-only error", `{"type":"system.error"}`, Inbound{}, CodeUnknownType},
		{"server-only state", `{"type":"presence.state"}`, Inbound{}, CodeUnknownType},
		{"server-only join", `{"type":"presence.join"}`, Inbound{}, CodeUnknownType},
		{"server-only leave", `{"type":"presence.leave"}`, Inbound{}, CodeUnknownType},
		{"unknown before bad text", `{"type":"nope","text":5}`, Inbound{}, CodeUnknownType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.in))
			checkDecode(t, got, err, tt.want, tt.code)
		})
	}
}

// checkDecode compares a Decode result with the wanted one. On an error,
// only the Ref and Type of want are compared: nothing else may be set.
func checkDecode(t *testing.T, got Inbound, err error, want Inbound, code ErrorCode) {
	t.Helper()
	if code == "" {
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v, %v; want %+v", got, err, want)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %#v, want *Error %s (got %+v)", err, code, got)
	}
	head := Inbound{Type: got.Type, Ref: got.Ref}
	if e.Code != code || !reflect.DeepEqual(got, head) || got.Ref != want.Ref || e.Message == "" {
		t.Fatalf("got %+v, %v; want code %s and only ref %q", got, err, code, want.Ref)
	}
	if want.Type != "" && got.Type != want.Type {
		t.Fatalf("got type %q on error, want %q", got.Type, want.Type)
	}
	if err.Error() != string(code)+": "+e.Message {
		t.Fatalf("Error() = %q", err.Error())
	}
}

// The decoded strings must not alias the input buffer, which the websocket
// library may reuse.
func TestDecodeCopies(t *testing.T) {
	buf := []byte(`{"type":"chat.message","room":"rr","text":"hello"}`)
	in, err := Decode(buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] = 'X'
	}
	if in.Room != "rr" || in.Text != "hello" || in.Type != TypeChatMessage {
		t.Fatalf("aliased input: %+v", in)
	}
	for _, frame := range []string{
		`{"type":"room.signal","ref":"q","data":{"a":[1,"b"]}}`, // compact: copied
		`{"type":"room.signal","ref":"q","data": {"a": [1, "b"]}}`,
	} {
		buf = []byte(frame)
		in, err = Decode(buf)
		if err != nil {
			t.Fatal(err)
		}
		for i := range buf {
			buf[i] = 'X'
		}
		if string(in.Data) != `{"a":[1,"b"]}` || in.Ref != "q" {
			t.Fatalf("aliased input: %+v", in)
		}
	}
}

// Decode reuses pooled decoders; concurrent calls must not see each other's
// frames (run with -race).
func TestDecodeConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				text := fmt.Sprintf("g%d-%d", g, i)
				in, err := Decode([]byte(`{"type":"chat.message","room":"r","text":"` + text + `"}`))
				if err != nil || in.Text != text || in.Room != "r" {
					t.Errorf("got %+v, %v; want text %q", in, err, text)
					return
				}
				if _, err := Decode([]byte(`{"type":"chat.message","text":"x"}]`)); err == nil {
					t.Error("trailing data accepted")
					return
				}
				in, err = Decode([]byte(`{"type":"room.signal","ref":"` + text + `","data": [ "` + text + `" ] }`))
				if err != nil || in.Ref != text || string(in.Data) != `["`+text+`"]` {
					t.Errorf("got %+v, %v; want ref and data %q", in, err, text)
					return
				}
			}
		})
	}
	wg.Wait()
}
