// Command load is the end-to-end load test of rt whose figures the README
// quotes. It builds the server once, and for every scenario starts it (or
// two of it, for cross) on a free loopback port, opens real WebSocket
// connections, drives them, reads the server's RSS and CPU from /proc, and
// prints one markdown row per scenario (or JSON with -json).
//
//	go run ./cmd/load                          # the default scenario
//	go run ./cmd/load -scenario storm          # one scenario
//	go run ./cmd/load -scenario all            # every scenario, embedded (cross only with -redis)
//	go run ./cmd/load -scenario cross -redis redis://127.0.0.1:6379
//
// With one scenario, -redis runs its server(s) in redis mode; with all, only
// cross uses it.
//
// Scenarios (go run ./cmd/load -h lists their defaults):
//
//	default      2000 connections in 20 rooms, one sender per room at 50 msg/s:
//	             memory per idle connection, fan-out throughput and latency
//	storm        1000 clients join one room within a second while reading
//	             slowly (a 1 ms pause per frame): closes by the server,
//	             presence frames per client (presence.join/leave or the
//	             coalesced presence.diff), and whether every client ends with
//	             the right presence set
//	connect      10,000 connections across 10,000 rooms (or -rooms 100):
//	             handshakes/s (counted at the 101, and again at each client's
//	             own presence frame), failures by HTTP status or close code,
//	             memory per idle connection
//	fanout-max   1 room × 1000 members, one sender as fast as the slowest
//	             member allows (at most -window 16 messages in flight, the
//	             server's limit of waiting requests per socket): deliveries/s,
//	             p50/p99
//	fanout-rate  1 room × 1000 members at 20 msg/s for 10 s: deliveries/s and
//	             deliveries per server CPU-second
//	rooms        100 rooms × 10 members at max rate: deliveries/s, p99
//	cross        two servers on one Redis (-redis), members split across both,
//	             one room at max rate: deliveries/s, p99
//
// Before the scenarios it measures the machine's ceiling: how many small
// WebSocket frames a bare socket writer pinned like the server writes per
// second to 1000 loopback connections, one frame per write and 16 per
// writev; every throughput is also shown as a ratio to it.
//
// On a machine of 2+ CPUs the server runs on the first CPU (taskset,
// GOMAXPROCS=1) and this program on the others; -pin=false turns that off.
// It only ever connects to loopback, every loop is bounded in count and
// time, and it stops (and stops every server it started) by itself.
// Progress goes to stderr, results to stdout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Settling delays and bounds: long enough for the server to finish the work
// a burst started (presence fan-out, GC), short enough to keep runs quick.
const (
	idleSettle = time.Second      // before a 0-connection RSS reading
	quietFor   = time.Second      // no frame for this long = the server has settled
	quietMax   = 60 * time.Second // bound on waiting for quiet
	joinMax    = 60 * time.Second // bound on waiting for every client's own join
	drainIdle  = 5 * time.Second  // senders done and no delivery for this long: stop waiting
	phaseSlack = 30 * time.Second // fan-out bound = msgs/rate (or a guess at max rate) + this
)

// settings are one scenario's parameters: its defaults, overridden by the
// flags given on the command line.
type settings struct {
	Conns     int           `json:"conns"`
	Rooms     int           `json:"rooms"`
	Msgs      int           `json:"msgs_per_room,omitempty"`
	Rate      float64       `json:"rate_per_room,omitempty"`
	Window    int           `json:"window,omitempty"`
	Senders   int           `json:"senders_per_room,omitempty"`
	Dialers   int           `json:"dial_concurrency,omitempty"`
	ReadDelay time.Duration `json:"read_delay_ns,omitempty"`
	Spread    time.Duration `json:"dial_spread_ns,omitempty"`
}

// scenario is one named measurement: run, or else a fan-out over servers
// servers (1 when 0), measuring memory first when memory is set.
type scenario struct {
	name     string
	about    string
	defaults settings
	redis    bool // needs -redis
	run      func(context.Context, *env, settings) (*row, error)
	servers  int
	memory   bool
}

