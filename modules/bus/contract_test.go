package bus

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// waitLimit bounds every wait for a frame; it guards against hangs only.
const waitLimit = 15 * time.Second

// recorder is a deliver func that keeps every frame it gets.
type recorder struct {
	mu     sync.Mutex
	frames []string
	got    chan struct{} // poked after each frame
}

func newRecorder() *recorder { return &recorder{got: make(chan struct{}, 1)} }

func (r *recorder) deliver(frame []byte) {
	r.mu.Lock()
	r.frames = append(r.frames, string(frame))
	r.mu.Unlock()
	select {
	case r.got <- struct{}{}:
	default:
	}
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.frames)
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
	cancel, err := b.Subscribe(t.Context(), room, r.deliver)
	if err != nil {
		t.Fatalf("Subscribe(%q): %v", room, err)
	}
	t.Cleanup(cancel)
	return cancel
}

func publish(t *testing.T, b Bus, room, frame string) {
	t.Helper()
	if err := b.Publish(t.Context(), room, []byte(frame)); err != nil {
		t.Fatalf("Publish(%q, %q): %v", room, frame, err)
	}
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
		if err := b.Publish(t.Context(), "empty-room", []byte("x")); err != nil {
			t.Fatalf("Publish to a room without subscribers: %v", err)
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
