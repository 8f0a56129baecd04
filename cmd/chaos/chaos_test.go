package main

import (
	"strings"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/redis/redistest"
)

// TestShortChaos is the whole run, kept short: two rooms of four clients
// for 8 s against a freshly built rt, with every kind of fault. It needs
// redis-server (skipped without it, a failure with REQUIRE_REDIS=1).
func TestShortChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("a full fault run (about 15 s): not with -short")
	}
	srv := redistest.Start(t)
	p := params{Duration: 8 * time.Second, Rooms: 2, Clients: 4, Rate: 3, Seed: 1, RedisURL: srv.URL()}
	rep, out := runPassing(t, p, pubsubKill, cut, nodeStop, nodeStart, nodeReturn)
	if rep.Total.Reconnects < 4 {
		t.Errorf("%d reconnects in all, want at least the stopped node's clients:\n%s", rep.Total.Reconnects, out)
	}
}

// TestShortChaosCluster is the run on a Redis Cluster of 3 masters and 3
// replicas, kept short (10 s): on top of the other faults, a room's slot
// moved to another master and a room's master killed. It needs
// redis-server and redis-cli (skipped without them, a failure with
// REQUIRE_REDIS=1).
func TestShortChaosCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("a full fault run on a cluster (about 20 s): not with -short")
	}
	redistest.Need(t, "redis-server", "redis-cli")
	p := params{Duration: 10 * time.Second, Rooms: 3, Clients: 4, Rate: 3, Seed: 1, Cluster: true}
	runPassing(t, p, pubsubKill, cut, nodeStop, nodeStart, nodeReturn, slotMove, masterKill, "failover")
}

// runPassing runs p and checks that it passed, carried out every kind of
// fault in kinds, and gave every client all it expected (less what Redis
// itself lost in a failover); it returns the report and its tables.
func runPassing(t *testing.T, p params, kinds ...kind) (*report, string) {
	t.Helper()
	rep, err := run(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	printTables(&b, rep)
	out := b.String()
	if rep.Verdict != pass {
		t.Fatalf("the run failed:\n%s", out)
	}
	for _, k := range kinds {
		found := false
		for _, e := range rep.Faults {
			found = found || strings.HasPrefix(e.What, string(k))
		}
		if !found {
			t.Errorf("no %s carried out:\n%s", k, out)
		}
	}
	for _, c := range rep.Results {
		if c.Expected == 0 || c.Received+c.LostByRedis < c.Expected {
			t.Errorf("%s: expected %d, received %d", c.Client, c.Expected, c.Received)
		}
	}
	return rep, out
}
