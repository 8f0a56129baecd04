package bus

import "context"

// Memory is the in-process bus of embedded mode.
type Memory struct{ subs subscribers }

var _ Bus = (*Memory)(nil)

// NewMemory returns an empty in-process bus.
func NewMemory() *Memory { return &Memory{subs: newSubscribers()} }

// Publish hands frame to every subscriber of room before it returns.
func (m *Memory) Publish(_ context.Context, room string, frame []byte) error {
	m.subs.deliver(room, frame)
	return nil
}

// Subscribe registers deliver for room.
func (m *Memory) Subscribe(_ context.Context, room string, deliver func([]byte)) (func(), error) {
	sub, _ := m.subs.add(room, deliver)
	return cancelOnce(func() { m.subs.remove(room, sub) }), nil
}
