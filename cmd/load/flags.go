package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

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
	Baseline     string // a prebuilt rt run before this checkout's build
	Bare         string // the handshake floor, for connect and idle
	Rounds       int
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
	fs.StringVar(&p.Scenario, "scenario", "default", "what to measure: "+strings.Join(names, ", ")+", or all (cross only with -redis; idle is not in all)")
	fs.IntVar(&p.Set.Conns, "conns", 0, "connections (default: the scenario's)")
	fs.IntVar(&p.Set.Rooms, "rooms", 0, "rooms the connections are spread over (default: the scenario's)")
	fs.IntVar(&p.Set.Msgs, "msgs", 0, "messages each room receives (default: the scenario's)")
	fs.Float64Var(&p.Set.Rate, "rate", 0, "messages per second per room (multiroom: across all rooms); 0 = as fast as -window allows (default: the scenario's)")
	fs.IntVar(&p.Set.Window, "window", 0, "messages of a room in flight (not yet received by every member) before its senders wait; 0 = no bound; above 16 one sender meets the server's limit of 16 waiting requests per socket (default: the scenario's)")
	fs.IntVar(&p.Set.Senders, "senders", 0, "senders per room (default: the scenario's)")
	fs.IntVar(&p.Set.Dialers, "dialers", 0, "connections dialled at a time (default: the scenario's)")
	fs.DurationVar(&p.Set.ReadDelay, "read-delay", 0, "storm: each client's pause after every frame it reads (default 1ms)")
	fs.DurationVar(&p.Set.Spread, "spread", 0, "storm: the joins are spread evenly over this time (default 1s); drain: SHUTDOWN_SPREAD of the node drained, 0 = every socket at once (default 10s)")
	fs.DurationVar(&p.Set.DrainDelay, "drain-delay", 0, "drain: DRAIN_DELAY of the node drained (default 5s)")
	fs.IntVar(&p.Set.RoomsPerConn, "rooms-per-conn", 0, "multiroom: rooms each socket joins, out of -rooms (default 20)")
	fs.DurationVar(&p.Set.Duration, "duration", 0, "multiroom: how long the messages are sent (default 30s); hooks: how long its rate half sends (default 10s); idle: the quiet window measured (default 10s, whole heartbeats)")
	fs.StringVar(&p.RedisURL, "redis", "", "a local redis (loopback only, e.g. redis://127.0.0.1:6390): the scenario's servers run in redis mode against it; cross needs it; with -scenario all only cross uses it")
	fs.BoolVar(&p.JSON, "json", false, "print the results as JSON instead of markdown")
	fs.BoolVar(&p.Pin, "pin", true, "on 2+ CPUs, pin the server to the first CPU (GOMAXPROCS=1) and this program to the others")
	fs.BoolVar(&p.Ceiling, "ceiling", true, "measure the bare-socket write ceiling first")
	fs.DurationVar(&p.CeilingTime, "ceiling-time", 2*time.Second, "how long each ceiling measurement writes")
	fs.IntVar(&p.CeilingConns, "ceiling-conns", 1000, "connections the ceiling writer writes to")
	fs.DurationVar(&p.Timeout, "timeout", 3*time.Minute, "bound on one scenario (on each run of hooks), start to finish")
	fs.StringVar(&p.CPUProfile, "cpuprofile", "", "write a CPU profile of the load generator (not the server) to this file")
	fs.StringVar(&p.Baseline, "baseline", "", "a prebuilt rt binary: every scenario runs against it, then against this checkout's build, each round (rows labelled baseline / this)")
	fs.StringVar(&p.Bare, "bare", "", "the bare handshake floor, a prebuilt binary (a minimal Go server: gobwas/ws upgrade, jwt/v5, one frame, a goroutine per socket): connect and idle also run against it, after rt, each round (rows labelled bare)")
	fs.IntVar(&p.Rounds, "rounds", 1, "rounds of the runs (baseline, this, bare; baseline, this, bare; …): the side-by-side table gives each server's medians")
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

// resolve is the scenario's defaults with the flags given on top.
func (p params) resolve(sc scenario) settings {
	s := sc.defaults
	override(p.given, "conns", &s.Conns, p.Set.Conns)
	override(p.given, "rooms", &s.Rooms, p.Set.Rooms)
	override(p.given, "msgs", &s.Msgs, p.Set.Msgs)
	if sc.rateAcross {
		override(p.given, "rate", &s.TotalRate, p.Set.Rate)
	} else {
		override(p.given, "rate", &s.Rate, p.Set.Rate)
	}
	override(p.given, "window", &s.Window, p.Set.Window)
	override(p.given, "senders", &s.Senders, p.Set.Senders)
	override(p.given, "dialers", &s.Dialers, p.Set.Dialers)
	override(p.given, "read-delay", &s.ReadDelay, p.Set.ReadDelay)
	override(p.given, "spread", &s.Spread, p.Set.Spread)
	override(p.given, "rooms-per-conn", &s.RoomsPerConn, p.Set.RoomsPerConn)
	override(p.given, "duration", &s.Duration, p.Set.Duration)
	override(p.given, "drain-delay", &s.DrainDelay, p.Set.DrainDelay)
	return s
}

// override sets *dst to v when the flag name was given.
func override[T any, V any](given map[string]V, name string, dst *T, v T) {
	if _, ok := given[name]; ok {
		*dst = v
	}
}

// job is one scenario run with its settings: "all" runs connect twice,
// and a scenario with parts is a job per part.
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
		return job{sc: sc, set: p.resolve(sc), redisURL: p.RedisURL}.split(), nil
	}
	// all: every scenario in embedded mode, and those that need Redis with
	// -redis when it is given.
	var jobs []job
	for _, sc := range scenarios {
		j := job{sc: sc, set: p.resolve(sc)}
		if sc.notInAll {
			continue
		}
		if sc.redis {
			if p.RedisURL == "" {
				logf("all: skipping %s (needs -redis)", sc.name)
				continue
			}
			j.redisURL = p.RedisURL
		}
		jobs = append(jobs, j.split()...)
		if _, rooms := p.given["rooms"]; sc.name == "connect" && !rooms {
			j.set.Rooms = 100
			j.extra = []string{"-rooms", "100"}
			jobs = append(jobs, j)
		}
	}
	return jobs, nil
}

// split is the job, or one job per part of a scenario that has parts.
func (j job) split() []job {
	if j.sc.parts == nil {
		return []job{j}
	}
	var jobs []job
	for _, set := range j.sc.parts(j.set) {
		part := j
		part.set = set
		jobs = append(jobs, part)
	}
	return jobs
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
