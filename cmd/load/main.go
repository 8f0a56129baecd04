// Command load is the end-to-end load test of rt whose figures docs/performance.md
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
//	multiroom    10,000 sockets opened in no room, each joining 20 of 200
//	             rooms (1,000 members each) in one burst, then 25 msg/s
//	             across the rooms for 30 s: sockets/s joined, memory per
//	             socket, deliveries per server CPU-second, p50/p99, and
//	             every delivery accounted for (protocol 2, SPEC §10)
//	hooks        what a publish hook costs the server: 100 rooms × 10
//	             members at 20 msg/s for 10 s (-rate, -duration), then the
//	             rooms shape (-msgs 1000 at max rate); each on a plain
//	             server, then on one whose PUBLISH_HOOK_URL is a backend in
//	             this process (on the generator's CPUs) that checks every
//	             signature and allows every message: four rows labelled
//	             "no hook" / "publish hook" with deliveries/s, deliveries per
//	             server CPU-second, p50/p99 and the calls the backend
//	             counted. A request with a bad signature fails the run; a
//	             publish-hook run with no call is only a warning (a server
//	             without the hook's code ignores the variable). About 40 s.
//	cross        two servers on one Redis (-redis), members split across both,
//	             one room at max rate: deliveries/s, p99
//	idle         50,000 idle sockets in 100 rooms (presence on) and a 2 s
//	             heartbeat (HEARTBEAT_INTERVAL=2s, IDLE_TIMEOUT=10s), every
//	             system.ping answered with a system.pong: server RSS before
//	             and with the sockets and KiB per idle socket, server CPU per
//	             second over a quiet -duration (10 s: five heartbeats), CPU
//	             per ping delivered, and closes by the server (must be 0).
//	             Not in all: it needs about 100,000 open files (raised as
//	             root) and a minute or two per server.
//
// Runs of more than 10,000 connections dial from several loopback source
// addresses (127.0.0.1, 127.0.0.2, …): one address has only the ephemeral
// port range towards the server's port.
//
// Side by side (-baseline, -bare, -rounds):
//
//	go run ./cmd/load -scenario idle -baseline /tmp/rt-before -bare /tmp/bare -rounds 2
//
// runs every selected scenario against the prebuilt rt given by -baseline,
// then against this checkout's build ("baseline", "this"), and connect and
// idle also against the bare handshake floor (a minimal Go server: "bare",
// no rooms nor presence, so the joins are n/a), -rounds times in turn. Each
// row names its server, and a table per scenario gives every server's key
// figures (medians over the rounds).
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
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/rtserver/rt/cmd/internal/cli"
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

// env is what every scenario of a run shares.
type env struct {
	bin      string // the server this run measures: target.Bin
	target   target
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

// start starts the run's server: rt with extra in its environment, or the
// bare floor (which takes no settings).
func (e *env) start(ctx context.Context, extra map[string]string) (*server, error) {
	if e.target.Bare {
		return startBare(ctx, e.bin, e.pin)
	}
	return startServer(ctx, e.bin, e.opts(extra))
}

func main() {
	if spec := os.Getenv(ceilingEnv); spec != "" {
		if err := ceilingWriter(spec); err != nil {
			fmt.Fprintln(os.Stderr, "load: ceiling writer:", err)
			os.Exit(1)
		}
		return
	}
	if spec := os.Getenv(proxyEnv); spec != "" {
		if err := proxyWorker(spec); err != nil {
			fmt.Fprintln(os.Stderr, "load: drain proxy:", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(realMain(os.Args[1:]))
}

// realMain is main with its deferred calls run before the exit.
func realMain(args []string) int {
	p, err := parseFlags(args)
	if status, exit := cli.FlagStatus("load", err); exit {
		return status
	}
	if p.CPUProfile != "" {
		f, err := os.Create(p.CPUProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			return cli.Failed
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			return cli.Failed
		}
		defer pprof.StopCPUProfile()
	}
	return cli.Run("load", func(ctx context.Context) (*report, error) { return run(ctx, p) },
		p.JSON, printJSON, printMarkdown, (*report).failed)
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
		if err := j.sc.checkSettings(j.set); err != nil {
			return nil, err
		}
		most = max(most, j.set.Conns)
	}
	if p.Timeout < time.Second || p.Timeout > time.Hour || p.CeilingTime < 100*time.Millisecond || p.CeilingTime > time.Minute ||
		p.CeilingConns < 1 || p.CeilingConns > 10000 {
		return nil, fmt.Errorf("-timeout must be in [1s, 1h], -ceiling-time in [100ms, 1m], -ceiling-conns in [1, 10000]")
	}
	if err := p.checkComparison(jobs); err != nil {
		return nil, err
	}
	need := uint64(max(most, p.CeilingConns)) + 256
	limit, err := raiseFileLimit(need)
	if err != nil {
		return nil, err
	}
	if limit < need {
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
	runBase, runs := e.runID, 0
	for ji, j := range jobs {
		for round := 1; round <= p.Rounds; round++ {
			for _, t := range p.targets(j, bin) {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				if p.comparing() || p.Rounds > 1 {
					// Room names of their own: servers on one Redis would
					// otherwise meet the previous run's history.
					runs++
					e.runID = runBase + "r" + strconv.Itoa(runs)
				}
				r := runJob(ctx, p, e, j, t, round)
				if r.Error != "" && ctx.Err() != nil {
					return nil, ctx.Err()
				}
				r.VsCeiling = rep.Ceiling.ratio(r.rate)
				r.job = ji
				if p.Rounds > 1 {
					r.Round = round
				}
				rep.Rows = append(rep.Rows, r)
			}
		}
	}
	if p.comparing() || p.Rounds > 1 {
		rep.Baseline, rep.Bare, rep.Rounds = p.Baseline, p.Bare, p.Rounds
		rep.SideBySide = summarizeRows(rep.Rows)
	}
	return rep, nil
}

// runJob runs one job against one server, bounded by -timeout; a failure
// is in the row's Error.
func runJob(ctx context.Context, p params, e *env, j job, t target, round int) *row {
	e.target, e.bin, e.redisURL = t, t.Bin, j.redisURL
	mode := modeName(j.redisURL)
	if j.sc.ownRedis {
		mode = "redis"
	}
	if t.Bare {
		mode = "—" // the floor has no mode: no rooms, no Redis
	}
	logf("=== %s%s: %s (%s mode)", j.sc.name, t.label(round, p.Rounds), j.set.describe(), mode)
	sctx, cancel := context.WithTimeout(ctx, p.Timeout)
	r, err := j.sc.start(sctx, e, j.set)
	cancel()
	if r == nil {
		r = &row{}
	}
	r.Scenario, r.Command, r.Mode, r.Settings = j.sc.name, p.command(j), mode, j.set
	if t.Label != "" {
		r.Server, r.Binary = t.Label, t.Bin
	}
	if err != nil {
		r.Error = err.Error()
		logf("%s failed: %v", j.sc.name, err)
	}
	return r
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "load: "+format+"\n", args...)
}