func (sc scenario) start(ctx context.Context, e *env, s settings) (*row, error) {
	if sc.run != nil {
		return sc.run(ctx, e, s)
	}
	return runFanout(ctx, e, s, sc.name, max(sc.servers, 1), sc.memory)
}

var scenarios = []scenario{
	{name: "default", about: "memory per idle connection, then one sender per room at -rate (the original run)",
		defaults: settings{Conns: 2000, Rooms: 20, Msgs: 200, Rate: 50, Senders: 1, Dialers: 50},
		memory:   true},
	{name: "storm", about: "-conns clients join one room within -spread, each reading a frame per -read-delay",
		defaults: settings{Conns: 1000, Rooms: 1, ReadDelay: time.Millisecond, Spread: time.Second},
		run:      runStorm},
	{name: "connect", about: "-conns handshakes across -rooms rooms, -dialers at a time; memory per idle connection",
		defaults: settings{Conns: 10000, Rooms: 10000, Dialers: 100},
		run:      runConnect},
	{name: "fanout-max", about: "one room, -senders senders as fast as the slowest member allows (-window)",
		defaults: settings{Conns: 1000, Rooms: 1, Msgs: 2000, Window: 16, Senders: 1, Dialers: 50}},
	{name: "fanout-rate", about: "one room at -rate messages/s; deliveries per server CPU-second",
		defaults: settings{Conns: 1000, Rooms: 1, Msgs: 200, Rate: 20, Senders: 1, Dialers: 50}},
	{name: "rooms", about: "-rooms rooms, one sender each as fast as its slowest member allows",
		defaults: settings{Conns: 1000, Rooms: 100, Msgs: 1000, Window: 16, Senders: 1, Dialers: 50}},
	{name: "cross", about: "two servers on one Redis, members alternating between them, senders on both", redis: true,
		defaults: settings{Conns: 1000, Rooms: 1, Msgs: 2000, Window: 16, Senders: 2, Dialers: 50},
		servers:  2},
}

// settingFlags are the flags that set a scenario's settings.
var settingFlags = []string{"conns", "rooms", "msgs", "rate", "window", "senders", "dialers", "read-delay", "spread"}

// uses reports whether the scenario reads the setting flag name.
func (sc scenario) uses(name string) bool {
	switch sc.name {
	case "storm":
		return slices.Contains([]string{"conns", "rooms", "read-delay", "spread"}, name)
	case "connect":
		return slices.Contains([]string{"conns", "rooms", "dialers"}, name)
	}
	return !slices.Contains([]string{"read-delay", "spread"}, name)
}

func findScenario(name string) (scenario, bool) {
	i := slices.IndexFunc(scenarios, func(s scenario) bool { return s.name == name })
	if i < 0 {
		return scenario{}, false
	}
	return scenarios[i], true
}

// params are the flags.
type params struct {
	Scenario     string
	Set          settings
	RedisURL     string
	JSON         bool
	Pin          bool
	Ceiling      bool
	CeilingTime  time.Duration
	CeilingConns int
	Timeout      time.Duration
	CPUProfile   string
	given        map[string]string // flags on the command line, name → value
}

// flagOutput is where usage and flag errors go.
var flagOutput io.Writer = os.Stderr

