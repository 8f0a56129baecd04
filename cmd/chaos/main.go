// Command chaos is rt's fault run: two rt nodes on one Redis, rooms of
// clients chatting at a steady rate, and a schedule of faults meanwhile,
// after which every client's messages are checked against the room's
// history. It tests SPEC §8 (history and recovery) end to end: nothing a
// client should have is lost, repeated or reordered, whatever happened to
// its connection, its node or the nodes' Pub/Sub links.
//
//	go run ./cmd/chaos                       # about a minute; or go tool task chaos
//	go run ./cmd/chaos -duration 20s -seed 7 # a shorter run, a given schedule
//	go run ./cmd/chaos -redis redis://127.0.0.1:6390 -json
//
// What it does:
//
//  1. starts redis-server on a free loopback port (or uses -redis), builds
//     rt from the module root and starts two nodes in redis mode, with
//     HISTORY_SIZE large enough for the whole run;
//  2. connects -rooms × -clients clients of the Go client library (package
//     client: /ws, then Room(name).Join), alternating between the nodes,
//     each publishing a uniquely tagged text -rate times a second and
//     keeping the ack or the error each Publish returns;
//  3. meanwhile carries out a seeded schedule (-seed) of faults, each
//     logged with its time: CLIENT KILL TYPE pubsub (every node's Pub/Sub
//     link drops), TCP resets of a few clients (through the library's
//     Config.Dial, which the run provides: the library reconnects and
//     rejoins with since=<its position>), one node stopped with SIGTERM
//     (its clients reconnect to the other, whose port their dial picks),
//     restarted on its port, and its clients sent back to it;
//  4. stops the senders, waits for every Publish to be answered and for
//     quiet, reads each room's whole history by paging History from a
//     fresh client, and checks every client against it: every id of the
//     room from its first to the end handed to the application (OnMessage)
//     once, in order; every acked message held by history under its id.
//
// The record checked is what the library gave the application: its
// OnMessage, OnRecovered and OnJoined calls and the connection windows of
// its OnState calls, so the run proves the library's recovery as much as
// the server's. The reconnect, since and dedupe logic is the library's.
//
// With -cluster (go tool task chaos:cluster) it starts a local Redis
// Cluster of 3 masters and 3 replicas instead and runs the nodes on it; the
// Pub/Sub kills are done on every master, and two faults are added: the
// master of a chaos room killed with SIGKILL early in the window (the run
// waits, bounded, for its replica's promotion while the chat goes on; a
// node-start or slot-move due meanwhile waits too), and later a chaos
// room's slot moved, with its keys, to another master. A message a client
// read live that history no longer holds, published while its room's
// master was killed and replaced, was acknowledged by the dying master and
// never reached its replica: it is reported as lost by Redis in the
// failover, not as a failure of rt.
//
// The run fails (exit status 1) when a client lost, repeated or reordered
// a message, unless it was told complete:false on a reconnect (then it is
// reported as exempt), or when history itself is wrong, a node crashed or
// a fault could not be carried out. Progress and the fault log go to
// stderr, the report to stdout.
//
// It only ever connects to loopback, starts nothing it does not stop, and
// every wait is bounded.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/rtserver/rt/cmd/internal/cli"
	"github.com/rtserver/rt/cmd/internal/rtnode"
)

const (
	nodes     = 2
	joinMax   = 30 * time.Second        // bound on every client's first connection
	quietFor  = 1500 * time.Millisecond // no delivery for this long: the rooms have settled
	settleMax = 30 * time.Second        // bound on waiting for that
)

func main() { os.Exit(realMain(os.Args[1:])) }

// realMain is main with its deferred calls run before the exit.
func realMain(args []string) int {
	p, err := parseFlags(args)
	if status, exit := cli.FlagStatus("chaos", err); exit {
		return status
	}
	return cli.Run("chaos", func(ctx context.Context) (*report, error) { return run(ctx, p) },
		p.JSON, printJSON, printTables, func(r *report) bool { return r.Verdict == failed })
}

