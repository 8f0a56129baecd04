package main

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/rtserver/rt/cmd/internal/mdtable"
)

// The multiroom scenario (protocol 2, SPEC §10): -conns sockets open in no
// room (GET /ws?token=), each joins -rooms-per-conn of -rooms rooms in one
// burst (its Joins called before it connects, so that its room.join frames
// go out back to back as the socket opens, then the answers awaited), and
// then the rooms' senders publish -rate messages per second across all
// rooms for -duration. The sockets are clients of the Go client library
// (multiroom_client.go), without presence. It measures sockets/s fully
// joined, memory per socket, deliveries per server CPU-second and delivery
// latency, and checks that every socket got every message of each of its
// rooms.

// Server defaults the scenario must fit (cmd/internal/rtnode pins them):
// above them it raises the setting rather than be refused, and says so.
const (
	defaultRateLimit   = 20  // RATE_LIMIT, frames per second per socket
	defaultRateBurst   = 40  // RATE_BURST: a socket's joins arrive as one burst
	defaultRoomsPerCon = 100 // MAX_ROOMS_PER_CONN
)

// multiroomLimits is the server settings a run needs beyond the defaults:
// none at the default settings. A room's sender sends rate/rooms messages
// per second; it is kept under half the rate limit so that the pongs and a
// late join never meet the limit.
func multiroomLimits(s settings) map[string]string {
	env := map[string]string{}
	if s.RoomsPerConn > defaultRoomsPerCon {
		env["MAX_ROOMS_PER_CONN"] = strconv.Itoa(s.RoomsPerConn)
	}
	perSender := s.TotalRate / float64(s.Rooms)
	if s.RoomsPerConn > defaultRateBurst || perSender > defaultRateLimit/2 {
		for k, v := range fanoutLimits(max(perSender, float64(s.RoomsPerConn))) {
			env[k] = v
		}
	}
	return env
}

// maxMultiroomDeliveries bounds one run's deliveries: each costs 8 bytes
// of latency record here.
const maxMultiroomDeliveries = 50_000_000

func (s settings) validateMultiroom(name string) error {
	expected := s.TotalRate * s.Duration.Seconds() * float64(s.Conns) * float64(s.RoomsPerConn) / float64(max(s.Rooms, 1))
	switch {
	case s.RoomsPerConn < 1 || s.RoomsPerConn > s.Rooms || s.RoomsPerConn > 1000:
		return fmt.Errorf("%s: -rooms-per-conn must be in [1, min(-rooms, 1000)]", name)
	case s.TotalRate <= 0:
		return fmt.Errorf("%s: -rate (messages per second across all rooms) must be above 0", name)
	case s.Duration < time.Second || s.Duration > 10*time.Minute:
		return fmt.Errorf("%s: -duration must be in [1s, 10m]", name)
	case s.TotalRate*s.Duration.Seconds() < float64(s.Rooms):
		return fmt.Errorf("%s: -rate × -duration = %.0f messages, fewer than the %d rooms: some rooms would get none", name, s.TotalRate*s.Duration.Seconds(), s.Rooms)
	case expected > maxMultiroomDeliveries:
		return fmt.Errorf("%s: about %.0f deliveries, more than the %d this program records", name, expected, maxMultiroomDeliveries)
	case s.Dialers < 1:
		return fmt.Errorf("%s: -dialers must be at least 1", name)
	}
	return nil
}

func runMultiroom(ctx context.Context, e *env, s settings) (*row, error) {
	if err := s.validateMultiroom("multiroom"); err != nil {
		return nil, err
	}
	l := layout{rooms: s.Rooms, perConn: s.RoomsPerConn}
	limits := multiroomLimits(s)
	srv, err := startServer(ctx, e.bin, e.opts(limits))
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	fig := &multiroomFigures{Limits: limits, LoadCPUs: e.loadCPUs()}
	if err := sleep(ctx, idleSettle); err != nil {
		return nil, err
	}
	if fig.RSSIdle, err = srv.rss(); err != nil {
		return nil, err
	}
	f, err := newMRFleet(srv.port, s.Conns, l, "mr."+e.runID, limits)
	if err != nil {
		return nil, err
	}
	defer f.close()
	if err := fig.joinPhase(ctx, srv, f, s); err != nil {
		return nil, err
	}
	if fig.Joined < s.Conns {
		// Deliveries to a fleet short of sockets would be misquoted.
		return fig.row(s), fmt.Errorf("%d of %d sockets did not join all %d rooms (dials: %s; joins refused: %s); no messages sent",
			s.Conns-fig.Joined, s.Conns, s.RoomsPerConn, mdtable.Counts(fig.DialFailures), mdtable.Counts(fig.JoinRefusals))
	}
	if err := fig.messagePhase(ctx, srv, f, s); err != nil {
		return fig.row(s), err
	}
	return fig.row(s), nil
}

