package main

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/rtserver/rt/cmd/internal/mdtable"
)

// maxRateGuess sizes the time bound of a max-rate phase: the deliveries/s
// below which it is given up as stuck (the -timeout bounds it too).
const maxRateGuess = 20000

// fanoutFigures is what a fan-out scenario measured.
type fanoutFigures struct {
	Servers          int            `json:"servers"`
	Connected        int            `json:"connected"`
	DialSeconds      float64        `json:"dial_seconds"`
	RSSIdle          uint64         `json:"server_rss_idle_bytes,omitempty"`
	RSSConns         uint64         `json:"server_rss_conns_bytes,omitempty"`
	BytesPerConn     float64        `json:"server_bytes_per_idle_conn,omitempty"`
	Expected         int64          `json:"deliveries_expected"`
	Received         int64          `json:"deliveries_received"`
	Lost             int64          `json:"deliveries_lost"`
	Refused          int64          `json:"messages_refused"` // answered with a system.error instead of published
	ClosedByServer   map[string]int `json:"closed_by_server"`
	Errors           map[string]int `json:"system_errors"` // system.error frames read, by code
	OfferedPerSec    float64        `json:"deliveries_offered_per_second,omitempty"`
	PhaseSeconds     float64        `json:"fanout_seconds"`
	DeliveriesPerSec float64        `json:"deliveries_per_second"`
	PerCPUSecond     float64        `json:"deliveries_per_server_cpu_second"`
	Latency          latencies      `json:"latency"`
	ServerCPUSeconds float64        `json:"server_cpu_seconds"`
	LoadCPUSeconds   float64        `json:"load_cpu_seconds"`
	LoadCPUs         int            `json:"load_cpus"` // CPUs the load generator ran on
}

// loadShare is the load generator's use of its CPUs in the phase.
func (fig *fanoutFigures) loadShare() string {
	return share(fig.LoadCPUSeconds, fig.PhaseSeconds, fig.LoadCPUs)
}

// fanoutRun is how runFanout runs: the name its logs and room names
// carry, how many servers it starts, whether it measures memory, and what
// the servers' environment gets beyond the pinned settings and the lifted
// flood guard.
type fanoutRun struct {
	name    string
	servers int
	memory  bool
	env     map[string]string
}

