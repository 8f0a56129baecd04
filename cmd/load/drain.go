package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/rtserver/rt/cmd/internal/mdtable"
	"github.com/rtserver/rt/cmd/internal/rtnode"
)

// The drain scenario is a rolling deploy of node A of two on one Redis:
// every socket starts on A behind the balancer (drain_proxy.go), B is
// started after, a publisher sends at a steady rate, and A is sent
// SIGTERM with DRAIN_DELAY and SHUTDOWN_SPREAD as the flags give them.
// The clients (drain_clients.go) reconnect through the balancer, to B. It
// reports the connections the proxy opened to B per 100 ms and per
// second (every reconnect lands on B) and A's closes, as the proxy saw
// them (the clients' own clocks lag by as much as the load generator is
// behind: seconds, with 10,000 clients on one core), the time until every
// client is back,
// and every client's messages against its room's history: lost,
// duplicated (must both be 0).

// drainFigures are the drain run's figures.
type drainFigures struct {
	Clients             int            `json:"clients"`
	DrainDelay          string         `json:"drain_delay"`
	ShutdownSpread      string         `json:"shutdown_spread"`
	PeakPer100ms        int            `json:"peak_handshakes_per_100ms_on_b"`
	PeakPerSecond       int            `json:"peak_handshakes_per_second_on_b"`
	PeakClosesPer100    int            `json:"peak_closes_per_100ms_from_a"`
	PeakClosesPerSecond int            `json:"peak_closes_per_second_from_a"`
	ClosesOver          float64        `json:"closes_over_s"`
	FirstReconnect      float64        `json:"first_reconnect_s_after_sigterm"`
	AllReconnected      float64        `json:"all_reconnected_s_after_sigterm"`
	AExitedAfter        float64        `json:"a_exited_s_after_sigterm"`
	Messages            int            `json:"messages_in_history"`
	Acked               int            `json:"publishes_acked"`
	CutPublishes        int            `json:"publishes_cut_by_the_close"`
	Lost                int            `json:"lost"`
	Duplicated          int            `json:"duplicated"`
	Extra               int            `json:"extra"`
	Complete            int            `json:"clients_with_every_message_once_in_order"`
	DroppedByClients    uint64         `json:"duplicates_dropped_by_the_clients"`
	ProxyToA            int64          `json:"proxied_to_a"`
	ProxyToB            int64          `json:"proxied_to_b"`
	ProxyNoBackend      int64          `json:"proxy_no_backend"`
	BCPUSeconds         float64        `json:"b_cpu_s_while_clients_moved"`
	Drops               map[string]int `json:"drops_after_first_socket"`
}

// drainWarmup and drainAfter: steady traffic before the SIGTERM and
// after every client is back, so that history and every client agree.
const (
	drainWarmup = 3 * time.Second
	drainAfter  = 3 * time.Second
)

