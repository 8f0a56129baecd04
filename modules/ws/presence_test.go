package ws

import (
	"log/slog"
	"testing"
)

// A presence frame that finds the queue full never closes the client: it
// is dropped, so are the presence frames after it, and once the queue has
// emptied the client is resynced with a fresh picture.
func TestPresenceNeverClosesOnAFullQueue(t *testing.T) {
	c := newConn(nil, "r", "u", Limits{SendQueue: 2}, newStats(), slog.New(slog.DiscardHandler))
	c.box.running = true // no writer starts: the queue stays as filled
	resyncs := 0
	c.resync = func() { resyncs++ }

	if !c.SendState([]byte("a")) || !c.SendState([]byte("b")) {
		t.Fatal("presence frames refused by a queue with room")
	}
	if c.SendState([]byte("c")) {
		t.Fatal("a presence frame was queued beyond SEND_QUEUE")
	}
	if c.isClosing() {
		t.Fatal("a full queue closed the client for a presence frame")
	}
	c.box.frames = c.box.frames[:0] // the writer has written everything
	if c.SendState([]byte("d")) {
		t.Fatal("a presence frame was queued after one was dropped, before the resync")
	}
	c.caughtUp()
	if resyncs != 1 || c.stale.Load() {
		t.Fatalf("%d resyncs, stale %v: want one resync and a fresh start", resyncs, c.stale.Load())
	}
	if !c.SendState([]byte("e")) {
		t.Fatal("presence frames still dropped after the resync")
	}
}
