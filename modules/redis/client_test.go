package redis

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/redis/redistest"
)

func TestClusterState(t *testing.T) {
	for info, want := range map[string]string{
		"cluster_state:ok\r\ncluster_slots_assigned:16384\r\n":       "ok",
		"txt:cluster_state:fail\r\ncluster_slots_assigned:16384\r\n": "fail",
		"cluster_slots_assigned:16384\r\n":                           "",
	} {
		if got := clusterState(info); got != want {
			t.Errorf("clusterState(%q) = %q, want %q", info, got, want)
		}
	}
}

// TestOpenCluster: a healthy cluster opens as a cluster client; one with a
// master and its replica gone (cluster_state:fail) fails the start with an
// error naming REDIS_URL and the state.
func TestOpenCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	ok, err := Dial(t.Context(), c.URL())
	if err != nil {
		t.Fatalf("open on a healthy cluster: %v", err)
	}
	defer ok.Close()
	if err := readiness(ok).Probe(t.Context()); err != nil {
		t.Fatalf("readiness of a healthy cluster: %v", err)
	}

	m := c.Masters()[0]
	live := c.Masters()[1]
	for _, r := range c.Replicas() {
		if r.Master == m.ID {
			c.Kill(r)
		}
	}
	c.Kill(m)
	node := c.NodeClient(t, live)
	deadline := time.Now().Add(15 * time.Second)
	for {
		info, err := node.Do(t.Context(), node.B().ClusterInfo().Build()).ToString()
		if err == nil && clusterState(info) == "fail" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never reported cluster_state:fail: %q, %v", live.Addr(), info, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The node that started, still running: not ready, naming the shard.
	var down *ShardsDown
	if err := readiness(ok).Probe(t.Context()); !errors.As(err, &down) || len(down.Addrs) != 1 || down.Addrs[0] != m.Addr() {
		t.Errorf("readiness with %s and its replica gone: %v; want that master named", m.Addr(), err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	bad, err := Dial(ctx, c.URL())
	if err == nil {
		bad.Close()
		t.Fatal("open on a failed cluster: no error")
	}
	t.Logf("start refused: %v", err)
	// Which node open asks first decides the words: a live one reports
	// cluster_state:fail, the dead master is not reachable.
	if msg := err.Error(); !strings.HasPrefix(msg, "REDIS_URL=redis://") ||
		(!strings.Contains(msg, "cluster_state:fail") && !strings.Contains(msg, "not reachable")) {
		t.Errorf("open on a failed cluster: %q; want REDIS_URL named and cluster_state:fail or the node not reachable", msg)
	}
}

func TestServingMasters(t *testing.T) {
	nodes := "txt:" + strings.Join([]string{
		"a1 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-5460",
		"a2 127.0.0.1:7002@17002 master - 0 0 2 connected 5461-10922",
		"a3 127.0.0.1:7003@17003 master,fail - 0 0 3 connected 10923-16383",
		"b1 127.0.0.1:7004@17004 slave a1 0 0 1 connected",
		"a4 127.0.0.1:7005@17005 master - 0 0 4 connected",
		"",
	}, "\n")
	got := servingMasters(nodes)
	want := []string{"127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("servingMasters = %v, want %v (masters with slots, failed ones included: they are what is away)", got, want)
	}
}
