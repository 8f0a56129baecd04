package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtserver/rt/cmd/internal/mdtable"
	"github.com/rtserver/rt/cmd/internal/rtnode"
)

// maxPerWorker bounds a worker's handshakes whatever the duration: far
// above what one worker makes in the longest run on loopback.
const maxPerWorker = 2_000_000

// loopFigures are what the handshake workers saw.
type loopFigures struct {
	Accepted   int            `json:"accepted"`
	Refused    map[string]int `json:"refused"` // by status and error code, or failure
	Seconds    float64        `json:"seconds"`
	LogBytes   int64          `json:"server_log_bytes"`
	SeededRoom int            `json:"messages_in_room,omitempty"`
}

// runSinceStorm: workers, a new user each time, join the seeded room with
// since=<oldest> and close right after the 101, for the duration.
func runSinceStorm(ctx context.Context, e *env, s settings, r *result) error {
	t, room, err := startSeeded(ctx, e)
	if err != nil {
		return err
	}
	defer t.Stop()
	// A user of its own for every handshake: the server may hold a closed
	// socket until its replay is written, and MAX_CONNS_PER_USER would
	// then refuse a user's next joins before they read any history.
	var next atomic.Int64
	urlOf := func(int) string {
		tok, err := rtnode.Token("storm-" + strconv.FormatInt(next.Add(1), 10))
		if err != nil {
			panic(err) // HMAC signing of a fixed secret does not fail
		}
		return rtnode.WSURL(t.Port, room.room, tok, room.oldest)
	}
	r.Attack = fmt.Sprintf("%d workers (a new user each time) join with since=<oldest of %d messages> and close right after the 101, for %s", s.Sockets, room.stored, s.Duration)
	fig := &loopFigures{SeededRoom: room.stored}
	return handshakeLoop(ctx, t, s, r, fig, urlOf)
}

// runHandshakes: workers of one address and one token make handshakes as
// fast as they can, with the server's default limits.
func runHandshakes(ctx context.Context, e *env, s settings, r *result) error {
	t, err := startTarget(ctx, e, shippedHandshakes)
	if err != nil {
		return err
	}
	defer t.Stop()
	tok, err := rtnode.Token("attacker")
	if err != nil {
		return err
	}
	room := "attack." + e.runID
	r.Attack = fmt.Sprintf("%d workers, one address, one token: handshakes as fast as they can, closed after the answer, for %s", s.Sockets, s.Duration)
	u := rtnode.WSURL(t.Port, room, tok, "")
	return handshakeLoop(ctx, t, s, r, &loopFigures{}, func(int) string { return u })
}

// handshakeLoop runs the workers for the duration: each dials the URL
// urlOf gives it, closes the socket at once if it was accepted (no close
// frame: the TCP connection goes), and dials again.
func handshakeLoop(ctx context.Context, t *target, s settings, r *result, fig *loopFigures, urlOf func(worker int) string) error {
	fig.Refused = map[string]int{}
	log0, _ := t.LogBytes()
	m := t.startMeter(ctx, r)
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(s.Duration)
	for w := range s.Sockets {
		wg.Go(func() {
			d := newDialer()
			accepted, refused := 0, map[string]int{}
			for range maxPerWorker {
				if time.Now().After(stop) || ctx.Err() != nil {
					break
				}
				ws, cause := dial(ctx, d, urlOf(w))
				if ws == nil {
					refused[cause]++
					continue
				}
				ws.Close()
				accepted++
			}
			mu.Lock()
			defer mu.Unlock()
			fig.Accepted += accepted
			for k, v := range refused {
				fig.Refused[k] += v
			}
		})
	}
	wg.Wait()
	fig.Seconds = time.Since(start).Seconds()
	m.end(ctx, r)
	log1, _ := t.LogBytes()
	fig.LogBytes = log1 - log0
	m.finish(ctx, r)
	r.Saw = fig.describe()
	r.Also = fmt.Sprintf("server log: %s written during the attack", mdtable.MiB(float64(fig.LogBytes)))
	r.Figures = fig
	return ctx.Err()
}

func (fig *loopFigures) describe() string {
	out := fmt.Sprintf("**%s accepted/s** (%s in %.1f s)", thousands(float64(fig.Accepted)/fig.Seconds), thousands(float64(fig.Accepted)), fig.Seconds)
	if len(fig.Refused) == 0 {
		return out + "; none refused"
	}
	return out + fmt.Sprintf("; refused or failed %d (%.0f/s): %s", sum(fig.Refused), float64(sum(fig.Refused))/fig.Seconds, perSecond(fig.Refused, fig.Seconds))
}
