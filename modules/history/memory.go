package history

import (
	"context"
	"sync"
	"time"

	"rt/modules/bus"
	"rt/modules/protocol"
)

// sweepEvery is how often Append looks for rooms quiet for longer than the
// TTL, whose history is then forgotten.
const sweepEvery = time.Minute

// Memory is the history of embedded mode: the last Size messages of each
// room, in memory. It publishes on the in-process bus while it holds the
// room's lock, so a room's messages reach its subscribers in id order.
type Memory struct {
	bus bus.Bus
	set Settings
	now func() time.Time

	mu        sync.Mutex
	rooms     map[string]*memoryRoom
	lastSweep time.Time
}

var _ Log = (*Memory)(nil)

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

// NewMemory returns an empty history that publishes on b.
func NewMemory(b bus.Bus, s Settings) *Memory {
	return &Memory{bus: b, set: s, now: time.Now, rooms: map[string]*memoryRoom{}}
}

// Append stores and publishes each draft in order. The in-process bus
// cannot fail, so neither can Append.
func (h *Memory) Append(ctx context.Context, drafts []Draft) ([]string, []error) {
	ids := make([]string, len(drafts))
	errs := make([]error, len(drafts))
	now := h.now()
	h.sweep(now)
	for i, d := range drafts {
		ids[i], errs[i] = h.append(ctx, h.room(d.Room, now), d, now)
	}
	return ids, errs
}

func (h *Memory) append(ctx context.Context, r *memoryRoom, d Draft, now time.Time) (string, error) {
	r.mu.Lock()
	for r.forgotten {
		r.mu.Unlock()
		r = h.room(d.Room, now)
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
	if h.set.Size > 0 {
		if len(r.entries) == 2*h.set.Size { // drop the oldest half at once: O(1) per append
			n := copy(r.entries, r.entries[h.set.Size:])
			clear(r.entries[n:])
			r.entries = r.entries[:n]
		}
		r.entries = append(r.entries, Entry{ID: id, Frame: d.Frame})
	}
	return id, h.bus.Publish(ctx, bus.Message{Room: d.Room, ID: id, At: d.At, Frame: d.Frame})
}

// After returns the messages after since (Log).
func (h *Memory) After(_ context.Context, room, since string) (out []Entry, complete bool, _ error) {
	h.read(room, func(live []Entry) {
		i := searchAfter(live, since)
		out, complete = live[i:], i > 0 && live[i-1].ID == since
		if len(out) > h.set.Size {
			out, complete = out[len(out)-h.set.Size:], false
		}
		out = clone(out)
	})
	return out, complete, nil
}

// Range returns a page of messages after after (Log).
func (h *Memory) Range(_ context.Context, room, after string, limit int) (out []Entry, held bool, _ error) {
	h.read(room, func(live []Entry) {
		i := searchAfter(live, after)
		held = i > 0 && live[i-1].ID == after
		out = clone(live[i:min(len(live), i+max(limit, 0))])
	})
	return out, held, nil
}

// Before returns a page of messages before before (Log).
func (h *Memory) Before(_ context.Context, room, before string, limit int) (out []Entry, more bool, _ error) {
	h.read(room, func(live []Entry) {
		end := len(live)
		if before != "" {
			end = searchAfter(live, before)
			if end > 0 && live[end-1].ID == before {
				end--
			}
		}
		start := max(0, end-limit)
		out, more = clone(live[start:end]), start > 0
	})
	return out, more, nil
}

// read calls f with the messages the room holds, under its lock (none for
// a room never written or forgotten).
func (h *Memory) read(room string, f func(live []Entry)) {
	r := h.existing(room)
	if r == nil {
		f(nil)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	f(h.unexpired(r.entries))
}

// unexpired returns the entries history holds: the last Size, less those
// the TTL has removed.
func (h *Memory) unexpired(entries []Entry) []Entry {
	entries = entries[max(0, len(entries)-h.set.Size):]
	now := h.now()
	i := 0
	for i < len(entries) && expired(entries[i].ID, now, h.set.TTL) {
		i++
	}
	return entries[i:]
}

// searchAfter returns the index of the first entry with an id greater than
// id; entries are in id order.
func searchAfter(entries []Entry, id string) int {
	lo, hi := 0, len(entries)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if entries[m].ID <= id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func clone(entries []Entry) []Entry {
	if len(entries) == 0 {
		return nil
	}
	return append([]Entry(nil), entries...)
}

func (h *Memory) room(name string, now time.Time) *memoryRoom {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[name]
	if r == nil {
		r = &memoryRoom{lastUsed: now}
		h.rooms[name] = r
	}
	return r
}

func (h *Memory) existing(name string) *memoryRoom {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rooms[name]
}

// sweep forgets, at most once per sweepEvery, the rooms nobody published
// to for longer than the TTL: every message they hold has expired, and a
// new message's position starts from the clock again, above the old ones.
func (h *Memory) sweep(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if now.Sub(h.lastSweep) < sweepEvery {
		return
	}
	h.lastSweep = now
	for name, r := range h.rooms {
		r.mu.Lock()
		if now.Sub(r.lastUsed) > h.set.TTL {
			r.forgotten = true
			delete(h.rooms, name)
		}
		r.mu.Unlock()
	}
}
