package ws

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
)

// Requests run in the order they came; chat messages next to each other
// are published together, and so are room.joins (one presence round trip
// for a burst of joins), each kind on its own.
func TestRequestsBatchRunsOfOneKind(t *testing.T) {
	var r requests
	r.init(&Conn{log: slog.New(slog.DiscardHandler)}, 16, 0)
	var mu sync.Mutex
	var ran []string
	record := func(s string) {
		mu.Lock()
		ran = append(ran, s)
		mu.Unlock()
	}
	r.sayAll = func(_ context.Context, said []sayRequest) { record(fmt.Sprintf("say×%d", len(said))) }
	r.joinAll = func(_ context.Context, joins []joinRequest) { record(fmt.Sprintf("join×%d", len(joins))) }
	hold := make(chan struct{})
	r.submit(func(context.Context) { <-hold; record("first") }) // the rest queue behind it
	for range 3 {
		r.submitJoin(joinRequest{})
	}
	r.submitSay(sayRequest{})
	r.submitSay(sayRequest{})
	r.submitJoin(joinRequest{})
	r.submit(func(context.Context) { record("last") })
	close(hold)
	r.finish()
	want := []string{"first", "join×3", "say×2", "join×1", "last"}
	if !slices.Equal(ran, want) {
		t.Fatalf("ran %q, want %q", ran, want)
	}
}

// submitAlways takes work past the bound (a leave per room is bounded by
// the rooms), but nothing once the runner has finished.
func TestRequestsAlwaysPastTheBound(t *testing.T) {
	var r requests
	r.init(&Conn{log: slog.New(slog.DiscardHandler)}, 1, 0)
	hold, running := make(chan struct{}), make(chan struct{})
	r.submit(func(context.Context) { close(running); <-hold })
	<-running // taken off the queue: one more may wait
	if !r.submit(func(context.Context) {}) {
		t.Fatal("the one waiting request was refused")
	}
	if r.submit(func(context.Context) {}) {
		t.Fatal("a request past the bound was taken")
	}
	if !r.submitAlways(func(context.Context) {}) {
		t.Fatal("submitAlways refused past the bound")
	}
	close(hold)
	r.finish()
	if r.submitAlways(func(context.Context) {}) {
		t.Fatal("submitAlways took work after finish")
	}
}