// run is the whole fault run; an error is a run that could not be carried
// out (no Redis, a build that failed…), a report the run's findings.
func run(ctx context.Context, p params) (*report, error) {
	if err := rtnode.CheckRedisURL(p.RedisURL); err != nil {
		return nil, err
	}
	seed := p.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()%999_999 + 1 // short enough to type back
	}
	logf("seed %d: %d rooms × %d clients at %g msg/s for %s, HISTORY_SIZE %d", seed, p.Rooms, p.Clients, p.Rate, p.Duration, p.historySize())

	redisURL := p.RedisURL
	var killer pubsubKiller
	var rc *redisCluster
	switch {
	case p.Cluster:
		var err error
		if rc, err = startRedisCluster(); err != nil {
			return nil, err
		}
		defer rc.stop()
		redisURL, killer = rc.c.URL(), rc
	default:
		if redisURL == "" {
			rs, err := rtnode.StartRedis(ctx, logf)
			if err != nil {
				return nil, err
			}
			defer rs.Stop()
			redisURL = rs.URL()
		}
		ctl, err := dialRedis(ctx, redisURL)
		if err != nil {
			return nil, err
		}
		defer ctl.close()
		killer = ctl
	}

	dir, err := os.MkdirTemp("", "rt-chaos-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin, err := rtnode.Build(ctx, dir, logf)
	if err != nil {
		return nil, err
	}
	cl := newCluster(bin, redisURL, p.serverEnv(), nodes)
	defer cl.close()
	for i := range nodes {
		if err := cl.start(ctx, i); err != nil {
			return nil, err
		}
	}

	// The clients: room r's clients alternate between the nodes, and the
	// room names are new to this run, so a Redis used before holds nothing
	// of theirs.
	w := newWorld(cl)
	runID := strconv.FormatInt(time.Now().Unix()%1e6, 36)
	var rooms []string
	var clients []*chatClient
	for r := range p.Rooms {
		room := fmt.Sprintf("chaos.%s.r%d", runID, r)
		rooms = append(rooms, room)
		for i := range p.Clients {
			c, err := newClient(w, room, r, i, (r*p.Clients+i)%nodes)
			if err != nil {
				return nil, err
			}
			clients = append(clients, c)
		}
	}
	defer func() {
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Go(c.close)
		}
		wg.Wait()
	}()
	jctx, cancelJoin := context.WithTimeout(ctx, joinMax)
	var joins sync.WaitGroup
	joinErrs := make([]error, len(clients))
	for i, c := range clients {
		joins.Go(func() { joinErrs[i] = c.start(jctx) })
	}
	joins.Wait()
	cancelJoin()
	if err := errors.Join(joinErrs...); err != nil {
		return nil, fmt.Errorf("connecting %d clients: %w (failed attempts: %v)", len(clients), err, w.failures())
	}
	if err := waitFor(ctx, joinMax, func() bool { return allSettled(clients) }); err != nil {
		return nil, fmt.Errorf("connecting %d clients: %w (failed attempts: %v)", len(clients), err, w.failures())
	}
	logf("%d clients connected in %d rooms", len(clients), len(rooms))

	// The chat, and the faults meanwhile.
	schedule := plan(seed, p.Duration, len(clients), nodes)
	if p.Cluster {
		schedule = withCluster(schedule, planCluster(seed, p.Duration, len(rooms)))
	}
	start := time.Now()
	logf("+0.000s chat starts; %d faults planned:", len(schedule))
	for _, ft := range schedule {
		logf("  planned %s %s", fmtOff(ft.At), ft)
	}
	sctx, stopChat := context.WithDeadline(ctx, start.Add(p.Duration))
	defer stopChat()
	faults := newFaultRunner(start, cl, killer, clients, rc, rooms)
	var senders sync.WaitGroup
	for _, c := range clients {
		senders.Go(func() { c.send(sctx, p.Rate) })
	}
	senders.Go(func() { faults.run(sctx, schedule) })
	senders.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	logf("%s senders stopped; waiting for every Publish to be answered", fmtOff(time.Since(start)))
	for _, c := range clients {
		c.waitSends()
	}
	faults.wait()

	// Quiet: everyone connected, recovered, and nothing arriving.
	err = waitFor(ctx, settleMax, func() bool {
		return allSettled(clients) && time.Since(time.Unix(0, w.lastDelivery.Load())) >= quietFor
	})
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		logf("not settled within %s: checking anyway (clients not connected will show)", settleMax)
	}
	logf("%s quiet; reading each room's history", fmtOff(time.Since(start)))

	// The ground truth, then what every client saw, before anyone leaves.
	_, port, ok := cl.pick(0)
	if !ok {
		return nil, errors.New("no node is up to read history from")
	}
	histories := map[string][]entry{}
	for _, room := range rooms {
		h, err := readHistory(ctx, w, port, room, p.historySize()/pageLimit+3)
		if err != nil {
			return nil, err
		}
		histories[room] = h
	}
	recs := make([]*record, len(clients))
	for i, c := range clients {
		recs[i] = c.snapshot()
	}
	events, faultErrs := faults.log()
	rep := buildReport(p, seed, start, rooms, histories, recs, events, faultErrs, cl.crashed(), w.failures(), faults.lossWindows())
	return rep, nil
}

// allSettled reports whether every client is connected and done recovering.
func allSettled(clients []*chatClient) bool {
	for _, c := range clients {
		if !c.settled() {
			return false
		}
	}
	return true
}

// waitFor polls cond until it holds, ctx ends or bound passes.
func waitFor(ctx context.Context, bound time.Duration, cond func() bool) error {
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not done within %s", bound)
		}
		if err := rtnode.Sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

func (w *world) failures() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]int, len(w.fails))
	for k, v := range w.fails {
		out[k] = v
	}
	return out
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "chaos: "+format+"\n", args...)
}
