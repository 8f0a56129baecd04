package protocol

import "testing"

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

func BenchmarkDelivery(b *testing.B) {
	id := NewID()
	b.ReportAllocs()
	for b.Loop() {
		_ = Delivery("lobby", "user-42", "hello there, how is everyone doing today?", id, 1735689600123)
	}
}

func BenchmarkNewID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = NewID()
	}
}
