package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/redis/redistest"
)

// presenceRecoveryBound is how soon after Redis is back a node's presence
// must be listed again. The periodic refresh runs every PRESENCE_TTL/3
// (20 s in these tests), so only the reconnect-triggered refresh meets it.
const presenceRecoveryBound = 5 * time.Second

// A Redis restart loses every presence entry. The node rewrites its own as
// soon as Redis is back, so presence.list is right again within seconds,
// not PRESENCE_TTL/3 later.
func TestPresenceBackSoonAfterRedisRestart(t *testing.T) {
	srv := redistest.Start(t)
	cfg := testConfig()
	cfg.RedisURL = srv.URL()
	cfg.PresenceTTL = 60 * time.Second
	n := startNode(t, cfg)
	a := dial(t, n, "lobby", "alice")
	a.expect("presence.join")
	b := dial(t, n, "lobby", "bob")
	b.expect("presence.join")
	a.expect("presence.join")
	if got, _ := presenceList(a); got != "alice,bob" {
		t.Fatalf("presence before the restart = %q, want alice,bob", got)
	}

	srv.Restart(t)
	restarted := time.Now()
	for {
		got, answered := presenceList(a)
		if got == "alice,bob" {
			break
		}
		if time.Since(restarted) > presenceRecoveryBound {
			t.Fatalf("presence %s after the restart = %q (answered: %v), want alice,bob within %s",
				time.Since(restarted).Round(time.Millisecond), got, answered, presenceRecoveryBound)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("presence back %s after the restart", time.Since(restarted).Round(time.Millisecond))
}

// presenceList asks for the room's users and returns them comma-joined;
// answered is false when the server replied system.error (Redis away).
func presenceList(c *client) (users string, answered bool) {
	c.t.Helper()
	c.send(map[string]string{"type": "presence.list"})
	for {
		f := c.next()
		switch f.str("type") {
		case "presence.state":
			return strings.Join(toStrings(f["users"]), ","), true
		case "system.error":
			return "", false
		}
	}
}
