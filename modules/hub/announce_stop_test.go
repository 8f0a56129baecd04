package hub

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
)

// Stop returns only once a scheduled announcement that fired before it has
// been published: no publish may outlive the hub, the bus stops next.
func TestAnnouncerStopWaitsForAFiredFlush(t *testing.T) {
	gates := []chan struct{}{make(chan struct{}), make(chan struct{})} // one per publish, in order
	var calls atomic.Int64
	publish := func(context.Context, bus.Message) error {
		<-gates[calls.Add(1)-1]
		return nil
	}
	a := newAnnouncer(publish, noFailure(t))
	go a.change("r", "first", true) // announced at once, held in publish
	waitFor(t, "the first publish", func() bool { return calls.Load() == 1 })
	a.change("r", "second", true) // within the window: scheduled
	close(gates[0])
	waitFor(t, "the scheduled flush to fire", func() bool { return calls.Load() == 2 })

	stopped := make(chan struct{})
	go func() { a.stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("stop returned while a fired flush was still publishing")
	case <-time.After(100 * time.Millisecond):
	}
	close(gates[1])
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("stop never returned")
	}
}
