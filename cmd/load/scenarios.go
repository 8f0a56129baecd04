package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
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
	// multiroom: rooms each socket joins, messages/s across all rooms
	// (its -rate), and how long they are sent (also hooks' rate half).
	RoomsPerConn int           `json:"rooms_per_conn,omitempty"`
	TotalRate    float64       `json:"rate_all_rooms,omitempty"`
	Duration     time.Duration `json:"duration_ns,omitempty"`
	// drain: DRAIN_DELAY of the node drained (its SHUTDOWN_SPREAD is
	// -spread).
	DrainDelay time.Duration `json:"drain_delay_ns,omitempty"`
	// PublishHook: the server calls a publish hook (PUBLISH_HOOK_URL) for
	// every message. Not a flag: the hooks scenario runs each shape
	// without it and with it.
	PublishHook bool `json:"publish_hook,omitempty"`
}

// scenario is one named measurement: run, or else a fan-out over servers
// servers (1 when 0), measuring memory first when memory is set.
type scenario struct {
	name     string
	about    string
	defaults settings
	redis    bool // needs -redis
	run      func(context.Context, *env, settings) (*row, error)
	check    func(settings, string) error // what run needs beyond validate, checked before the build
	servers  int
	memory   bool
	// rateAcross: -rate is messages/s across all rooms (TotalRate), not
	// per room (Rate).
	rateAcross bool
	// parts, when set, splits the settings into runs of their own, each
	// a row of the report (and each bounded by -timeout).
	parts func(settings) []settings
	// bare: -bare runs it against the bare floor too (it measures
	// handshakes and sockets, which the floor has, not rooms).
	bare bool
	// notInAll: -scenario all leaves it out (it takes long, or needs the
	// machine for itself).
	notInAll bool
	// ownRedis: it runs in redis mode always, on a redis-server of its
	// own when -redis is not given.
	ownRedis bool
}

// checkSettings is what the scenario needs of its settings beyond validate.
func (sc scenario) checkSettings(s settings) error {
	if sc.check != nil {
		return sc.check(s, sc.name)
	}
	if sc.run == nil {
		return s.validateFanout(sc.name)
	}
	return nil
}

func (sc scenario) start(ctx context.Context, e *env, s settings) (*row, error) {
	if sc.run != nil {
		return sc.run(ctx, e, s)
	}
	return runFanout(ctx, e, s, fanoutRun{name: sc.name, servers: sc.servers, memory: sc.memory})
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
		run:      runConnect, bare: true},
	{name: "fanout-max", about: "one room, -senders senders as fast as the slowest member allows (-window)",
		defaults: settings{Conns: 1000, Rooms: 1, Msgs: 2000, Window: 16, Senders: 1, Dialers: 50}},
	{name: "fanout-rate", about: "one room at -rate messages/s; deliveries per server CPU-second",
		defaults: settings{Conns: 1000, Rooms: 1, Msgs: 200, Rate: 20, Senders: 1, Dialers: 50}},
	{name: "rooms", about: "-rooms rooms, one sender each as fast as its slowest member allows",
		defaults: settings{Conns: 1000, Rooms: 100, Msgs: 1000, Window: 16, Senders: 1, Dialers: 50}},
	// 25 msg/s across 200 rooms of 1,000 members is 25,000 deliveries/s:
	// about half of the server's core at a steady rate, where each delivery
	// is a write of its own (about 50,000 per CPU-second on an idle 2-CPU
	// machine; 40 msg/s took 78% of the core and tripled p99, 20 ms of
	// writes per message already being a queue for the next). Loaded, but
	// with room for pings and GC, so that latency is the path and not a
	// backlog. 30 s gives each room about 4 messages.
	{name: "multiroom", about: "-conns sockets in no room, each joining -rooms-per-conn of -rooms rooms in one burst; then -rate msg/s across the rooms for -duration",
		defaults: settings{Conns: 10000, Rooms: 200, RoomsPerConn: 20, TotalRate: 25, Duration: 30 * time.Second, Dialers: 100},
		run:      runMultiroom, check: settings.validateMultiroom, rateAcross: true},
	// The rate half is fanout-rate over rooms (100 × 10 at 20 msg/s, 10 s:
	// 20,000 deliveries/s offered, a steady load with room for the hook's
	// calls); the other is the rooms scenario. Four runs, about 40 s in all.
	{name: "hooks", about: "what a publish hook costs: -rooms rooms at -rate msg/s for -duration, then -msgs per room as fast as -window allows; each on a plain server, then on one with PUBLISH_HOOK_URL (a backend in this process)",
		defaults: settings{Conns: 1000, Rooms: 100, Msgs: 1000, Rate: 20, Duration: 10 * time.Second, Window: 16, Senders: 1, Dialers: 50},
		run:      runHooks, check: settings.validateHooks, parts: hooksParts},
	{name: "cross", about: "two servers on one Redis, members alternating between them, senders on both", redis: true,
		defaults: settings{Conns: 1000, Rooms: 1, Msgs: 2000, Window: 16, Senders: 2, Dialers: 50},
		servers:  2},
	// 10,000 library clients on the generator's CPU, two nodes and Redis:
	// about a minute, and it needs redis-server (or -redis), so not in all.
	{name: "drain", about: "a rolling deploy: -conns library clients in -rooms rooms on node A of two behind a proxy that probes /readyz, -rate msg/s across the rooms; A gets SIGTERM with -drain-delay and -spread (SHUTDOWN_SPREAD): B's handshakes/s, time until all are back, messages lost and duplicated (not in all)",
		defaults: settings{Conns: 10000, Rooms: 100, TotalRate: 100, Dialers: 100, Spread: 10 * time.Second, DrainDelay: 5 * time.Second},
		run:      runDrain, check: settings.validateDrain, rateAcross: true, notInAll: true, ownRedis: true},
	// 50,000 sockets take the server's memory and the machine's file and
	// port limits to where the other scenarios never go, and the run takes
	// a minute or more per server: not part of all (idle.go says why the
	// heartbeat is 2 s).
	{name: "idle", about: "-conns idle sockets over -rooms rooms with a 2 s heartbeat answered by every client: server RSS per idle socket, CPU per second while idle over -duration, CPU per ping delivered (not in all)",
		defaults: settings{Conns: 50000, Rooms: 100, Dialers: 100, Duration: idleWindow},
		run:      runIdle, check: settings.validateIdle, bare: true, notInAll: true},
}

