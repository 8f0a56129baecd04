package redisbus

import (
	"testing"
	"time"

	"github.com/rtserver/rt/modules/metrics/metricstest"
	"github.com/rtserver/rt/modules/presence"
	"github.com/rtserver/rt/modules/presence/presencetest"
	"github.com/rtserver/rt/modules/redis"
	"github.com/rtserver/rt/modules/redis/redistest"
)

func TestRedisStore(t *testing.T) {
	srv := redistest.Start(t)
	presencetest.Run(t, func(t *testing.T, ttl time.Duration) presence.Store { return newRedisStore(t, srv, ttl) })
}

// The store's contract holds on a Redis Cluster too: a room's keys share
// its hash tag, so each script touches one slot, on the master that owns
// the room.
func TestClusterStore(t *testing.T) {
	t.Parallel()
	cluster := redistest.StartCluster(t)
	presencetest.Run(t, func(t *testing.T, ttl time.Duration) presence.Store {
		return NewPresence(cluster.Client(t), ttl, redis.NewStats())
	})
}

// newRedisStore returns the store on a client of its own, closed when the
// test ends.
func newRedisStore(t *testing.T, srv *redistest.Server, ttl time.Duration) *Presence {
	t.Helper()
	return NewPresence(redistest.NewClient(t, srv.Addr()), ttl, redis.NewStats())
}

func presenceEntry(room, user, conn string) presence.Entry {
	return presence.Entry{Room: room, User: user, Conn: conn}
}

// The layout in the presence package's doc is what operators read, so it
// is asserted here.
func TestRedisKeyLayout(t *testing.T) {
	srv := redistest.Start(t)
	s := newRedisStore(t, srv, presencetest.LongTTL)
	c := s.client
	e := presenceEntry("lobby", "u:1", "c1")
	before := time.Now().Add(presencetest.LongTTL).UnixMilli()
	presencetest.WantJoin(t, s, e, presence.RoomEdge)
	after := time.Now().Add(presencetest.LongTTL).UnixMilli()

	for key, member := range map[string]string{
		"rt:presence:users:{lobby}":     "u:1",
		"rt:presence:conns:{lobby}:u:1": "c1",
	} {
		zs, err := c.Do(t.Context(), c.B().Zrange().Key(key).Min("0").Max("-1").Withscores().Build()).AsZScores()
		if err != nil || len(zs) != 1 || zs[0].Member != member {
			t.Fatalf("ZRANGE %s = %v, %v; want one member %q", key, zs, err, member)
		}
		// Same host, so Redis's TIME and ours differ by far less than a second.
		if exp := int64(zs[0].Score); exp < before-1000 || exp > after+1000 {
			t.Errorf("%s score = %d, want expiry in unix ms near %d", key, exp, before)
		}
		pttl, err := c.Do(t.Context(), c.B().Pttl().Key(key).Build()).AsInt64()
		if err != nil || pttl <= 0 || pttl > presencetest.LongTTL.Milliseconds() {
			t.Errorf("PTTL %s = %d, %v; want a TTL of at most %v", key, pttl, err, presencetest.LongTTL)
		}
	}
	presencetest.WantLeave(t, s, e, presence.RoomEdge)
	n, err := c.Do(t.Context(), c.B().Exists().Key("rt:presence:users:{lobby}", "rt:presence:conns:{lobby}:u:1").Build()).AsInt64()
	if err != nil || n != 0 {
		t.Fatalf("EXISTS after the last leave = %d, %v; want 0", n, err)
	}
}

// After Redis restarts empty, the next refresh puts the entries back.
func TestRedisRefreshAfterRestart(t *testing.T) {
	srv := redistest.Start(t)
	s := newRedisStore(t, srv, presencetest.LongTTL)
	e := presenceEntry("restart", "u1", "c1")
	presencetest.WantJoin(t, s, e, presence.RoomEdge)
	srv.Restart(t)
	// The client reconnects its connections in the background, each on its
	// first failure, so retry until a refresh and a read both go through.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.Refresh(t.Context(), []presence.Entry{e})
		var users []string
		if err == nil {
			users, err = s.Users(t.Context(), "restart")
		}
		if err == nil {
			if len(users) != 1 || users[0] != "u1" {
				t.Fatalf("users after refresh = %v, want [u1]", users)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("refresh never succeeded after restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Every failed call to a reachable-then-gone Redis is counted once.
func TestRedisFailuresAreCounted(t *testing.T) {
	srv := redistest.Start(t)
	s := newRedisStore(t, srv, presencetest.LongTTL)
	srv.Stop()
	e := presenceEntry("gone", "u", "c")
	_, errJ := s.Join(t.Context(), e)
	_, errU := s.Users(t.Context(), "gone")
	if errJ == nil || errU == nil {
		t.Fatalf("Join, Users with Redis stopped: %v, %v; want errors", errJ, errU)
	}
	if got := metricstest.Gather(t, s.stats.Collectors()...).Value("rt_redis_errors_total", "op", redis.OpPresence); got != 2 {
		t.Errorf("presence errors = %v, want 2", got)
	}
}
