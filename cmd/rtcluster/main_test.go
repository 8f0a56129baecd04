package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/redis/redistest"
)

// start leaves three masters running past its own return, a second start
// reuses them, and stop ends them and removes the directory.
func TestStartStop(t *testing.T) {
	redistest.Need(t, "redis-server", "redis-cli")
	dir := filepath.Join(t.TempDir(), "cluster")
	t.Cleanup(func() {
		if len(live(dir)) > 0 {
			_ = stop(dir) // the test failed half way
		}
	})
	if err := start(dir, 0, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	nodes := live(dir)
	if len(nodes) != 3 {
		t.Fatalf("%d nodes running, want 3", len(nodes))
	}
	url, err := os.ReadFile(filepath.Join(dir, "url"))
	if err != nil {
		t.Fatal(err)
	}
	opt, err := rueidis.ParseURL(strings.TrimSpace(string(url)))
	if err != nil {
		t.Fatal(err)
	}
	opt.DisableCache = true
	client, err := rueidis.NewClient(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if client.Mode() != rueidis.ClientModeCluster {
		t.Errorf("%s: a %v client, want a cluster client", url, client.Mode())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Do(ctx, client.B().Set().Key("k").Value("v").Build()).Error(); err != nil {
		t.Errorf("SET: %v", err)
	}

	if err := start(dir, 0, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if again := live(dir); len(again) != 3 || again[0] != nodes[0] {
		t.Errorf("a second start changed the nodes: %v, then %v", nodes, again)
	}

	if err := stop(dir); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.alive() {
			t.Errorf("node %v still runs", n)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still there after stop: %v", dir, err)
	}
}
