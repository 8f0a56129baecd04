package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/rtserver/rt/cmd/internal/mdtable"
)

// The idle scenario: what sockets that carry nothing but the heartbeat
// cost the server, in memory and in CPU.
//
// The server runs with HEARTBEAT_INTERVAL=2s and IDLE_TIMEOUT=10s:
//   - at 2 s the 10 s window holds five beats, 250,000 pings at 50,000
//     sockets: their cost stands well above the 10 ms tick in which /proc
//     counts CPU time, where the default 25 s would put one beat or none
//     in the window;
//   - 10 s (five intervals, the window's length) still leaves every client
//     seconds to answer a ping, while the generator answers 25,000 a
//     second on its one CPU; and a server that did not count the pongs as
//     activity (or clients that did not answer) would close sockets with
//     4000 within the window, so "0 closed by the server" means the pongs
//     keep them open;
//   - rt refuses to start unless the interval is below the timeout.
const (
	idleHeartbeat = 2 * time.Second
	idleTimeout   = 10 * time.Second
	idleWindow    = 10 * time.Second // the default -duration: five beats
	// idleQuiet: no frame but pings for this long and the joins' presence
	// fan-out is over.
	idleQuiet = 2 * time.Second
	// beatGap: pings unchanged for this long and a beat is over (50,000
	// pings are written in well under a second; the beats are 2 s apart).
	beatGap = 300 * time.Millisecond
)

// idleEnv is the heartbeat the scenario measures; the bare floor takes
// none (it has no heartbeat).
func idleEnv() map[string]string {
	return map[string]string{"HEARTBEAT_INTERVAL": idleHeartbeat.String(), "IDLE_TIMEOUT": idleTimeout.String()}
}

// validateIdle checks what the idle scenario needs beyond validate.
func (s settings) validateIdle(name string) error {
	switch {
	case s.Dialers < 1:
		return fmt.Errorf("%s: -dialers must be at least 1", name)
	case s.Duration < idleHeartbeat || s.Duration > 10*time.Minute:
		return fmt.Errorf("%s: -duration (the quiet window) must be in [%s, 10m]", name, idleHeartbeat)
	}
	return nil
}

// idleBeats is the window's length in whole heartbeats: a window that
// starts between two beats then ends between two beats, and holds each
// beat's pings whole.
func idleBeats(d time.Duration) int {
	return max(1, int((d+idleHeartbeat/2)/idleHeartbeat))
}

// idleFigures is what the idle scenario measured.
type idleFigures struct {
	Bare              bool           `json:"bare,omitempty"` // the bare floor: no rooms, no presence, no heartbeat
	Sockets           int            `json:"sockets"`        // connected
	SourceAddrs       int            `json:"source_addresses"`
	DialFailures      map[string]int `json:"dial_failures"`
	DialSeconds       float64        `json:"dial_seconds"`
	Joined            int            `json:"joined,omitempty"`         // clients that read their own presence frame
	SettleSeconds     float64        `json:"settle_seconds"`           // first dial to the start of the window
	HeartbeatInterval float64        `json:"heartbeat_interval_s"`     // 0 for the bare floor
	IdleTimeout       float64        `json:"idle_timeout_s,omitempty"` //
	RSSIdle           uint64         `json:"server_rss_idle_bytes"`    // 0 sockets
	RSSSettled        uint64         `json:"server_rss_settled_bytes"` // the sockets open and quiet, before the window
	RSSSockets        uint64         `json:"server_rss_sockets_bytes"` // at the end of the window
	BytesPerSocket    float64        `json:"server_bytes_per_idle_socket"`
	WindowSeconds     float64        `json:"window_seconds"`
	ServerCPUSeconds  float64        `json:"server_cpu_seconds"` // in the window
	CPUMsPerSecond    float64        `json:"server_cpu_ms_per_second"`
	Pings             int64          `json:"pings_delivered"` // system.ping frames the clients read in the window
	PingsExpected     int64          `json:"pings_expected"`  // beats × sockets
	CPUUsPerPing      float64        `json:"server_cpu_us_per_ping"`
	OtherFrames       int64          `json:"other_frames"` // frames other than pings in the window: should be 0
	ClosedByServer    map[string]int `json:"closed_by_server"`
	LoadCPUSeconds    float64        `json:"load_cpu_seconds"` // in the window
	LoadCPUs          int            `json:"load_cpus"`
}

