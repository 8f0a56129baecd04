package bustest

import (
	"bytes"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
)

// Recorder is a deliver func that keeps every message it gets, frames
// copied: a delivered message is shared and read-only, and may be reused
// once deliver returns.
type Recorder struct {
	mu   sync.Mutex
	msgs []bus.Message
	got  chan struct{} // poked after each message
}

// NewRecorder returns a recorder that has received nothing.
func NewRecorder() *Recorder { return &Recorder{got: make(chan struct{}, 1)} }

// Subscribe subscribes r to room on b until cancel or the end of the test.
func Subscribe(t testing.TB, b bus.Bus, room string, r *Recorder) (cancel func()) {
	t.Helper()
	cancel = b.Subscribe(t.Context(), room, r.Deliver)
	t.Cleanup(cancel)
	return cancel
}

// Listen subscribes a new recorder to room on b until the test ends.
func Listen(t testing.TB, b bus.Bus, room string) *Recorder {
	t.Helper()
	r := NewRecorder()
	Subscribe(t, b, room, r)
	return r
}

// Deliver records m.
func (r *Recorder) Deliver(m bus.Message) {
	m.Frame = bytes.Clone(m.Frame)
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
	select {
	case r.got <- struct{}{}:
	default:
	}
}

// Messages returns every message delivered so far, news about the link
// (bus.Link) included.
func (r *Recorder) Messages() []bus.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// Chat returns the chat messages delivered so far: those with an id.
// Presence announcements and news about the link have none.
func (r *Recorder) Chat() []bus.Message {
	return slices.DeleteFunc(r.Messages(), func(m bus.Message) bool { return m.ID == "" })
}

// Frames returns the frames delivered so far, as strings.
func (r *Recorder) Frames() []string {
	msgs := r.Messages()
	frames := make([]string, len(msgs))
	for i, m := range msgs {
		frames[i] = string(m.Frame)
	}
	return frames
}

// Has says whether frame has been delivered.
func (r *Recorder) Has(frame string) bool { return slices.Contains(r.Frames(), frame) }

// Arrives says whether frame arrives within d.
func (r *Recorder) Arrives(frame string, d time.Duration) bool {
	return r.until(d, func() bool { return r.Has(frame) })
}

// until waits up to d for cond, checking it after each delivery.
func (r *Recorder) until(d time.Duration, cond func() bool) bool {
	deadline := time.After(d)
	for !cond() {
		select {
		case <-r.got:
		case <-deadline:
			return false
		}
	}
	return true
}

// WaitFor blocks until frame has arrived.
func (r *Recorder) WaitFor(t testing.TB, frame string) {
	t.Helper()
	if !r.Arrives(frame, WaitLimit) {
		t.Fatalf("frame %q not delivered within %v; got %q", frame, WaitLimit, r.Frames())
	}
}

// Want checks that the frames delivered so far are exactly want, in order.
func (r *Recorder) Want(t testing.TB, name string, want ...string) {
	t.Helper()
	if got := r.Frames(); !slices.Equal(got, want) {
		t.Errorf("%s got %q, want %q", name, got, want)
	}
}

// WaitCount blocks until at least n chat messages have arrived and returns
// them.
func (r *Recorder) WaitCount(t testing.TB, n int) []bus.Message {
	t.Helper()
	if !r.until(WaitLimit, func() bool { return len(r.Chat()) >= n }) {
		t.Fatalf("%d of %d messages delivered within %v", len(r.Chat()), n, WaitLimit)
	}
	return r.Chat()
}

// WaitID blocks until the chat message with id has arrived and returns
// every chat message so far. A room's messages arrive in id order, so any
// message appended before it, or delivered twice, is among them.
func (r *Recorder) WaitID(t testing.TB, id string) []bus.Message {
	t.Helper()
	has := func() bool {
		return slices.ContainsFunc(r.Chat(), func(m bus.Message) bool { return m.ID == id })
	}
	if !r.until(WaitLimit, has) {
		t.Fatalf("message %s not delivered within %v; got %d messages", id, WaitLimit, len(r.Chat()))
	}
	return r.Chat()
}

// Publish publishes frame to room with no ID and At 0, as the tests about
// delivery itself need nothing else.
func Publish(t testing.TB, b bus.Bus, room, frame string) {
	t.Helper()
	PublishMessage(t, b, bus.Message{Room: room, Frame: []byte(frame)})
}

// PublishMessage publishes m, failing the test if Publish fails.
func PublishMessage(t testing.TB, b bus.Bus, m bus.Message) {
	t.Helper()
	if err := b.Publish(t.Context(), m); err != nil {
		t.Fatalf("Publish(%q, %q): %v", m.Room, m.Frame, err)
	}
}

// SameMessage compares every field; a nil and an empty Frame are the same.
func SameMessage(a, b bus.Message) bool {
	return a.Room == b.Room && a.ID == b.ID && a.At == b.At && a.From == b.From && a.Link == b.Link &&
		bytes.Equal(a.Frame, b.Frame)
}
