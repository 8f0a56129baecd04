package hub

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/presence"
)

// member records every frame it is sent.
type member struct {
	mu     sync.Mutex
	frames [][]byte
}

func (m *member) Send(frame []byte) bool {
	m.mu.Lock()
	m.frames = append(m.frames, frame)
	m.mu.Unlock()
	return true
}

func (m *member) SendState(frame []byte) bool { return m.Send(frame) }

func (m *member) Replay(frame []byte) bool { return m.Send(frame) }

func (m *member) Signal(frame []byte, _ string) bool { return m.Send(frame) }

// text is a message of text alone into room.
func text(room, s string) Said { return Said{Room: room, Content: Content{Text: s}} }

func (m *member) got() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.frames)
}

func (m *member) strings() []string {
	var s []string
	for _, f := range m.got() {
		s = append(s, string(f))
	}
	return s
}

// countingBus wraps a Bus and tracks its active subscriptions per room. A
// subscription counts from the moment Subscribe is called until its cancel
// has returned, so overlapping subscriptions of one room are always seen.
type countingBus struct {
	bus.Bus
	mu        sync.Mutex
	active    map[string]int
	max       map[string]int // highest active count seen per room
	subscribe atomic.Int64   // Subscribe calls
}

func newCountingBus() *countingBus {
	return &countingBus{Bus: newMemory(), active: map[string]int{}, max: map[string]int{}}
}

func (c *countingBus) Subscribe(ctx context.Context, room string, deliver func(bus.Message)) func() {
	c.subscribe.Add(1)
	c.mu.Lock()
	c.active[room]++
	c.max[room] = max(c.max[room], c.active[room])
	c.mu.Unlock()
	cancel := c.Bus.Subscribe(ctx, room, deliver)
	var once sync.Once
	return func() {
		cancel()
		once.Do(func() { c.release(room) })
	}
}

func (c *countingBus) release(room string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active[room]--; c.active[room] == 0 {
		delete(c.active, room)
	}
}

func (c *countingBus) activeIn(room string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.active[room]
}

func (c *countingBus) maxIn(room string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.max[room]
}

func (c *countingBus) totalActive() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.active {
		n += v
	}
	return n
}

// Manager drives a hub's rooms directly, for tests of fan-out and
// subscriptions without presence or encoding.
type Manager struct{ hub *Hub }

func New(b bus.Bus) *Manager {
	tracker := presence.NewTracker(presence.NewMemory(time.Minute), time.Minute, discard)
	return &Manager{hub: newHubForTest(b, tracker)}
}

func newHubForTest(b bus.Bus, tracker *presence.Tracker) *Hub {
	return newHub(b, tracker, NewULIDs(), Limits{MaxMessageBytes: 4096}, discard)
}

var discard = slog.New(slog.DiscardHandler)

func (m *Manager) Join(ctx context.Context, room string, mb Member) error {
	m.hub.rooms.join(ctx, room, mb, false, nil)
	return nil
}

func (m *Manager) Leave(room string, mb Member) { m.hub.rooms.leave(room, mb) }

func (m *Manager) Publish(ctx context.Context, room string, frame []byte) error {
	return m.hub.bus.Publish(ctx, bus.Message{Room: room, Frame: frame})
}

func (m *Manager) Count() int { return m.hub.rooms.count() }

func (m *Manager) Members(room string) int { return m.hub.rooms.members(room) }

func join(t *testing.T, mgr *Manager, room string, m Member) {
	t.Helper()
	if err := mgr.Join(t.Context(), room, m); err != nil {
		t.Fatalf("Join(%q): %v", room, err)
	}
}

func publish(t *testing.T, mgr *Manager, room string, frame []byte) {
	t.Helper()
	if err := mgr.Publish(t.Context(), room, frame); err != nil {
		t.Fatalf("Publish(%q): %v", room, err)
	}
}
