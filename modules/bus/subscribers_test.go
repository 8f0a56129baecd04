package bus

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Random adds and removes across a few rooms agree with a plain set: first
// and last are reported right, and deliver reaches exactly the subscribers
// present, once each.
func TestSubscribersAgreeWithASet(t *testing.T) {
	s := NewSubscribers()
	type entry struct {
		room string
		sub  *Subscriber
		id   int
	}
	var present []entry
	count := map[string]int{}
	got := map[int]int{}
	rng := rand.New(rand.NewPCG(1, 2))
	for step := range 5000 {
		room := fmt.Sprintf("r%d", rng.IntN(3))
		if len(present) == 0 || rng.IntN(2) == 0 {
			id := step
			sub, first := s.Add(room, func(Message) { got[id]++ })
			if first != (count[room] == 0) {
				t.Fatalf("step %d: add to %s with %d present said first=%v", step, room, count[room], first)
			}
			count[room]++
			present = append(present, entry{room, sub, id})
		} else {
			k := rng.IntN(len(present))
			e := present[k]
			present[k] = present[len(present)-1]
			present = present[:len(present)-1]
			count[e.room]--
			if last := s.Remove(e.room, e.sub); last != (count[e.room] == 0) {
				t.Fatalf("step %d: remove from %s leaving %d said last=%v", step, e.room, count[e.room], last)
			}
			if s.Remove(e.room, e.sub) {
				t.Fatalf("step %d: a second remove said last", step)
			}
		}
		if step%100 != 0 {
			continue
		}
		clear(got)
		for r := range 3 {
			s.Deliver(Message{Room: fmt.Sprintf("r%d", r)})
		}
		if len(got) != len(present) {
			t.Fatalf("step %d: deliver reached %d subscribers, %d present", step, len(got), len(present))
		}
		for _, e := range present {
			if got[e.id] != 1 {
				t.Fatalf("step %d: subscriber %d got %d deliveries, want 1", step, e.id, got[e.id])
			}
		}
	}
}