func runDrain(ctx context.Context, e *env, s settings) (*row, error) {
	redisURL := e.redisURL
	if redisURL == "" {
		rs, err := rtnode.StartRedis(ctx, logf)
		if err != nil {
			return nil, err
		}
		defer rs.Stop()
		redisURL = rs.URL()
	}
	nodeEnv := fanoutLimits(s.TotalRate)
	nodeEnv["HISTORY_SIZE"] = "100000"
	aEnv := map[string]string{"DRAIN_DELAY": s.DrainDelay.String(), "SHUTDOWN_SPREAD": s.Spread.String()}
	for k, v := range nodeEnv {
		aEnv[k] = v
	}
	a, err := startServer(ctx, e.bin, serverOpts{redisURL: redisURL, env: aEnv, pin: e.pin})
	if err != nil {
		return nil, err
	}
	defer a.stop()
	bPort, err := rtnode.FreePort()
	if err != nil {
		return nil, err
	}
	backendA, backendB := loopback+":"+strconv.Itoa(a.port), loopback+":"+strconv.Itoa(bPort)
	lb, err := startBalancer([]string{backendA, backendB})
	if err != nil {
		return nil, err
	}
	stopped := false
	var counts proxyCounts
	defer func() {
		if !stopped {
			lb.stop()
		}
	}()
	url := "ws://" + lb.addr
	rooms := make([]string, s.Rooms)
	for i := range rooms {
		rooms[i] = fmt.Sprintf("drain-%s-%d", e.runID, i)
	}
	logf("drain: %d clients connect through the proxy, to A (B is not up yet)", s.Conns)
	f, err := connectFleet(ctx, url, s.Conns, s.Dialers, rooms)
	defer f.close()
	if err != nil {
		return nil, err
	}
	b, err := rtnode.Start(ctx, e.bin, rtnode.Options{RedisURL: redisURL, Env: nodeEnv, ExtraEnv: e.pin.env(),
		Port: bPort, Command: e.pin.command, Name: "node B", Logf: logf})
	if err != nil {
		return nil, err
	}
	defer b.Stop()
	if err := sleep(ctx, (probeRise+1)*probeEvery); err != nil { // the balancer puts B in
		return nil, err
	}
	pub, err := startPublisher(ctx, url, rooms, s.TotalRate)
	if err != nil {
		return nil, err
	}
	published := false
	defer func() {
		if !published {
			pub.finish()
		}
	}()
	if err := sleep(ctx, drainWarmup); err != nil {
		return nil, err
	}

	cpuBefore, _ := processCPUTime(b.Pid())
	term := time.Now()
	logf("drain: SIGTERM to A (DRAIN_DELAY=%s SHUTDOWN_SPREAD=%s)", s.DrainDelay, s.Spread)
	if err := syscall.Kill(a.Pid(), syscall.SIGTERM); err != nil {
		return nil, err
	}
	bound := s.DrainDelay + s.Spread + time.Minute
	if err := waitFor(ctx, bound, "every client back", func() bool { return f.moved() == s.Conns }); err != nil {
		return nil, err
	}
	cpuAfter, _ := processCPUTime(b.Pid())
	var aExited time.Duration
	select {
	case <-a.Exited():
		aExited = time.Since(term)
	case <-time.After(bound):
		return nil, errors.New("A did not exit after SIGTERM")
	}
	if err := sleep(ctx, drainAfter); err != nil {
		return nil, err
	}
	acked, cut, errs := pub.finish()
	published = true
	if len(errs) > 0 {
		return nil, fmt.Errorf("%d publishes failed, the first: %v", len(errs), errs[0])
	}
	// The drops are counted before the balancer stops: its end cuts every
	// socket (EOF) and refuses their redials, which is not the drain's.
	drops := f.dropCounts()
	counts, stopped = lb.stop(), true
	hctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	truth, err := roomHistories(hctx, "ws://"+backendB, rooms)
	if err != nil {
		return nil, err
	}
	total := 0
	for _, ids := range truth {
		total += len(ids)
	}
	if err := waitFor(ctx, 30*time.Second, "every client has its room's history", func() bool { return f.tally(truth).Complete == s.Conns }); err != nil {
		logf("drain: %v (reported as lost below)", err)
	}
	t := f.tally(truth)
	times := f.reconnectTimes()
	toB := unixTimes(counts.Opened[backendB])
	fig := drainFigures{
		Clients: s.Conns, DrainDelay: s.DrainDelay.String(), ShutdownSpread: s.Spread.String(),
		PeakPer100ms: peakPer(toB, 100*time.Millisecond), PeakPerSecond: peakPer(toB, time.Second),
		AExitedAfter: aExited.Seconds(), Messages: total, Acked: acked, CutPublishes: cut,
		Lost: t.Lost, Duplicated: t.Duplicated, Extra: t.Extra, Complete: t.Complete,
		DroppedByClients: f.duplicatesDropped(),
		ProxyToA:         counts.Backends[backendA], ProxyToB: counts.Backends[backendB], ProxyNoBackend: counts.NoBackend,
		BCPUSeconds: (cpuAfter - cpuBefore).Seconds(), Drops: drops,
	}
	if closes := unixTimes(counts.Closed[backendA]); len(closes) > 0 {
		fig.PeakClosesPer100 = peakPer(closes, 100*time.Millisecond)
		fig.PeakClosesPerSecond = peakPer(closes, time.Second)
		fig.ClosesOver = slices.MaxFunc(closes, time.Time.Compare).Sub(slices.MinFunc(closes, time.Time.Compare)).Seconds()
	}
	if len(times) > 0 {
		fig.FirstReconnect = slices.MinFunc(times, time.Time.Compare).Sub(term).Seconds()
		fig.AllReconnected = slices.MaxFunc(times, time.Time.Compare).Sub(term).Seconds()
	}
	return drainRow(fig), nil
}

