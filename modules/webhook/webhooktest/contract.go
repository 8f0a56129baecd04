// Package webhooktest is what the webhook's tests share: the contract
// every webhook.Queue keeps (run on the memory queue by package webhook,
// on Redis and Redis Cluster by package redisqueue) and a real HTTP
// backend that checks what rt sends it.
package webhooktest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/rtserver/rt/modules/webhook"
)

// WaitLimit bounds every wait of these tests for something that must
// happen; it is never a measure of how fast it happens.
const WaitLimit = 10 * time.Second

// NewQueue returns an empty queue of at most bound events whose batches
// may be claimed after claimAfter, as two handles: two nodes on one queue
// (in Redis two consumers; the memory queue, being one process's, returns
// itself twice).
type NewQueue func(t *testing.T, bound int, claimAfter time.Duration) (a, b webhook.Queue)

// Long is a claimAfter no test outlives.
const Long = time.Hour

// RunQueue is the contract every webhook.Queue keeps. Each case has a
// queue of its own and runs in parallel.
func RunQueue(t *testing.T, newQueue NewQueue) {
	cases := map[string]func(*testing.T, NewQueue){
		"in order":          testInOrder,
		"at most max":       testAtMostMax,
		"bound":             testBound,
		"bound in one add":  testBoundOneAdd,
		"done twice":        testDoneTwice,
		"not claimed young": testNotClaimedYoung,
		"claimed when idle": testClaimedWhenIdle,
		"hold":              testHold,
		"trimmed taken":     testTrimmedTaken,
		"take waits":        testTakeWaits,
		"take ends":         testTakeEnds,
	}
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run(t, newQueue)
		})
	}
}

// Events are n events' JSON, named from+0 .. from+n-1.
func Events(from, n int) []jsontext.Value {
	out := make([]jsontext.Value, n)
	for i := range out {
		out[i] = jsontext.Value(fmt.Sprintf(`{"id":"e%d","type":"presence.join","room":"r","ts":%d}`, from+i, from+i))
	}
	return out
}

func testInOrder(t *testing.T, newQueue NewQueue) {
	q, _ := newQueue(t, 100, Long)
	want := Events(1, 3)
	Add(t, q, want, 0)
	WantLen(t, q, 3)
	batch := Take(t, q, 10)
	WantEvents(t, batch, want)
	WantLen(t, q, 3) // taken is still queued until done
	Done(t, q, batch)
	WantLen(t, q, 0)
}

func testAtMostMax(t *testing.T, newQueue NewQueue) {
	q, _ := newQueue(t, 1000, Long)
	all := Events(1, 250)
	Add(t, q, all[:100], 0)
	Add(t, q, all[100:], 0)
	for _, want := range [][]jsontext.Value{all[:100], all[100:200], all[200:]} {
		WantEvents(t, Take(t, q, webhook.MaxBatch), want)
	}
	WantLen(t, q, 250)
}

func testBound(t *testing.T, newQueue NewQueue) {
	q, _ := newQueue(t, 5, Long)
	all := Events(1, 7)
	Add(t, q, all[:3], 0)
	Add(t, q, all[3:], 2)
	WantLen(t, q, 5)
	WantEvents(t, Take(t, q, 10), all[2:])
}

func testBoundOneAdd(t *testing.T, newQueue NewQueue) {
	q, _ := newQueue(t, 5, Long)
	all := Events(1, 8)
	Add(t, q, all, 3)
	WantEvents(t, Take(t, q, 10), all[3:])
}

func testDoneTwice(t *testing.T, newQueue NewQueue) {
	q, _ := newQueue(t, 100, Long)
	Add(t, q, Events(1, 2), 0)
	batch := Take(t, q, 10)
	Done(t, q, batch)
	Done(t, q, batch)
	WantLen(t, q, 0)
	Add(t, q, Events(3, 1), 0)
	WantEvents(t, Take(t, q, 10), Events(3, 1))
}

