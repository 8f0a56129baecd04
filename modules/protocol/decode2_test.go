package protocol

import (
	"strings"
	"testing"
)

// The frames and fields of protocol 2: ref, data, since, room.join,
// room.leave, room.signal. On an error only Ref and Type are compared.
func TestDecodeProtocol2(t *testing.T) {
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	nested30 := strings.Repeat(`{"a":[`, 15) + strings.Repeat(`]}`, 15) // 30 levels under the frame's
	nested32 := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	ref64 := strings.Repeat("r", 64)
	tests := []struct {
		name string
		in   string
		want Inbound
		code ErrorCode // "" means success
	}{
		{"ping with ref", `{"type":"system.ping","ref":"p-1"}`, Inbound{Type: TypePing, Ref: "p-1"}, ""},
		{"ref null", `{"type":"system.ping","ref":null}`, Inbound{Type: TypePing}, ""},
		{"ref 64", `{"type":"presence.list","ref":"` + ref64 + `"}`, Inbound{Type: TypePresenceList, Ref: ref64}, ""},
		{"ref printable edges", `{"type":"system.pong","ref":" ~\"\\"}`, Inbound{Type: TypePong, Ref: ` ~"\`}, ""},
		{"ref escaped letter", `{"type":"system.pong","ref":"\u0041"}`, Inbound{Type: TypePong, Ref: "A"}, ""},
		{"ref on history get", `{"type":"history.get","ref":"h"}`, Inbound{Type: TypeHistoryGet, Ref: "h", Limit: 50}, ""},
		{"ref on auth refresh", `{"type":"auth.refresh","token":"t","ref":"a"}`, Inbound{Type: TypeAuthRefresh, Token: "t", Ref: "a"}, ""},
		{"ref too long", `{"type":"system.ping","ref":"` + ref64 + `x"}`, Inbound{Type: TypePing}, CodeBadMessage},
		{"ref empty", `{"type":"system.ping","ref":""}`, Inbound{Type: TypePing}, CodeBadMessage},
		{"ref number", `{"type":"system.ping","ref":5}`, Inbound{Type: TypePing}, CodeBadMessage},
		{"ref object", `{"type":"system.ping","ref":{"a":"b"}}`, Inbound{Type: TypePing}, CodeBadMessage},
		{"ref bool", `{"type":"system.ping","ref":true}`, Inbound{Type: TypePing}, CodeBadMessage},
		{"ref control", `{"type":"system.ping","ref":"a\u0001"}`, Inbound{Type: TypePing}, CodeBadMessage},
		{"ref tab", `{"type":"system.ping","ref":"a\tb"}`, Inbound{Type: TypePing}, CodeBadMessage},
		{"ref del", `{"type":"system.ping","ref":"\u007f"}`, Inbound{Type: TypePing}, CodeBadMessage},
		{"ref non-ascii", `{"type":"system.ping","ref":"é"}`, Inbound{Type: TypePing}, CodeBadMessage},
		{"ref duplicate", `{"type":"system.ping","ref":"a","ref":"b"}`, Inbound{Type: TypePing}, CodeBadMessage},

		{"join", `{"type":"room.join","room":"lobby"}`, Inbound{Type: TypeRoomJoin, Room: "lobby"}, ""},
		{"join since ref", `{"type":"room.join","room":"lobby","since":"019ad4c3e2a00000000000000001","ref":"j1"}`, Inbound{Type: TypeRoomJoin, Room: "lobby", Since: "019ad4c3e2a00000000000000001", Ref: "j1"}, ""},
		{"join since null", `{"type":"room.join","room":"lobby","since":null}`, Inbound{Type: TypeRoomJoin, Room: "lobby"}, ""},
		{"join since empty", `{"type":"room.join","room":"lobby","since":""}`, Inbound{Type: TypeRoomJoin, Room: "lobby"}, ""},
		{"join bad name left to caller", `{"type":"room.join","room":"no spaces!"}`, Inbound{Type: TypeRoomJoin, Room: "no spaces!"}, ""},
		{"join without room", `{"type":"room.join","ref":"j2"}`, Inbound{Type: TypeRoomJoin, Ref: "j2"}, CodeBadMessage},
		{"join room empty", `{"type":"room.join","room":""}`, Inbound{Type: TypeRoomJoin}, CodeBadMessage},
		{"join room null", `{"type":"room.join","room":null}`, Inbound{Type: TypeRoomJoin}, CodeBadMessage},
		{"join room number", `{"type":"room.join","room":5}`, Inbound{Type: TypeRoomJoin}, CodeBadMessage},
		{"join since bad", `{"type":"room.join","room":"lobby","since":"x","ref":"j3"}`, Inbound{Type: TypeRoomJoin, Ref: "j3"}, CodeBadSince},
		{"join since upper case", `{"type":"room.join","room":"lobby","since":"019AD4C3E2A00000000000000001"}`, Inbound{Type: TypeRoomJoin}, CodeBadSince},
		{"join since number", `{"type":"room.join","room":"lobby","since":5}`, Inbound{Type: TypeRoomJoin}, CodeBadSince},
		{"join since array", `{"type":"room.join","room":"lobby","since":[]}`, Inbound{Type: TypeRoomJoin}, CodeBadSince},
		{"join since duplicate", `{"type":"room.join","room":"lobby","since":null,"since":null}`, Inbound{Type: TypeRoomJoin}, CodeBadMessage},
		{"since ignored elsewhere", `{"type":"system.ping","since":"x"}`, Inbound{Type: TypePing}, ""},
		{"leave", `{"type":"room.leave","room":"lobby","ref":"l"}`, Inbound{Type: TypeRoomLeave, Room: "lobby", Ref: "l"}, ""},
		{"leave without room", `{"type":"room.leave","ref":"l"}`, Inbound{Type: TypeRoomLeave, Ref: "l"}, CodeBadMessage},
		{"leave room empty", `{"type":"room.leave","room":""}`, Inbound{Type: TypeRoomLeave}, CodeBadMessage},
		{"leave since ignored", `{"type":"room.leave","room":"r","since":5}`, Inbound{Type: TypeRoomLeave, Room: "r"}, ""},

		{"signal", `{"type":"room.signal","room":"r","data":{"sdp":"v=0"}}`, Inbound{Type: TypeRoomSignal, Room: "r", Data: []byte(`{"sdp":"v=0"}`)}, ""},
		{"signal no room", `{"type":"room.signal","data":1}`, Inbound{Type: TypeRoomSignal, Data: []byte(`1`)}, ""},
		{"signal data false", `{"type":"room.signal","data":false}`, Inbound{Type: TypeRoomSignal, Data: []byte(`false`)}, ""},
		{"signal data string", `{"type":"room.signal","data":"a \u00e9\n"}`, Inbound{Type: TypeRoomSignal, Data: []byte(`"a \u00e9\n"`)}, ""},
		{"signal data compacted", "{\"type\":\"room.signal\",\"data\": {\n \"a\" : [ 1 ,\t2.50e1 ] , \"b\":\" x \" } }", Inbound{Type: TypeRoomSignal, Data: []byte(`{"a":[1,2.50e1],"b":" x "}`)}, ""},
		{"signal data duplicate names kept", `{"type":"room.signal","data":{"a":1,"a":2}}`, Inbound{Type: TypeRoomSignal, Data: []byte(`{"a":1,"a":2}`)}, ""},
		{"signal lone surrogate kept", `{"type":"room.signal","data":"\ud800"}`, Inbound{Type: TypeRoomSignal, Data: []byte(`"\ud800"`)}, ""},
		{"signal data 30 deep", `{"type":"room.signal","data":` + nested30 + `}`, Inbound{Type: TypeRoomSignal, Data: []byte(nested30)}, ""},
		{"signal brackets in strings", `{"type":"room.signal","data":"` + strings.Repeat(`[{\"`, 40) + `"}`, Inbound{Type: TypeRoomSignal, Data: []byte(`"` + strings.Repeat(`[{\"`, 40) + `"`)}, ""},
		{"signal without data", `{"type":"room.signal","room":"r","ref":"s"}`, Inbound{Type: TypeRoomSignal, Ref: "s"}, CodeBadMessage},
		{"signal data null", `{"type":"room.signal","data":null}`, Inbound{Type: TypeRoomSignal}, CodeBadMessage},
		{"signal data duplicate", `{"type":"room.signal","data":1,"data":2}`, Inbound{Type: TypeRoomSignal}, CodeBadMessage},
		{"signal text ignored", `{"type":"room.signal","data":1,"text":5}`, Inbound{Type: TypeRoomSignal, Data: []byte(`1`)}, ""},
		{"data ignored on ping", `{"type":"system.ping","data":{"a":[1]}}`, Inbound{Type: TypePing}, ""},
		{"data duplicate on ping", `{"type":"system.ping","data":1,"data":1}`, Inbound{Type: TypePing}, CodeBadMessage},
		{"data invalid on ping", `{"type":"system.ping","data":[1,}`, Inbound{}, CodeBadJSON},

		{"chat data only", `{"type":"chat.message","data":{"k":[true,null]}}`, Inbound{Type: TypeChatMessage, Data: []byte(`{"k":[true,null]}`)}, ""},
		{"chat text and data", `{"type":"chat.message","room":"r","text":"hi","data":[1],"ref":"c"}`, Inbound{Type: TypeChatMessage, Room: "r", Text: "hi", Data: []byte(`[1]`), Ref: "c"}, ""},
		{"chat data first", `{"data":"d","text":"t","type":"chat.message"}`, Inbound{Type: TypeChatMessage, Text: "t", Data: []byte(`"d"`)}, ""},
		{"chat text empty with data", `{"type":"chat.message","text":"","data":0}`, Inbound{Type: TypeChatMessage, Data: []byte(`0`)}, ""},
		{"chat text null with data", `{"type":"chat.message","text":null,"data":0}`, Inbound{Type: TypeChatMessage, Data: []byte(`0`)}, ""},
		{"chat data null with text", `{"type":"chat.message","text":"hi","data":null}`, Inbound{Type: TypeChatMessage, Text: "hi"}, ""},
		{"chat data null alone", `{"type":"chat.message","data":null,"ref":"c"}`, Inbound{Type: TypeChatMessage, Ref: "c"}, CodeBadMessage},
		{"chat text empty data null", `{"type":"chat.message","text":"","data":null}`, Inbound{Type: TypeChatMessage}, CodeBadMessage},
		{"chat text number with data", `{"type":"chat.message","text":5,"data":1}`, Inbound{Type: TypeChatMessage}, CodeBadMessage},
		{"chat text missing ref kept", `{"type":"chat.message","ref":"c9"}`, Inbound{Type: TypeChatMessage, Ref: "c9"}, CodeBadMessage},
		{"chat duplicate text ref kept", `{"type":"chat.message","ref":"c9","text":"a","text":"b"}`, Inbound{Type: TypeChatMessage, Ref: "c9"}, CodeBadMessage},
		{"chat bad room ref kept", `{"type":"chat.message","ref":"c9","room":1,"text":"a"}`, Inbound{Type: TypeChatMessage, Ref: "c9"}, CodeBadMessage},
		{"unknown type ref kept", `{"type":"chat.shout","ref":"u"}`, Inbound{Ref: "u"}, CodeUnknownType},
		{"type number ref kept", `{"type":5,"ref":"u"}`, Inbound{Ref: "u"}, CodeBadMessage},
		{"duplicate type no type kept", `{"type":"system.ping","type":"system.ping","ref":"u"}`, Inbound{Ref: "u"}, CodeBadMessage},
		{"too deep", `{"type":"room.signal","ref":"d","data":` + deep + `}`, Inbound{}, CodeBadJSON},
		{"too deep by one", `{"type":"room.signal","data":` + nested32 + `}`, Inbound{}, CodeBadJSON},
		{"deep only in an object key", `{"type":"room.signal","data":{"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[":1}}`, Inbound{Type: TypeRoomSignal, Data: []byte(`{"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[":1}`)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.in))
			checkDecode(t, got, err, tt.want, tt.code)
		})
	}
}