// waitFor asks ok every 100 ms until it holds, within bound.
func waitFor(ctx context.Context, bound time.Duration, what string, ok func() bool) error {
	deadline := time.Now().Add(bound)
	for !ok() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s: %s", bound, what)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// peakPer is the most of times that fall in one bucket of width, the
// buckets aligned on the first.
func peakPer(times []time.Time, width time.Duration) int {
	if len(times) == 0 {
		return 0
	}
	first := slices.MinFunc(times, time.Time.Compare)
	buckets := map[int64]int{}
	peak := 0
	for _, t := range times {
		k := int64(t.Sub(first) / width)
		buckets[k]++
		peak = max(peak, buckets[k])
	}
	return peak
}

func drainRow(fig drainFigures) *row {
	health := fmt.Sprintf("**lost %d, duplicated %d**", fig.Lost, fig.Duplicated)
	if fig.Extra > 0 {
		health += fmt.Sprintf(", %d not in history", fig.Extra)
	}
	r := &row{
		Setup: fmt.Sprintf("%d sockets on A of two behind a /readyz-probing proxy; A gets SIGTERM with DRAIN_DELAY=%s SHUTDOWN_SPREAD=%s",
			fig.Clients, fig.DrainDelay, fig.ShutdownSpread),
		Result: fmt.Sprintf("**peak %s handshakes/s on B** (per 100 ms: %d), %s/s over a second; all back %.1f s after SIGTERM",
			thousands(float64(fig.PeakPer100ms*10)), fig.PeakPer100ms, thousands(float64(fig.PeakPerSecond)), fig.AllReconnected),
		Latency:   fmt.Sprintf("first reconnect %.2f s, last %.2f s after SIGTERM", fig.FirstReconnect, fig.AllReconnected),
		ServerCPU: fmt.Sprintf("B: %.2f CPU-s while the clients moved", fig.BCPUSeconds),
		Health:    health,
		Figures:   fig,
	}
	r.details = [][2]string{
		{"**B's handshakes**", fmt.Sprintf("**peak %d in 100 ms, %d in a second** (connections the proxy opened to B: the clients' reconnects and their retries; it sent %d connections to B, %d to A, found no ready backend for %d)",
			fig.PeakPer100ms, fig.PeakPerSecond, fig.ProxyToB, fig.ProxyToA, fig.ProxyNoBackend)},
		{"A's closes, as the proxy saw A end each connection", fmt.Sprintf("over %.2f s, at most %d in 100 ms and %d in a second", fig.ClosesOver, fig.PeakClosesPer100, fig.PeakClosesPerSecond)},
		{"time", fmt.Sprintf("first reconnect %.2f s after SIGTERM, every client back after %.2f s; A exited after %.2f s", fig.FirstReconnect, fig.AllReconnected, fig.AExitedAfter)},
		{"**messages**", fmt.Sprintf("%d in history, %d acked, %d publishes cut by the close (never resent; history says whether they were stored); **%d of %d clients have their room's history exactly, once and in order**; lost %d, duplicated %d, not in history %d",
			fig.Messages, fig.Acked, fig.CutPublishes, fig.Complete, fig.Clients, fig.Lost, fig.Duplicated, fig.Extra)},
		{"sockets and dials ended, after the first socket", mdtable.Counts(fig.Drops)},
		{"dropped by the clients", fmt.Sprintf("%d deliveries a client already had (a rejoin's replay overlapping the live stream), dropped by the library", fig.DroppedByClients)},
	}
	return r
}

// unixTimes turns Unix nanoseconds into times.
func unixTimes(ns []int64) []time.Time {
	out := make([]time.Time, len(ns))
	for i, n := range ns {
		out[i] = time.Unix(0, n)
	}
	return out
}