// runFanout starts o.servers servers, connects s.Conns members over
// s.Rooms rooms (alternating between the servers), optionally measures
// memory per idle connection, then has s.Senders members per room send
// s.Msgs messages per room while every member reads. Its members are the
// raw fleet (clients.go says why): a reader that costs the generator a
// prefix scan per delivery, so that deliveries per server CPU-second is
// the server's figure.
func runFanout(ctx context.Context, e *env, s settings, o fanoutRun) (*row, error) {
	name, nServers, memory := o.name, max(o.servers, 1), o.memory
	if err := s.validateFanout(name); err != nil {
		return nil, err
	}
	perSender := 1e6 // at max rate a sender is bounded by the window only
	if s.Rate > 0 {
		perSender = s.Rate / float64(s.Senders)
	}
	serverEnv := fanoutLimits(perSender)
	maps.Copy(serverEnv, o.env)
	var servers []*server
	defer func() {
		for _, srv := range servers {
			srv.stop()
		}
	}()
	var ports []int
	for range nServers {
		srv, err := startServer(ctx, e.bin, e.opts(serverEnv))
		if err != nil {
			return nil, err
		}
		servers = append(servers, srv)
		ports = append(ports, srv.port)
	}
	fig := &fanoutFigures{Servers: nServers}
	if memory {
		logf("%s: settling %s with 0 connections", name, idleSettle)
		if err := sleep(ctx, idleSettle); err != nil {
			return nil, err
		}
		rss0, err := servers[0].rss()
		if err != nil {
			return nil, err
		}
		fig.RSSIdle = rss0
	}
	f, err := newFleet(fleetConfig{ports: ports, conns: s.Conns, rooms: s.Rooms, prefix: name + "." + e.runID, msgs: s.Msgs, readBuf: 16 << 10})
	if err != nil {
		return nil, err
	}
	defer f.close()
	logf("%s: dialling %d connections into %d rooms, %d at a time", name, s.Conns, s.Rooms, s.Dialers)
	start := time.Now()
	if failed := f.dialAll(ctx, s.Dialers, 3); failed > 0 {
		// A figure over fewer connections than asked would be misquoted.
		return nil, fmt.Errorf("%d of %d dials failed: %s", failed, s.Conns, mdtable.Counts(f.failsSnapshot()))
	}
	fig.DialSeconds = time.Since(start).Seconds()
	fig.Connected = f.connected()
	if err := f.waitJoined(ctx, joinMax); err != nil {
		return nil, err
	}
	logf("%s: %d connected and joined in %.1fs; waiting for the server to settle", name, fig.Connected, time.Since(start).Seconds())
	f.waitQuiet(ctx, quietFor, quietMax)
	if memory {
		rss1, err := servers[0].rss()
		if err != nil {
			return nil, err
		}
		fig.RSSConns = rss1
		fig.BytesPerConn = float64(int64(rss1)-int64(fig.RSSIdle)) / float64(fig.Connected)
	}

	plan := sendPlan{msgs: s.Msgs, rate: s.Rate, window: s.Window, senders: s.Senders}
	fig.Expected = f.expectedDeliveries(s.Msgs)
	bound := phaseSlack + time.Duration(float64(fig.Expected)/maxRateGuess*float64(time.Second))
	if s.Rate > 0 {
		bound = phaseSlack + time.Duration(float64(s.Msgs)/s.Rate*float64(time.Second))
		fig.OfferedPerSec = float64(f.members()) * s.Rate
	}
	logf("%s: %s; expecting %d deliveries (bound %s)", name, plan.describe(len(f.rooms)), fig.Expected, bound.Round(time.Second))
	cpu0, err := cpuTimes(servers)
	if err != nil {
		return nil, err
	}
	self0 := selfCPUTime()
	phase := time.Now()
	sendCtx, stopSending := context.WithDeadline(ctx, phase.Add(bound))
	defer stopSending()
	sent := f.sendAll(sendCtx, plan)
	f.waitDeliveries(ctx, fig.Expected, phase.Add(bound), sent)
	stopSending() // only still running if the bound passed: then sendErr says so
	<-sent
	cpu1, err := cpuTimes(servers)
	if err != nil {
		return nil, err
	}
	self1 := selfCPUTime()
	f.close() // every reader has stopped after this: its latencies can be read
	if err := cmp.Or(ctx.Err(), f.sendErr()); err != nil {
		// Unsent messages would count as lost: no figures rather than wrong ones.
		return nil, fmt.Errorf("sending: %w", err)
	}
	fig.fill(f, phase)
	fig.ServerCPUSeconds = (cpu1 - cpu0).Seconds()
	fig.LoadCPUSeconds = (self1 - self0).Seconds()
	if fig.ServerCPUSeconds > 0 {
		fig.PerCPUSecond = float64(fig.Received) / fig.ServerCPUSeconds
	}
	fig.LoadCPUs = e.loadCPUs()
	return fig.row(s, plan, len(f.rooms), memory), nil
}

// cpuTimes is the servers' user+system CPU time so far, summed.
func cpuTimes(servers []*server) (time.Duration, error) {
	var total time.Duration
	for _, s := range servers {
		t, err := s.cpuTime()
		if err != nil {
			return 0, err
		}
		total += t
	}
	return total, nil
}

// fill computes the delivery figures; the readers must have stopped.
func (fig *fanoutFigures) fill(f *fleet, start time.Time) {
	var all []int64
	var last int64
	for _, c := range f.clients {
		all = append(all, c.lat...)
		last = max(last, c.last)
	}
	fig.Received = int64(len(all))
	fig.Lost = max(fig.Expected-fig.Received, 0)
	for _, r := range f.rooms {
		fig.Refused += r.refused.Load()
	}
	fig.ClosedByServer = f.endsSnapshot()
	fig.Errors = f.errorsSnapshot()
	fig.Latency = summarize(all)
	if last > 0 {
		// From the first send to the last delivery: the rate the rooms
		// sustained, not counting the wait for stragglers that never came.
		fig.PhaseSeconds = time.Duration(last - start.UnixNano()).Seconds()
		fig.DeliveriesPerSec = float64(fig.Received) / fig.PhaseSeconds
	}
}

func (p sendPlan) describe(rooms int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d msgs per room", p.msgs)
	if p.rate > 0 {
		fmt.Fprintf(&b, " at %g/s", p.rate)
	} else {
		b.WriteString(" at max rate")
	}
	if p.window > 0 {
		fmt.Fprintf(&b, " (window %d)", p.window)
	}
	if p.senders == 1 {
		b.WriteString(", 1 sender")
	} else {
		fmt.Fprintf(&b, ", %d senders", p.senders)
	}
	if rooms > 1 {
		b.WriteString(" per room")
	}
	return b.String()
}

