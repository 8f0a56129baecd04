package history

import (
	"testing"
	"time"

	"rt/modules/bus"
)

// An Append that looked its room up just before another Append's sweep
// forgot it (the room quiet for longer than the TTL) still lands in the
// room's history, after the other's message and with an id of its own.
// The interleaving is run step by step: Append is room, then append.
func TestMemoryAppendRacingSweep(t *testing.T) {
	b := bus.NewMemory()
	h := NewMemory(b, Settings{Size: 10, TTL: 30 * time.Second})
	n := &node{log: h, bus: b}
	rec := listen(t, n, "r")
	t0 := time.UnixMilli(1_700_000_000_000).Add(500 * time.Microsecond)
	h.now = func() time.Time { return t0 }
	first := appendMsgs(t, h, newMsg("r")) // the sweep runs at t0

	// A, just under a minute later: no sweep yet; it looks the room up.
	nowA := t0.Add(sweepEvery - time.Nanosecond)
	h.sweep(nowA)
	roomA := h.room("r", nowA)

	// B, a minute after the last sweep, in the same millisecond: its sweep
	// forgets the quiet room, and its message starts it again.
	nowB := t0.Add(sweepEvery)
	h.now = func() time.Time { return nowB }
	second := appendMsgs(t, h, newMsg("r"))

	// A appends into the room it looked up.
	m := newMsg("r")
	d := m.draft()
	id, err := h.append(t.Context(), roomA, d, nowA)
	if err != nil {
		t.Fatal(err)
	}
	third := sent{m, id}
	if third.id <= second[0].id {
		t.Fatalf("A's id %s is not above B's %s, published before it", third.id, second[0].id)
	}
	held := []sent{second[0], third}
	wantBefore(t, h, "r", "", 10, held)
	wantAfter(t, h, "r", second[0].id, held, 10)
	wantPublished(t, "bus", rec.messages(), append(first, held...))
}

// A clock that goes back does not take ids back: they go on from the last
// position, in its millisecond.
func TestMemoryClockGoesBack(t *testing.T) {
	h := NewMemory(bus.NewMemory(), Settings{Size: 10, TTL: time.Hour})
	t0 := time.UnixMilli(1_700_000_000_000)
	h.now = func() time.Time { return t0 }
	all := appendN(t, h, "r", 2, 1)
	h.now = func() time.Time { return t0.Add(-10 * time.Second) }
	all = append(all, appendN(t, h, "r", 2, 2)...)
	h.now = func() time.Time { return time.Time{} } // before 1970
	all = append(all, appendN(t, h, "r", 1, 1)...)
	wantIncreasing(t, "r", all)
	h.now = func() time.Time { return t0 }
	wantAfter(t, h, "r", all[0].id, all, 10)
	wantBefore(t, h, "r", "", 10, all)
}

// A room nobody published to for longer than the TTL is forgotten at the
// next sweep; its next message is numbered from the clock, above the old.
func TestMemorySweepForgetsQuietRooms(t *testing.T) {
	h := NewMemory(bus.NewMemory(), Settings{Size: 10, TTL: time.Hour})
	t0 := time.UnixMilli(1_700_000_000_000)
	h.now = func() time.Time { return t0 }
	old := appendN(t, h, "quiet", 3, 3)
	appendN(t, h, "busy", 1, 1)

	h.now = func() time.Time { return t0.Add(30 * time.Minute) }
	appendN(t, h, "busy", 1, 1) // sweeps: nothing quiet for an hour yet
	h.now = func() time.Time { return t0.Add(time.Hour + time.Minute) }
	appendN(t, h, "busy", 1, 1) // sweeps: "quiet" is forgotten
	if h.existing("quiet") != nil {
		t.Fatal("a room quiet for longer than the TTL is still held")
	}
	if h.existing("busy") == nil {
		t.Fatal("a room used within the TTL was forgotten")
	}
	wantAfter(t, h, "quiet", old[2].id, nil, 10)
	fresh := appendN(t, h, "quiet", 1, 1)
	if fresh[0].id <= old[2].id {
		t.Fatalf("id after the sweep %s is not above %s", fresh[0].id, old[2].id)
	}
	wantAfter(t, h, "quiet", old[2].id, fresh, 10)
}

// Memory holds exactly the last Size messages, and never more than twice
// that in memory.
func TestMemoryHoldsExactlySize(t *testing.T) {
	const size = 7
	h := NewMemory(bus.NewMemory(), Settings{Size: size, TTL: time.Hour})
	var all []sent
	for range 100 {
		all = append(all, appendMsgs(t, h, newMsg("r"))...)
		if got := len(h.existing("r").entries); got > 2*size {
			t.Fatalf("%d entries in memory, size %d", got, size)
		}
		held := all[max(0, len(all)-size):]
		wantEntries(t, "paging", pageBack(t, h, "r", 3), held)
		wantAfter(t, h, "r", all[0].id, held, size)
	}
}
