package redisbus

import (
	"strings"
	"testing"

	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/metrics/metricstest"
	"github.com/rtserver/rt/modules/presence"
	"github.com/rtserver/rt/modules/presence/presencetest"
	"github.com/rtserver/rt/modules/redis"
	"github.com/rtserver/rt/modules/redis/redistest"
)

// With Redis at maxmemory under noeviction, Redis refuses every presence
// write up front (OOM) instead of letting the scripts write past the
// limit, both through EVALSHA and through the EVAL fallback; reads and
// leaves, which free memory, keep working; every refusal is counted.
func TestRedisRefusesWritesOutOfMemory(t *testing.T) {
	srv := redistest.Start(t)
	s := newRedisStore(t, srv, presencetest.LongTTL)
	c := s.client
	kept := presenceEntry("oom", "u1", "c1")
	presencetest.WantJoin(t, s, kept, presence.RoomEdge) // also loads the scripts: the next calls use EVALSHA

	presenceOutOfMemory(t, c, true)
	refused := presenceEntry("oom", "u2", "c2")
	if _, err := s.Join(t.Context(), refused); !isOOM(err) {
		t.Fatalf("Join out of memory: err = %v, want Redis's OOM error", err)
	}
	presenceDo(t, c, c.B().ScriptFlush().Build()) // the refresh goes through the NOSCRIPT → EVAL fallback
	lost := presenceEntry("oom-refresh", "u3", "c3")
	if err := s.Refresh(t.Context(), []presence.Entry{lost}); !isOOM(err) {
		t.Fatalf("Refresh out of memory: err = %v, want Redis's OOM error", err)
	}
	if err := s.CheckWrite(t.Context()); !isOOM(err) {
		t.Fatalf("CheckWrite out of memory: err = %v, want Redis's OOM error", err)
	}
	wantNoKeys(t, c, connsKey("oom", "u2"), usersKey("oom-refresh"), connsKey("oom-refresh", "u3"), probeKey)
	if n, err := c.Do(t.Context(), c.B().Zcard().Key(usersKey("oom")).Build()).AsInt64(); err != nil || n != 1 {
		t.Fatalf("ZCARD %s = %d, %v; want only the user joined before", usersKey("oom"), n, err)
	}
	presencetest.WantUsers(t, s, "oom", "u1")             // no-writes: reads still run
	presencetest.WantLeave(t, s, kept, presence.RoomEdge) // allow-oom: leaving frees memory, and says the room is vacated
	presencetest.WantUsers(t, s, "oom")
	if got := metricstest.Gather(t, s.stats.Collectors()...).Value("rt_redis_errors_total", "op", redis.OpPresence); got != 3 {
		t.Errorf(`rt_redis_errors_total{op="presence"} = %v, want 3 (join, refresh, write check)`, got)
	}

	presenceOutOfMemory(t, c, false)
	if err := s.CheckWrite(t.Context()); err != nil {
		t.Fatalf("CheckWrite with room again: %v", err)
	}
	presencetest.WantJoin(t, s, refused, presence.RoomEdge)
	wantNoKeys(t, c, probeKey) // the write check never writes
}

// presenceOutOfMemory sets maxmemory to 1 byte (a running Redis already
// uses more) under noeviction, or back to no limit.
func presenceOutOfMemory(t *testing.T, c rueidis.Client, full bool) {
	t.Helper()
	limit := "0"
	if full {
		limit = "1"
	}
	presenceDo(t, c, c.B().ConfigSet().ParameterValue().ParameterValue("maxmemory-policy", "noeviction").
		ParameterValue("maxmemory", limit).Build())
}

func presenceDo(t *testing.T, c rueidis.Client, cmd rueidis.Completed) {
	t.Helper()
	if err := c.Do(t.Context(), cmd).Error(); err != nil {
		t.Fatalf("%v: %v", cmd.Commands(), err)
	}
}

func wantNoKeys(t *testing.T, c rueidis.Client, keys ...string) {
	t.Helper()
	if n, err := c.Do(t.Context(), c.B().Exists().Key(keys...).Build()).AsInt64(); err != nil || n != 0 {
		t.Fatalf("EXISTS %v = %d, %v; want none written", keys, n, err)
	}
}

func isOOM(err error) bool { return err != nil && strings.Contains(err.Error(), "OOM") }
