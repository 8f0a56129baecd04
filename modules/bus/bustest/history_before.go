package bustest

import (
	"fmt"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/protocol"
)

// runBefore is the contract of Before, which pages back through a room's
// history, and of the TTL, which all the reads keep.
func runBefore(t *testing.T, newBus NewBus) {
	hour := time.Hour
	t.Run("BeforePagesBackToTheStart", func(t *testing.T) {
		b, _ := newBus.start(t, bus.Settings{Size: 120, TTL: hour})
		all := AppendN(t, b, "r", 107, 10)
		for limit := 1; limit <= 100; limit++ {
			got := PageBack(t, b, "r", limit)
			WantEntries(t, fmt.Sprintf("paging with limit %d", limit), got, all)
		}
	})

	// More messages than size: paging back reads the newest, a suffix of
	// what was appended with nothing skipped, at least size of them (Redis
	// may keep more: MAXLEN ~).
	t.Run("BeforePagesTrimmed", func(t *testing.T) {
		const size = 5
		b, _ := newBus.start(t, bus.Settings{Size: size, TTL: hour})
		all := AppendN(t, b, "r", 300, 50)
		for _, limit := range []int{1, 2, 5, 100} {
			got := PageBack(t, b, "r", limit)
			if len(got) < size {
				t.Fatalf("limit %d: paging read %d messages, want at least %d", limit, len(got), size)
			}
			WantEntries(t, fmt.Sprintf("paging with limit %d", limit), got, all[len(all)-len(got):])
		}
	})

	t.Run("BeforeIDs", func(t *testing.T) {
		b, _ := newBus.start(t, bus.Settings{Size: 100, TTL: hour})
		early := AppendN(t, b, "r", 5, 5)
		time.Sleep(3 * time.Millisecond)
		all := append(early, AppendN(t, b, "r", 5, 5)...)
		WantIncreasing(t, "r", all)
		ms, _, _ := protocol.ParseID(early[4].ID)
		gap := protocol.FormatID(ms+1, 0) // between early[4] and all[5]: held by nobody
		if gap <= early[4].ID || gap >= all[5].ID {
			t.Fatalf("no gap between %s and %s", early[4].ID, all[5].ID)
		}
		for _, before := range []string{"", gap, all[0].ID, all[3].ID, all[9].ID,
			protocol.FormatID(1, 0), protocol.FormatID(1<<48-1, 0)} {
			for _, limit := range []int{1, 3, 5, 9, 10, 11, 100} {
				WantBefore(t, b, "r", before, limit, all)
			}
		}
	})

	// The TTL is read against the bus's clock, moved here past some
	// messages' ids.
	t.Run("TTL", func(t *testing.T) {
		const size = 10
		b, clk := newBus.start(t, bus.Settings{Size: size, TTL: hour})
		old := AppendN(t, b, "r", 2, 2)
		time.Sleep(3 * time.Millisecond)
		fresh := AppendN(t, b, "r", 2, 2)
		ms3, _, _ := protocol.ParseID(fresh[0].ID)
		ms2, _, _ := protocol.ParseID(old[1].ID)
		if ms2 >= ms3 {
			t.Fatalf("%s and %s in one millisecond", old[1].ID, fresh[0].ID)
		}
		// fresh[0] is exactly TTL old, the older ones more.
		clk.set(func() time.Time { return time.UnixMilli(int64(ms3)).Add(hour) })
		for _, s := range append(old, fresh...) {
			WantAfter(t, b, "r", s.ID, fresh, size)
		}
		for _, before := range []string{"", fresh[1].ID, fresh[0].ID, old[1].ID} {
			WantBefore(t, b, "r", before, 10, fresh)
		}
		WantBefore(t, b, "r", "", 1, fresh)

		// Everything expired.
		ms4, _, _ := protocol.ParseID(fresh[1].ID)
		clk.set(func() time.Time { return time.UnixMilli(int64(ms4) + 1).Add(hour) })
		for _, s := range append(old, fresh...) {
			WantAfter(t, b, "r", s.ID, nil, size)
		}
		WantBefore(t, b, "r", "", 10, nil)
	})

}