func parseFlags(args []string) (params, error) {
	var p params
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(flagOutput)
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.name
	}
	fs.StringVar(&p.Scenario, "scenario", "default", "what to measure: "+strings.Join(names, ", ")+", or all (cross only with -redis)")
	fs.IntVar(&p.Set.Conns, "conns", 0, "connections (default: the scenario's)")
	fs.IntVar(&p.Set.Rooms, "rooms", 0, "rooms the connections are spread over (default: the scenario's)")
	fs.IntVar(&p.Set.Msgs, "msgs", 0, "messages each room receives (default: the scenario's)")
	fs.Float64Var(&p.Set.Rate, "rate", 0, "messages per second per room; 0 = as fast as -window allows (default: the scenario's)")
	fs.IntVar(&p.Set.Window, "window", 0, "messages of a room in flight (not yet received by every member) before its senders wait; 0 = no bound; above 16 one sender meets the server's limit of 16 waiting requests per socket (default: the scenario's)")
	fs.IntVar(&p.Set.Senders, "senders", 0, "senders per room (default: the scenario's)")
	fs.IntVar(&p.Set.Dialers, "dialers", 0, "connections dialled at a time (default: the scenario's)")
	fs.DurationVar(&p.Set.ReadDelay, "read-delay", 0, "storm: each client's pause after every frame it reads (default 1ms)")
	fs.DurationVar(&p.Set.Spread, "spread", 0, "storm: the joins are spread evenly over this time (default 1s)")
	fs.StringVar(&p.RedisURL, "redis", "", "a local redis (loopback only, e.g. redis://127.0.0.1:6390): the scenario's servers run in redis mode against it; cross needs it; with -scenario all only cross uses it")
	fs.BoolVar(&p.JSON, "json", false, "print the results as JSON instead of markdown")
	fs.BoolVar(&p.Pin, "pin", true, "on 2+ CPUs, pin the server to the first CPU (GOMAXPROCS=1) and this program to the others")
	fs.BoolVar(&p.Ceiling, "ceiling", true, "measure the bare-socket write ceiling first")
	fs.DurationVar(&p.CeilingTime, "ceiling-time", 2*time.Second, "how long each ceiling measurement writes")
	fs.IntVar(&p.CeilingConns, "ceiling-conns", 1000, "connections the ceiling writer writes to")
	fs.DurationVar(&p.Timeout, "timeout", 3*time.Minute, "bound on one scenario, start to finish")
	fs.StringVar(&p.CPUProfile, "cpuprofile", "", "write a CPU profile of the load generator (not the server) to this file")
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "usage: go run ./cmd/load [flags]   (or: go tool task load -- [flags])\n\nscenarios:\n")
		for _, s := range scenarios {
			fmt.Fprintf(out, "  %-12s %s\n  %-12s defaults: %s\n", s.name, s.about, "", s.defaults.describe())
		}
		fmt.Fprintf(out, "\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return p, err
	}
	if fs.NArg() > 0 {
		return p, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	p.given = map[string]string{}
	fs.Visit(func(f *flag.Flag) { p.given[f.Name] = f.Value.String() })
	return p, nil
}

// describe lists the settings that matter (non-zero).
func (s settings) describe() string {
	var parts []string
	add := func(name string, v any, ok bool) {
		if ok {
			parts = append(parts, fmt.Sprintf("-%s %v", name, v))
		}
	}
	add("conns", s.Conns, s.Conns > 0)
	add("rooms", s.Rooms, s.Rooms > 0)
	add("msgs", s.Msgs, s.Msgs > 0)
	add("rate", s.Rate, s.Rate > 0)
	add("window", s.Window, s.Window > 0)
	add("senders", s.Senders, s.Senders > 0)
	add("dialers", s.Dialers, s.Dialers > 0)
	add("read-delay", s.ReadDelay, s.ReadDelay > 0)
	add("spread", s.Spread, s.Spread > 0)
	return strings.Join(parts, " ")
}

// resolve is the scenario's defaults with the flags given on top.
func (p params) resolve(sc scenario) settings {
	s := sc.defaults
	override(p.given, "conns", &s.Conns, p.Set.Conns)
	override(p.given, "rooms", &s.Rooms, p.Set.Rooms)
	override(p.given, "msgs", &s.Msgs, p.Set.Msgs)
	override(p.given, "rate", &s.Rate, p.Set.Rate)
	override(p.given, "window", &s.Window, p.Set.Window)
	override(p.given, "senders", &s.Senders, p.Set.Senders)
	override(p.given, "dialers", &s.Dialers, p.Set.Dialers)
	override(p.given, "read-delay", &s.ReadDelay, p.Set.ReadDelay)
	override(p.given, "spread", &s.Spread, p.Set.Spread)
	return s
}

// override sets *dst to v when the flag name was given.
func override[T any, V any](given map[string]V, name string, dst *T, v T) {
	if _, ok := given[name]; ok {
		*dst = v
	}
}

