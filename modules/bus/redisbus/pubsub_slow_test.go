package redisbus

import (
	"context"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus/bustest"
	"github.com/rtserver/rt/modules/metrics/metricstest"
	"github.com/rtserver/rt/modules/redis"
)

// A SUBSCRIBE that is not answered in time, because Redis is slow or the
// caller gave up, says nothing about the connection: the bus keeps it (no
// reconnect, the other rooms are not subscribed again) and sends the room's
// SUBSCRIBE again until Redis confirms it.
func TestRedisSubscribeNotConfirmedKeepsConnection(t *testing.T) {
	t.Run("Redis too slow", func(t *testing.T) {
		b, env := startRedisBus(t)
		steady := bustest.NewRecorder()
		bustest.Subscribe(t, b, "steady", steady)

		env.srv.Pause(t)
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		slow := bustest.NewRecorder()
		t.Cleanup(b.Subscribe(ctx, "slow", slow.Deliver))
		cancel()
		env.srv.Resume(t)

		checkKeptConnection(t, b, env, steady, slow)
	})

	t.Run("caller gave up", func(t *testing.T) {
		b, env := startRedisBus(t)
		steady := bustest.NewRecorder()
		bustest.Subscribe(t, b, "steady", steady)

		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		slow := bustest.NewRecorder()
		t.Cleanup(b.Subscribe(ctx, "slow", slow.Deliver))

		checkKeptConnection(t, b, env, steady, slow)
	})
}

// checkKeptConnection checks that "slow" ends up subscribed and "steady"
// kept receiving on the same connection, with no reconnect: a frame
// published once both rooms show in Redis reaches both, which a reconnect
// in between could lose.
func checkKeptConnection(t *testing.T, b *Bus, env *redisEnv, steady, slow *bustest.Recorder) {
	t.Helper()
	env.waitChannels(t, []string{"slow", "steady"})
	bustest.Publish(t, b, "slow", "late")
	bustest.Publish(t, b, "steady", "still")
	delivered := slow.Arrives("late", 5*time.Second) && steady.Arrives("still", 5*time.Second)
	m := metricstest.Gather(t, b.stats.Collectors()...)
	reconnects, lost := m.Value("rt_redis_reconnects_total"), m.Value("rt_redis_errors_total", "op", redis.OpPubSub)
	if !delivered || reconnects != 0 || lost != 0 {
		t.Errorf("an unconfirmed SUBSCRIBE cost the connection: frames delivered %v, reconnects %v, pubsub errors %v; "+
			"want true, 0 and 0", delivered, reconnects, lost)
	}
}
