package bus

import "time"

// What memory_test.go, in package bus_test, needs to run an Append step by
// step.

// SweepEvery is how often Append looks for quiet rooms to forget.
const SweepEvery = sweepEvery

// Sweep is an Append's first step at now: forgetting quiet rooms, once per
// SweepEvery.
func (b *Memory) Sweep(now time.Time) { b.sweep(now) }

// LookUp is an Append's second step at now, looking the room up; the func
// it returns is the third, storing and delivering d in the room looked up.
func (b *Memory) LookUp(room string, now time.Time) (appendTo func(d Draft) string) {
	r := b.room(room, now)
	return func(d Draft) string { return b.append(r, d, now) }
}

// Held is how many entries room keeps in memory; ok is false when the room
// is not held at all (never written, or forgotten).
func (b *Memory) Held(room string) (entries int, ok bool) {
	r := b.existing(room)
	if r == nil {
		return 0, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries), true
}
