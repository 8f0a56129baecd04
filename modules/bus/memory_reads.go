package bus

import "context"

// After returns the messages after since (Bus).
func (b *Memory) After(_ context.Context, room, since string) (out []Entry, complete bool, _ error) {
	b.read(room, func(live []Entry) {
		i := searchAfter(live, since)
		out, complete = live[i:], i > 0 && live[i-1].ID == since
		if len(out) > b.set.Size {
			out, complete = out[len(out)-b.set.Size:], false
		}
		out = clone(out)
	})
	return out, complete, nil
}

// Range returns a page of messages after after (Bus).
func (b *Memory) Range(_ context.Context, room, after string, limit int) (out []Entry, held bool, _ error) {
	b.read(room, func(live []Entry) {
		i := searchAfter(live, after)
		held = i > 0 && live[i-1].ID == after
		out = clone(live[i:min(len(live), i+max(limit, 0))])
	})
	return out, held, nil
}

// Before returns a page of messages before before (Bus).
func (b *Memory) Before(_ context.Context, room, before string, limit int) (out []Entry, more bool, _ error) {
	b.read(room, func(live []Entry) {
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
func (b *Memory) read(room string, f func(live []Entry)) {
	r := b.existing(room)
	if r == nil {
		f(nil)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	f(b.unexpired(r.entries))
}

// unexpired returns the entries history holds: the last Size, less those
// the TTL has removed.
func (b *Memory) unexpired(entries []Entry) []Entry {
	entries = entries[max(0, len(entries)-b.set.Size):]
	now := b.now()
	i := 0
	for i < len(entries) && Expired(entries[i].ID, now, b.set.TTL) {
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
