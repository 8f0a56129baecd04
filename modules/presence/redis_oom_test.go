package presence

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"rt/modules/metrics/metricstest"
	"rt/modules/redis"
	"rt/modules/redis/redistest"
)

// With Redis at maxmemory under noeviction, Redis refuses every presence
// write up front (OOM) instead of letting the scripts write past the
// limit, both through EVALSHA and through the EVAL fallback; reads and
// leaves, which free memory, keep working; every refusal is counted.
func TestRedisRefusesWritesOutOfMemory(t *testing.T) {
	srv := redistest.Start(t)
	s := newRedisStore(t, srv, longTTL)
	c := s.client()
	kept := Entry{"oom", "u1", "c1"}
	wantJoin(t, s, kept, true) // also loads the scripts: the next calls use EVALSHA

	presenceOutOfMemory(t, c, true)
	refused := Entry{"oom", "u2", "c2"}
	if _, err := s.Join(t.Context(), refused); !isOOM(err) {
		t.Fatalf("Join out of memory: err = %v, want Redis's OOM error", err)
	}
	presenceDo(t, c, c.B().ScriptFlush().Build()) // the refresh goes through the NOSCRIPT → EVAL fallback
	lost := Entry{"oom-refresh", "u3", "c3"}
	if err := s.Refresh(t.Context(), []Entry{lost}); !isOOM(err) {
		t.Fatalf("Refresh out of memory: err = %v, want Redis's OOM error", err)
	}
	if err := s.CheckWrite(t.Context()); !isOOM(err) {
		t.Fatalf("CheckWrite out of memory: err = %v, want Redis's OOM error", err)
	}
	wantNoKeys(t, c, connsKey("oom", "u2"), usersKey("oom-refresh"), connsKey("oom-refresh", "u3"), probeKey)
	if n, err := c.Do(t.Context(), c.B().Zcard().Key(usersKey("oom")).Build()).AsInt64(); err != nil || n != 1 {
		t.Fatalf("ZCARD %s = %d, %v; want only the user joined before", usersKey("oom"), n, err)
	}
	wantUsers(t, s, "oom", "u1") // no-writes: reads still run
	wantLeave(t, s, kept, true)  // allow-oom: leaving frees memory
	wantUsers(t, s, "oom")
	if got := metricstest.Gather(t, s.stats.Collectors()...).Value("rt_redis_errors_total", "op", redis.OpPresence); got != 3 {
		t.Errorf(`rt_redis_errors_total{op="presence"} = %v, want 3 (join, refresh, write check)`, got)
	}

	presenceOutOfMemory(t, c, false)
	if err := s.CheckWrite(t.Context()); err != nil {
		t.Fatalf("CheckWrite with room again: %v", err)
	}
	wantJoin(t, s, refused, true)
	wantNoKeys(t, c, probeKey) // the write check never writes
}

// The tracker turns refused writes into a failing readiness check, for a
// refresh and for a join alike, retries soon, and is ready again once Redis
// has room, whether or not it still tracks entries.
func TestTrackerOutOfMemory(t *testing.T) {
	for name, join := range map[string]bool{"refresh fails": true, "join fails": false} {
		t.Run(name, func(t *testing.T) {
			srv := redistest.Start(t)
			s := newRedisStore(t, srv, longTTL)
			c := s.client()
			tr := NewTracker(s, longTTL, discardLog) // periodic refresh in 20 s: only retries explain what follows
			tr.Start()
			defer tr.Stop(context.Background())
			e := Entry{"oom", "u1", "c1"}
			if join {
				wantJoin(t, tr, e, true)
			}
			if err := tr.Ready(t.Context()); err != nil {
				t.Fatalf("Ready before: %v", err)
			}

			presenceOutOfMemory(t, c, true)
			if join {
				tr.RefreshNow()
				presenceWait(t, "a refresh failure counted", func() bool {
					return metricstest.Gather(t, tr.Collectors()...).Value("rt_presence_refresh_failures_total") >= 1
				})
			} else if _, err := tr.Join(t.Context(), e); !isOOM(err) {
				t.Fatalf("Join out of memory: err = %v, want Redis's OOM error", err)
			}
			if err := tr.Ready(t.Context()); !isOOM(err) {
				t.Fatalf("Ready while writes are refused: %v, want the OOM error", err)
			}

			presenceOutOfMemory(t, c, false)
			start := time.Now()
			presenceWait(t, "ready again", func() bool { return tr.Ready(t.Context()) == nil })
			if d := time.Since(start); d > 3*retryMin {
				t.Errorf("ready again after %v, want within a few retries of %v", d, retryMin)
			}
			wantJoin(t, tr, Entry{"oom", "u2", "c2"}, true)
		})
	}
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

// presenceWait polls cond; the bound is a hang guard only.
func presenceWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
	}
}