// runIdle opens s.Conns sockets over s.Rooms rooms, waits for the joins'
// presence fan-out to end, then measures a window of s.Duration (whole
// heartbeats, starting between two beats) in which the sockets only get
// pings and answer them: server CPU per second and per ping, and RSS.
// Its clients are the raw fleet (clients.go): each reads every frame and
// answers every system.ping with a system.pong (docs/protocol.md).
func runIdle(ctx context.Context, e *env, s settings) (*row, error) {
	if err := s.validateIdle("idle"); err != nil {
		return nil, err
	}
	srv, err := e.start(ctx, idleEnv())
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	fig := &idleFigures{Bare: e.target.Bare, SourceAddrs: sourceCount(s.Conns), LoadCPUs: e.loadCPUs()}
	if !fig.Bare {
		fig.HeartbeatInterval, fig.IdleTimeout = idleHeartbeat.Seconds(), idleTimeout.Seconds()
	}
	if err := sleep(ctx, idleSettle); err != nil {
		return nil, err
	}
	if fig.RSSIdle, err = srv.rss(); err != nil {
		return nil, err
	}
	f, err := newFleet(fleetConfig{ports: []int{srv.port}, conns: s.Conns, rooms: s.Rooms, prefix: "idle." + e.runID})
	if err != nil {
		return nil, err
	}
	defer f.close()
	logf("idle: %d sockets into %d rooms from %d source address(es), %d dialling at a time", s.Conns, s.Rooms, fig.SourceAddrs, s.Dialers)
	start := time.Now()
	f.dialAll(ctx, s.Dialers, 3)
	fig.DialSeconds = time.Since(start).Seconds()
	fig.Sockets = f.connected()
	fig.DialFailures = f.failsSnapshot()
	logf("idle: %d connected in %.1fs (failed: %s)", fig.Sockets, fig.DialSeconds, mdtable.Counts(fig.DialFailures))
	if fig.Bare {
		waitUntil(ctx, time.Now().Add(joinMax), func() bool { return f.frames.Load()+f.dropped.Load() >= int64(fig.Sockets) })
	} else if err := f.waitJoined(ctx, joinMax); err != nil {
		logf("idle: %v", err)
	}
	fig.Joined = int(f.joined.Load())
	other := func() int64 { return f.frames.Load() - f.pings.Load() }
	if !waitSteady(ctx, idleQuiet, quietMax, other) {
		logf("idle: frames other than pings still arriving after %s", quietMax)
	}
	if err := fig.alignWindow(ctx, f); err != nil {
		return nil, err
	}
	fig.SettleSeconds = time.Since(start).Seconds()
	if fig.RSSSettled, err = srv.rss(); err != nil {
		return nil, err
	}
	if err := fig.measure(ctx, srv, f, s, other); err != nil {
		return nil, err
	}
	fig.ClosedByServer = f.endsSnapshot()
	f.close()
	return fig.row(s), nil
}

// alignWindow returns half an interval after a beat began, so that a
// window of whole intervals holds whole beats. For the bare floor (no
// heartbeat) it returns at once.
func (fig *idleFigures) alignWindow(ctx context.Context, f *fleet) error {
	if fig.Bare {
		return nil
	}
	pings := func() int64 { return f.pings.Load() }
	waitSteady(ctx, beatGap, 2*idleHeartbeat, pings) // out of any beat
	before := pings()
	if !waitUntil(ctx, time.Now().Add(2*idleHeartbeat+time.Second), func() bool { return pings() != before }) {
		logf("idle: WARNING: no system.ping within %s: the server sends no heartbeat", 2*idleHeartbeat+time.Second)
		return ctx.Err()
	}
	return sleep(ctx, idleHeartbeat/2)
}

