package bustest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/protocol"
)

// runHistory is the contract of Append and of the reads that give its
// messages back, whichever store keeps them.
func runHistory(t *testing.T, newBus NewBus) {
	runAppend(t, newBus)
	runAfter(t, newBus)
	runRange(t, newBus)
	runBefore(t, newBus)
}

// runAppend: what Append stores and delivers, and the ids it gives.
func runAppend(t *testing.T, newBus NewBus) {
	hour := time.Hour
	t.Run("AppendPublishesEachMessageOnceInIDOrder", func(t *testing.T) {
		b, _ := newBus.start(t, bus.Settings{Size: 100, TTL: hour})
		ra, rb := Listen(t, b, "a"), Listen(t, b, "b")
		var all []Sent
		all = append(all, AppendMsgs(t, b, NewMsg("a"), NewMsg("b"), NewMsg("a"), NewMsg("a"), NewMsg("b"))...)
		for range 10 {
			all = append(all, AppendMsgs(t, b, NewMsg("a"))...)
		}
		all = append(all, AppendMsgs(t, b, NewMsg("b"), NewMsg("b"), NewMsg("b"))...)
		if ids, errs := b.Append(t.Context(), nil); len(ids) != 0 || len(errs) != 0 {
			t.Fatalf("Append(nil) = %q, %v", ids, errs)
		}
		for room, r := range map[string]*Recorder{"a": ra, "b": rb} {
			want := inRoom(all, room)
			WantIncreasing(t, room, want)
			WantPublished(t, "room "+room, r.WaitID(t, want[len(want)-1].ID), want)
			es, more, err := b.Before(t.Context(), room, "", 100)
			if err != nil || more {
				t.Fatalf("Before(%s) more %v, err %v", room, more, err)
			}
			WantEntries(t, "Before "+room, es, want)
		}
	})

	t.Run("RoomThatNeverExisted", func(t *testing.T) {
		b, _ := newBus.start(t, bus.Settings{Size: 10, TTL: hour})
		AppendN(t, b, "other", 3, 3)
		es, complete, err := b.After(t.Context(), "never", protocol.FormatID(1, 0))
		if err != nil || len(es) != 0 || complete {
			t.Fatalf("After(never) = %d entries, complete %v, err %v", len(es), complete, err)
		}
		for _, before := range []string{"", protocol.FormatID(1<<48-1, 0)} {
			es, more, err := b.Before(t.Context(), "never", before, 50)
			if err != nil || len(es) != 0 || more {
				t.Fatalf("Before(never, %q) = %d entries, more %v, err %v", before, len(es), more, err)
			}
		}
	})

	t.Run("SizeZero", func(t *testing.T) {
		b, _ := newBus.start(t, bus.Settings{Size: 0, TTL: hour})
		r := Listen(t, b, "r")
		all := AppendN(t, b, "r", 3, 3)
		all = append(all, AppendN(t, b, "r", 7, 1)...)
		WantIncreasing(t, "r", all)
		WantPublished(t, "size 0", r.WaitID(t, all[len(all)-1].ID), all)
		for _, s := range all {
			es, complete, err := b.After(t.Context(), "r", s.ID)
			if err != nil || len(es) != 0 || complete {
				t.Fatalf("After(%s) = %d entries, complete %v, err %v; want none, not complete", s.ID, len(es), complete, err)
			}
		}
		for _, before := range []string{"", all[9].ID, all[5].ID} {
			es, more, err := b.Before(t.Context(), "r", before, 100)
			if err != nil || len(es) != 0 || more {
				t.Fatalf("Before(%q) = %d entries, more %v, err %v; want none", before, len(es), more, err)
			}
		}
	})

	t.Run("ConcurrentAppends", func(t *testing.T) {
		const (
			rooms      = 4
			goroutines = 16
			calls      = 25
		)
		b, _ := newBus.start(t, bus.Settings{Size: 1000, TTL: hour})
		recs := make([]*Recorder, rooms)
		for i := range recs {
			recs[i] = Listen(t, b, fmt.Sprint("c", i))
		}
		got := AppendConcurrently(t, goroutines, calls, func(int) bus.Bus { return b }, func(g, j, k int) Msg {
			return NewMsg(fmt.Sprint("c", (g+j+k)%rooms))
		}, func(g, j int) int { return 1 + (g+j)%4 })
		if t.Failed() {
			return
		}
		for i := range rooms {
			room := fmt.Sprint("c", i)
			var all []Sent
			for g := range goroutines {
				// One goroutine's appends follow each other.
				WantIncreasing(t, room, got[g])
				all = append(all, inRoom(got[g], room)...)
			}
			slices.SortFunc(all, func(x, y Sent) int { return cmp.Compare(x.ID, y.ID) })
			for k := 1; k < len(all); k++ {
				if all[k-1].ID == all[k].ID {
					t.Fatalf("room %s: id %s given twice", room, all[k].ID)
				}
			}
			WantPublished(t, "room "+room, recs[i].WaitCount(t, len(all)), all)
			WantEntries(t, "history of "+room, PageBack(t, b, room, 100), all)
		}
	})
}
