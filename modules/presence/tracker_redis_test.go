package presence_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/bus/redisbus"
	"github.com/rtserver/rt/modules/metrics/metricstest"
	"github.com/rtserver/rt/modules/presence"
	"github.com/rtserver/rt/modules/presence/presencetest"
	"github.com/rtserver/rt/modules/redis"
	"github.com/rtserver/rt/modules/redis/redistest"
)

// The Tracker on the Redis store of redis mode (redisbus.Presence), whose
// own tests are in package redisbus.

func TestTrackerRedis(t *testing.T) {
	s, _ := newRedisStore(t, redistest.Start(t), presencetest.ShortTTL)
	testTracker(t, s)
}

// RefreshNow (fired on a Redis reconnect) puts back the entries a Redis
// restart lost at once, long before the periodic refresh would.
func TestTrackerRefreshNowAfterRestart(t *testing.T) {
	srv := redistest.Start(t)
	s, _ := newRedisStore(t, srv, presencetest.LongTTL)
	tr := presence.NewTracker(s, presencetest.LongTTL, discardLog) // periodic refresh in 20 s
	tr.Start()
	defer tr.Stop(context.Background())
	presencetest.WantJoin(t, tr, entry("back", "u1", "c1"), presence.RoomEdge)
	presencetest.WantJoin(t, tr, entry("back", "u2", "c2"), presence.UserEdge)

	srv.Restart(t)
	restarted := time.Now()
	tr.RefreshNow()
	presenceWait(t, "presence back after the restart", func() bool {
		users, err := s.Users(t.Context(), "back")
		return err == nil && slices.Equal(users, []string{"u1", "u2"})
	})
	if d := time.Since(restarted); d > 3*presence.RetryMin {
		t.Fatalf("presence back %v after the restart, want within a few retries of %v", d, presence.RetryMin)
	}
}

// The tracker turns refused writes into a failing readiness check, for a
// refresh and for a join alike, retries soon, and is ready again once Redis
// has room, whether or not it still tracks entries.
func TestTrackerOutOfMemory(t *testing.T) {
	for name, join := range map[string]bool{"refresh fails": true, "join fails": false} {
		t.Run(name, func(t *testing.T) {
			srv := redistest.Start(t)
			s, c := newRedisStore(t, srv, presencetest.LongTTL)
			tr := presence.NewTracker(s, presencetest.LongTTL, discardLog) // periodic refresh in 20 s: only retries explain what follows
			tr.Start()
			defer tr.Stop(context.Background())
			e := entry("oom", "u1", "c1")
			if join {
				presencetest.WantJoin(t, tr, e, presence.RoomEdge)
			}
			if err := tr.Ready(t.Context()); err != nil {
				t.Fatalf("Ready before: %v", err)
			}

			outOfMemory(t, c, true)
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

			outOfMemory(t, c, false)
			start := time.Now()
			presenceWait(t, "ready again", func() bool { return tr.Ready(t.Context()) == nil })
			if d := time.Since(start); d > 3*presence.RetryMin {
				t.Errorf("ready again after %v, want within a few retries of %v", d, presence.RetryMin)
			}
			want := presence.RoomEdge // u1's join was refused
			if join {
				want = presence.UserEdge // u1 joined before Redis was full, and stays
			}
			presencetest.WantJoin(t, tr, entry("oom", "u2", "c2"), want)
		})
	}
}

// newRedisStore returns the Redis store on a client of its own, closed
// when the test ends, and the client.
func newRedisStore(t *testing.T, srv *redistest.Server, ttl time.Duration) (*redisbus.Presence, rueidis.Client) {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr()}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return redisbus.NewPresence(c, ttl, redis.NewStats()), c
}

// outOfMemory sets maxmemory to 1 byte (a running Redis already uses
// more) under noeviction, or back to no limit.
func outOfMemory(t *testing.T, c rueidis.Client, full bool) {
	t.Helper()
	limit := "0"
	if full {
		limit = "1"
	}
	cmd := c.B().ConfigSet().ParameterValue().ParameterValue("maxmemory-policy", "noeviction").
		ParameterValue("maxmemory", limit).Build()
	if err := c.Do(t.Context(), cmd).Error(); err != nil {
		t.Fatalf("CONFIG SET maxmemory %s: %v", limit, err)
	}
}

func isOOM(err error) bool { return err != nil && strings.Contains(err.Error(), "OOM") }
