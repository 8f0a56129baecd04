package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLayout(t *testing.T) {
	for _, l := range []layout{{200, 20}, {200, 1}, {200, 200}, {7, 3}, {10, 4}} {
		t.Run(fmt.Sprintf("%d rooms, %d each", l.rooms, l.perConn), func(t *testing.T) {
			for i := range 3 * l.rooms {
				seen := map[int]bool{}
				for k := range l.perConn {
					r := l.room(i, k)
					if r < 0 || r >= l.rooms || seen[r] {
						t.Fatalf("socket %d slot %d: room %d (seen before: %v)", i, k, r, seen[r])
					}
					seen[r] = true
					if got := l.slot(i, r); got != k {
						t.Fatalf("slot(%d, %d) = %d, want %d", i, r, got, k)
					}
				}
				for r := range l.rooms {
					if !seen[r] && l.slot(i, r) != -1 {
						t.Fatalf("slot(%d, %d) = %d for a room the socket is not in", i, r, l.slot(i, r))
					}
				}
				if l.slot(i, -1) != -1 || l.slot(i, l.rooms) != -1 {
					t.Fatalf("slot of a room out of range is not -1")
				}
			}
			if l.room(l.sender(5%l.rooms), 0) != 5%l.rooms {
				t.Errorf("the sender of a room is not in it at slot 0")
			}
		})
	}
	// 10,000 × 20 over 200: every room has 1,000 members.
	m := layout{200, 20}.members(10000)
	if slices.Min(m) != 1000 || slices.Max(m) != 1000 {
		t.Errorf("members from %d to %d, want 1000 each", slices.Min(m), slices.Max(m))
	}
	// Sockets not a multiple of rooms: sizes differ by at most perConn.
	m = layout{7, 3}.members(100)
	if total := sumInts(m); total != 300 || slices.Max(m)-slices.Min(m) > 3 {
		t.Errorf("members %v: total %d, want 300 and a spread of at most 3", m, total)
	}
}

func sumInts(v []int) int {
	n := 0
	for _, x := range v {
		n += x
	}
	return n
}

func TestMultiroomRoomIndex(t *testing.T) {
	rooms := []struct {
		name string
		r    int
		ok   bool
	}{
		{"mr.x-42", 42, true},
		{"mr.x-0", 0, true},
		{"mr.y-42", 0, false}, // another run's
		{"mr.x-", 0, false},
		{"mr.x42", 0, false},
		{"mr.x-4a", 0, false},
		{"mr.x--1", 0, false},
		{"", 0, false},
	}
	for _, tt := range rooms {
		if r, ok := roomIndex([]byte(tt.name), "mr.x"); r != tt.r || ok != tt.ok {
			t.Errorf("roomIndex(%q) = %d, %v; want %d, %v", tt.name, r, ok, tt.r, tt.ok)
		}
	}
	if seq, ns, ok := parseText(msgText(12, 99)); !ok || seq != 12 || ns != 99 {
		t.Errorf("msgText(12, 99) read back as %d, %d, %v", seq, ns, ok)
	}
}

func TestSlotCount(t *testing.T) {
	var s slotCount
	for _, seq := range []int{0, 1, 3, 2, 3, 4} { // 2 skipped then late, 3 twice
		s.add(seq)
	}
	if s.got != 6 || s.next != 5 || s.late != 2 {
		t.Errorf("slotCount = %+v, want got 6, next 5, late 2", s)
	}
}

func TestAccount(t *testing.T) {
	l := layout{rooms: 4, perConn: 2} // socket i: rooms i%4 and (i+2)%4
	published := []int64{3, 1, 0, 2}
	full := func(i int) []slotCount {
		out := make([]slotCount, l.perConn)
		for k := range out {
			out[k].got = int32(published[l.room(i, k)])
		}
		return out
	}
	counts := [][]slotCount{full(0), full(1), full(2), full(3), nil} // socket 4 never joined
	if got := account(l, counts, published); got != (tally{Expected: 12, Received: 12}) {
		t.Errorf("every delivery: %+v", got)
	}
	counts[1][0].got = 0  // socket 1 misses room 1's message
	counts[3][1].got = 4  // socket 3 gets room 1's message three times too many
	counts[3][0].late = 1 // and one of room 3's out of order
	counts[2][0].got = 0  // socket 2, room 2: nothing published, nothing missing
	want := tally{Expected: 12, Received: 14, Missing: 1, Extra: 3, Late: 1, Short: 1}
	if got := account(l, counts, published); got != want {
		t.Errorf("account = %+v, want %+v", got, want)
	}
}