func (fig *fanoutFigures) row(s settings, plan sendPlan, rooms int, memory bool) *row {
	setup := fmt.Sprintf("%d × %s members", rooms, roomSize(s.Conns, rooms))
	if rooms == 1 {
		setup = fmt.Sprintf("1 room × %d members", s.Conns)
	}
	if fig.Servers > 1 {
		setup += fmt.Sprintf(" on %d servers", fig.Servers)
	}
	setup += ", " + plan.describe(rooms)
	result := fmt.Sprintf("**%s deliveries/s**, %s per server CPU-second", thousands(fig.DeliveriesPerSec), thousands(fig.PerCPUSecond))
	if memory {
		result += fmt.Sprintf("; %s per idle connection", mdtable.KiB(fig.BytesPerConn))
	}
	health := fmt.Sprintf("%d of %d delivered, %d closed by server", fig.Received, fig.Expected, sum(fig.ClosedByServer))
	if n := sum(fig.ClosedByServer); n > 0 {
		health += " (" + mdtable.Counts(fig.ClosedByServer) + ")"
	}
	if fig.Refused > 0 {
		health += fmt.Sprintf("; %d messages refused", fig.Refused)
	}
	if len(fig.Errors) > 0 {
		health += " (system.error " + mdtable.Counts(fig.Errors) + ")"
	}
	r := &row{
		Setup:     setup,
		Result:    result,
		Latency:   fmt.Sprintf("p50 %.2f / p99 %.2f ms", fig.Latency.P50, fig.Latency.P99),
		ServerCPU: cpuCell(fig.ServerCPUSeconds, fig.PhaseSeconds) + "; load generator " + fig.loadShare(),
		Health:    health,
		Figures:   fig,
		rate:      fig.DeliveriesPerSec,
	}
	d := [][2]string{
		{"connections", fmt.Sprintf("%d of %d connected in %.1f s (%d dialling at a time)", fig.Connected, s.Conns, fig.DialSeconds, s.Dialers)},
		{"rooms", fmt.Sprintf("%d (%s members each)", rooms, roomSize(s.Conns, rooms))},
		{"messages", plan.describe(rooms)},
	}
	if fig.Servers > 1 {
		d = append(d, [2]string{"servers", fmt.Sprintf("%d on one Redis; members alternate between them, so do the senders", fig.Servers)})
	}
	if memory {
		d = append(d,
			[2]string{"server RSS, 0 connections", mdtable.MiB(float64(fig.RSSIdle))},
			[2]string{fmt.Sprintf("server RSS, %d connections", fig.Connected), mdtable.MiB(float64(fig.RSSConns))},
			[2]string{"**memory per connection**", "**" + mdtable.KiB(fig.BytesPerConn) + "**"})
	}
	if fig.OfferedPerSec > 0 {
		d = append(d, [2]string{"offered load", fmt.Sprintf("%s deliveries/s (members × rate)", thousands(fig.OfferedPerSec))})
	}
	d = append(d,
		[2]string{"deliveries", fmt.Sprintf("%d of %d expected, %d lost; %d messages refused; closed by the server: %s; system.error frames: %s", fig.Received, fig.Expected, fig.Lost, fig.Refused, mdtable.Counts(fig.ClosedByServer), mdtable.Counts(fig.Errors))},
		[2]string{"**fan-out throughput**", fmt.Sprintf("**%s deliveries/s** (over %.2f s, first send to last delivery)", thousands(fig.DeliveriesPerSec), fig.PhaseSeconds)},
		[2]string{"**latency p50 / p90 / p99 / max**", fmt.Sprintf("**%.2f / %.2f / %.2f / %.2f ms**", fig.Latency.P50, fig.Latency.P90, fig.Latency.P99, fig.Latency.Max)},
		[2]string{"server CPU in fan-out", cpuCell(fig.ServerCPUSeconds, fig.PhaseSeconds) + fmt.Sprintf(", %s deliveries per CPU-second", thousands(fig.PerCPUSecond))},
		[2]string{"load generator CPU in fan-out", fmt.Sprintf("%.2f s (%s)", fig.LoadCPUSeconds, fig.loadShare())},
	)
	r.details = d
	return r
}

// roomSize is "100", or "33–34" when the connections do not divide evenly.
func roomSize(conns, rooms int) string {
	lo := conns / rooms
	if conns%rooms == 0 {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d–%d", lo, lo+1)
}
