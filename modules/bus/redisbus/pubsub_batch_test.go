package redisbus

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/bus/bustest"
)

// A socket joining many rooms at once has the hub subscribe them from as
// many goroutines: their SUBSCRIBEs share round trips rather than queue
// for one each, every room is subscribed once every Subscribe has returned,
// and each delivers. Leaving them all at once shares UNSUBSCRIBEs likewise.
func TestRedisConcurrentSubscribesShareCommands(t *testing.T) {
	b, env := startRedisBus(t)
	const n = 100
	rooms := make([]string, n)
	recs := make([]*bustest.Recorder, n)
	cancels := make([]func(), n)
	for i := range rooms {
		rooms[i], recs[i] = fmt.Sprintf("burst-%d", i), bustest.NewRecorder()
	}
	subscribes := commandCalls(t, env.obs, "subscribe")
	concurrently(n, func(i int) { cancels[i] = bustest.Subscribe(t, b, rooms[i], recs[i]) })
	sent := commandCalls(t, env.obs, "subscribe") - subscribes
	t.Logf("%d concurrent Subscribes of new rooms sent %d SUBSCRIBE commands", n, sent)

	env.waitChannels(t, rooms) // at once: each Subscribe returned once its room was confirmed
	for i, room := range rooms {
		bustest.Publish(t, b, room, "to-"+room)
		recs[i].WaitFor(t, "to-"+room)
	}
	if sent > n/4 {
		t.Errorf("%d concurrent Subscribes sent %d SUBSCRIBE commands, want them to share far fewer", n, sent)
	}

	unsubscribes := commandCalls(t, env.obs, "unsubscribe")
	concurrently(n, func(i int) { cancels[i]() })
	sent = commandCalls(t, env.obs, "unsubscribe") - unsubscribes
	t.Logf("%d concurrent cancels sent %d UNSUBSCRIBE commands", n, sent)
	env.waitChannels(t, nil)
	if sent > n/4 {
		t.Errorf("%d concurrent cancels sent %d UNSUBSCRIBE commands, want them to share far fewer", n, sent)
	}
}

// concurrently runs f(0..n-1) on n goroutines released together and waits
// for them all.
func concurrently(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() { <-start; f(i) })
	}
	close(start)
	wg.Wait()
}

// A caller that stops waiting for its SUBSCRIBE does not end the command:
// it is told LinkLost, then LinkBack when Redis answers, while a caller
// still waiting for the same Redis gets its confirmation and no LinkLost.
func TestRedisSubscribeGivenUpIsConfirmedLater(t *testing.T) {
	b, env := startRedisBus(t)
	impatient, patient := bustest.NewRecorder(), bustest.NewRecorder()
	env.srv.Pause(t)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		bustest.Subscribe(t, b, "patient", patient)
	}()
	t.Cleanup(b.Subscribe(ctx, "impatient", impatient.Deliver))
	if got := links(impatient); !slices.Equal(got, []bus.Link{bus.LinkLost}) {
		t.Fatalf("after giving up: links %v, want [LinkLost]", got)
	}
	env.srv.Resume(t)
	<-returned
	env.waitChannels(t, []string{"impatient", "patient"})
	eventually(t, bustest.WaitLimit, "LinkBack once the SUBSCRIBE went through", func() bool { return len(links(impatient)) >= 2 })
	if got := links(impatient); !slices.Equal(got, []bus.Link{bus.LinkLost, bus.LinkBack}) {
		t.Errorf("links %v, want [LinkLost LinkBack]", got)
	}
	if got := links(patient); len(got) != 0 {
		t.Errorf("the caller that waited got links %v, want none", got)
	}
	bustest.Publish(t, b, "impatient", "late")
	impatient.WaitFor(t, "late")
}

// links lists the news about the link r got, in order.
func links(r *bustest.Recorder) []bus.Link {
	var out []bus.Link
	for _, m := range r.Messages() {
		if m.Link != bus.LinkUp {
			out = append(out, m.Link)
		}
	}
	return out
}

// After Stop a Subscribe returns at once, telling LinkLost, and its
// cancel returns too: no flush starts, none outlives the bus.
func TestRedisSubscribeAfterStop(t *testing.T) {
	b, _ := startRedisBus(t)
	b.Stop()
	r := bustest.NewRecorder()
	cancel := b.Subscribe(t.Context(), "late", r.Deliver)
	cancel()
	if got := links(r); !slices.Equal(got, []bus.Link{bus.LinkLost}) {
		t.Errorf("links %v, want [LinkLost]", got)
	}
}
