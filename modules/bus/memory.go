package bus

import (
	"context"
	"sync"
	"time"

	"github.com/rtserver/rt/modules/protocol"
)

// sweepEvery is how often Append looks for rooms quiet for longer than the
// TTL, whose history is then forgotten.
const sweepEvery = time.Minute

// Memory is the Bus of embedded mode: the last Size messages of each room
// in this process, handed to its subscribers while the room's lock is
// held, so a room's messages reach them in id order.
type Memory struct {
	subs Subscribers
	set  Settings
	now  func() time.Time

	mu        sync.Mutex
	rooms     map[string]*memoryRoom
	lastSweep time.Time
}

var _ Bus = (*Memory)(nil)

// memoryRoom is one room's history: a ring of at most Size entries and the
// position of the last message.
type memoryRoom struct {
	mu       sync.Mutex
	ms, seq  uint64  // position of the last message
	entries  []Entry // oldest first; the last Size of them are held
	lastUsed time.Time
	// forgotten: the sweep removed the room from Memory.rooms, perhaps
	// after an Append looked it up; that Append looks it up again.
	forgotten bool
}

// NewMemory returns an empty in-process bus keeping s of history.
func NewMemory(s Settings) *Memory {
	return &Memory{subs: NewSubscribers(), set: s, now: s.Clock(), rooms: map[string]*memoryRoom{}}
}

// Publish hands m, as it is, to every subscriber of m.Room before it
// returns.
func (b *Memory) Publish(_ context.Context, m Message) error {
	b.subs.Deliver(m)
	return nil
}

// Subscribe registers deliver for room.
func (b *Memory) Subscribe(_ context.Context, room string, deliver func(Message)) func() {
	sub, _ := b.subs.Add(room, deliver)
	return CancelOnce(func() { b.subs.Remove(room, sub) })
}

// Append stores and delivers each draft in order; it cannot fail.
func (b *Memory) Append(_ context.Context, drafts []Draft) ([]string, []error) {
	ids := make([]string, len(drafts))
	errs := make([]error, len(drafts))
	now := b.now()
	b.sweep(now)
	for i, d := range drafts {
		ids[i] = b.append(b.room(d.Room, now), d, now)
	}
	return ids, errs
}

func (b *Memory) append(r *memoryRoom, d Draft, now time.Time) string {
	r.mu.Lock()
	for r.forgotten {
		r.mu.Unlock()
		r = b.room(d.Room, now)
		r.mu.Lock()
	}
	defer r.mu.Unlock()
	ms := uint64(max(now.UnixMilli(), 0))
	if ms > r.ms {
		r.ms, r.seq = ms, 0
	} else {
		r.seq++ // the clock has not moved on (or went back): next in the same millisecond
	}
	id := protocol.FormatID(r.ms, r.seq)
	protocol.SetID(d.Frame, d.IDAt, id)
	r.lastUsed = now
	if b.set.Size > 0 {
		if len(r.entries) == 2*b.set.Size { // drop the oldest half at once: O(1) per append
			n := copy(r.entries, r.entries[b.set.Size:])
			clear(r.entries[n:])
			r.entries = r.entries[:n]
		}
		r.entries = append(r.entries, Entry{ID: id, Frame: d.Frame})
	}
	b.subs.Deliver(Message{Room: d.Room, ID: id, At: d.At, Frame: d.Frame})
	return id
}

func (b *Memory) room(name string, now time.Time) *memoryRoom {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.rooms[name]
	if r == nil {
		r = &memoryRoom{lastUsed: now}
		b.rooms[name] = r
	}
	return r
}

func (b *Memory) existing(name string) *memoryRoom {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rooms[name]
}

// sweep forgets, at most once per sweepEvery, the rooms nobody published
// to for longer than the TTL: every message they hold has expired, and a
// new message's position starts from the clock again, above the old ones.
func (b *Memory) sweep(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Sub(b.lastSweep) < sweepEvery {
		return
	}
	b.lastSweep = now
	for name, r := range b.rooms {
		r.mu.Lock()
		if now.Sub(r.lastUsed) > b.set.TTL {
			r.forgotten = true
			delete(b.rooms, name)
		}
		r.mu.Unlock()
	}
}
