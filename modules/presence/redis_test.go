package presence

import (
	"errors"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"rt/modules/metrics/metricstest"
	"rt/modules/redis"
	"rt/modules/redis/redistest"
)

func TestRedisStore(t *testing.T) {
	srv := redistest.Start(t)
	testStore(t, func(t *testing.T, ttl time.Duration) Store { return newRedisStore(t, srv, ttl) })
}

// The layout in doc.go is what operators read, so it is asserted here.
func TestRedisKeyLayout(t *testing.T) {
	srv := redistest.Start(t)
	s := newRedisStore(t, srv, longTTL)
	c := s.client()
	e := Entry{"lobby", "u:1", "c1"}
	before := time.Now().Add(longTTL).UnixMilli()
	wantJoin(t, s, e, true)
	after := time.Now().Add(longTTL).UnixMilli()

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
		if err != nil || pttl <= 0 || pttl > longTTL.Milliseconds() {
			t.Errorf("PTTL %s = %d, %v; want a TTL of at most %v", key, pttl, err, longTTL)
		}
	}
	wantLeave(t, s, e, true)
	n, err := c.Do(t.Context(), c.B().Exists().Key("rt:presence:users:{lobby}", "rt:presence:conns:{lobby}:u:1").Build()).AsInt64()
	if err != nil || n != 0 {
		t.Fatalf("EXISTS after the last leave = %d, %v; want 0", n, err)
	}
}

// After Redis restarts empty, the next refresh puts the entries back.
func TestRedisRefreshAfterRestart(t *testing.T) {
	srv := redistest.Start(t)
	s := newRedisStore(t, srv, longTTL)
	e := Entry{"restart", "u1", "c1"}
	wantJoin(t, s, e, true)
	srv.Restart(t)
	// The client reconnects its connections in the background, each on its
	// first failure, so retry until a refresh and a read both go through.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.Refresh(t.Context(), []Entry{e})
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

// Before the redis module starts, Get returns nil: an error, not a panic.
func TestRedisNotStarted(t *testing.T) {
	s := NewRedis(func() rueidis.Client { return nil }, longTTL, redis.NewStats())
	e := Entry{"r", "u", "c"}
	_, errJ := s.Join(t.Context(), e)
	_, errL := s.Leave(t.Context(), e)
	_, errU := s.Users(t.Context(), "r")
	errR := s.Refresh(t.Context(), []Entry{e})
	for _, err := range []error{errJ, errL, errU, errR} {
		if !errors.Is(err, errNotStarted) {
			t.Fatalf("err = %v, want errNotStarted", err)
		}
	}
}

// newRedisStore connects a client of its own, closed when the test ends.
func newRedisStore(t *testing.T, srv *redistest.Server, ttl time.Duration) *Redis {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr()}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return NewRedis(func() rueidis.Client { return c }, ttl, redis.NewStats())
}

// Every failed call to a reachable-then-gone Redis is counted once; the
// not-started case above is a wiring error and is not.
func TestRedisFailuresAreCounted(t *testing.T) {
	srv := redistest.Start(t)
	s := newRedisStore(t, srv, longTTL)
	srv.Stop()
	e := Entry{"gone", "u", "c"}
	_, errJ := s.Join(t.Context(), e)
	_, errU := s.Users(t.Context(), "gone")
	if errJ == nil || errU == nil {
		t.Fatalf("Join, Users with Redis stopped: %v, %v; want errors", errJ, errU)
	}
	if got := metricstest.Gather(t, s.stats.Collectors()...).Value("rt_redis_errors_total", "op", redis.OpPresence); got != 2 {
		t.Errorf("presence errors = %v, want 2", got)
	}
}
