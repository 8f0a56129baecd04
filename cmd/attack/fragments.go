package main

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/rtserver/rt/cmd/internal/mdtable"
	"github.com/rtserver/rt/cmd/internal/rtnode"
)

// floodFrames is how many empty continuation frames one write carries:
// 6 bytes each, 256 KiB a write, so the attacker's cost is the kernel's.
const floodFrames = 256 << 10 / 6

// fragmentFigures are what the fragment attackers did and saw.
type fragmentFigures struct {
	Sockets      int               `json:"sockets"`
	Refused      map[string]int    `json:"handshakes_refused"`
	Frames       int64             `json:"frames_written"` // continuation frames, all sockets
	Bytes        int64             `json:"bytes_written"`
	Closed       map[string]int    `json:"closed"`               // how each socket ended: close code and reason, or the write error
	ClosedAfter  []float64         `json:"closed_after_seconds"` // per socket closed by the server: seconds into the attack
	FramesClosed []int64           `json:"frames_before_close"`  // per socket closed by the server: frames written until then
	Read         *tally            `json:"read"`                 // what the server sent the attackers
	Baseline     *bystanderFigures `json:"bystander_without_attack"`
	During       *bystanderFigures `json:"bystander_during_attack"`
	perSocket    []*fragmentAttacker
}

// runFragments measures the bystander alone, then again while the
// attackers flood the server with a message that never ends.
func runFragments(ctx context.Context, e *env, s settings, r *result) error {
	t, err := startTarget(ctx, e, openHandshakes)
	if err != nil {
		return err
	}
	defer t.Stop()
	room := "bystander." + e.runID
	fig := &fragmentFigures{Sockets: s.Sockets, Refused: map[string]int{}, Closed: map[string]int{}, Read: newTally()}
	logf("bystander baseline for %s", s.Duration)
	if fig.Baseline, err = runBystander(ctx, t, room, s.Duration); err != nil {
		return err
	}
	tok, err := rtnode.Token("attacker")
	if err != nil {
		return err
	}
	r.Attack = fmt.Sprintf("%d sockets: a text frame without FIN, then empty masked continuation frames (6 B) without end, %d per write, for %s", s.Sockets, floodFrames, s.Duration)
	m := t.startMeter(ctx, r)
	d := newDialer()
	for range s.Sockets {
		ws, cause := dial(ctx, d, rtnode.WSURL(t.Port, "attack."+e.runID, tok, ""))
		if ws == nil {
			fig.Refused[cause]++
			continue
		}
		fig.perSocket = append(fig.perSocket, newFragmentAttacker(ws))
	}
	defer func() {
		for _, a := range fig.perSocket {
			a.ws.Close()
		}
	}()
	logf("%d attackers open; flooding for %s with a bystander", len(fig.perSocket), s.Duration)
	var wg sync.WaitGroup
	start := time.Now()
	for _, a := range fig.perSocket {
		wg.Go(func() { a.flood(ctx, start, s.Duration) })
	}
	fig.During, err = runBystander(ctx, t, room, s.Duration)
	wg.Wait()
	if err != nil {
		return err
	}
	m.end(ctx, r)
	fig.collect()
	m.finish(ctx, r)
	r.Saw = fig.describe()
	r.Also = "bystander without → during: " + fig.Baseline.String() + " → " + fig.During.String()
	r.Figures = fig
	return ctx.Err()
}

// fragmentAttacker is one flooding socket: the writer writes raw bytes on
// the connection under the WebSocket library, the reader reads what the
// server sends through the library (its frames are ordinary).
type fragmentAttacker struct {
	ws       *websocket.Conn
	nc       net.Conn
	read     *tally
	written  atomic.Int64 // bytes, the opening frame excluded
	closedAt atomic.Int64 // Unix ns the server's close (or the end of the connection) was read; 0 = not yet
	atBytes  atomic.Int64 // bytes written when it was
	start    time.Time    // of the attack
	end      string       // how the connection ended, once flood returns
	done     chan struct{}
}

