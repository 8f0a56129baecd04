package hub

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
)

// pager is a Pacer that allows pages of limit, allow of them, and records
// what was read; the next page after those ends the recovery.
type pager struct {
	limit, allow int
	pages        int
	read         []int
}

func (p *pager) Next(context.Context) (int, bool) {
	if p.pages == p.allow {
		return 0, false
	}
	p.pages++
	return p.limit, true
}

func (p *pager) Read(n int) { p.read = append(p.read, n) }

// A recovery reads history a page at a time as its pacer allows, and the
// client still gets every message after since once, in order, then
// history.recovered, then the live ones.
func TestRecoveryInPages(t *testing.T) {
	for _, limit := range []int{1, 3, 7, 100} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			b := newMemory()
			h := newHistoryHub(b)
			watcher, all := watched(t, h, 20)
			bob, p := &member{}, &pager{limit: limit, allow: 1 << 30}
			if _, err := joinSince(t.Context(), h, Client{Room: "r", User: "bob", Member: bob, Since: all[4]}, p); err != nil {
				t.Fatal(err)
			}
			say(t, h, "r", 2)
			all, _ = chatIDs(t, watcher)
			got, rec := chatIDs(t, bob)
			if fmt.Sprint(got) != fmt.Sprint(all[5:]) {
				t.Fatalf("bob got %v\nwant     %v", got, all[5:])
			}
			if len(rec) != 1 || rec[0]["complete"] != true || rec[0]["count"] != float64(15) {
				t.Fatalf("recovered %v, want one, complete, count 15", rec)
			}
			if want := 15/limit + 1; p.pages != want {
				t.Fatalf("%d pages read, want %d", p.pages, want)
			}
			for _, n := range p.read[:len(p.read)-1] {
				if n == 0 {
					t.Fatalf("a full page charged 0 bytes: %v", p.read)
				}
			}
		})
	}
}

// A recovery whose pacer ends it (the client is leaving) reads no further
// and sends no history.recovered.
func TestRecoveryEndedByPacer(t *testing.T) {
	b := newMemory()
	h := newHistoryHub(b)
	_, all := watched(t, h, 10)
	for _, allow := range []int{0, 1} { // before the first page, after one
		bob, p := &member{}, &pager{limit: 3, allow: allow}
		if _, err := joinSince(t.Context(), h, Client{Room: "r", User: "bob", Member: bob, Since: all[0]}, p); err != nil {
			t.Fatal(err)
		}
		got, rec := chatIDs(t, bob)
		if len(rec) != 0 || len(got) != 3*allow {
			t.Fatalf("%d pages allowed: got %v and %v", allow, got, rec)
		}
	}
}

// busyPager publishes into the room before every page, as a busy room does
// while a client recovers.
type busyPager struct {
	pager
	t     *testing.T
	h     *Hub
	burst int
}

func (p *busyPager) Next(ctx context.Context) (int, bool) {
	say(p.t, p.h, "r", p.burst)
	return p.pager.Next(ctx)
}

// A reconnect into a busy room: the live messages that arrive while the
// replay is read are read from history too, page by page, until few enough
// are held to hand over at once; the client gets every id once and in
// order, and history.recovered comes when the backlog is small.
func TestRecoveryIntoABusyRoom(t *testing.T) {
	h := newHistoryHub(bus.NewMemory(bus.Settings{Size: 100000, TTL: time.Hour}))
	watcher, all := watched(t, h, 50)
	bob := &member{}
	p := &busyPager{pager: pager{limit: 40, allow: 1 << 30}, t: t, h: h, burst: 30}
	if _, err := joinSince(t.Context(), h, Client{Room: "r", User: "bob", Member: bob, Since: all[9]}, p); err != nil {
		t.Fatal(err)
	}
	all, _ = chatIDs(t, watcher)
	got, rec := chatIDs(t, bob)
	if fmt.Sprint(got) != fmt.Sprint(all[10:]) {
		t.Fatalf("bob got %d ids, want the %d after since, in order", len(got), len(all[10:]))
	}
	if len(rec) != 1 || rec[0]["complete"] != true {
		t.Fatalf("recovered %v", rec)
	}
	// Everything but the last few came from history, not from the held
	// live messages.
	if n := int(rec[0]["count"].(float64)); len(got)-n > releaseBatch {
		t.Fatalf("%d of %d handed over from what was held", len(got)-n, len(got))
	}
}
