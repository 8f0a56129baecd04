package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/rtserver/rt/cmd/internal/mdtable"
	"github.com/rtserver/rt/cmd/internal/rtnode"
)

// historyRate is how often each history attacker asks: the default
// RATE_LIMIT, so that no request is refused for its rate.
const historyRate = 20

// runHistory: sockets of one token that never read ask for the largest
// history page at the rate limit, for the duration.
func runHistory(ctx context.Context, e *env, s settings, r *result) error {
	return runHold(ctx, e, s, r, false)
}

// runSinceHold: sockets of one token that never read join with since=the
// room's oldest message, so that each is sent the rest of its history, and
// stay for the duration.
func runSinceHold(ctx context.Context, e *env, s settings, r *result) error {
	return runHold(ctx, e, s, r, true)
}

// holdFigures are what the never-reading sockets saw.
type holdFigures struct {
	Seeded   int            `json:"messages_in_room"`
	Opened   int            `json:"sockets_opened"`
	Refused  map[string]int `json:"handshakes_refused"`
	Sent     int            `json:"requests_sent"`
	SendErrs map[string]int `json:"send_errors"`
	Read     *tally         `json:"read_at_the_end"`
	Ends     map[string]int `json:"ends"`
}

func runHold(ctx context.Context, e *env, s settings, r *result, since bool) error {
	t, room, err := startSeeded(ctx, e)
	if err != nil {
		return err
	}
	defer t.Stop()
	tok, err := rtnode.Token("attacker")
	if err != nil {
		return err
	}
	fig := &holdFigures{Seeded: room.stored, Refused: map[string]int{}, SendErrs: map[string]int{}, Read: newTally(), Ends: map[string]int{}}
	sinceID := ""
	if since {
		sinceID = room.oldest
		r.Attack = fmt.Sprintf("%d never-reading sockets of one token join with since=<oldest of %d messages>, held %s", s.Sockets, room.stored, s.Duration)
	} else {
		r.Attack = fmt.Sprintf("%d never-reading sockets of one token send history.get limit 100 at %d/s each for %s (room of %d messages)", s.Sockets, historyRate, s.Duration, room.stored)
	}
	m := t.startMeter(ctx, r)
	socks := openSockets(ctx, t.Port, room.room, tok, sinceID, s.Sockets, fig)
	defer closeAll(socks)
	logf("%d of %d sockets open; attacking for %s", len(socks), s.Sockets, s.Duration)
	if since {
		_ = rtnode.Sleep(ctx, s.Duration)
	} else {
		askHistory(ctx, socks, s.Duration, fig)
	}
	m.end(ctx, r)
	drainAll(socks, fig)
	closeAll(socks)
	m.finish(ctx, r)
	r.Saw = fig.describe(since)
	r.Figures = fig
	return ctx.Err()
}

// openSockets makes n handshakes, one at a time, and keeps those accepted.
func openSockets(ctx context.Context, port int, room, tok, since string, n int, fig *holdFigures) []*websocket.Conn {
	var socks []*websocket.Conn
	d := newDialer()
	for range n {
		ws, cause := dial(ctx, d, rtnode.WSURL(port, room, tok, since))
		if ws == nil {
			fig.Refused[cause]++
			continue
		}
		socks = append(socks, ws)
	}
	fig.Opened = len(socks)
	return socks
}

// askHistory has every socket send history.get at historyRate until d
// passes or its writes fail (the server closed it, or stopped reading).
func askHistory(ctx context.Context, socks []*websocket.Conn, d time.Duration, fig *holdFigures) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	count := int(d.Seconds()*historyRate) + 1
	for _, ws := range socks {
		wg.Go(func() {
			sent, cause := 0, ""
			for range count {
				at := time.Now()
				if at.After(stop) || ctx.Err() != nil {
					break
				}
				_ = ws.SetWriteDeadline(at.Add(writeMax))
				if err := ws.WriteMessage(websocket.TextMessage, historyGet); err != nil {
					cause = writeFailure(err)
					break
				}
				sent++
				_ = rtnode.Sleep(ctx, time.Until(at.Add(time.Second/historyRate)))
			}
			mu.Lock()
			defer mu.Unlock()
			fig.Sent += sent
			if cause != "" {
				fig.SendErrs[cause]++
			}
		})
	}
	wg.Wait()
}

// writeFailure names why a write failed, without addresses.
func writeFailure(err error) string {
	if c := dialFailure(err); !strings.HasPrefix(c, "other:") {
		return c
	}
	return closeCause(err)
}

// drainAll reads every socket at once for drainMax: what the server still
// sends it, and how it ends.
func drainAll(socks []*websocket.Conn, fig *holdFigures) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, ws := range socks {
		wg.Go(func() {
			t, end := drain(ws, drainMax)
			mu.Lock()
			defer mu.Unlock()
			fig.Read.add(t)
			fig.Ends[end]++
		})
	}
	wg.Wait()
}

func closeAll(socks []*websocket.Conn) {
	for _, ws := range socks {
		ws.Close()
	}
}

func (fig *holdFigures) describe(since bool) string {
	out := fmt.Sprintf("%d opened", fig.Opened)
	if len(fig.Refused) > 0 {
		out += ", refused: " + mdtable.Counts(fig.Refused)
	}
	if !since {
		out += fmt.Sprintf("; %d history.get sent", fig.Sent)
		if len(fig.SendErrs) > 0 {
			out += " (writes stopped: " + mdtable.Counts(fig.SendErrs) + ")"
		}
	}
	out += fmt.Sprintf("; read at the end (%s each): %s in %s", drainMax, mdtable.MiB(float64(fig.Read.Bytes)), mdtable.Counts(fig.Read.Types))
	if len(fig.Read.Errors) > 0 {
		out += ", system.error " + mdtable.Counts(fig.Read.Errors)
	}
	return out + "; sockets: " + mdtable.Counts(fig.Ends)
}
