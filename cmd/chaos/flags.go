package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// params are the flags.
type params struct {
	Duration time.Duration
	Rooms    int
	Clients  int     // per room
	Rate     float64 // messages per second per client
	Seed     int64   // 0 = from the clock (printed, to repeat the run)
	RedisURL string
	JSON     bool
	History  int  // HISTORY_SIZE; 0 = enough for the whole run
	Cluster  bool // on a local Redis Cluster, with a slot moved and a master killed
}

// flagOutput is where usage and flag errors go.
var flagOutput io.Writer = os.Stderr

func parseFlags(args []string) (params, error) {
	var p params
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.SetOutput(flagOutput)
	fs.DurationVar(&p.Duration, "duration", time.Minute, "how long the clients chat; faults fall between 15% and 75% of it (about 10 s more for start-up and the check)")
	fs.IntVar(&p.Rooms, "rooms", 6, "rooms")
	fs.IntVar(&p.Clients, "clients", 8, "clients per room, alternating between the two nodes")
	fs.Float64Var(&p.Rate, "rate", 3, "messages per second each client sends")
	fs.Int64Var(&p.Seed, "seed", 0, "seed of the fault schedule; 0 picks one from the clock (printed, so a run can be repeated)")
	fs.StringVar(&p.RedisURL, "redis", "", "a local Redis to use (loopback only, e.g. redis://127.0.0.1:6379) instead of starting redis-server; its Pub/Sub clients are all killed several times, so give it one of its own")
	fs.IntVar(&p.History, "history", 0, "HISTORY_SIZE of the nodes; 0 = enough for every message of the run. A smaller one shows recoveries told complete:false (reported, not failures) and a trimmed history")
	fs.BoolVar(&p.Cluster, "cluster", false, "start a local Redis Cluster (3 masters, a replica each; needs redis-server and redis-cli) instead of one redis-server, and add to the faults a chaos room's slot moved to another master and a room's master killed (SIGKILL) while its replica takes over")
	fs.BoolVar(&p.JSON, "json", false, "print the report as JSON instead of tables")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./cmd/chaos [flags]   (or: go tool task chaos -- [flags])\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return p, err
	}
	if fs.NArg() > 0 {
		return p, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return p, p.validate()
}

// validate keeps a run bounded: in time, in sockets, in messages.
func (p params) validate() error {
	switch {
	case p.Duration < 5*time.Second || p.Duration > 30*time.Minute:
		return fmt.Errorf("-duration must be in [5s, 30m]")
	case p.Rooms < 1 || p.Rooms > 100:
		return fmt.Errorf("-rooms must be in [1, 100]")
	case p.Clients < 2 || p.Clients > 100:
		return fmt.Errorf("-clients must be in [2, 100]")
	case p.Rate <= 0 || p.Rate > 20:
		return fmt.Errorf("-rate must be in (0, 20]")
	case p.History < 0 || p.History > 100_000:
		return fmt.Errorf("-history must be in [1, 100000], or 0 for enough")
	case p.Cluster && p.RedisURL != "":
		return fmt.Errorf("-cluster starts a cluster of its own: not with -redis")
	}
	return nil
}

// historySize is HISTORY_SIZE for the run: every message a room gets, with
// room to spare, so that every recovery can be complete and the history
// read at the end is the whole run.
func (p params) historySize() int {
	if p.History > 0 {
		return p.History
	}
	perRoom := float64(p.Clients) * p.Rate * p.Duration.Seconds()
	return max(200, int(perRoom*1.25)+100)
}

// serverEnv is what the nodes run with on top of the pinned defaults.
func (p params) serverEnv() map[string]string {
	h := p.historySize()
	return map[string]string{
		"HISTORY_SIZE": fmt.Sprint(h), "HISTORY_TTL": "1h",
		// Room for a burst of live traffic as large as history: a node's
		// gap fill after a Pub/Sub loss queues what its members missed at
		// once, so a slow queue is not what a fault run finds.
		"SEND_QUEUE": fmt.Sprint(max(h, 256)),
		// The clients are well-behaved senders; the limits are not under test.
		"RATE_LIMIT": "1000", "RATE_BURST": "1000",
		// Two nodes on one machine: one profiler port would be taken twice.
		"DEBUG_ADDR": "",
	}
}
