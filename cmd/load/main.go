// Command load is an end-to-end load test of rt whose figures the README
// quotes. It builds the server, starts it on a free loopback port, opens many
// idle WebSockets to measure memory per connection, then has one member of
// every room send timed messages while every member reads, to measure fan-out
// throughput and latency.
//
//	go run ./cmd/load                                   # defaults
//	go run ./cmd/load -conns 5000 -rooms 50 -msgs 100   # a bigger run
//	go run ./cmd/load -redis redis://127.0.0.1:6379     # redis mode
//
// It only ever connects to loopback, every wait is bounded, and it stops (and
// stops the server) by itself. Progress goes to stderr, results to stdout.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Settling delays: long enough for the server to finish the work a burst
// started (presence fan-out, GC), short enough to keep the run quick.
const (
	idleSettle = time.Second      // before the 0-connection RSS reading
	quietFor   = time.Second      // no frame for this long = the server has settled
	quietMax   = 30 * time.Second // bound on waiting for quiet
	joinMax    = 60 * time.Second // bound on waiting for every presence.join
	drainIdle  = 5 * time.Second  // senders done and no delivery for this long: stop waiting
	phaseSlack = 30 * time.Second // fan-out bound = msgs/rate + this
)

// params are the flags; they are printed with the results.
type params struct {
	Conns    int     `json:"conns"`
	Rooms    int     `json:"rooms"`
	Msgs     int     `json:"msgs_per_room"`
	Rate     float64 `json:"rate_per_room"`
	Dialers  int     `json:"dial_concurrency"`
	RedisURL string  `json:"-"` // may hold a password; the mode is reported instead
	JSON     bool    `json:"-"`
}

func parseFlags() params {
	var p params
	flag.IntVar(&p.Conns, "conns", 2000, "idle connections to open")
	flag.IntVar(&p.Rooms, "rooms", 20, "rooms the connections are spread over")
	flag.IntVar(&p.Msgs, "msgs", 200, "messages one sender sends in each room")
	flag.Float64Var(&p.Rate, "rate", 50, "messages per second per room")
	flag.IntVar(&p.Dialers, "dialers", 50, "connections dialled at a time (more can overflow the SYN backlog)")
	flag.StringVar(&p.RedisURL, "redis", "", "run the server in redis mode against this local redis (loopback only)")
	flag.BoolVar(&p.JSON, "json", false, "print the results as JSON instead of markdown")
	flag.Parse()
	return p
}

func (p params) validate() error {
	switch {
	case p.Conns < 1 || p.Rooms < 1 || p.Msgs < 1 || p.Dialers < 1:
		return fmt.Errorf("-conns, -rooms, -msgs and -dialers must be at least 1")
	case p.Rooms > p.Conns:
		return fmt.Errorf("-rooms (%d) must not exceed -conns (%d)", p.Rooms, p.Conns)
	case p.Rate <= 0 || p.Rate > 10000:
		return fmt.Errorf("-rate must be in (0, 10000]")
	}
	return checkRedisURL(p.RedisURL)
}

func main() {
	p := parseFlags()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	res, err := run(ctx, p)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	if p.JSON {
		err = printJSON(os.Stdout, res)
	} else {
		printMarkdown(os.Stdout, res)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// run does both phases; the deferred calls close the clients, then stop the
// server, whatever happened.
func run(ctx context.Context, p params) (*results, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	limit, err := raiseFileLimit()
	if err != nil {
		return nil, err
	}
	if need := uint64(p.Conns) + 256; limit < need {
		return nil, fmt.Errorf("-conns %d needs about %d open files, RLIMIT_NOFILE is %d", p.Conns, need, limit)
	}
	srv, err := startServer(ctx, p.RedisURL)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	res := &results{Params: p, Mode: modeName(p.RedisURL), Machine: describeMachine()}
	f, err := memoryPhase(ctx, srv, p, res)
	if f != nil {
		defer f.close()
	}
	if err != nil {
		return nil, err
	}
	if err := fanoutPhase(ctx, srv, f, p, res); err != nil {
		return nil, err
	}
	return res, nil
}

// memoryPhase reads the server's RSS with no connection and again with
// p.Conns idle ones, once every client is in its room and the server is quiet.
func memoryPhase(ctx context.Context, srv *server, p params, res *results) (*fleet, error) {
	logf("memory: settling %s with 0 connections", idleSettle)
	if err := sleep(ctx, idleSettle); err != nil {
		return nil, err
	}
	rss0, err := srv.rss()
	if err != nil {
		return nil, err
	}
	f := newFleet(srv.port, p)
	logf("memory: dialling %d connections into %d rooms, %d at a time", p.Conns, p.Rooms, p.Dialers)
	start := time.Now()
	if err := f.dialAll(ctx); err != nil {
		return f, err
	}
	res.DialSeconds = time.Since(start).Seconds()
	res.Connected = f.connected()
	if err := f.waitJoined(ctx, joinMax); err != nil {
		return f, err
	}
	logf("memory: %d connected and joined in %.1fs; waiting for the server to settle", res.Connected, time.Since(start).Seconds())
	f.waitQuiet(ctx, quietFor, quietMax)
	rss1, err := srv.rss()
	if err != nil {
		return f, err
	}
	res.RSSIdle, res.RSSConns = rss0, rss1
	res.BytesPerConn = float64(int64(rss1)-int64(rss0)) / float64(res.Connected)
	return f, nil
}

// fanoutPhase has one member per room send p.Msgs timed messages at p.Rate
// while every member reads, then closes the clients and computes the figures.
func fanoutPhase(ctx context.Context, srv *server, f *fleet, p params, res *results) error {
	bound := time.Duration(float64(p.Msgs)/p.Rate*float64(time.Second)) + phaseSlack
	expected := f.expectedDeliveries(p.Msgs)
	logf("fan-out: %d rooms x %d messages at %g/s; expecting %d deliveries (bound %s)", len(f.rooms), p.Msgs, p.Rate, expected, bound)
	cpu0, err := srv.cpuTime()
	if err != nil {
		return err
	}
	self0 := selfCPUTime()
	start := time.Now()
	sendCtx, stopSending := context.WithDeadline(ctx, start.Add(bound))
	defer stopSending()
	sent := f.sendAll(sendCtx, p.Msgs, p.Rate)
	f.waitDeliveries(ctx, expected, start.Add(bound), sent)
	stopSending() // only still running if the bound passed: then sendErr says so
	<-sent
	cpu1, err := srv.cpuTime()
	if err != nil {
		return err
	}
	self1 := selfCPUTime()
	f.close() // every reader has stopped after this: its latencies can be read
	if err := cmp.Or(ctx.Err(), f.sendErr()); err != nil {
		// Unsent messages would count as lost: no figures rather than wrong ones.
		return fmt.Errorf("sending: %w", err)
	}
	res.fillFanout(f, expected, start)
	res.OfferedPerSec = float64(f.members()) * p.Rate
	res.ServerCPUSeconds = (cpu1 - cpu0).Seconds()
	res.LoadCPUSeconds = (self1 - self0).Seconds()
	return nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "load: "+format+"\n", args...)
}

// sleep waits d unless ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
