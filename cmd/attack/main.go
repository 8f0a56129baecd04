// Command attack runs one hostile scenario against an rt binary and reports
// what the server paid for it: its memory (VmRSS, sampled every 100 ms), its
// CPU time, what the attacker's sockets saw (answers, error codes, close
// codes, refusals) and, where it applies, what a bystander in another room
// felt. The binary is given by path, so that a server before a fix and one
// after it are measured by the same command, one after the other:
//
//	go build -o /tmp/rt-before .     # in the checkout before the fix
//	go build -o /tmp/rt-after .      # in the checkout after it
//	go run ./cmd/attack -bin /tmp/rt-before -scenario all
//	go run ./cmd/attack -bin /tmp/rt-after -scenario all
//
// Scenarios (-h lists them with their defaults):
//
//	history      a room of 200 maximum-size messages; N sockets of one token
//	             that never read ask history.get limit 100 at 20/s each
//	since-hold   N never-reading sockets of one token join that room with
//	             since=<its oldest message> and stay
//	since-storm  W workers join that room with since=<oldest> and close
//	             right after the 101, as fast as they can
//	fragments    N sockets send a text frame without FIN, then empty masked
//	             continuation frames as fast as they can; a bystander room
//	             (one sender at 20 msg/s, one receiver) is measured without
//	             the attack, then during it
//	handshakes   W workers, one address, one token: handshakes as fast as
//	             they can, each closed right after its answer
//
// Every server is started with rt's default limits (and LOG_LEVEL=info,
// rt's default: its access log is part of the cost). One exception: a
// server that limits handshakes per address would refuse the attacker's own
// setup, so every scenario but handshakes starts it with HANDSHAKE_RATE=0
// (a binary without that limit ignores the variable). -env adds or
// overrides variables.
//
// The server runs on CPU -cpu-server (taskset, GOMAXPROCS=1) and this
// program pins itself to CPU -cpu-load (sched_setaffinity on every thread,
// as if run under taskset -c); -cpu-server -1 pins neither. It only ever
// connects to loopback, every loop is bounded in count and time, and it
// stops every server it started. Progress goes to stderr, one markdown row
// per scenario (or JSON with -json) to stdout.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/rtserver/rt/cmd/internal/cli"
	"github.com/rtserver/rt/cmd/internal/proc"
	"github.com/rtserver/rt/cmd/internal/rtnode"
)

func main() { os.Exit(realMain(os.Args[1:])) }

// realMain is main with its deferred calls run before the exit.
func realMain(args []string) int {
	p, err := parseFlags(args)
	if status, exit := cli.FlagStatus("attack", err); exit {
		return status
	}
	return cli.Run("attack", func(ctx context.Context) ([]*result, error) { return run(ctx, p) },
		p.JSON, printJSON, printMarkdown, anyFailed)
}

// run pins this program and runs every scenario asked for, each against a
// server of its own; a scenario that fails is reported in its row.
func run(ctx context.Context, p params) ([]*result, error) {
	bin, err := filepath.Abs(p.Bin)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("-bin %s: not an executable file (build one: go build -o /tmp/rt-after .)", p.Bin)
	}
	if err := rtnode.CheckRedisURL(p.RedisURL); err != nil {
		return nil, err
	}
	e := &env{bin: bin, name: filepath.Base(bin), redisURL: p.RedisURL, extra: p.Env,
		cpuServer: p.CPUServer, runID: strconv.FormatInt(time.Now().UnixNano()%1e9, 36)}
	if p.CPUServer >= 0 {
		if err := proc.PinSelf([]int{p.CPULoad}); err != nil {
			return nil, fmt.Errorf("pinning this program to CPU %d: %w", p.CPULoad, err)
		}
		logf("pinning: server on CPU %d (taskset, GOMAXPROCS=1), attacker on CPU %d", p.CPUServer, p.CPULoad)
	} else {
		logf("pinning: none (-cpu-server -1)")
	}
	var results []*result
	for _, sc := range p.scenarios() {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		s := p.settingsFor(sc)
		logf("=== %s against %s (%s mode): %s", sc.name, e.name, rtnode.ModeName(e.redisURL), s.describe(sc))
		sctx, cancel := context.WithTimeout(ctx, scenarioMax(s))
		r := &result{Binary: e.name, Scenario: sc.name, Mode: rtnode.ModeName(e.redisURL), Command: p.command(sc)}
		if err := sc.run(sctx, e, s, r); err != nil {
			if ctx.Err() != nil {
				cancel()
				return nil, ctx.Err()
			}
			r.Error = err.Error()
			logf("%s failed: %v", sc.name, err)
		}
		cancel()
		results = append(results, r)
	}
	return results, nil
}

// scenarioMax bounds one scenario from start to finish: the seeding, the
// baseline and the attack, the draining and the server's stop.
func scenarioMax(s settings) time.Duration { return 3*s.Duration + 2*time.Minute }

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "attack: "+format+"\n", args...)
}
