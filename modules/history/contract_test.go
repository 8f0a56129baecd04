package history

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"rt/modules/protocol"
	"rt/modules/redis/redistest"
)

func TestMemoryContract(t *testing.T) { testContract(t, newMemoryNode) }

// TestRedisContract runs the contract against a real redis-server, emptied
// before every subtest.
func TestRedisContract(t *testing.T) {
	srv := redistest.Start(t)
	admin := newClient(t, srv.Addr())
	testContract(t, func(t *testing.T, s Settings) *node {
		flushAll(t, admin)
		return newRedisNode(t, srv, s).node
	})
}

// testContract is what every Log does, whichever store keeps it.
func testContract(t *testing.T, newNode newNode) {
	hour := time.Hour
	testRange(t, newNode)

	t.Run("AppendPublishesEachMessageOnceInIDOrder", func(t *testing.T) {
		n := newNode(t, Settings{Size: 100, TTL: hour})
		ra, rb := listen(t, n, "a"), listen(t, n, "b")
		var all []sent
		all = append(all, appendMsgs(t, n.log, newMsg("a"), newMsg("b"), newMsg("a"), newMsg("a"), newMsg("b"))...)
		for range 10 {
			all = append(all, appendMsgs(t, n.log, newMsg("a"))...)
		}
		all = append(all, appendMsgs(t, n.log, newMsg("b"), newMsg("b"), newMsg("b"))...)
		if ids, errs := n.log.Append(t.Context(), nil); len(ids) != 0 || len(errs) != 0 {
			t.Fatalf("Append(nil) = %q, %v", ids, errs)
		}
		for room, r := range map[string]*recorder{"a": ra, "b": rb} {
			want := inRoom(all, room)
			wantIncreasing(t, room, want)
			wantPublished(t, "room "+room, r.waitID(t, want[len(want)-1].id), want)
			es, more, err := n.log.Before(t.Context(), room, "", 100)
			if err != nil || more {
				t.Fatalf("Before(%s) more %v, err %v", room, more, err)
			}
			wantEntries(t, "Before "+room, es, want)
		}
	})

	t.Run("AfterHeldID", func(t *testing.T) {
		const size = 20
		n := newNode(t, Settings{Size: size, TTL: hour})
		held := appendN(t, n.log, "r", 12, 4)
		for _, s := range held {
			wantAfter(t, n.log, "r", s.id, held, size)
		}
		// The newest id: nothing after it, and nothing missed.
		es, complete, err := n.log.After(t.Context(), "r", held[len(held)-1].id)
		if err != nil || len(es) != 0 || !complete {
			t.Fatalf("After(newest) = %d entries, complete %v, err %v; want none, complete", len(es), complete, err)
		}
		wantAfter(t, n.log, "r", FloorID(0), held, size) // below every id: not held
	})

	t.Run("AfterTrimmedID", func(t *testing.T) {
		const size = 5
		n := newNode(t, Settings{Size: size, TTL: hour})
		all := appendN(t, n.log, "r", 300, 50)
		newest := all[len(all)-size:]
		for _, k := range []int{0, 1, 150, 293, 294, 295, 298, 299} {
			wantAfter(t, n.log, "r", all[k].id, newest, size)
		}
		es, complete, err := n.log.After(t.Context(), "r", all[0].id)
		if err != nil || complete {
			t.Fatalf("After(trimmed id): complete %v, err %v", complete, err)
		}
		wantEntries(t, "After(trimmed id)", es, newest)
	})

	// Fewer than the stream's whole first node: Redis's MAXLEN ~ trims
	// nothing yet, so it still holds since; After still returns only the
	// newest size.
	t.Run("MoreThanSizeAfterHeldID", func(t *testing.T) {
		const size = 5
		n := newNode(t, Settings{Size: size, TTL: hour})
		all := appendN(t, n.log, "r", 20, 20)
		for k := range all {
			es, complete, err := n.log.After(t.Context(), "r", all[k].id)
			if err != nil {
				t.Fatal(err)
			}
			after := all[k+1:]
			want := after[max(0, len(after)-size):]
			wantEntries(t, fmt.Sprintf("After(all[%d])", k), es, want)
			if len(after) > size && complete {
				t.Fatalf("After(all[%d]): complete with %d messages after it, size %d", k, len(after), size)
			}
			if len(after) < size && !complete {
				t.Fatalf("After(all[%d]): not complete with %d messages after it, size %d", k, len(after), size)
			}
		}
	})

	t.Run("AfterFutureID", func(t *testing.T) {
		n := newNode(t, Settings{Size: 10, TTL: hour})
		held := appendN(t, n.log, "r", 3, 3)
		ms, seq, _ := protocol.ParseID(held[2].id)
		for _, since := range []string{
			protocol.FormatID(ms, seq+1),
			protocol.FormatID(ms+60_000, 0),
			protocol.FormatID(1<<48-1, 1<<64-1),
		} {
			es, complete, err := n.log.After(t.Context(), "r", since)
			if err != nil || len(es) != 0 || complete {
				t.Fatalf("After(%s) = %d entries, complete %v, err %v; want none, not complete", since, len(es), complete, err)
			}
		}
	})

	t.Run("AfterIDOfAnotherRoom", func(t *testing.T) {
		const size = 50
		n := newNode(t, Settings{Size: size, TTL: hour})
		var ms []msg
		for range 10 {
			ms = append(ms, newMsg("a"), newMsg("b"))
		}
		all := appendMsgs(t, n.log, ms...)
		time.Sleep(3 * time.Millisecond)
		all = append(all, appendMsgs(t, n.log, newMsg("b"), newMsg("a"))...)
		a, b := inRoom(all, "a"), inRoom(all, "b")
		// Two rooms may give the same id: it names a position in each. So
		// the result is room a's messages after the id, whatever room it
		// came from, and never one of room b's.
		for _, s := range b {
			wantAfter(t, n.log, "a", s.id, a, size)
		}
		for _, s := range a {
			wantAfter(t, n.log, "b", s.id, b, size)
		}
	})

	t.Run("RoomThatNeverExisted", func(t *testing.T) {
		n := newNode(t, Settings{Size: 10, TTL: hour})
		appendN(t, n.log, "other", 3, 3)
		es, complete, err := n.log.After(t.Context(), "never", protocol.FormatID(1, 0))
		if err != nil || len(es) != 0 || complete {
			t.Fatalf("After(never) = %d entries, complete %v, err %v", len(es), complete, err)
		}
		for _, before := range []string{"", protocol.FormatID(1<<48-1, 0)} {
			es, more, err := n.log.Before(t.Context(), "never", before, 50)
			if err != nil || len(es) != 0 || more {
				t.Fatalf("Before(never, %q) = %d entries, more %v, err %v", before, len(es), more, err)
			}
		}
	})

	t.Run("SizeZero", func(t *testing.T) {
		n := newNode(t, Settings{Size: 0, TTL: hour})
		r := listen(t, n, "r")
		all := appendN(t, n.log, "r", 3, 3)
		all = append(all, appendN(t, n.log, "r", 7, 1)...)
		wantIncreasing(t, "r", all)
		wantPublished(t, "size 0", r.waitID(t, all[len(all)-1].id), all)
		for _, s := range all {
			es, complete, err := n.log.After(t.Context(), "r", s.id)
			if err != nil || len(es) != 0 || complete {
				t.Fatalf("After(%s) = %d entries, complete %v, err %v; want none, not complete", s.id, len(es), complete, err)
			}
		}
		for _, before := range []string{"", all[9].id, all[5].id} {
			es, more, err := n.log.Before(t.Context(), "r", before, 100)
			if err != nil || len(es) != 0 || more {
				t.Fatalf("Before(%q) = %d entries, more %v, err %v; want none", before, len(es), more, err)
			}
		}
	})

	t.Run("BeforePagesBackToTheStart", func(t *testing.T) {
		n := newNode(t, Settings{Size: 120, TTL: hour})
		all := appendN(t, n.log, "r", 107, 10)
		for limit := 1; limit <= 100; limit++ {
			got := pageBack(t, n.log, "r", limit)
			wantEntries(t, fmt.Sprintf("paging with limit %d", limit), got, all)
		}
	})

	// More messages than size: paging back reads the newest, a suffix of
	// what was appended with nothing skipped, at least size of them (Redis
	// may keep more: MAXLEN ~).
	t.Run("BeforePagesTrimmed", func(t *testing.T) {
		const size = 5
		n := newNode(t, Settings{Size: size, TTL: hour})
		all := appendN(t, n.log, "r", 300, 50)
		for _, limit := range []int{1, 2, 5, 100} {
			got := pageBack(t, n.log, "r", limit)
			if len(got) < size {
				t.Fatalf("limit %d: paging read %d messages, want at least %d", limit, len(got), size)
			}
			wantEntries(t, fmt.Sprintf("paging with limit %d", limit), got, all[len(all)-len(got):])
		}
	})

	t.Run("BeforeIDs", func(t *testing.T) {
		n := newNode(t, Settings{Size: 100, TTL: hour})
		early := appendN(t, n.log, "r", 5, 5)
		time.Sleep(3 * time.Millisecond)
		all := append(early, appendN(t, n.log, "r", 5, 5)...)
		wantIncreasing(t, "r", all)
		ms, _, _ := protocol.ParseID(early[4].id)
		gap := protocol.FormatID(ms+1, 0) // between early[4] and all[5]: held by nobody
		if gap <= early[4].id || gap >= all[5].id {
			t.Fatalf("no gap between %s and %s", early[4].id, all[5].id)
		}
		for _, before := range []string{"", gap, all[0].id, all[3].id, all[9].id,
			protocol.FormatID(1, 0), protocol.FormatID(1<<48-1, 0)} {
			for _, limit := range []int{1, 3, 5, 9, 10, 11, 100} {
				wantBefore(t, n.log, "r", before, limit, all)
			}
		}
	})

	// The TTL is read against the node's clock, moved here past some
	// messages' ids.
	t.Run("TTL", func(t *testing.T) {
		const size = 10
		n := newNode(t, Settings{Size: size, TTL: hour})
		old := appendN(t, n.log, "r", 2, 2)
		time.Sleep(3 * time.Millisecond)
		fresh := appendN(t, n.log, "r", 2, 2)
		ms3, _, _ := protocol.ParseID(fresh[0].id)
		ms2, _, _ := protocol.ParseID(old[1].id)
		if ms2 >= ms3 {
			t.Fatalf("%s and %s in one millisecond", old[1].id, fresh[0].id)
		}
		// fresh[0] is exactly TTL old, the older ones more.
		n.setNow(func() time.Time { return time.UnixMilli(int64(ms3)).Add(hour) })
		for _, s := range append(old, fresh...) {
			wantAfter(t, n.log, "r", s.id, fresh, size)
		}
		for _, before := range []string{"", fresh[1].id, fresh[0].id, old[1].id} {
			wantBefore(t, n.log, "r", before, 10, fresh)
		}
		wantBefore(t, n.log, "r", "", 1, fresh)

		// Everything expired.
		ms4, _, _ := protocol.ParseID(fresh[1].id)
		n.setNow(func() time.Time { return time.UnixMilli(int64(ms4) + 1).Add(hour) })
		for _, s := range append(old, fresh...) {
			wantAfter(t, n.log, "r", s.id, nil, size)
		}
		wantBefore(t, n.log, "r", "", 10, nil)
	})

	t.Run("ConcurrentAppends", func(t *testing.T) {
		const (
			rooms      = 4
			goroutines = 16
			calls      = 25
		)
		n := newNode(t, Settings{Size: 1000, TTL: hour})
		recs := make([]*recorder, rooms)
		for i := range recs {
			recs[i] = listen(t, n, fmt.Sprint("c", i))
		}
		got := appendConcurrently(t, goroutines, calls, func(int) Log { return n.log }, func(g, j, k int) msg {
			return newMsg(fmt.Sprint("c", (g+j+k)%rooms))
		}, func(g, j int) int { return 1 + (g+j)%4 })
		if t.Failed() {
			return
		}
		for i := range rooms {
			room := fmt.Sprint("c", i)
			var all []sent
			for g := range goroutines {
				// One goroutine's appends follow each other.
				wantIncreasing(t, room, got[g])
				all = append(all, inRoom(got[g], room)...)
			}
			slices.SortFunc(all, func(a, b sent) int { return cmp.Compare(a.id, b.id) })
			for k := 1; k < len(all); k++ {
				if all[k-1].id == all[k].id {
					t.Fatalf("room %s: id %s given twice", room, all[k].id)
				}
			}
			wantPublished(t, "room "+room, recs[i].waitCount(t, len(all)), all)
			wantEntries(t, "history of "+room, pageBack(t, n.log, room, 100), all)
		}
	})
}