func newFragmentAttacker(ws *websocket.Conn) *fragmentAttacker {
	a := &fragmentAttacker{ws: ws, nc: ws.NetConn(), read: newTally(), done: make(chan struct{})}
	// The library would answer a close or a ping by writing a frame, into
	// the middle of the flood: the attacker answers nothing.
	ws.SetCloseHandler(func(int, string) error { return nil })
	ws.SetPingHandler(func(string) error { return nil })
	return a
}

// flood writes until d passes, the server's close is read, or a write
// fails; the reader runs alongside and is stopped at the end.
func (a *fragmentAttacker) flood(ctx context.Context, start time.Time, d time.Duration) {
	var readEnd string
	a.start = start
	go func() {
		defer close(a.done)
		_ = a.ws.SetReadDeadline(start.Add(d + 2*time.Second))
		var buf []byte
		for {
			var err error
			if buf, err = a.read.readOne(a.ws, buf); err != nil {
				a.atBytes.Store(a.written.Load())
				a.closedAt.Store(time.Now().UnixNano())
				readEnd = closeCause(err)
				return
			}
		}
	}()
	opening, repeat := fragmentFlood(floodFrames, [4]byte{0x5a, 0x3c, 0x96, 0x0f})
	writeEnd := a.write(ctx, opening, repeat, start.Add(d))
	_ = a.nc.SetReadDeadline(time.Now()) // ends the reader if the server never closed
	<-a.done
	a.end = readEnd
	if a.end == "still open" && writeEnd != "" {
		a.end = writeEnd
	}
}

// write writes the opening frame, then repeat until stop; it returns why
// it stopped early ("" if it ran to the end).
func (a *fragmentAttacker) write(ctx context.Context, opening, repeat []byte, stop time.Time) string {
	_ = a.nc.SetWriteDeadline(time.Now().Add(writeMax))
	if _, err := a.nc.Write(opening); err != nil {
		return "write failed: " + writeFailure(err)
	}
	for time.Now().Before(stop) && ctx.Err() == nil && a.closedAt.Load() == 0 {
		_ = a.nc.SetWriteDeadline(stop)
		n, err := a.nc.Write(repeat)
		a.written.Add(int64(n))
		if err != nil && !isTimeout(err) {
			return "write failed: " + writeFailure(err)
		}
	}
	return ""
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// collect adds up the attackers once their floods are over.
func (fig *fragmentFigures) collect() {
	for _, a := range fig.perSocket {
		fig.Bytes += a.written.Load()
		fig.Read.add(a.read)
		fig.Closed[a.end]++
		if a.end != "still open" {
			at := a.closedAt.Load()
			fig.ClosedAfter = append(fig.ClosedAfter, time.Duration(at-a.start.UnixNano()).Seconds())
			fig.FramesClosed = append(fig.FramesClosed, a.atBytes.Load()/6)
		}
	}
	fig.Frames = fig.Bytes / 6
}

func (fig *fragmentFigures) describe() string {
	out := fmt.Sprintf("**%s frames** (%s) written by %d sockets", thousands(float64(fig.Frames)), mdtable.MiB(float64(fig.Bytes)), len(fig.perSocket))
	if len(fig.Refused) > 0 {
		out += " (refused: " + mdtable.Counts(fig.Refused) + ")"
	}
	out += "; ended: " + mdtable.Counts(fig.Closed)
	if n := len(fig.FramesClosed); n > 0 {
		var most int64
		for _, f := range fig.FramesClosed {
			most = max(most, f)
		}
		out += fmt.Sprintf("; %d closed by the server, the last after %s frames", n, thousands(float64(most)))
	}
	if len(fig.Read.Errors) > 0 {
		out += "; system.error " + mdtable.Counts(fig.Read.Errors)
	}
	return out
}
