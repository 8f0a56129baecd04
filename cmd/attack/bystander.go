package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/rtserver/rt/cmd/internal/mdtable"
	"github.com/rtserver/rt/cmd/internal/rtnode"
)

const (
	probeRate = 20                      // the bystander's messages per second: the default RATE_LIMIT
	probeWait = 3 * time.Second         // after the last probe, how long the receiver still waits
	probeMax  = probeWait + time.Second // read deadline slack past the run
)

// bystanderFigures are what an ordinary room felt: one sender at
// probeRate, one receiver measuring each message from its send to its
// delivery, on this process's clock.
type bystanderFigures struct {
	Sent     int            `json:"sent"`
	Received int            `json:"received"`
	P50      float64        `json:"p50_ms"`
	P99      float64        `json:"p99_ms"`
	Max      float64        `json:"max_ms"`
	Errors   map[string]int `json:"errors"`
	Ends     map[string]int `json:"ends"` // sockets the server ended during the run
}

func (b *bystanderFigures) String() string {
	if b == nil {
		return "—"
	}
	out := fmt.Sprintf("p50 %.2f ms, p99 %.2f ms, max %.1f ms (%d of %d received)", b.P50, b.P99, b.Max, b.Received, b.Sent)
	if len(b.Errors) > 0 {
		out += "; system.error " + mdtable.Counts(b.Errors)
	}
	if len(b.Ends) > 0 {
		out += "; closed: " + mdtable.Counts(b.Ends)
	}
	return out
}

// runBystander measures the bystander room for d.
func runBystander(ctx context.Context, t *target, room string, d time.Duration) (*bystanderFigures, error) {
	fig := &bystanderFigures{Errors: map[string]int{}, Ends: map[string]int{}}
	var mu sync.Mutex
	var lat []int64
	var wg sync.WaitGroup
	sender, err := bystanderSocket(ctx, t, room, "bystander-sender")
	if err != nil {
		return nil, err
	}
	defer sender.Close()
	receiver, err := bystanderSocket(ctx, t, room, "bystander-receiver")
	if err != nil {
		return nil, err
	}
	defer receiver.Close()
	deadline := time.Now().Add(d + probeMax)
	for _, ws := range []*websocket.Conn{sender, receiver} {
		_ = ws.SetReadDeadline(deadline)
		measure := ws == receiver
		wg.Go(func() {
			for {
				_, data, err := ws.ReadMessage()
				now := time.Now().UnixNano()
				mu.Lock()
				if err != nil {
					if end := closeCause(err); end != "still open" {
						fig.Ends[end]++
					}
					mu.Unlock()
					return
				}
				fig.note(data, now, measure, &lat)
				mu.Unlock()
			}
		})
	}
	fig.Sent = sendProbes(ctx, sender, d)
	// Wait for the last probes, then end the readers.
	waitEnd := time.Now().Add(probeWait)
	for time.Now().Before(waitEnd) && ctx.Err() == nil {
		mu.Lock()
		done := fig.Received >= fig.Sent
		mu.Unlock()
		if done {
			break
		}
		_ = rtnode.Sleep(ctx, 20*time.Millisecond)
	}
	for _, ws := range []*websocket.Conn{sender, receiver} {
		_ = ws.SetReadDeadline(time.Now())
	}
	wg.Wait()
	fig.summarize(lat)
	return fig, nil
}

// note counts one frame the bystander read; a probe delivered to the
// receiver gives a latency.
func (b *bystanderFigures) note(data []byte, now int64, measure bool, lat *[]int64) {
	typ, code := frameType(data)
	if code != "" {
		b.Errors[code]++
	}
	if typ != "chat.delivery" || !measure {
		return
	}
	var dv delivery
	if json.Unmarshal(data, &dv) != nil {
		return
	}
	if _, sent, ok := parseProbe(dv.Text); ok {
		*lat = append(*lat, now-sent)
		b.Received++
	}
}

func (b *bystanderFigures) summarize(lat []int64) {
	slices.Sort(lat)
	ms := func(p float64) float64 { return float64(percentile(lat, p)) / 1e6 }
	b.P50, b.P99, b.Max = ms(50), ms(99), ms(100)
}

func bystanderSocket(ctx context.Context, t *target, room, user string) (*websocket.Conn, error) {
	tok, err := rtnode.Token(user)
	if err != nil {
		return nil, err
	}
	ws, cause := dial(ctx, newDialer(), rtnode.WSURL(t.Port, room, tok, ""))
	if ws == nil {
		return nil, fmt.Errorf("bystander %s: handshake: %s", user, cause)
	}
	return ws, nil
}

// sendProbes sends probeRate messages a second for d; it returns how many
// were written.
func sendProbes(ctx context.Context, ws *websocket.Conn, d time.Duration) int {
	start := time.Now()
	n := int(d.Seconds() * probeRate)
	for i := range n {
		at := start.Add(time.Duration(i) * time.Second / probeRate)
		if rtnode.Sleep(ctx, time.Until(at)) != nil {
			return i
		}
		now := time.Now()
		_ = ws.SetWriteDeadline(now.Add(writeMax))
		if ws.WriteMessage(websocket.TextMessage, chatMessage(probeText(i, now.UnixNano()))) != nil {
			return i
		}
	}
	return n
}

// percentile is the nearest-rank p-th percentile of sorted values: always
// one of the observed values.
func percentile(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p * float64(len(sorted)) / 100)) // p·n first: exact for whole percentages
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}
