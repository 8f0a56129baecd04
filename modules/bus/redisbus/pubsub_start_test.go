package redisbus

import (
	"fmt"
	"sync"
	"testing"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/bus/bustest"
)

// Subscribe "returns once the node is receiving" (Bus): right after Start,
// with Redis up, the first Subscribe must not return before the SUBSCRIBE
// is confirmed, or frames published in that window are lost.
func TestRedisSubscribeRightAfterStart(t *testing.T) {
	b, env := startRedisBusCold(t)
	r := bustest.NewRecorder()
	bustest.Subscribe(t, b, "early", r)
	if got := env.numsub(t, "early"); got != 1 {
		t.Fatalf("Subscribe returned right after Start with NUMSUB %s%s = %d, want 1: "+
			"a frame published now would be lost", ChannelPrefix, "early", got)
	}
	bustest.Publish(t, b, "early", "first")
	bustest.Publish(t, b, "early", "fence")
	r.WaitFor(t, "fence")
	r.Want(t, "early", "first", "fence")
}

// Two first subscribers of a room racing: neither Subscribe may return
// before Redis has the room subscribed, the one that did not send the
// SUBSCRIBE included.
func TestRedisConcurrentSubscribeWaitsForConfirmation(t *testing.T) {
	b, env := startRedisBus(t)
	const rooms, perRoom = 20, 2
	var wg sync.WaitGroup
	start := make(chan struct{})
	var mu sync.Mutex
	early := map[string]int{}
	for i := range rooms {
		room := fmt.Sprintf("race-%d", i)
		for range perRoom {
			wg.Go(func() {
				<-start
				cancel := b.Subscribe(t.Context(), room, func(bus.Message) {})
				t.Cleanup(cancel)
				if env.numsub(t, room) != 1 {
					mu.Lock()
					early[room]++
					mu.Unlock()
				}
			})
		}
	}
	close(start)
	wg.Wait()
	if len(early) > 0 {
		t.Errorf("in %d of %d rooms a concurrent Subscribe returned before the room was subscribed "+
			"(NUMSUB 0 right after it returned): %v", len(early), rooms, early)
	}
	for i := range rooms {
		env.wantNumsub(t, fmt.Sprintf("race-%d", i), 1)
	}
}
