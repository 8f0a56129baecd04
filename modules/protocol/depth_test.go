package protocol

import (
	"fmt"
	"strings"
	"testing"
)

// A frame of a megabyte is read like any other when it is flat, and
// refused after MaxDepth+1 bytes when it is a megabyte of brackets.
func TestDecodeLarge(t *testing.T) {
	big := `{"k":"` + strings.Repeat("x", 1<<20) + `","n":[` + strings.Repeat("1,", 1<<16) + `1]}`
	in, err := Decode([]byte(`{"type":"chat.message","room":"r","data":` + big + `}`))
	if err != nil || string(in.Data) != big {
		t.Fatalf("1 MB data: %v, %d bytes", err, len(in.Data))
	}
	spaced := strings.ReplaceAll(big, ",", " , ")
	in, err = Decode([]byte(`{"type":"room.signal","data":` + spaced + `}`))
	if err != nil || string(in.Data) != big {
		t.Fatalf("1 MB data with spaces: %v, %d bytes", err, len(in.Data))
	}
	for _, n := range []int{10000, 1 << 20} {
		_, err = Decode([]byte(`{"type":"room.signal","data":` + strings.Repeat("[", n)))
		if fmt.Sprint(err) != "bad_json: frame is nested too deeply" {
			t.Fatalf("%d levels: %v", n, err)
		}
		closed := `{"type":"room.signal","data":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`
		if _, err = Decode([]byte(closed)); fmt.Sprint(err) != "bad_json: frame is nested too deeply" {
			t.Fatalf("%d levels, closed: %v", n, err)
		}
	}
}

// TooDeep counts brackets outside strings only, however the strings
// escape their quotes and backslashes.
func TestTooDeep(t *testing.T) {
	open := func(n int) string { return strings.Repeat("[", n) }
	tests := []struct {
		in   string
		deep bool
	}{
		{"{" + open(MaxDepth-1), false},
		{"{" + open(MaxDepth), true},
		{open(MaxDepth) + "]" + open(1), false}, // depth, not count
		{`{"` + open(100) + `"}`, false},
		{`{"\"` + open(100) + `"}`, false},
		{`{"\\"` + open(MaxDepth), true},       // the string ends at the third quote
		{`{"\\\"` + open(100) + `"}`, false},   // \\ then \" : still inside
		{`{"a\\\\"` + open(MaxDepth), true},    // two escaped backslashes
		{`{"unterminated ` + open(100), false}, // the parser refuses it
		{`{"x":"a","y":"` + open(40) + `"}`, false},
		{"{" + open(MaxDepth-1) + `"\\"` + "]" + open(2), true},
	}
	for _, tt := range tests {
		if got := TooDeep([]byte(tt.in)); got != tt.deep {
			t.Errorf("TooDeep(%.60q) = %v", tt.in, got)
		}
		long := tt.in + strings.Repeat(" ", countedFrame) // scanned, not counted
		if got := TooDeep([]byte(long)); got != tt.deep {
			t.Errorf("TooDeep(%.60q + spaces) = %v", tt.in, got)
		}
	}
}

func TestDecodeErrorIsNilInterface(t *testing.T) {
	if _, err := Decode([]byte(`{"type":"system.ping"}`)); err != nil {
		t.Fatalf("err = %#v, want untyped nil", err)
	}
}

// The exact messages of the contract (docs/protocol.md), and the cases
// where the frame rules differ from json/v2's defaults: a duplicate name
// that is not a known field is accepted, at any depth; an escaped lone
// surrogate reads as U+FFFD; nesting stops at MaxDepth levels.
func TestDecodeMessages(t *testing.T) {
	nest := func(depth int) string { // a frame nested depth levels deep in all
		return `{"type":"system.ping","x":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`
	}
	tests := []struct{ in, err string }{
		{`{"type":"system.ping","x":1,"x":2}`, ""},
		{`{"type":"system.ping","x":{"a":1,"a":2}}`, ""},
		{`{"type":"system.ping","Type":1,"Type":2}`, ""},
		{`{"type":"chat.message","text":"\ud800\u0041\udc00"}`, ""},
		{nest(MaxDepth), ""},
		{nest(MaxDepth + 1), "bad_json: frame is nested too deeply"},
		{nest(10001), "bad_json: frame is nested too deeply"},
		{` [`, "bad_json: frame must be a JSON object"},
		{"[\xff", "bad_json: frame must be a JSON object"},
		{"{\"type\":1\xff", "bad_json: frame is not valid UTF-8"},
		{`{"type":"system.ping"}{}`, "bad_json: frame is not valid JSON"},
		{`{"type":"system.ping","type":"system.ping",`, "bad_json: frame is not valid JSON"},
		{`{"room":1,"type":1,"room":2,"type":2}`, "bad_message: duplicate field room"},
		{`{"type":"nope","token":1,"token":2}`, "bad_message: duplicate field token"},
		{`{"type":null}`, "bad_message: type must be a string"},
		{`{"type":"nope","room":1}`, "unknown_type: unknown frame type"},
		{`{"type":"system.pong","room":[]}`, "bad_message: room must be a string"},
		{`{"type":"chat.message","room":1}`, "bad_message: room must be a string"},
		{`{"type":"chat.message","text":null}`, "bad_message: text must be a non-empty string"},
		{`{"type":"auth.refresh","token":{}}`, "bad_message: token must be a non-empty string"},
		{`{"type":"system.ping","ref":""}`, "bad_message: ref must be 1 to 64 printable ASCII characters"},
		{`{"type":"room.join"}`, "bad_message: room is required"},
		{`{"type":"room.leave","room":""}`, "bad_message: room is required"},
		{`{"type":"room.join","room":"r","since":"x"}`, "bad_since: since must be a message id"},
		{`{"type":"room.signal"}`, "bad_message: data is required"},
		{`{"type":"chat.message","data":null}`, "bad_message: text must be a non-empty string"},
		{`{"type":"chat.message","text":[],"data":{}}`, "bad_message: text must be a string"},
		{`{"type":"chat.message","data":1,"data":1}`, "bad_message: duplicate field data"},
		{`{"type":"chat.message","data":` + strings.Repeat("[", 10000), "bad_json: frame is nested too deeply"},
	}
	for _, tt := range tests {
		in, err := Decode([]byte(tt.in))
		if got := fmt.Sprint(err); tt.err == "" && err != nil || tt.err != "" && got != tt.err {
			t.Errorf("Decode(%.80q) = %+v, %v; want %q", tt.in, in, err, tt.err)
		}
	}
	in, _ := Decode([]byte(`{"type":"chat.message","text":"\ud800\u0041\udc00"}`))
	if in.Text != "\uFFFDA\uFFFD" {
		t.Errorf("lone surrogates: text %q", in.Text)
	}
}

// brackets counts exactly the '{' and '[' bytes, whatever surrounds them.
func TestBrackets(t *testing.T) {
	for c := range 256 {
		for _, n := range []int{1, 7, 8, 9, 17} {
			data := []byte(strings.Repeat(string([]byte{byte(c)}), n) + "x{y[")
			want := 2
			if c == '{' || c == '[' {
				want += n
			}
			if got := brackets(data); got != want {
				t.Fatalf("brackets(%q) = %d, want %d", data, got, want)
			}
		}
	}
}
