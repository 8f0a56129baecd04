package bustest

import (
	"fmt"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/protocol"
)

// runAfter is the contract of After: what a client or a node that missed
// messages reads back.
func runAfter(t *testing.T, newBus NewBus) {
	hour := time.Hour
	t.Run("AfterHeldID", func(t *testing.T) {
		const size = 20
		b, _ := newBus.start(t, bus.Settings{Size: size, TTL: hour})
		held := AppendN(t, b, "r", 12, 4)
		for _, s := range held {
			WantAfter(t, b, "r", s.ID, held, size)
		}
		// The newest id: nothing after it, and nothing missed.
		es, complete, err := b.After(t.Context(), "r", held[len(held)-1].ID)
		if err != nil || len(es) != 0 || !complete {
			t.Fatalf("After(newest) = %d entries, complete %v, err %v; want none, complete", len(es), complete, err)
		}
		WantAfter(t, b, "r", bus.FloorID(0), held, size) // below every id: not held
	})

	t.Run("AfterTrimmedID", func(t *testing.T) {
		const size = 5
		b, _ := newBus.start(t, bus.Settings{Size: size, TTL: hour})
		all := AppendN(t, b, "r", 300, 50)
		newest := all[len(all)-size:]
		for _, k := range []int{0, 1, 150, 293, 294, 295, 298, 299} {
			WantAfter(t, b, "r", all[k].ID, newest, size)
		}
		es, complete, err := b.After(t.Context(), "r", all[0].ID)
		if err != nil || complete {
			t.Fatalf("After(trimmed id): complete %v, err %v", complete, err)
		}
		WantEntries(t, "After(trimmed id)", es, newest)
	})

	// Fewer than the stream's whole first node: Redis's MAXLEN ~ trims
	// nothing yet, so it still holds since; After still returns only the
	// newest size.
	t.Run("MoreThanSizeAfterHeldID", func(t *testing.T) {
		const size = 5
		b, _ := newBus.start(t, bus.Settings{Size: size, TTL: hour})
		all := AppendN(t, b, "r", 20, 20)
		for k := range all {
			es, complete, err := b.After(t.Context(), "r", all[k].ID)
			if err != nil {
				t.Fatal(err)
			}
			after := all[k+1:]
			want := after[max(0, len(after)-size):]
			WantEntries(t, fmt.Sprintf("After(all[%d])", k), es, want)
			if len(after) > size && complete {
				t.Fatalf("After(all[%d]): complete with %d messages after it, size %d", k, len(after), size)
			}
			if len(after) < size && !complete {
				t.Fatalf("After(all[%d]): not complete with %d messages after it, size %d", k, len(after), size)
			}
		}
	})

	t.Run("AfterFutureID", func(t *testing.T) {
		b, _ := newBus.start(t, bus.Settings{Size: 10, TTL: hour})
		held := AppendN(t, b, "r", 3, 3)
		ms, seq, _ := protocol.ParseID(held[2].ID)
		for _, since := range []string{
			protocol.FormatID(ms, seq+1),
			protocol.FormatID(ms+60_000, 0),
			protocol.FormatID(1<<48-1, 1<<64-1),
		} {
			es, complete, err := b.After(t.Context(), "r", since)
			if err != nil || len(es) != 0 || complete {
				t.Fatalf("After(%s) = %d entries, complete %v, err %v; want none, not complete", since, len(es), complete, err)
			}
		}
	})

	t.Run("AfterIDOfAnotherRoom", func(t *testing.T) {
		const size = 50
		b, _ := newBus.start(t, bus.Settings{Size: size, TTL: hour})
		var ms []Msg
		for range 10 {
			ms = append(ms, NewMsg("a"), NewMsg("b"))
		}
		all := AppendMsgs(t, b, ms...)
		time.Sleep(3 * time.Millisecond)
		all = append(all, AppendMsgs(t, b, NewMsg("b"), NewMsg("a"))...)
		inA, inB := inRoom(all, "a"), inRoom(all, "b")
		// Two rooms may give the same id: it names a position in each. So
		// the result is room a's messages after the id, whatever room it
		// came from, and never one of room b's.
		for _, s := range inB {
			WantAfter(t, b, "a", s.ID, inA, size)
		}
		for _, s := range inA {
			WantAfter(t, b, "b", s.ID, inB, size)
		}
	})

}

func runRange(t *testing.T, newBus NewBus) {
	hour := time.Hour
	t.Run("RangePagesForward", func(t *testing.T) {
		b, _ := newBus.start(t, bus.Settings{Size: 100, TTL: hour})
		all := AppendN(t, b, "r", 37, 10)
		for _, limit := range []int{1, 3, 10, 37, 100} {
			got, held := pageForward(t, b, "r", all[4].ID, limit)
			WantEntries(t, fmt.Sprintf("limit %d", limit), got, all[5:])
			if !held {
				t.Fatalf("limit %d: a page did not find the id it started after", limit)
			}
		}
		got, held := pageForward(t, b, "r", bus.FloorID(0), 10)
		WantEntries(t, "from below every id", got, all)
		if held {
			t.Fatal("an id below every message reported held")
		}
		es, held, err := b.Range(t.Context(), "r", all[36].ID, 10)
		if err != nil || len(es) != 0 || !held {
			t.Fatalf("Range(newest) = %d entries, held %v, err %v; want none, held", len(es), held, err)
		}
		es, held, err = b.Range(t.Context(), "nowhere", all[3].ID, 10)
		if err != nil || len(es) != 0 || held {
			t.Fatalf("Range(another room) = %d entries, held %v, err %v; want none, not held", len(es), held, err)
		}
	})
	// A trimmed id is not held; what follows it is the suffix history keeps.
	t.Run("RangeTrimmed", func(t *testing.T) {
		const size = 5
		b, _ := newBus.start(t, bus.Settings{Size: size, TTL: hour})
		all := AppendN(t, b, "r", 300, 50)
		got, held := pageForward(t, b, "r", all[0].ID, 2)
		if held || len(got) < size {
			t.Fatalf("held %v, %d entries; want not held, at least %d", held, len(got), size)
		}
		WantEntries(t, "after a trimmed id", got, all[len(all)-len(got):])
	})
	// An expired id is not held, and expired messages are left out.
	t.Run("RangeTTL", func(t *testing.T) {
		b, clk := newBus.start(t, bus.Settings{Size: 10, TTL: hour})
		old := AppendN(t, b, "r", 2, 2)
		time.Sleep(3 * time.Millisecond)
		fresh := AppendN(t, b, "r", 2, 2)
		ms, _, _ := protocol.ParseID(fresh[0].ID)
		clk.set(func() time.Time { return time.UnixMilli(int64(ms)).Add(hour) })
		got, held := pageForward(t, b, "r", old[0].ID, 10)
		if held {
			t.Fatal("an expired id reported held")
		}
		WantEntries(t, "after an expired id", got, fresh)
	})
}
