package main

import (
	"context"
	"fmt"
	"time"

	"github.com/rtserver/rt/cmd/internal/mdtable"
)

// connectFigures is what the connect scenario measured.
type connectFigures struct {
	Connected        int            `json:"connected"`
	DialFailures     map[string]int `json:"dial_failures"` // "HTTP 503", "timeout", …
	ClosedByServer   map[string]int `json:"closed_by_server"`
	UpgradeSeconds   float64        `json:"upgrade_seconds"` // first dial to the last completed upgrade
	HandshakesPerSec float64        `json:"handshakes_per_second"`
	Handshake        latencies      `json:"handshake"` // one dial, TCP connect to 101 read
	Joined           int            `json:"joined"`    // clients that read their own presence frame
	JoinSeconds      float64        `json:"join_seconds"`
	JoinsPerSec      float64        `json:"joins_per_second"`
	PresenceFrames   int64          `json:"presence_frames"`
	RSSIdle          uint64         `json:"server_rss_idle_bytes"`
	RSSConns         uint64         `json:"server_rss_conns_bytes"`
	BytesPerConn     float64        `json:"server_bytes_per_idle_conn"`
	ServerCPUSeconds float64        `json:"server_cpu_seconds"` // first dial to the last join
	LoadCPUSeconds   float64        `json:"load_cpu_seconds"`
	LoadCPUs         int            `json:"load_cpus"`
	CPUPerHandshake  float64        `json:"server_cpu_us_per_connection"`
	// Bare: the server was the bare floor, which has no rooms: no join is
	// counted, and the server CPU runs from the first dial to the last
	// client's first frame (the one the floor writes after the 101).
	Bare bool `json:"bare,omitempty"`
}