// settingFlags are the flags that set a scenario's settings.
var settingFlags = []string{"conns", "rooms", "msgs", "rate", "window", "senders", "dialers", "read-delay", "spread", "rooms-per-conn", "duration", "drain-delay"}

// uses reports whether the scenario reads the setting flag name.
func (sc scenario) uses(name string) bool {
	switch sc.name {
	case "storm":
		return slices.Contains([]string{"conns", "rooms", "read-delay", "spread"}, name)
	case "connect":
		return slices.Contains([]string{"conns", "rooms", "dialers"}, name)
	case "idle":
		return slices.Contains([]string{"conns", "rooms", "dialers", "duration"}, name)
	case "multiroom":
		return slices.Contains([]string{"conns", "rooms", "rate", "dialers", "rooms-per-conn", "duration"}, name)
	case "hooks":
		return !slices.Contains([]string{"read-delay", "spread", "rooms-per-conn", "drain-delay"}, name)
	case "drain":
		return slices.Contains([]string{"conns", "rooms", "rate", "dialers", "spread", "drain-delay"}, name)
	}
	return !slices.Contains([]string{"read-delay", "spread", "rooms-per-conn", "duration", "drain-delay"}, name)
}

func findScenario(name string) (scenario, bool) {
	i := slices.IndexFunc(scenarios, func(s scenario) bool { return s.name == name })
	if i < 0 {
		return scenario{}, false
	}
	return scenarios[i], true
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
	add("rate", s.TotalRate, s.TotalRate > 0)
	add("window", s.Window, s.Window > 0)
	add("senders", s.Senders, s.Senders > 0)
	add("dialers", s.Dialers, s.Dialers > 0)
	add("read-delay", s.ReadDelay, s.ReadDelay > 0)
	add("spread", s.Spread, s.Spread > 0)
	add("rooms-per-conn", s.RoomsPerConn, s.RoomsPerConn > 0)
	add("duration", s.Duration, s.Duration > 0)
	add("drain-delay", s.DrainDelay, s.DrainDelay > 0)
	return strings.Join(parts, " ")
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
	case s.Msgs < 0 || s.Window < 0 || s.Senders < 0 || s.Dialers < 0 || s.ReadDelay < 0 || s.Spread < 0 || s.RoomsPerConn < 0 || s.Duration < 0:
		return fmt.Errorf("%s: negative settings make no sense", name)
	case s.Rate < 0 || s.Rate > 100000 || s.TotalRate < 0 || s.TotalRate > 100000:
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

// validateDrain: the publisher joins every room (MAX_ROOMS_PER_CONN 100).
func (s settings) validateDrain(name string) error {
	switch {
	case s.Rooms > 100:
		return fmt.Errorf("%s: -rooms is at most 100 (the publisher is in every room)", name)
	case s.TotalRate <= 0:
		return fmt.Errorf("%s: -rate must be above 0", name)
	case s.Dialers < 1:
		return fmt.Errorf("%s: -dialers must be at least 1", name)
	case s.DrainDelay < 0 || s.DrainDelay > time.Minute:
		return fmt.Errorf("%s: -drain-delay must be in [0, 1m]", name)
	}
	return nil
}
