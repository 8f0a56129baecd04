package bus

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// warmUp waits for a frame through a throwaway room, so the Pub/Sub
// connection is known to be up.
func warmUp(t *testing.T, b *Redis) {
	t.Helper()
	r := newRecorder()
	cancel := subscribe(t, b, "warm-up", r)
	publishUntil(t, b, "warm-up", "warm", r)
	cancel()
}

// killPubSub kills every Pub/Sub connection on the server, as a Redis
// restart, a failover or a network cut would, and says how many it killed.
func (e *redisEnv) killPubSub(t *testing.T) int64 {
	t.Helper()
	n, err := e.obs.Do(t.Context(), e.obs.B().ClientKill().TypePubsub().Build()).AsInt64()
	if err != nil {
		t.Errorf("CLIENT KILL TYPE pubsub: %v", err)
	}
	return n
}

// channels is PUBSUB CHANNELS for the room channels, as room names, sorted.
func (e *redisEnv) channels(t *testing.T) []string {
	t.Helper()
	chs, err := e.obs.Do(t.Context(), e.obs.B().PubsubChannels().Pattern(ChannelPrefix+"*").Build()).AsStrSlice()
	if err != nil {
		t.Fatalf("PUBSUB CHANNELS: %v", err)
	}
	rooms := make([]string, len(chs))
	for i, ch := range chs {
		rooms[i] = strings.TrimPrefix(ch, ChannelPrefix)
	}
	slices.Sort(rooms)
	return rooms
}

// waitChannels polls PUBSUB CHANNELS until it is exactly want: the bus
// restores its rooms asynchronously after a lost connection.
func (e *redisEnv) waitChannels(t *testing.T, want []string) {
	t.Helper()
	want = slices.Sorted(slices.Values(want))
	deadline := time.Now().Add(waitLimit)
	for {
		got := e.channels(t)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscribed rooms after %s: %q\nwant %q", waitLimit, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The Pub/Sub connection is killed again and again while many goroutines
// subscribe and unsubscribe rooms. Afterwards Redis has exactly the rooms
// that still have local subscribers, each once, every subscriber gets what
// is published next, and no SUBSCRIBE or UNSUBSCRIBE was ever sent on a
// dedicated client that rueidis had already recycled.
func TestRedisPubSubKilledDuringStorm(t *testing.T) {
	var logs logBuffer
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

	recs := make([]*recorder, workers)
	var wg sync.WaitGroup
	for w := range workers {
		recs[w] = newRecorder()
		wg.Go(func() {
			var held []func()
			for i := 0; time.Now().Before(stormEnd); i++ {
				cancel := b.Subscribe(t.Context(), room((w*7+i)%rooms), func(Message) {})
				held = append(held, cancel)
				if i%3 == 2 { // keep a few for a while, then let them all go
					for _, c := range held {
						c()
					}
					held = held[:0]
				}
			}
			subscribe(t, b, room(w%kept), recs[w])
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
		publish(t, b, r, "after-"+r)
	}
	for w, rec := range recs {
		rec.waitFor(t, "after-"+room(w%kept))
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
