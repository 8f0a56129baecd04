package bus_test

import (
	"sync"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/bus/bustest"
	"github.com/rtserver/rt/modules/protocol"
)

func TestMemoryContract(t *testing.T) {
	bustest.Run(t, func(_ *testing.T, s bus.Settings) bus.Bus { return bus.NewMemory(s) })
}

// memoryClock is a Memory's clock, set by the test.
type memoryClock struct {
	mu sync.Mutex
	at time.Time
}

func (c *memoryClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

func (c *memoryClock) set(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = at
}

// newMemory returns a Memory of size messages and ttl on a clock set to
// at.
func newMemory(size int, ttl time.Duration, at time.Time) (*bus.Memory, *memoryClock) {
	c := &memoryClock{at: at}
	return bus.NewMemory(bus.Settings{Size: size, TTL: ttl, Now: c.now}), c
}

// An Append that looked its room up just before another Append's sweep
// forgot it (the room quiet for longer than the TTL) still lands in the
// room's history, after the other's message and with an id of its own.
// The interleaving is run step by step: Append is sweep, look-up, then
// append.
func TestMemoryAppendRacingSweep(t *testing.T) {
	t0 := time.UnixMilli(1_700_000_000_000).Add(500 * time.Microsecond)
	h, clock := newMemory(10, 30*time.Second, t0)
	rec := bustest.Listen(t, h, "r")
	first := bustest.AppendMsgs(t, h, bustest.NewMsg("r")) // the sweep runs at t0

	// A, just under a minute later: no sweep yet; it looks the room up.
	nowA := t0.Add(bus.SweepEvery - time.Nanosecond)
	h.Sweep(nowA)
	appendA := h.LookUp("r", nowA)

	// B, a minute after the last sweep, in the same millisecond: its sweep
	// forgets the quiet room, and its message starts it again.
	clock.set(t0.Add(bus.SweepEvery))
	second := bustest.AppendMsgs(t, h, bustest.NewMsg("r"))

	// A appends into the room it looked up.
	m := bustest.NewMsg("r")
	third := bustest.Sent{Msg: m, ID: appendA(m.Draft())}
	if third.ID <= second[0].ID {
		t.Fatalf("A's id %s is not above B's %s, published before it", third.ID, second[0].ID)
	}
	held := []bustest.Sent{second[0], third}
	bustest.WantBefore(t, h, "r", "", 10, held)
	bustest.WantAfter(t, h, "r", second[0].ID, held, 10)
	bustest.WantPublished(t, "bus", rec.Chat(), append(first, held...))
}

// A clock that goes back does not take ids back: they go on from the last
// position, in its millisecond.
func TestMemoryClockGoesBack(t *testing.T) {
	t0 := time.UnixMilli(1_700_000_000_000)
	h, clock := newMemory(10, time.Hour, t0)
	all := bustest.AppendN(t, h, "r", 2, 1)
	clock.set(t0.Add(-10 * time.Second))
	all = append(all, bustest.AppendN(t, h, "r", 2, 2)...)
	clock.set(time.Time{}) // before 1970
	all = append(all, bustest.AppendN(t, h, "r", 1, 1)...)
	bustest.WantIncreasing(t, "r", all)
	clock.set(t0)
	bustest.WantAfter(t, h, "r", all[0].ID, all, 10)
	bustest.WantBefore(t, h, "r", "", 10, all)
}

// A room nobody published to for longer than the TTL is forgotten at the
// next sweep; its next message is numbered from the clock, above the old.
func TestMemorySweepForgetsQuietRooms(t *testing.T) {
	t0 := time.UnixMilli(1_700_000_000_000)
	h, clock := newMemory(10, time.Hour, t0)
	old := bustest.AppendN(t, h, "quiet", 3, 3)
	bustest.AppendN(t, h, "busy", 1, 1)

	clock.set(t0.Add(30 * time.Minute))
	bustest.AppendN(t, h, "busy", 1, 1) // sweeps: nothing quiet for an hour yet
	clock.set(t0.Add(time.Hour + time.Minute))
	bustest.AppendN(t, h, "busy", 1, 1) // sweeps: "quiet" is forgotten
	if _, ok := h.Held("quiet"); ok {
		t.Fatal("a room quiet for longer than the TTL is still held")
	}
	if _, ok := h.Held("busy"); !ok {
		t.Fatal("a room used within the TTL was forgotten")
	}
	bustest.WantAfter(t, h, "quiet", old[2].ID, nil, 10)
	fresh := bustest.AppendN(t, h, "quiet", 1, 1)
	if fresh[0].ID <= old[2].ID {
		t.Fatalf("id after the sweep %s is not above %s", fresh[0].ID, old[2].ID)
	}
	bustest.WantAfter(t, h, "quiet", old[2].ID, fresh, 10)
}

// Memory holds exactly the last Size messages, and never more than twice
// that in memory.
func TestMemoryHoldsExactlySize(t *testing.T) {
	const size = 7
	h := bus.NewMemory(bus.Settings{Size: size, TTL: time.Hour})
	var all []bustest.Sent
	for range 100 {
		all = append(all, bustest.AppendMsgs(t, h, bustest.NewMsg("r"))...)
		if got, _ := h.Held("r"); got > 2*size {
			t.Fatalf("%d entries in memory, size %d", got, size)
		}
		held := all[max(0, len(all)-size):]
		bustest.WantEntries(t, "paging", bustest.PageBack(t, h, "r", 3), held)
		bustest.WantAfter(t, h, "r", all[0].ID, held, size)
	}
}

// BenchmarkMemoryAppend: one room, one draft per call, default settings.
func BenchmarkMemoryAppend(b *testing.B) {
	h := bus.NewMemory(bus.Settings{Size: 200, TTL: time.Hour})
	ts := time.Now().UnixMilli()
	frame, at := protocol.DeliveryDraft("bench", "user-bench", "a message of a typical length, some forty bytes", nil, ts)
	b.ReportAllocs()
	for b.Loop() {
		// a stored frame must not be reused: a fresh one on every call
		d := []bus.Draft{{Room: "bench", At: ts, Frame: append([]byte(nil), frame...), IDAt: at}}
		if _, errs := h.Append(b.Context(), d); errs[0] != nil {
			b.Fatal(errs[0])
		}
	}
}
