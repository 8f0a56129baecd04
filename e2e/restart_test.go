package e2e

import (
	"strings"
	"testing"
	"time"
)

func TestRedisRestartKeepsClientsAndRestoresRooms(t *testing.T) {
	srv, n1, n2 := twoNodes(t)
	a := dial(t, n1, "test", "alice")
	a.expect("presence.join")
	b := dial(t, n2, "test", "bob")
	b.expect("presence.join")
	a.expect("presence.join")

	srv.Restart(t)

	// Clients stay connected; once the nodes have resubscribed, chat flows
	// again across them. Pub/Sub is at-most-once, so retry until it lands.
	eventually(t, "cross-node delivery after the restart", func() bool {
		a.chat("after restart")
		for {
			f, ok := b.poll(200 * time.Millisecond)
			if !ok {
				return false
			}
			if f.str("type") == "chat.delivery" && f.str("text") == "after restart" {
				return true
			}
		}
	})
	if got := numsub(t, srv, "test"); got != 2 {
		t.Fatalf("numsub after restart = %d, want 2", got)
	}
	for _, n := range []*node{n1, n2} {
		m := n.scrape(t)
		if m.Value("rt_redis_reconnects_total") < 1 || m.Value("rt_redis_errors_total", "op", "pubsub") < 1 {
			t.Errorf("node %s after the restart: reconnects %v, pubsub errors %v; want at least 1 each",
				n.addr, m.Value("rt_redis_reconnects_total"), m.Value("rt_redis_errors_total", "op", "pubsub"))
		}
	}
}

func TestRedisUnreachableAtStart(t *testing.T) {
	cfg := testConfig()
	cfg.RedisURL = "redis://user:hunter2@127.0.0.1:1/0"
	_, err := tryStartNode(cfg)
	if err == nil {
		t.Fatal("start succeeded without Redis")
	}
	msg := err.Error()
	if !strings.Contains(msg, "REDIS_URL=redis://user:***@127.0.0.1:1/0") || strings.Contains(msg, "hunter2") {
		t.Fatalf("error %q should name REDIS_URL with the password masked", msg)
	}
}

func TestReadiness(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		n := startNode(t, testConfig())
		if r := n.get(t, "/readyz"); r.StatusCode != 200 {
			t.Fatalf("readyz %d", r.StatusCode)
		}
		if r := n.get(t, "/healthz"); r.StatusCode != 200 {
			t.Fatalf("healthz %d", r.StatusCode)
		}
	})
	t.Run("redis down", func(t *testing.T) {
		srv, n1, _ := twoNodes(t)
		srv.Stop()
		eventually(t, "readyz 503 while Redis is down", func() bool { return n1.get(t, "/readyz").StatusCode == 503 })
		if r := n1.get(t, "/healthz"); r.StatusCode != 200 {
			t.Fatalf("healthz %d while Redis is down", r.StatusCode)
		}
	})
}