// joinPhase opens and joins every socket, then reads the server's memory
// once it is quiet.
func (fig *multiroomFigures) joinPhase(ctx context.Context, srv *server, f *mrFleet, s settings) error {
	cpu0, err := srv.cpuTime()
	if err != nil {
		return err
	}
	self0 := selfCPUTime()
	logf("multiroom: %d sockets, each joining %d of %d rooms in one burst, %d at a time", s.Conns, s.RoomsPerConn, s.Rooms, s.Dialers)
	start := time.Now()
	f.openAll(ctx, s.Dialers)
	var lastJoin int64
	var joins []int64
	for _, c := range f.clients {
		if c.connected {
			fig.Connected++
		}
		if c.joinDone > 0 {
			lastJoin = max(lastJoin, c.joinDone)
			joins = append(joins, c.joinDone-c.joinStart)
		}
	}
	fig.Joined = len(joins)
	fig.JoinLatency = summarize(joins)
	if lastJoin > 0 {
		fig.JoinSeconds = time.Duration(lastJoin - start.UnixNano()).Seconds()
		fig.SocketsPerSec = float64(fig.Joined) / fig.JoinSeconds
	}
	cpu1, err := srv.cpuTime()
	if err != nil {
		return err
	}
	fig.JoinCPUSeconds, fig.JoinLoadCPUSeconds = (cpu1 - cpu0).Seconds(), (selfCPUTime() - self0).Seconds()
	if fig.Joined > 0 {
		fig.CPUPerSocket = fig.JoinCPUSeconds / float64(fig.Joined) * 1e6
	}
	fig.DialFailures, fig.JoinRefusals = f.snapshot(f.fails), f.snapshot(f.refusals)
	logf("multiroom: %d of %d sockets joined all rooms in %.2fs; waiting for the server to settle", fig.Joined, s.Conns, fig.JoinSeconds)
	waitUntil(ctx, time.Now().Add(quietMax), func() bool {
		return time.Since(time.Unix(0, f.lastFrame.Load())) >= quietFor
	})
	fig.JoinBytes = f.bytesRead.Load()
	if fig.RSSJoined, err = srv.rss(); err != nil {
		return err
	}
	if fig.Joined > 0 {
		fig.BytesPerSocket = float64(int64(fig.RSSJoined)-int64(fig.RSSIdle)) / float64(fig.Joined)
	}
	return ctx.Err()
}

// messagePhase sends at the steady rate for the duration, waits for the
// deliveries, and does the accounting.
func (fig *multiroomFigures) messagePhase(ctx context.Context, srv *server, f *mrFleet, s settings) error {
	total := int(math.Round(s.TotalRate * s.Duration.Seconds()))
	members := f.l.members(s.Conns)
	bound := s.Duration + phaseSlack
	logf("multiroom: %d messages at %g/s across %d rooms (%s members each) for %s (bound %s)",
		total, s.TotalRate, s.Rooms, roomSize(s.Conns*s.RoomsPerConn, s.Rooms), s.Duration, bound)
	cpu0, err := srv.cpuTime()
	if err != nil {
		return err
	}
	self0 := selfCPUTime()
	phase := time.Now()
	sendCtx, stopSending := context.WithDeadline(ctx, phase.Add(bound))
	defer stopSending()
	done := make(chan struct{})
	var sendErr error
	go func() { sendErr = f.sendSteady(sendCtx, s.TotalRate, total); close(done) }()
	f.waitAll(ctx, members, phase.Add(bound), done)
	stopSending() // only still sending if the bound passed: sendErr then says so
	<-done
	cpu1, err := srv.cpuTime()
	if err != nil {
		return err
	}
	fig.LoadCPUSeconds = (selfCPUTime() - self0).Seconds()
	f.close() // the handlers have stopped after this: what they counted can be read
	if err := cmp.Or(ctx.Err(), sendErr); err != nil {
		// Unsent messages would count as missing: no figures rather than wrong ones.
		return fmt.Errorf("sending: %w", err)
	}
	fig.ServerCPUSeconds = (cpu1 - cpu0).Seconds()
	fig.fill(f, phase)
	return nil
}

// published is what each room sent less what the server refused.
func (f *mrFleet) published() []int64 {
	p := make([]int64, len(f.sent))
	for r := range p {
		p[r] = f.sent[r].Load() - f.refused[r].Load()
	}
	return p
}

// waitAll returns once the sending is done and every delivery expected by
// then has arrived, at deadline, or once the sending is done and nothing
// has arrived for drainIdle (what is missing by then is lost, not late).
func (f *mrFleet) waitAll(ctx context.Context, members []int, deadline time.Time, done <-chan struct{}) {
	last, since := f.delivered.Load(), time.Now()
	waitUntil(ctx, deadline, func() bool {
		n := f.delivered.Load()
		if n != last {
			last, since = n, time.Now()
		}
		select {
		case <-done:
		default:
			return false
		}
		var want int64
		for r, p := range f.published() {
			want += p * int64(members[r])
		}
		return n >= want || time.Since(since) >= drainIdle
	})
}

// fill counts and summarizes the deliveries; the clients must be closed.
func (fig *multiroomFigures) fill(f *mrFleet, start time.Time) {
	var all []int64
	var last int64
	counts := make([][]slotCount, len(f.clients))
	for i, c := range f.clients {
		if c.joinDone > 0 {
			counts[i] = c.counts
		}
		all = append(all, c.lat...)
		last = max(last, c.last)
	}
	for r := range f.sent {
		fig.Sent += f.sent[r].Load()
		fig.Acked += f.acked[r].Load()
		fig.Refused += f.refused[r].Load()
	}
	fig.tally = account(f.l, counts, f.published())
	fig.Stray = f.stray.Load()
	fig.LibDropped = f.duplicates()
	fig.Latency = summarize(all)
	fig.ClosedByServer, fig.Errors = f.snapshot(f.ends), f.snapshot(f.errs)
	if last > 0 {
		fig.PhaseSeconds = time.Duration(last - start.UnixNano()).Seconds()
		fig.DeliveriesPerSec = float64(fig.Received) / fig.PhaseSeconds
	}
	if fig.ServerCPUSeconds > 0 {
		fig.PerCPUSecond = float64(fig.Received) / fig.ServerCPUSeconds
	}
}