// measure is the quiet window: CPU, pings, frames and RSS.
func (fig *idleFigures) measure(ctx context.Context, srv *server, f *fleet, s settings, other func() int64) error {
	window := s.Duration
	beats := 0
	if !fig.Bare {
		beats = idleBeats(s.Duration)
		window = time.Duration(beats) * idleHeartbeat
	}
	logf("idle: measuring a quiet window of %s", window)
	cpu0, err := srv.cpuTime()
	if err != nil {
		return err
	}
	pings0, other0, self0, t0 := f.pings.Load(), other(), selfCPUTime(), time.Now()
	if err := sleep(ctx, window); err != nil {
		return err
	}
	cpu1, err := srv.cpuTime()
	if err != nil {
		return err
	}
	fig.WindowSeconds = time.Since(t0).Seconds()
	fig.Pings, fig.OtherFrames = f.pings.Load()-pings0, other()-other0
	fig.LoadCPUSeconds = (selfCPUTime() - self0).Seconds()
	fig.ServerCPUSeconds = (cpu1 - cpu0).Seconds()
	fig.CPUMsPerSecond = fig.ServerCPUSeconds * 1000 / fig.WindowSeconds
	fig.PingsExpected = int64(beats) * int64(f.connected()-int(f.dropped.Load()))
	if fig.Pings > 0 {
		fig.CPUUsPerPing = fig.ServerCPUSeconds * 1e6 / float64(fig.Pings)
	}
	if fig.RSSSockets, err = srv.rss(); err != nil {
		return err
	}
	if fig.Sockets > 0 {
		fig.BytesPerSocket = float64(int64(fig.RSSSockets)-int64(fig.RSSIdle)) / float64(fig.Sockets)
	}
	logf("idle: %.0f ms of server CPU per second, %d pings (%d expected), %s per socket",
		fig.CPUMsPerSecond, fig.Pings, fig.PingsExpected, mdtable.KiB(fig.BytesPerSocket))
	return nil
}

// waitSteady waits until count has not changed for quiet, or bound passes;
// it reports whether it held still.
func waitSteady(ctx context.Context, quiet, bound time.Duration, count func() int64) bool {
	last, since := count(), time.Now()
	return waitUntil(ctx, time.Now().Add(bound), func() bool {
		if n := count(); n != last {
			last, since = n, time.Now()
		}
		return time.Since(since) >= quiet
	})
}

