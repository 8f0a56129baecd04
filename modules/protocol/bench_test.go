package protocol

import (
	"strings"
	"testing"
)

func BenchmarkDecodeChat(b *testing.B) {
	data := []byte(`{"type":"chat.message","room":"lobby","text":"hello there, how is everyone doing today?"}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

// A ping, the smallest frame a client sends.
func BenchmarkDecodePing(b *testing.B) {
	benchDecode(b, `{"type":"system.ping"}`)
}

// A chat frame with escapes in its text and a forged field to skip.
func BenchmarkDecodeEscaped(b *testing.B) {
	benchDecode(b, `{"type":"chat.message","user":"admin","meta":{"a":[1,2,{"b":null}]},"text":"caf\u00e9 \"quoted\" \ud83d\ude00 line\nbreak"}`)
}

// A chat frame at the default text limit (4096 bytes).
func BenchmarkDecodeLongText(b *testing.B) {
	benchDecode(b, `{"type":"chat.message","room":"lobby","text":"`+strings.Repeat("héllo wörld ", 4096/14)+`"}`)
}

// A chat frame with a ref and some data, as a protocol-2 client sends it.
func BenchmarkDecodeChatData(b *testing.B) {
	benchDecode(b, `{"type":"chat.message","room":"lobby","ref":"c-17","text":"hello","data":{"kind":"reaction","emoji":"+1","to":"019ad4c3e2a00000000000000001"}}`)
}

// A room.join with since and ref.
func BenchmarkDecodeJoin(b *testing.B) {
	benchDecode(b, `{"type":"room.join","room":"lobby","since":"019ad4c3e2a00000000000000001","ref":"j1"}`)
}

// A frame of 10,000 '[': the pre-scan refuses it after MaxDepth+1 bytes.
func BenchmarkDecodeTooDeep(b *testing.B) {
	data := []byte(`{"type":"room.signal","data":` + strings.Repeat("[", 10000))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data); err == nil {
			b.Fatal("accepted")
		}
	}
}

func benchDecode(b *testing.B, frame string) {
	data := []byte(frame)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDelivery(b *testing.B) {
	const id = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
	b.ReportAllocs()
	for b.Loop() {
		_ = Delivery("lobby", "user-42", "hello there, how is everyone doing today?", nil, id, 1735689600123)
	}
}
