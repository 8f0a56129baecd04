package bustest

import (
	"slices"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
)

// pubSubSettings are the settings of the cases about delivery, which
// store nothing.
var pubSubSettings = bus.Settings{Size: 100, TTL: time.Hour}

// runPubSub is the contract of Publish and Subscribe. Frames of one room
// published in sequence arrive in sequence, so a later "fence" frame
// proves that nothing published before it is still on its way.
func runPubSub(t *testing.T, newBus NewBus) {
	t.Run("room isolation", func(t *testing.T) {
		b := newBus(t, pubSubSettings)
		a, a1, other := NewRecorder(), NewRecorder(), NewRecorder()
		Subscribe(t, b, "a", a)
		Subscribe(t, b, "a1", a1) // shares a prefix with "a"
		Subscribe(t, b, "other", other)
		Publish(t, b, "a", "to-a")
		Publish(t, b, "a1", "to-a1")
		Publish(t, b, "other", "to-other")
		Publish(t, b, "a", "fence-a")
		Publish(t, b, "a1", "fence-a1")
		Publish(t, b, "other", "fence-other")
		a.WaitFor(t, "fence-a")
		a1.WaitFor(t, "fence-a1")
		other.WaitFor(t, "fence-other")
		a.Want(t, "a", "to-a", "fence-a")
		a1.Want(t, "a1", "to-a1", "fence-a1")
		other.Want(t, "other", "to-other", "fence-other")
	})

	t.Run("every subscriber gets every frame", func(t *testing.T) {
		b := newBus(t, pubSubSettings)
		x, y := NewRecorder(), NewRecorder()
		Subscribe(t, b, "room", x)
		Subscribe(t, b, "room", y)
		for _, f := range []string{"f1", "f2", "f3"} {
			Publish(t, b, "room", f)
		}
		x.WaitFor(t, "f3")
		y.WaitFor(t, "f3")
		x.Want(t, "x", "f1", "f2", "f3")
		y.Want(t, "y", "f1", "f2", "f3")
	})

	t.Run("no frames after cancel, cancel twice harmless", func(t *testing.T) {
		b := newBus(t, pubSubSettings)
		gone, stays := NewRecorder(), NewRecorder()
		cancel := Subscribe(t, b, "room", gone)
		Subscribe(t, b, "room", stays)
		Publish(t, b, "room", "before")
		gone.WaitFor(t, "before")
		stays.WaitFor(t, "before")
		cancel()
		cancel()
		Publish(t, b, "room", "after")
		Publish(t, b, "room", "fence")
		stays.WaitFor(t, "fence")
		gone.Want(t, "cancelled subscriber", "before")
		stays.Want(t, "remaining subscriber", "before", "after", "fence")

		// The room still works for a newcomer after the double cancel.
		again := NewRecorder()
		Subscribe(t, b, "room", again)
		Publish(t, b, "room", "again")
		again.WaitFor(t, "again")
	})

	t.Run("cancel of the only subscriber, then resubscribe", func(t *testing.T) {
		b := newBus(t, pubSubSettings)
		first := NewRecorder()
		cancel := Subscribe(t, b, "solo", first)
		cancel()
		cancel()
		second := NewRecorder()
		Subscribe(t, b, "solo", second)
		Publish(t, b, "solo", "hello")
		second.WaitFor(t, "hello")
		first.Want(t, "cancelled subscriber")
	})

	t.Run("publish without subscribers", func(t *testing.T) {
		b := newBus(t, pubSubSettings)
		if err := b.Publish(t.Context(), bus.Message{Room: "empty-room", Frame: []byte("x")}); err != nil {
			t.Fatalf("Publish to a room without subscribers: %v", err)
		}
	})

	t.Run("room, ID, At, From and frame arrive unchanged", func(t *testing.T) {
		b := newBus(t, pubSubSettings)
		r := NewRecorder()
		Subscribe(t, b, "fields", r)
		sent := []bus.Message{
			{Room: "fields", ID: "01J9ZK7Q3XG4V2M8N5P6R7S8T9", At: 1_700_000_000_123, Frame: []byte(`{"type":"message"}`)},
			{Room: "fields", At: 1_700_000_000_124, Frame: []byte(`{"type":"presence.join"}`)}, // no ID
			{Room: "fields", ID: "id-with-dashes", At: 0, Frame: []byte("two\nlines and 1 2\n")},
			// A room.signal: no ID, the sender in From, which may hold spaces.
			{Room: "fields", At: 1_700_000_000_125, From: "ann lee", Frame: []byte(`{"type":"room.signal"}`)},
			{Room: "fields", ID: "x", At: 5, From: " u:1 ", Frame: []byte("\n")},
			{Room: "fields", ID: "last", At: 1<<63 - 1}, // empty frame
		}
		for _, m := range sent {
			PublishMessage(t, b, m)
		}
		if !r.until(WaitLimit, func() bool { return len(r.Messages()) >= len(sent) }) {
			t.Fatalf("got %d of %d messages within %v", len(r.Messages()), len(sent), WaitLimit)
		}
		if got := r.Messages(); !slices.EqualFunc(got, sent, SameMessage) {
			t.Errorf("got %+v,\nwant %+v", got, sent)
		}
	})
}
