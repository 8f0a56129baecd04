package rooms

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"rt/modules/bus"
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
	return &countingBus{Bus: bus.NewMemory(), active: map[string]int{}, max: map[string]int{}}
}

func (c *countingBus) Subscribe(ctx context.Context, room string, deliver func([]byte)) (func(), error) {
	c.subscribe.Add(1)
	c.mu.Lock()
	c.active[room]++
	c.max[room] = max(c.max[room], c.active[room])
	c.mu.Unlock()
	cancel, err := c.Bus.Subscribe(ctx, room, deliver)
	if err != nil {
		c.release(room)
		return nil, err
	}
	var once sync.Once
	return func() {
		cancel()
		once.Do(func() { c.release(room) })
	}, nil
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
