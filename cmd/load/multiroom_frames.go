package main

import (
	"bytes"
	"strconv"
)

// The pure parts of the multiroom scenario: which rooms a socket joins,
// reading a delivery's room, and the delivery accounting.

// layout is how the multiroom scenario's sockets are spread over its rooms:
// socket i joins the rooms i, i+step, i+2·step, … (mod rooms), perConn of
// them, step = rooms/perConn. They are distinct (perConn·step ≤ rooms), and
// when the sockets are a multiple of rooms every room gets exactly
// sockets·perConn/rooms members. Unlike blocks of perConn neighbouring rooms,
// two sockets share anywhere from 0 to perConn rooms, as people in chat do.
type layout struct {
	rooms, perConn int
}

func (l layout) step() int { return l.rooms / l.perConn }

// room is the room socket i joins in its slot k (0 ≤ k < perConn).
func (l layout) room(i, k int) int {
	return (i%l.rooms + k*l.step()) % l.rooms
}

// slot is the k with room(i, k) == r, or -1 when socket i is not in room r.
func (l layout) slot(i, r int) int {
	if r < 0 || r >= l.rooms {
		return -1
	}
	d := (r - i%l.rooms + l.rooms) % l.rooms
	if d%l.step() != 0 || d/l.step() >= l.perConn {
		return -1
	}
	return d / l.step()
}

// sender is the socket that sends room r's messages: socket r, whose slot 0
// is room r. Each room has one sender, so its messages have one order.
func (l layout) sender(r int) int { return r }

// members counts the members of each room among the first conns sockets.
func (l layout) members(conns int) []int {
	n := make([]int, l.rooms)
	for i := range conns {
		for k := range l.perConn {
			n[l.room(i, k)]++
		}
	}
	return n
}

// roomIndex reads r out of a room name "<prefix>-<r>" of this run; false
// for any other name.
func roomIndex(name []byte, prefix string) (int, bool) {
	rest, ok := bytes.CutPrefix(name, []byte(prefix))
	if !ok || len(rest) < 2 || rest[0] != '-' {
		return 0, false
	}
	r, err := strconv.Atoi(string(rest[1:]))
	if err != nil || r < 0 {
		return 0, false
	}
	return r, true
}

// slotCount is what one socket got of one of its rooms.
type slotCount struct {
	got  int32 // deliveries
	next int32 // the sequence number expected next
	late int32 // deliveries whose number was below next: repeated or out of order
}

// add counts delivery seq.
func (s *slotCount) add(seq int) {
	s.got++
	if int32(seq) < s.next {
		s.late++
		return
	}
	s.next = int32(seq) + 1
}

// tally is the delivery accounting over every socket: each socket should
// have got every published message of each of its rooms once.
type tally struct {
	Expected int64 `json:"deliveries_expected"`
	Received int64 `json:"deliveries_received"`
	Missing  int64 `json:"deliveries_missing"` // per socket and room: published but not got
	Extra    int64 `json:"deliveries_extra"`   // per socket and room: got more than were published
	Late     int64 `json:"deliveries_repeated_or_out_of_order"`
	Short    int   `json:"sockets_missing_some"` // sockets missing at least one delivery
}

// account compares what each socket got (counts[i][k], socket i's slot k)
// with what each room published; sockets with counts[i] == nil never
// joined and expect nothing.
func account(l layout, counts [][]slotCount, published []int64) tally {
	var t tally
	for i, slots := range counts {
		short := false
		for k, s := range slots {
			want, got := published[l.room(i, k)], int64(s.got)
			t.Expected += want
			t.Received += got
			t.Late += int64(s.late)
			if got < want {
				t.Missing += want - got
				short = true
			} else {
				t.Extra += got - want
			}
		}
		if short {
			t.Short++
		}
	}
	return t
}