// validate checks what every scenario needs; runs check the rest.
func (s settings) validate(name string) error {
	switch {
	case s.Conns < 1 || s.Rooms < 1:
		return fmt.Errorf("%s: -conns and -rooms must be at least 1", name)
	case s.Rooms > s.Conns:
		return fmt.Errorf("%s: -rooms (%d) must not exceed -conns (%d)", name, s.Rooms, s.Conns)
	case s.Conns > 100000:
		return fmt.Errorf("%s: -conns above 100000 is not supported", name)
	case s.Msgs < 0 || s.Window < 0 || s.Senders < 0 || s.Dialers < 0 || s.ReadDelay < 0 || s.Spread < 0:
		return fmt.Errorf("%s: negative settings make no sense", name)
	case s.Rate < 0 || s.Rate > 100000:
		return fmt.Errorf("%s: -rate must be in [0, 100000]", name)
	case s.ReadDelay > time.Second || s.Spread > time.Minute:
		return fmt.Errorf("%s: -read-delay is at most 1s and -spread at most 1m", name)
	}
	return nil
}

func (s settings) validateFanout(name string) error {
	switch {
	case s.Msgs < 1 || s.Msgs > 1000000:
		return fmt.Errorf("%s: -msgs must be in [1, 1000000]", name)
	case s.Senders < 1 || s.Senders > s.Conns/s.Rooms:
		return fmt.Errorf("%s: -senders must be in [1, members per room = %d]", name, s.Conns/s.Rooms)
	case s.Dialers < 1:
		return fmt.Errorf("%s: -dialers must be at least 1", name)
	case s.Rate == 0 && s.Window == 0:
		return fmt.Errorf("%s: -rate 0 needs a -window, or the senders would only be bounded by TCP", name)
	}
	return nil
}

// job is one scenario run with its settings: "all" runs connect twice.
type job struct {
	sc       scenario
	set      settings
	redisURL string   // "" = embedded mode
	extra    []string // flags the row's command needs beyond the given ones
}

func (p params) jobs() ([]job, error) {
	if p.Scenario != "all" {
		sc, ok := findScenario(p.Scenario)
		if !ok {
			return nil, fmt.Errorf("unknown -scenario %q (go run ./cmd/load -h lists them)", p.Scenario)
		}
		if sc.redis && p.RedisURL == "" {
			return nil, fmt.Errorf("-scenario %s needs -redis redis://127.0.0.1:<port> (a local redis-server)", sc.name)
		}
		return []job{{sc: sc, set: p.resolve(sc), redisURL: p.RedisURL}}, nil
	}
	// all: every scenario in embedded mode, and those that need Redis with
	// -redis when it is given.
	var jobs []job
	for _, sc := range scenarios {
		j := job{sc: sc, set: p.resolve(sc)}
		if sc.redis {
			if p.RedisURL == "" {
				logf("all: skipping %s (needs -redis)", sc.name)
				continue
			}
			j.redisURL = p.RedisURL
		}
		jobs = append(jobs, j)
		if _, rooms := p.given["rooms"]; sc.name == "connect" && !rooms {
			j.set.Rooms = 100
			j.extra = []string{"-rooms", "100"}
			jobs = append(jobs, j)
		}
	}
	return jobs, nil
}

// command is the command line that repeats one row.
func (p params) command(j job) string {
	args := []string{"go", "tool", "task", "load", "--", "-scenario", j.sc.name}
	skip := map[string]bool{"scenario": true, "json": true, "ceiling": true, "ceiling-time": true, "ceiling-conns": true, "timeout": true}
	for _, name := range slices.Sorted(maps.Keys(p.given)) {
		if skip[name] || (slices.Contains(settingFlags, name) && !j.sc.uses(name)) {
			continue
		}
		v := p.given[name]
		if name == "redis" {
			if j.redisURL == "" {
				continue // all runs this scenario embedded
			}
			if u, err := url.Parse(v); err == nil {
				v = u.Redacted()
			}
		}
		if name == "pin" {
			args = append(args, "-pin="+v)
			continue
		}
		args = append(args, "-"+name, v)
	}
	return strings.Join(append(args, j.extra...), " ")
}

// env is what every scenario of a run shares.
type env struct {
	bin      string
	pin      pinning
	redisURL string
	runID    string // makes room names unique to this run (a shared Redis)
}

