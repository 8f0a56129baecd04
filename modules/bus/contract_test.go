package bus

import (
	"bytes"
	"slices"
	"sync"
	"testing"
	"time"
)

// waitLimit bounds every wait for a frame; it guards against hangs only.
const waitLimit = 15 * time.Second

// recorder is a deliver func that keeps every message it gets.
type recorder struct {
	mu   sync.Mutex
	msgs []Message
	got  chan struct{} // poked after each message
}

func newRecorder() *recorder { return &recorder{got: make(chan struct{}, 1)} }

func (r *recorder) deliver(m Message) {
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
	select {
	case r.got <- struct{}{}:
	default:
	}
}

// messages returns every message delivered so far.
func (r *recorder) messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// all returns the frames delivered so far, as strings.
func (r *recorder) all() []string {
	msgs := r.messages()
	frames := make([]string, len(msgs))
	for i, m := range msgs {
		frames[i] = string(m.Frame)
	}
	return frames
}

func (r *recorder) has(frame string) bool { return slices.Contains(r.all(), frame) }

// waitFor blocks until frame has arrived.
func (r *recorder) waitFor(t *testing.T, frame string) {
	t.Helper()
	deadline := time.After(waitLimit)
	for !r.has(frame) {
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("frame %q not delivered within %v; got %q", frame, waitLimit, r.all())
		}
	}
}

func (r *recorder) want(t *testing.T, name string, want ...string) {
	t.Helper()
	if got := r.all(); !slices.Equal(got, want) {
		t.Errorf("%s got %q, want %q", name, got, want)
	}
}

func subscribe(t *testing.T, b Bus, room string, r *recorder) func() {
	t.Helper()
	cancel := b.Subscribe(t.Context(), room, r.deliver)
	t.Cleanup(cancel)
	return cancel
}

// publish publishes frame to room with no ID and At 0, as the tests about
// delivery itself need nothing else.
func publish(t *testing.T, b Bus, room, frame string) {
	t.Helper()
	publishMessage(t, b, Message{Room: room, Frame: []byte(frame)})
}

func publishMessage(t *testing.T, b Bus, m Message) {
	t.Helper()
	if err := b.Publish(t.Context(), m); err != nil {
		t.Fatalf("Publish(%q, %q): %v", m.Room, m.Frame, err)
	}
}

// sameMessage compares every field; a nil and an empty Frame are the same.
func sameMessage(a, b Message) bool {
	return a.Room == b.Room && a.ID == b.ID && a.At == b.At && bytes.Equal(a.Frame, b.Frame)
}

// testBus is the contract every Bus keeps. Frames of one room published in
// sequence arrive in sequence, so a later "fence" frame proves that nothing
// published before it is still on its way.
func testBus(t *testing.T, newBus func(t *testing.T) Bus) {
	t.Run("room isolation", func(t *testing.T) {
		b := newBus(t)
		a, a1, other := newRecorder(), newRecorder(), newRecorder()
		subscribe(t, b, "a", a)
		subscribe(t, b, "a1", a1) // shares a prefix with "a"
		subscribe(t, b, "other", other)
		publish(t, b, "a", "to-a")
		publish(t, b, "a1", "to-a1")
		publish(t, b, "other", "to-other")
		publish(t, b, "a", "fence-a")
		publish(t, b, "a1", "fence-a1")
		publish(t, b, "other", "fence-other")
		a.waitFor(t, "fence-a")
		a1.waitFor(t, "fence-a1")
		other.waitFor(t, "fence-other")
		a.want(t, "a", "to-a", "fence-a")
		a1.want(t, "a1", "to-a1", "fence-a1")
		other.want(t, "other", "to-other", "fence-other")
	})

	t.Run("every subscriber gets every frame", func(t *testing.T) {
		b := newBus(t)
		x, y := newRecorder(), newRecorder()
		subscribe(t, b, "room", x)
		subscribe(t, b, "room", y)
		for _, f := range []string{"f1", "f2", "f3"} {
			publish(t, b, "room", f)
		}
		x.waitFor(t, "f3")
		y.waitFor(t, "f3")
		x.want(t, "x", "f1", "f2", "f3")
		y.want(t, "y", "f1", "f2", "f3")
	})

	t.Run("no frames after cancel, cancel twice harmless", func(t *testing.T) {
		b := newBus(t)
		gone, stays := newRecorder(), newRecorder()
		cancel := subscribe(t, b, "room", gone)
		subscribe(t, b, "room", stays)
		publish(t, b, "room", "before")
		gone.waitFor(t, "before")
		stays.waitFor(t, "before")
		cancel()
		cancel()
		publish(t, b, "room", "after")
		publish(t, b, "room", "fence")
		stays.waitFor(t, "fence")
		gone.want(t, "cancelled subscriber", "before")
		stays.want(t, "remaining subscriber", "before", "after", "fence")

		// The room still works for a newcomer after the double cancel.
		again := newRecorder()
		subscribe(t, b, "room", again)
		publish(t, b, "room", "again")
		again.waitFor(t, "again")
	})

	t.Run("cancel of the only subscriber, then resubscribe", func(t *testing.T) {
		b := newBus(t)
		first := newRecorder()
		cancel := subscribe(t, b, "solo", first)
		cancel()
		cancel()
		second := newRecorder()
		subscribe(t, b, "solo", second)
		publish(t, b, "solo", "hello")
		second.waitFor(t, "hello")
		first.want(t, "cancelled subscriber")
	})

	t.Run("publish without subscribers", func(t *testing.T) {
		b := newBus(t)
		if err := b.Publish(t.Context(), Message{Room: "empty-room", Frame: []byte("x")}); err != nil {
			t.Fatalf("Publish to a room without subscribers: %v", err)
		}
	})

	t.Run("room, ID, At and frame arrive unchanged", func(t *testing.T) {
		b := newBus(t)
		r := newRecorder()
		subscribe(t, b, "fields", r)
		sent := []Message{
			{Room: "fields", ID: "01J9ZK7Q3XG4V2M8N5P6R7S8T9", At: 1_700_000_000_123, Frame: []byte(`{"type":"message"}`)},
			{Room: "fields", At: 1_700_000_000_124, Frame: []byte(`{"type":"presence.join"}`)}, // no ID
			{Room: "fields", ID: "id with spaces", At: 0, Frame: []byte("two\nlines and 1 2\n")},
			{Room: "fields", ID: "last", At: 1<<63 - 1}, // empty frame
		}
		for _, m := range sent {
			publishMessage(t, b, m)
		}
		deadline := time.After(waitLimit)
		for len(r.messages()) < len(sent) {
			select {
			case <-r.got:
			case <-deadline:
				t.Fatalf("got %d of %d messages within %v", len(r.messages()), len(sent), waitLimit)
			}
		}
		if got := r.messages(); !slices.EqualFunc(got, sent, sameMessage) {
			t.Errorf("got %+v,\nwant %+v", got, sent)
		}
	})
}

func TestMemoryBus(t *testing.T) {
	testBus(t, func(*testing.T) Bus { return NewMemory() })
}

func TestRedisBus(t *testing.T) {
	testBus(t, func(t *testing.T) Bus {
		b, _ := startRedisBus(t)
		return b
	})
}
