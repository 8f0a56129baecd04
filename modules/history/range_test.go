package history

import (
	"fmt"
	"testing"
	"time"

	"rt/modules/protocol"
)

// pageForward reads a room's history after from with Range, limit at a
// time, until a short page, the way a recovery does; it returns what it
// read and whether every page found the id it started after.
func pageForward(t testing.TB, l Log, room, from string, limit int) ([]Entry, bool) {
	t.Helper()
	var all []Entry
	everyHeld := true
	for {
		es, held, err := l.Range(t.Context(), room, from, limit)
		if err != nil {
			t.Fatalf("Range(%s, %q, %d): %v", room, from, limit, err)
		}
		if len(es) > limit {
			t.Fatalf("Range(%s, %q, %d) = %d entries", room, from, limit, len(es))
		}
		everyHeld = everyHeld && held
		all = append(all, es...)
		if len(es) < limit {
			return all, everyHeld
		}
		from = es[len(es)-1].ID
	}
}

// testRange is the contract of Range, run on both stores by testContract.
func testRange(t *testing.T, newNode newNode) {
	hour := time.Hour
	t.Run("RangePagesForward", func(t *testing.T) {
		n := newNode(t, Settings{Size: 100, TTL: hour})
		all := appendN(t, n.log, "r", 37, 10)
		for _, limit := range []int{1, 3, 10, 37, 100} {
			got, held := pageForward(t, n.log, "r", all[4].id, limit)
			wantEntries(t, fmt.Sprintf("limit %d", limit), got, all[5:])
			if !held {
				t.Fatalf("limit %d: a page did not find the id it started after", limit)
			}
		}
		got, held := pageForward(t, n.log, "r", FloorID(0), 10)
		wantEntries(t, "from below every id", got, all)
		if held {
			t.Fatal("an id below every message reported held")
		}
		es, held, err := n.log.Range(t.Context(), "r", all[36].id, 10)
		if err != nil || len(es) != 0 || !held {
			t.Fatalf("Range(newest) = %d entries, held %v, err %v; want none, held", len(es), held, err)
		}
		es, held, err = n.log.Range(t.Context(), "nowhere", all[3].id, 10)
		if err != nil || len(es) != 0 || held {
			t.Fatalf("Range(another room) = %d entries, held %v, err %v; want none, not held", len(es), held, err)
		}
	})
	// A trimmed id is not held; what follows it is the suffix history keeps.
	t.Run("RangeTrimmed", func(t *testing.T) {
		const size = 5
		n := newNode(t, Settings{Size: size, TTL: hour})
		all := appendN(t, n.log, "r", 300, 50)
		got, held := pageForward(t, n.log, "r", all[0].id, 2)
		if held || len(got) < size {
			t.Fatalf("held %v, %d entries; want not held, at least %d", held, len(got), size)
		}
		wantEntries(t, "after a trimmed id", got, all[len(all)-len(got):])
	})
	// An expired id is not held, and expired messages are left out.
	t.Run("RangeTTL", func(t *testing.T) {
		n := newNode(t, Settings{Size: 10, TTL: hour})
		old := appendN(t, n.log, "r", 2, 2)
		time.Sleep(3 * time.Millisecond)
		fresh := appendN(t, n.log, "r", 2, 2)
		ms, _, _ := protocol.ParseID(fresh[0].id)
		n.setNow(func() time.Time { return time.UnixMilli(int64(ms)).Add(hour) })
		got, held := pageForward(t, n.log, "r", old[0].id, 10)
		if held {
			t.Fatal("an expired id reported held")
		}
		wantEntries(t, "after an expired id", got, fresh)
	})
}