func (e *env) mode() string { return modeName(e.redisURL) }

// loadCPUs is how many CPUs this program runs on.
func (e *env) loadCPUs() int {
	if e.pin.load != nil {
		return len(e.pin.load)
	}
	return runtime.NumCPU()
}

func (e *env) opts(extra map[string]string) serverOpts {
	return serverOpts{redisURL: e.redisURL, env: extra, pin: e.pin}
}

func main() {
	if spec := os.Getenv(ceilingEnv); spec != "" {
		if err := ceilingWriter(spec); err != nil {
			fmt.Fprintln(os.Stderr, "load: ceiling writer:", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(realMain(os.Args[1:]))
}

// realMain is main with its deferred calls run before the exit.
func realMain(args []string) int {
	p, err := parseFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		return 2
	}
	if p.CPUProfile != "" {
		f, err := os.Create(p.CPUProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, p)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		return 1
	}
	if p.JSON {
		err = printJSON(os.Stdout, rep)
	} else {
		printMarkdown(os.Stdout, rep)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		return 1
	}
	if rep.failed() {
		return 1
	}
	return 0
}

// run builds the server, measures the ceiling and runs every job; a job
// that fails is reported in its row and the others still run.
func run(ctx context.Context, p params) (*report, error) {
	jobs, err := p.jobs()
	if err != nil {
		return nil, err
	}
	if err := checkRedisURL(p.RedisURL); err != nil {
		return nil, err
	}
	most := 0
	for _, j := range jobs {
		if err := j.set.validate(j.sc.name); err != nil {
			return nil, err
		}
		if j.sc.run == nil {
			if err := j.set.validateFanout(j.sc.name); err != nil {
				return nil, err
			}
		}
		most = max(most, j.set.Conns)
	}
	if p.Timeout < time.Second || p.Timeout > time.Hour || p.CeilingTime < 100*time.Millisecond || p.CeilingTime > time.Minute ||
		p.CeilingConns < 1 || p.CeilingConns > 10000 {
		return nil, fmt.Errorf("-timeout must be in [1s, 1h], -ceiling-time in [100ms, 1m], -ceiling-conns in [1, 10000]")
	}
	limit, err := raiseFileLimit()
	if err != nil {
		return nil, err
	}
	if need := uint64(max(most, p.CeilingConns)) + 256; limit < need {
		return nil, fmt.Errorf("%d connections need about %d open files, RLIMIT_NOFILE is %d", most, need, limit)
	}
	rep := &report{Machine: describeMachine(), Source: sourceVersion()} // before pinning: these run go and git
	dir, err := os.MkdirTemp("", "rt-load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin, err := build(ctx, dir) // before pinning: the build may use every CPU
	if err != nil {
		return nil, err
	}
	e := &env{bin: bin, pin: planPinning(p.Pin), runID: strconv.FormatInt(time.Now().Unix()%1e6, 36)}
	if e.pin.load != nil {
		if err := pinSelf(e.pin.load); err != nil {
			return nil, fmt.Errorf("pinning the load generator: %w", err)
		}
	}
	rep.Pinning = e.pin.Note
	logf("pinning: %s", e.pin.Note)
	if p.Ceiling {
		c, err := measureCeiling(ctx, e.pin, p.CeilingConns, p.CeilingTime)
		if err != nil {
			return nil, err
		}
		rep.Ceiling = c
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		logf("=== %s: %s (%s mode)", j.sc.name, j.set.describe(), modeName(j.redisURL))
		e.redisURL = j.redisURL
		sctx, cancel := context.WithTimeout(ctx, p.Timeout)
		r, err := j.sc.start(sctx, e, j.set)
		cancel()
		if r == nil {
			r = &row{}
		}
		r.Scenario, r.Command, r.Mode, r.Settings = j.sc.name, p.command(j), e.mode(), j.set
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			r.Error = err.Error()
			logf("%s failed: %v", j.sc.name, err)
		}
		r.VsCeiling = rep.Ceiling.ratio(r.rate)
		rep.Rows = append(rep.Rows, r)
	}
	return rep, nil
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