func TestMultiroomSettings(t *testing.T) {
	sc, ok := findScenario("multiroom")
	if !ok {
		t.Fatal("no multiroom scenario")
	}
	s := sc.defaults
	if err := s.validate(sc.name); err != nil {
		t.Fatal(err)
	}
	if err := sc.checkSettings(s); err != nil {
		t.Fatal(err)
	}
	if got := (layout{s.Rooms, s.RoomsPerConn}).members(s.Conns)[0]; got != 1000 {
		t.Errorf("the default room has %d members, want 1000", got)
	}
	if env := multiroomLimits(s); len(env) != 0 {
		t.Errorf("the defaults need server settings %v, want none", env)
	}
	if env := multiroomLimits(settings{Conns: 1000, Rooms: 200, RoomsPerConn: 150, TotalRate: 40}); env["MAX_ROOMS_PER_CONN"] != "150" || env["RATE_BURST"] != "1000" {
		t.Errorf("150 rooms per socket: %v, want MAX_ROOMS_PER_CONN and RATE_BURST raised", env)
	}
	if env := multiroomLimits(settings{Conns: 1000, Rooms: 10, RoomsPerConn: 5, TotalRate: 1000}); env["RATE_LIMIT"] != "1000" || env["MAX_ROOMS_PER_CONN"] != "" {
		t.Errorf("100 msg/s per sender: %v, want RATE_LIMIT raised only", env)
	}
	for _, bad := range []settings{
		{Conns: 100, Rooms: 10, RoomsPerConn: 11, TotalRate: 10, Duration: 10 * time.Second, Dialers: 1},
		{Conns: 100, Rooms: 10, RoomsPerConn: 0, TotalRate: 10, Duration: 10 * time.Second, Dialers: 1},
		{Conns: 100, Rooms: 10, RoomsPerConn: 2, TotalRate: 0, Duration: 10 * time.Second, Dialers: 1},
		{Conns: 100, Rooms: 10, RoomsPerConn: 2, TotalRate: 10, Duration: time.Millisecond, Dialers: 1},
		{Conns: 100, Rooms: 10, RoomsPerConn: 2, TotalRate: 10, Duration: 10 * time.Second, Dialers: 0},
		{Conns: 100, Rooms: 10, RoomsPerConn: 2, TotalRate: 1, Duration: 5 * time.Second, Dialers: 1},          // 5 messages, 10 rooms
		{Conns: 100000, Rooms: 10, RoomsPerConn: 10, TotalRate: 10000, Duration: 10 * time.Minute, Dialers: 1}, // too many to record
	} {
		if sc.checkSettings(bad) == nil {
			t.Errorf("checkSettings(%+v) accepted", bad)
		}
	}
	p := mustParse(t, "-scenario", "multiroom", "-conns", "1000", "-rooms-per-conn", "5", "-duration", "5s", "-msgs", "9", "-window", "3", "-rate", "12")
	jobs, err := p.jobs()
	if err != nil {
		t.Fatal(err)
	}
	if got := jobs[0].set; got.Conns != 1000 || got.RoomsPerConn != 5 || got.Duration != 5*time.Second || got.Rooms != 200 || got.TotalRate != 12 || got.Rate != 0 {
		t.Errorf("resolved %+v", got)
	}
	if got, want := p.command(jobs[0]), "go tool task load -- -scenario multiroom -conns 1000 -duration 5s -rate 12 -rooms-per-conn 5"; got != want {
		t.Errorf("command = %q, want %q (without the flags it does not read)", got, want)
	}
	storm := mustParse(t, "-scenario", "storm", "-rooms-per-conn", "5", "-duration", "5s")
	sj, _ := storm.jobs()
	if got := storm.command(sj[0]); strings.Contains(got, "rooms-per-conn") || strings.Contains(got, "duration") {
		t.Errorf("storm's command keeps multiroom's flags: %q", got)
	}
}