// A batch taken recently is its taker's: the other node gets only what
// came after.
func testNotClaimedYoung(t *testing.T, newQueue NewQueue) {
	a, b := newQueue(t, 100, Long)
	Add(t, a, Events(1, 3), 0)
	WantEvents(t, Take(t, a, 10), Events(1, 3))
	Add(t, b, Events(4, 1), 0)
	WantEvents(t, Take(t, b, 10), Events(4, 1))
	WantNothing(t, b, 200*time.Millisecond)
	WantLen(t, b, 4)
}

// A batch nobody finished or held for claimAfter goes to the next taker,
// the other node here, with the same events.
func testClaimedWhenIdle(t *testing.T, newQueue NewQueue) {
	a, b := newQueue(t, 100, 100*time.Millisecond)
	Add(t, a, Events(1, 3), 0)
	taken := Take(t, a, 10)
	claimed := Take(t, b, 10)
	WantEvents(t, claimed, Events(1, 3))
	if !slices.Equal(refs(claimed), refs(taken)) {
		t.Errorf("claimed refs %q, taken %q", refs(claimed), refs(taken))
	}
	Done(t, b, claimed)
	WantLen(t, a, 0)
}

// Hold restarts a batch's idle time: held after claimAfter has passed, it
// is not claimed. (The check fails only if the other node's Take comes
// claimAfter/2 after the hold.)
func testHold(t *testing.T, newQueue NewQueue) {
	const claimAfter = time.Second
	a, b := newQueue(t, 100, claimAfter)
	Add(t, a, Events(1, 2), 0)
	batch := Take(t, a, 10)
	time.Sleep(claimAfter + claimAfter/10) // idle past claimAfter: only the hold keeps it
	if held, err := a.Hold(t.Context(), batch); err != nil || held != 2 {
		t.Fatalf("Hold = %d, %v; want 2 held", held, err)
	}
	WantNothing(t, b, claimAfter/2)
	WantEvents(t, Take(t, b, 10), Events(1, 2)) // claimAfter after the hold
}

// Events trimmed while taken are gone: Hold says none is held, Done is
// harmless, and no claim brings them back.
func testTrimmedTaken(t *testing.T, newQueue NewQueue) {
	const claimAfter = 100 * time.Millisecond
	a, b := newQueue(t, 2, claimAfter)
	Add(t, a, Events(1, 2), 0)
	old := Take(t, a, 10)
	Add(t, a, Events(3, 2), 2)
	if held, err := a.Hold(t.Context(), old); err != nil || held != 0 {
		t.Errorf("Hold of trimmed events = %d, %v; want 0", held, err)
	}
	time.Sleep(claimAfter) // the trimmed batch would be claimable now
	fresh := Take(t, b, 10)
	WantEvents(t, fresh, Events(3, 2))
	Done(t, a, old)
	Done(t, b, fresh)
	WantLen(t, a, 0)
	WantNothing(t, b, 2*claimAfter)
}

// A Take waiting on an empty queue returns what another node adds.
func testTakeWaits(t *testing.T, newQueue NewQueue) {
	a, b := newQueue(t, 100, Long)
	got := make(chan []webhook.Pending, 1)
	go func() { // not Take: a helper goroutine must not call t.Fatal
		for {
			batch, err := a.Take(t.Context(), 10)
			if len(batch) > 0 || err != nil {
				got <- batch
				return
			}
		}
	}()
	Add(t, b, Events(1, 1), 0)
	select {
	case batch := <-got:
		WantEvents(t, batch, Events(1, 1))
	case <-time.After(WaitLimit):
		t.Fatal("Take did not return an event added while it waited")
	}
}

// A Take on an empty queue ends with its context, with nothing.
func testTakeEnds(t *testing.T, newQueue NewQueue) {
	q, _ := newQueue(t, 100, Long)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if batch, err := q.Take(ctx, 10); len(batch) != 0 {
		t.Errorf("Take on an empty queue = %d events, %v", len(batch), err)
	}
}
