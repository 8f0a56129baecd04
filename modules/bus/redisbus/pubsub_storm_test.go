package redisbus

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/bus/bustest"
	"github.com/rtserver/rt/modules/logging/logtest"
)

// The Pub/Sub connection is killed again and again while many goroutines
// subscribe and unsubscribe rooms. Afterwards Redis has exactly the rooms
// that still have local subscribers, each once, every subscriber gets what
// is published next, and no SUBSCRIBE or UNSUBSCRIBE was ever sent on a
// dedicated client that rueidis had already recycled.
func TestRedisPubSubKilledDuringStorm(t *testing.T) {
	var logs logtest.Buffer
	b, env := startRedisBusLogging(t, slog.New(slog.NewTextHandler(&logs, nil)))
	warmUp(t, b)

	const rooms, workers = 160, 64
	const stormFor, killEvery = 1500 * time.Millisecond, 25 * time.Millisecond
	room := func(i int) string { return fmt.Sprintf("storm-%d", i) }
	// Worker w ends holding one subscriber in room w%kept; the other rooms
	// end with none.
	const kept = rooms / 4

	stormEnd := time.Now().Add(stormFor)
	var killer sync.WaitGroup
	var kills, killed int64
	killer.Go(func() {
		for time.Now().Before(stormEnd) {
			time.Sleep(killEvery)
			if n := env.killPubSub(t); n > 0 {
				kills++
				killed += n
			}
		}
	})

	recs := make([]*bustest.Recorder, workers)
	var wg sync.WaitGroup
	for w := range workers {
		recs[w] = bustest.NewRecorder()
		wg.Go(func() {
			var held []func()
			for i := 0; time.Now().Before(stormEnd); i++ {
				cancel := b.Subscribe(t.Context(), room((w*7+i)%rooms), func(bus.Message) {})
				held = append(held, cancel)
				if i%3 == 2 { // keep a few for a while, then let them all go
					for _, c := range held {
						c()
					}
					held = held[:0]
				}
			}
			bustest.Subscribe(t, b, room(w%kept), recs[w])
			for _, c := range held {
				c()
			}
		})
	}
	wg.Wait()
	killer.Wait()
	if kills < 3 {
		t.Fatalf("only %d kills found a Pub/Sub connection to kill (%d killed): the storm did not overlap the losses", kills, killed)
	}
	t.Logf("%d kills, %d connections killed", kills, killed)

	want := make([]string, kept)
	for i := range want {
		want[i] = room(i)
	}
	env.waitChannels(t, want)
	for _, r := range want {
		env.wantNumsub(t, r, 1)
	}
	for _, r := range want {
		bustest.Publish(t, b, r, "after-"+r)
	}
	for w, rec := range recs {
		rec.WaitFor(t, "after-"+room(w%kept))
	}

	if out := logs.String(); strings.Contains(out, "recycled") {
		t.Errorf("the bus used a recycled dedicated client:\n%s", grepLines(out, "recycled", 10))
	}
}

// grepLines returns up to max lines of s that contain sub, and how many
// there were.
func grepLines(s, sub string, max int) string {
	var out []string
	n := 0
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			if n < max {
				out = append(out, strings.TrimRight(line, "\n"))
			}
			n++
		}
	}
	return fmt.Sprintf("%s\n(%d lines in all)", strings.Join(out, "\n"), n)
}
