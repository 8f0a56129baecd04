package e2e

import (
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/redis/redistest"
)

// With Redis at maxmemory under noeviction, a join must be refused by Redis
// rather than written past the limit: the socket closes with 1011, nothing
// is stored, the failure is counted and /readyz names presence until Redis
// has room again.
func TestPresenceRefusedWhenRedisOutOfMemory(t *testing.T) {
	srv := redistest.Start(t)
	cfg := testConfig()
	cfg.RedisURL = srv.URL()
	n := startNode(t, cfg)
	admin := presenceAdmin(t, srv)
	presenceConfigSet(t, admin, "maxmemory-policy", "noeviction")
	presenceConfigSet(t, admin, "maxmemory", "1") // a running Redis already uses more

	c := dial(t, n, "full", "alice")
	if code := c.closeCode(); code != 1011 {
		t.Fatalf("join with Redis out of memory: close %d, want 1011", code)
	}
	keys := []string{"rt:presence:users:{full}", "rt:presence:conns:{full}:alice"}
	if got, err := admin.Do(t.Context(), admin.B().Exists().Key(keys...).Build()).AsInt64(); err != nil || got != 0 {
		t.Fatalf("EXISTS %v = %d, %v; want nothing written past maxmemory", keys, got, err)
	}
	if got := n.scrape(t).Value("rt_redis_errors_total", "op", "presence"); got < 1 {
		t.Errorf(`rt_redis_errors_total{op="presence"} = %v, want the refused join counted`, got)
	}
	if status, failed := presenceReadyz(t, n); status != 503 || failed != "presence" {
		t.Fatalf("readyz with presence writes refused = %d failed=%q, want 503 failed=presence", status, failed)
	}

	presenceConfigSet(t, admin, "maxmemory", "0")
	eventually(t, "readyz 200 once Redis has room again", func() bool {
		status, _ := presenceReadyz(t, n)
		return status == 200
	})
	d := dial(t, n, "full", "alice")
	d.expect("presence.join")
	if got, _ := presenceList(d); got != "alice" {
		t.Fatalf("presence after recovery = %q, want alice", got)
	}
}

// presenceAdmin is a client of the test's own, for CONFIG and inspection.
func presenceAdmin(t *testing.T, srv *redistest.Server) rueidis.Client { return observer(t, srv) }

func presenceConfigSet(t *testing.T, c rueidis.Client, key, value string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Do(ctx, c.B().ConfigSet().ParameterValue().ParameterValue(key, value).Build()).Error(); err != nil {
		t.Fatalf("CONFIG SET %s %s: %v", key, value, err)
	}
}

// presenceReadyz returns /readyz's status and the check it names as failed.
func presenceReadyz(t *testing.T, n *node) (status int, failed string) {
	t.Helper()
	resp := n.get(t, "/readyz")
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Failed string }
	_ = json.Unmarshal(body, &v)
	return resp.StatusCode, v.Failed
}
