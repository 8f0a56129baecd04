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
		_ = Delivery("lobby", "user-42", "hello there, how is everyone doing today?", id, 1735689600123)
	}
}
