package e2e

import (
	"testing"

	"github.com/rtserver/rt/modules/redis/redistest"
)

// TestReadyGaugesFollowRedis: the gauges the RTRedisDown and RTNotReady
// alerts read say what /readyz says, on a real Redis that goes away and
// comes back; /readyz is probed by no one here, so the scrape alone keeps
// them true.
func TestReadyGaugesFollowRedis(t *testing.T) {
	srv := redistest.Start(t)
	cfg := testConfig()
	cfg.RedisURL = srv.URL()
	n := startNode(t, cfg)
	ready := func(want float64) bool {
		m := n.scrape(t)
		return m.Value("rt_ready") == want && m.Value("rt_ready_check", "check", "redis") == want
	}
	if !ready(1) {
		t.Fatalf("with Redis up: rt_ready and rt_ready_check{check=redis} are not 1: %v", n.scrape(t)["rt_ready_check"])
	}
	srv.Stop()
	eventually(t, "rt_ready and rt_ready_check{check=redis} 0 while Redis is down", func() bool { return ready(0) })
	if r := n.get(t, "/readyz"); r.StatusCode != 503 {
		t.Errorf("readyz %d while the gauges say not ready, want 503", r.StatusCode)
	}
	srv.Restart(t)
	eventually(t, "rt_ready and rt_ready_check{check=redis} 1 once Redis is back", func() bool { return ready(1) })
}
