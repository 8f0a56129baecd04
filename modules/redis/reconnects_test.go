package redis

import "testing"

func TestReconnects(t *testing.T) {
	r := NewReconnects()
	var a, b int
	cancelA := r.Subscribe(func() { a++ })
	r.Subscribe(func() { b++ })
	r.Reconnected()
	cancelA()
	cancelA() // harmless twice
	r.Reconnected()
	if a != 1 || b != 2 {
		t.Fatalf("calls a=%d b=%d, want 1 and 2", a, b)
	}
	var none *Reconnects
	none.Reconnected() // a bus without a notifier
}
