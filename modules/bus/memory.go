package bus

import "context"

// Memory is the in-process bus of embedded mode.
type Memory struct{ subs subscribers }

var _ Bus = (*Memory)(nil)

// NewMemory returns an empty in-process bus.
func NewMemory() *Memory { return &Memory{subs: newSubscribers()} }

// Publish hands m, as it is, to every subscriber of m.Room before it
// returns.
func (b *Memory) Publish(_ context.Context, m Message) error {
	b.subs.deliver(m)
	return nil
}

// Subscribe registers deliver for room.
func (b *Memory) Subscribe(_ context.Context, room string, deliver func(Message)) func() {
	sub, _ := b.subs.add(room, deliver)
	return cancelOnce(func() { b.subs.remove(room, sub) })
}
