package redis

import (
	"context"
	"strings"
	"testing"
	"time"

	"rt/modules/redis/redistest"
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
	ok := &Client{url: c.URL()}
	if err := ok.open(t.Context()); err != nil {
		t.Fatalf("open on a healthy cluster: %v", err)
	}
	ok.close(t.Context())

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

	bad := &Client{url: c.URL()}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	err := bad.open(ctx)
	if err == nil {
		bad.close(t.Context())
		t.Fatal("open on a failed cluster: no error")
	}
	t.Logf("start refused: %v", err)
	if msg := err.Error(); !strings.HasPrefix(msg, "REDIS_URL=redis://") || !strings.Contains(msg, "cluster_state:fail") {
		t.Errorf("open on a failed cluster: %q; want REDIS_URL and cluster_state:fail named", msg)
	}
	if bad.client != nil {
		t.Error("the client of a failed start was kept")
	}
}
