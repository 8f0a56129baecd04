package e2e

import (
	"slices"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/nodes"
	"github.com/rtserver/rt/modules/redis/redistest"
)

// Two nodes on one Redis list each other, sum a room's sockets across
// them, and a node that stops is gone from the list at once.
func TestAdminNodesSeeEachOtherOnRedis(t *testing.T) {
	srv := redistest.Start(t)
	cfg := testConfig()
	cfg.RedisURL = srv.URL()
	checkNodesSeeEachOther(t, startAPINode(t, cfg, quickNodes()), startAPINode(t, cfg, quickNodes()), "redis", 0)
}

// The same on a Redis Cluster, whose shards each node reports.
func TestAdminNodesSeeEachOtherOnACluster(t *testing.T) {
	c := redistest.StartCluster(t)
	cfg := testConfig()
	cfg.RedisURL = c.URL()
	checkNodesSeeEachOther(t, startAPINode(t, cfg, quickNodes()), startAPINode(t, cfg, quickNodes()), "cluster", 3)
}

func checkNodesSeeEachOther(t *testing.T, a, b *apiNode, mode string, shards int) {
	t.Helper()
	dial(t, a.node, "shared", "alice").ready()
	dial(t, b.node, "shared", "bob").ready()
	dial(t, b.node, "shared", "bob").ready()

	listed := func(n *apiNode) []nodes.Node {
		var got struct{ Nodes []nodes.Node }
		n.getJSON(t, "/api/admin/nodes", &got)
		return got.Nodes
	}
	// b's record names its sockets once it has written after they joined.
	if !waitFor(10*time.Second, func() bool {
		all := listed(a)
		return len(all) == 2 && all[0].Connections+all[1].Connections == 3
	}) {
		t.Fatalf("a lists %+v, want both nodes with 3 sockets", listed(a))
	}
	all := listed(b)
	for _, n := range all {
		if n.Backend.Mode != mode || n.Backend.Shards != shards || n.Backend.Status != "ok" || n.Addr == "" {
			t.Errorf("node %s: backend %+v addr %q, want %s with %d shards", n.ID, n.Backend, n.Addr, mode, shards)
		}
	}
	if len(all) != 2 || all[0].ID == all[1].ID {
		t.Fatalf("b lists %+v", all)
	}

	var rooms struct {
		Rooms []struct {
			Room    string
			Members int
			Users   []string
		}
	}
	a.getJSON(t, "/api/admin/rooms", &rooms)
	if len(rooms.Rooms) != 1 || rooms.Rooms[0].Members != 3 || !slices.Equal(rooms.Rooms[0].Users, []string{"alice", "bob"}) {
		t.Errorf("rooms across nodes %+v", rooms.Rooms)
	}

	var series struct{ Nodes []struct{ ID string } }
	a.getJSON(t, "/api/admin/series", &series)
	if len(series.Nodes) != 2 {
		t.Errorf("series of %d nodes, want 2", len(series.Nodes))
	}

	b.stop(t) // a clean stop removes the record: no wait for its TTL
	if after := listed(a); len(after) != 1 || after[0].Addr != a.addr {
		t.Errorf("after b stopped, a lists %+v", after)
	}
}

// A node killed with SIGKILL removes nothing: its record expires by itself,
// within its TTL (the real 15 s: the process runs the defaults).
func TestAdminKilledNodeExpires(t *testing.T) {
	srv := redistest.Start(t)
	cfg := testConfig()
	cfg.RedisURL = srv.URL()
	a := startAPINode(t, cfg, quickNodes())
	killed := startProcess(t, map[string]string{"REDIS_URL": srv.URL()})
	addrs := func() []string {
		var got struct{ Nodes []nodes.Node }
		a.getJSON(t, "/api/admin/nodes", &got)
		var out []string
		for _, n := range got.Nodes {
			out = append(out, n.Addr)
		}
		return out
	}
	if got := addrs(); !slices.Contains(got, killed.addr) {
		t.Fatalf("a lists %q, without the process at %s", got, killed.addr)
	}
	killed.kill()
	if !waitFor(nodes.DefaultSettings.TTL+5*time.Second, func() bool { return !slices.Contains(addrs(), killed.addr) }) {
		t.Fatalf("the killed node is still listed: %q", addrs())
	}
}