func (fig *idleFigures) row(s settings) *row {
	failed, closed := sum(fig.DialFailures), sum(fig.ClosedByServer)
	health := fmt.Sprintf("%d failed, %d closed by server", failed, closed)
	if failed > 0 {
		health += "; failed: " + mdtable.Counts(fig.DialFailures)
	}
	if closed > 0 {
		health += "; **closed: " + mdtable.Counts(fig.ClosedByServer) + "**"
	}
	if !fig.Bare && fig.Pings != fig.PingsExpected {
		health += fmt.Sprintf("; %d pings in the window, %d expected", fig.Pings, fig.PingsExpected)
	}
	if fig.OtherFrames > 0 {
		health += fmt.Sprintf("; %d frames other than pings in the window (not quiet)", fig.OtherFrames)
	}
	if !fig.Bare && fig.Joined < fig.Sockets {
		health += fmt.Sprintf("; only %d of %d saw their own join", fig.Joined, fig.Sockets)
	}
	heartbeat := fmt.Sprintf("heartbeat %s, idle timeout %s", idleHeartbeat, idleTimeout)
	perPing := fmt.Sprintf("%.1f µs of server CPU per ping delivered", fig.CPUUsPerPing)
	rooms := fmt.Sprintf("over %d rooms (%s each)", s.Rooms, roomSize(s.Conns, s.Rooms))
	if fig.Bare {
		heartbeat, perPing, rooms = "no heartbeat (the floor has none)", "pings n/a", "(the floor has no rooms)"
	}
	r := &row{
		Setup: fmt.Sprintf("%d idle sockets %s, %s; %d dialling at a time from %d source address(es)",
			s.Conns, rooms, heartbeat, s.Dialers, fig.SourceAddrs),
		Result: fmt.Sprintf("**%s per idle socket**; idle: **%.1f ms of server CPU per second**, %s",
			mdtable.KiB(fig.BytesPerSocket), fig.CPUMsPerSecond, perPing),
		ServerCPU: cpuCell(fig.ServerCPUSeconds, fig.WindowSeconds) + "; load generator " + share(fig.LoadCPUSeconds, fig.WindowSeconds, fig.LoadCPUs),
		Health:    health,
		Figures:   fig,
	}
	perPingDetail := "**" + perPing + "** (its write, the pong's read, and the idle floor beside them)"
	joined := strconv.Itoa(fig.Joined) + " saw their own presence frame"
	pings := fmt.Sprintf("%d read and answered with system.pong (%d expected: %d beats × sockets); %d other frames", fig.Pings, fig.PingsExpected, idleBeats(s.Duration), fig.OtherFrames)
	if fig.Bare {
		joined, pings, perPingDetail = "n/a (no rooms, no presence)", "n/a (no heartbeat)", "n/a (no heartbeat)"
	}
	r.details = [][2]string{
		{"sockets", fmt.Sprintf("%d of %d connected in %.1f s, %d dialling at a time, from %d loopback source address(es); %s", fig.Sockets, s.Conns, fig.DialSeconds, s.Dialers, fig.SourceAddrs, joined)},
		{"failures", fmt.Sprintf("dials: %s; closed by the server: %s", mdtable.Counts(fig.DialFailures), mdtable.Counts(fig.ClosedByServer))},
		{"server RSS, 0 sockets", mdtable.MiB(float64(fig.RSSIdle))},
		{"server RSS, sockets open and quiet", mdtable.MiB(float64(fig.RSSSettled))},
		{"server RSS, after the window", mdtable.MiB(float64(fig.RSSSockets))},
		{"**memory per idle socket** (after the window)", "**" + mdtable.KiB(fig.BytesPerSocket) + "**"},
		{"quiet window", fmt.Sprintf("%.2f s, from %.1f s after the first dial", fig.WindowSeconds, fig.SettleSeconds)},
		{"**server CPU while idle**", fmt.Sprintf("**%.1f ms per second** (%s)", fig.CPUMsPerSecond, cpuCell(fig.ServerCPUSeconds, fig.WindowSeconds))},
		{"pings in the window", pings},
		{"**server CPU per ping delivered**", perPingDetail},
		{"load generator CPU in the window", fmt.Sprintf("%.2f s (%s)", fig.LoadCPUSeconds, share(fig.LoadCPUSeconds, fig.WindowSeconds, fig.LoadCPUs))},
	}
	return r
}

// keys are the figures a comparison quotes.
func (fig *idleFigures) keys() []keyFigure {
	k := []keyFigure{
		{Name: "KiB per idle socket", Value: fig.BytesPerSocket / 1024, Prec: 1},
		{Name: "server RSS MiB", Value: float64(fig.RSSSockets) / (1 << 20), Prec: 1},
		{Name: "server CPU ms/s idle", Value: fig.CPUMsPerSecond, Prec: 1},
	}
	if !fig.Bare {
		k = append(k, keyFigure{Name: "server CPU µs per ping", Value: fig.CPUUsPerPing, Prec: 2},
			keyFigure{Name: "pings", Value: float64(fig.Pings)})
	}
	return append(k, keyFigure{Name: "failed + closed", Value: float64(sum(fig.DialFailures) + sum(fig.ClosedByServer))})
}
