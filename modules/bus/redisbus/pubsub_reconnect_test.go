package redisbus

import (
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus/bustest"
	"github.com/rtserver/rt/modules/metrics/metricstest"
	"github.com/rtserver/rt/modules/redis"
	"github.com/rtserver/rt/modules/redis/redistest"
)

// The bus tells the redis module's Reconnects after it is connected again,
// not on its first connect: presence relies on it to rewrite what a
// restarted Redis lost.
func TestRedisReconnectNotifies(t *testing.T) {
	srv := redistest.Start(t)
	c := redistest.NewClient(t, srv.Addr())
	rec := redis.NewReconnects()
	fired := make(chan struct{}, 1)
	rec.Subscribe(func() {
		select {
		case fired <- struct{}{}:
		default:
		}
	})
	start(t, New(c, testSettings, redis.NewStats(), rec, discardLogger()))
	select {
	case <-fired:
		t.Fatal("Reconnected on the first connect")
	case <-time.After(200 * time.Millisecond):
	}

	srv.Restart(t)
	select {
	case <-fired:
	case <-time.After(bustest.WaitLimit):
		t.Fatalf("no Reconnected within %s of a Redis restart", bustest.WaitLimit)
	}
}

// While Redis is down the bus keeps trying, but only a connection that
// works counts as a reconnect, rooms or not: presence rewrites its keys on
// each one.
func TestRedisDownIsNotReconnected(t *testing.T) {
	b, env := startRedisBus(t) // no rooms once warmed up
	env.srv.Stop()
	time.Sleep(1500 * time.Millisecond) // several connect attempts
	if got := metricstest.Gather(t, b.stats.Collectors()...).Value("rt_redis_reconnects_total"); got != 0 {
		t.Fatalf("reconnects while Redis is down = %v, want 0", got)
	}
	env.restart(t)
	deadline := time.Now().Add(bustest.WaitLimit)
	for metricstest.Gather(t, b.stats.Collectors()...).Value("rt_redis_reconnects_total") < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("no reconnect within %s of Redis coming back", bustest.WaitLimit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	if got := metricstest.Gather(t, b.stats.Collectors()...).Value("rt_redis_reconnects_total"); got != 1 {
		t.Errorf("reconnects after one outage = %v, want 1", got)
	}
}