// runConnect dials s.Conns connections over s.Rooms rooms, s.Dialers at a
// time and without retries, and counts a connection twice: when its
// upgrade completes (the 101 was read: handshakes/s) and when its own
// presence frame arrives (it is a member: joins/s). Then, once the server
// is quiet, it reads the server's RSS for memory per idle connection.
// Its clients are the raw fleet (clients.go says why): a handshake timed
// from TCP connect to the 101, into the URL room, with nothing else.
func runConnect(ctx context.Context, e *env, s settings) (*row, error) {
	if s.Dialers < 1 {
		return nil, fmt.Errorf("connect: -dialers must be at least 1")
	}
	srv, err := e.start(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	fig := &connectFigures{Bare: e.target.Bare}
	if err := sleep(ctx, idleSettle); err != nil {
		return nil, err
	}
	if fig.RSSIdle, err = srv.rss(); err != nil {
		return nil, err
	}
	f, err := newFleet(fleetConfig{ports: []int{srv.port}, conns: s.Conns, rooms: s.Rooms, prefix: "conn." + e.runID})
	if err != nil {
		return nil, err
	}
	defer f.close()
	cpu0, err := srv.cpuTime()
	if err != nil {
		return nil, err
	}
	logf("connect: %d connections into %d rooms, %d dialling at a time", s.Conns, s.Rooms, s.Dialers)
	self0 := selfCPUTime()
	start := time.Now()
	f.dialAll(ctx, s.Dialers, 1)
	fig.Connected = f.connected()
	fig.DialFailures = f.failsSnapshot()
	var lastUp int64
	var dials []int64
	for _, c := range f.clients {
		if c.ws != nil {
			lastUp = max(lastUp, c.upAt)
			dials = append(dials, c.dialNs)
		}
	}
	fig.Handshake = summarize(dials)
	if lastUp > 0 {
		fig.UpgradeSeconds = time.Duration(lastUp - start.UnixNano()).Seconds()
		fig.HandshakesPerSec = float64(fig.Connected) / fig.UpgradeSeconds
	}
	if fig.Bare {
		logf("connect: %d upgrades in %.2fs; waiting for every client's first frame", fig.Connected, fig.UpgradeSeconds)
		if !waitUntil(ctx, time.Now().Add(joinMax), func() bool { return f.frames.Load()+f.dropped.Load() >= int64(fig.Connected) }) {
			logf("connect: only %d of %d clients read a frame within %s", f.frames.Load(), fig.Connected, joinMax)
		}
	} else {
		logf("connect: %d upgrades in %.2fs; waiting for every own presence frame", fig.Connected, fig.UpgradeSeconds)
		if err := f.waitJoined(ctx, joinMax); err != nil {
			logf("connect: %v", err)
		}
	}
	cpu1, err := srv.cpuTime()
	if err != nil {
		return nil, err
	}
	fig.LoadCPUSeconds, fig.LoadCPUs = (selfCPUTime() - self0).Seconds(), e.loadCPUs()
	f.waitQuiet(ctx, quietFor, quietMax)
	if fig.RSSConns, err = srv.rss(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.close()
	var lastJoin int64
	for _, c := range f.clients {
		if c.ownAt > 0 {
			fig.Joined++
			lastJoin = max(lastJoin, c.ownAt)
		}
	}
	if lastJoin > 0 {
		fig.JoinSeconds = time.Duration(lastJoin - start.UnixNano()).Seconds()
		fig.JoinsPerSec = float64(fig.Joined) / fig.JoinSeconds
	}
	fig.PresenceFrames = f.presFrames.Load()
	fig.ClosedByServer = f.endsSnapshot()
	fig.ServerCPUSeconds = (cpu1 - cpu0).Seconds()
	if fig.Connected > 0 {
		fig.BytesPerConn = float64(int64(fig.RSSConns)-int64(fig.RSSIdle)) / float64(fig.Connected)
		fig.CPUPerHandshake = fig.ServerCPUSeconds / float64(fig.Connected) * 1e6
	}
	return fig.row(s), nil
}

func (fig *connectFigures) row(s settings) *row {
	failed, closed := sum(fig.DialFailures), sum(fig.ClosedByServer)
	health := fmt.Sprintf("%d failed, %d closed by server", failed, closed)
	if failed > 0 {
		health += "; failed: " + mdtable.Counts(fig.DialFailures)
	}
	if closed > 0 {
		health += "; closed: " + mdtable.Counts(fig.ClosedByServer)
	}
	if fig.Joined < fig.Connected && !fig.Bare {
		health += fmt.Sprintf("; only %d of %d saw their own join", fig.Joined, fig.Connected)
	}
	wall := fig.JoinSeconds
	joins := fmt.Sprintf("%s/s counted at the own presence frame", thousands(fig.JoinsPerSec))
	if fig.Bare {
		wall, joins = fig.UpgradeSeconds, "joins n/a (no rooms)"
	}
	r := &row{
		Setup: fmt.Sprintf("%d connections over %d rooms (%s each), %d dialling at a time", s.Conns, s.Rooms, roomSize(s.Conns, s.Rooms), s.Dialers),
		Result: fmt.Sprintf("**%s handshakes/s** (counted at the 101), %s; %s per idle connection",
			thousands(fig.HandshakesPerSec), joins, mdtable.KiB(fig.BytesPerConn)),
		Latency:   fmt.Sprintf("handshake p50 %.2f / p99 %.2f ms", fig.Handshake.P50, fig.Handshake.P99),
		ServerCPU: cpuCell(fig.ServerCPUSeconds, wall) + fmt.Sprintf(", %.0f µs per connection; load generator %s", fig.CPUPerHandshake, share(fig.LoadCPUSeconds, wall, fig.LoadCPUs)),
		Health:    health,
		Figures:   fig,
	}
	if fig.Bare {
		r.details = fig.bareDetails(s)
		return r
	}
	r.details = [][2]string{
		{"connections", fmt.Sprintf("%d of %d connected (no retries), %d dialling at a time, over %d rooms", fig.Connected, s.Conns, s.Dialers, s.Rooms)},
		{"failures", fmt.Sprintf("dials: %s; closed by the server afterwards: %s", mdtable.Counts(fig.DialFailures), mdtable.Counts(fig.ClosedByServer))},
		{"**handshakes/s, counted when the upgrade completed**", fmt.Sprintf("**%s** (%d in %.2f s)", thousands(fig.HandshakesPerSec), fig.Connected, fig.UpgradeSeconds)},
		{"joins/s, counted when the own presence frame arrived", fmt.Sprintf("%s (%d in %.2f s)", thousands(fig.JoinsPerSec), fig.Joined, fig.JoinSeconds)},
		{"one handshake p50 / p90 / p99 / max", fmt.Sprintf("%.2f / %.2f / %.2f / %.2f ms", fig.Handshake.P50, fig.Handshake.P90, fig.Handshake.P99, fig.Handshake.Max)},
		{"presence frames read", thousands(float64(fig.PresenceFrames))},
		{"server RSS, 0 connections", mdtable.MiB(float64(fig.RSSIdle))},
		{fmt.Sprintf("server RSS, %d idle connections", fig.Connected), mdtable.MiB(float64(fig.RSSConns))},
		{"**memory per idle connection**", "**" + mdtable.KiB(fig.BytesPerConn) + "**"},
		{"server CPU, first dial to last join", cpuCell(fig.ServerCPUSeconds, fig.JoinSeconds) + fmt.Sprintf(", %.0f µs per connection", fig.CPUPerHandshake)},
		{"load generator CPU, the same time", fmt.Sprintf("%.2f s (%s)", fig.LoadCPUSeconds, share(fig.LoadCPUSeconds, fig.JoinSeconds, fig.LoadCPUs))},
	}
	return r
}

// bareDetails are the details of a run against the bare floor: no joins,
// no presence; the CPU runs to the last client's first frame.
func (fig *connectFigures) bareDetails(s settings) [][2]string {
	return [][2]string{
		{"connections", fmt.Sprintf("%d of %d connected (no retries), %d dialling at a time; the floor has no rooms (the URL's room is ignored)", fig.Connected, s.Conns, s.Dialers)},
		{"failures", fmt.Sprintf("dials: %s; closed by the server afterwards: %s", mdtable.Counts(fig.DialFailures), mdtable.Counts(fig.ClosedByServer))},
		{"**handshakes/s, counted when the upgrade completed**", fmt.Sprintf("**%s** (%d in %.2f s)", thousands(fig.HandshakesPerSec), fig.Connected, fig.UpgradeSeconds)},
		{"joins/s, presence frames", "n/a (no rooms, no presence)"},
		{"one handshake p50 / p90 / p99 / max", fmt.Sprintf("%.2f / %.2f / %.2f / %.2f ms", fig.Handshake.P50, fig.Handshake.P90, fig.Handshake.P99, fig.Handshake.Max)},
		{"server RSS, 0 connections", mdtable.MiB(float64(fig.RSSIdle))},
		{fmt.Sprintf("server RSS, %d idle connections", fig.Connected), mdtable.MiB(float64(fig.RSSConns))},
		{"**memory per idle connection**", "**" + mdtable.KiB(fig.BytesPerConn) + "**"},
		{"server CPU, first dial to the last client's first frame", cpuCell(fig.ServerCPUSeconds, fig.UpgradeSeconds) + fmt.Sprintf(", %.0f µs per connection", fig.CPUPerHandshake)},
		{"load generator CPU, the same time", fmt.Sprintf("%.2f s (%s)", fig.LoadCPUSeconds, share(fig.LoadCPUSeconds, fig.UpgradeSeconds, fig.LoadCPUs))},
	}
}

// keys are the figures a comparison quotes: the handshakes per
// server CPU-second among them.
func (fig *connectFigures) keys() []keyFigure {
	k := []keyFigure{
		{Name: "handshakes/s", Value: fig.HandshakesPerSec},
	}
	if fig.CPUPerHandshake > 0 {
		k = append(k, keyFigure{Name: "handshakes per server CPU-s", Value: 1e6 / fig.CPUPerHandshake})
	}
	k = append(k,
		keyFigure{Name: "server CPU µs per connection", Value: fig.CPUPerHandshake},
		keyFigure{Name: "KiB per idle socket", Value: fig.BytesPerConn / 1024, Prec: 1},
		keyFigure{Name: "handshake p99 ms", Value: fig.Handshake.P99, Prec: 2})
	if !fig.Bare {
		k = append(k, keyFigure{Name: "joins/s", Value: fig.JoinsPerSec})
	}
	return append(k, keyFigure{Name: "failed + closed", Value: float64(sum(fig.DialFailures) + sum(fig.ClosedByServer))})
}
