package redisbus

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/bus/bustest"
	"github.com/rtserver/rt/modules/metrics/metricstest"
	"github.com/rtserver/rt/modules/redis"
)

func TestRedisOneSubscriptionPerRoom(t *testing.T) {
	b, env := startRedisBus(t)
	var cancels []func()
	recs := make([]*bustest.Recorder, 3)
	for i := range recs {
		recs[i] = bustest.NewRecorder()
		cancels = append(cancels, bustest.Subscribe(t, b, "shared", recs[i]))
		env.wantNumsub(t, "shared", 1)
	}
	bustest.Publish(t, b, "shared", "once")
	for i, r := range recs {
		r.WaitFor(t, "once")
		r.Want(t, fmt.Sprintf("subscriber %d", i), "once")
	}
	cancels[0]()
	cancels[1]()
	env.wantNumsub(t, "shared", 1)
	cancels[2]()
	env.wantNumsub(t, "shared", 0)
}

func TestRedisSubscribeStorm(t *testing.T) {
	b, env := startRedisBus(t)
	rooms := []string{"s0", "s1", "s2", "s3"}
	keeper := bustest.NewRecorder()
	bustest.Subscribe(t, b, "s0", keeper) // s0 keeps one subscriber throughout
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range 50 {
		wg.Go(func() {
			<-start
			for i := range 50 {
				room := rooms[(g+i)%len(rooms)]
				cancel := b.Subscribe(t.Context(), room, func(bus.Message) {})
				if i%7 == 0 {
					cancel() // cancel twice now and then, concurrently with others
				}
				cancel()
			}
		})
	}
	close(start)
	wg.Wait()
	env.wantNumsub(t, "s0", 1)
	for _, room := range rooms[1:] {
		env.wantNumsub(t, room, 0)
	}
	bustest.Publish(t, b, "s0", "after-storm")
	keeper.WaitFor(t, "after-storm")
	late := bustest.NewRecorder()
	bustest.Subscribe(t, b, "s1", late)
	env.wantNumsub(t, "s1", 1)
	bustest.Publish(t, b, "s1", "late")
	late.WaitFor(t, "late")
}

func TestRedisPublishRightAfterSubscribe(t *testing.T) {
	b, _ := startRedisBus(t)
	for i := range 20 {
		room := fmt.Sprintf("fresh-%d", i)
		r := bustest.NewRecorder()
		bustest.Subscribe(t, b, room, r) // returns once Redis confirmed the SUBSCRIBE
		bustest.Publish(t, b, room, "first")
		bustest.Publish(t, b, room, "fence")
		r.WaitFor(t, "fence")
		r.Want(t, room, "first", "fence")
	}
}

func TestRedisRestoresAfterRestart(t *testing.T) {
	b, env := startRedisBus(t)
	r := bustest.NewRecorder()
	cancel := bustest.Subscribe(t, b, "survivor", r)
	bustest.Publish(t, b, "survivor", "before")
	r.WaitFor(t, "before")

	env.restart(t)
	publishUntil(t, b, "survivor", "after-restart", r)
	env.wantNumsub(t, "survivor", 1)
	// The reconnect is counted just after the rooms are subscribed again,
	// so the frame may arrive first: give the count a moment.
	m := metricstest.Gather(t, b.stats.Collectors()...)
	for deadline := time.Now().Add(5 * time.Second); m.Value("rt_redis_reconnects_total") < 1 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		m = metricstest.Gather(t, b.stats.Collectors()...)
	}
	if m.Value("rt_redis_reconnects_total") < 1 || m.Value("rt_redis_errors_total", "op", redis.OpPubSub) < 1 {
		t.Errorf("after a restart: reconnects %v, pubsub errors %v; want at least 1 each",
			m.Value("rt_redis_reconnects_total"), m.Value("rt_redis_errors_total", "op", redis.OpPubSub))
	}

	cancel()
	env.wantNumsub(t, "survivor", 0)
}

func TestRedisSubscribeWhileDown(t *testing.T) {
	b, env := startRedisBus(t)
	env.srv.Stop()
	if err := b.Publish(t.Context(), bus.Message{Room: "patient", Frame: []byte("lost")}); err == nil {
		t.Fatal("Publish with Redis down: no error")
	}
	if got := metricstest.Gather(t, b.stats.Collectors()...).Value("rt_redis_errors_total", "op", redis.OpPublish); got != 1 {
		t.Errorf("publish errors = %v, want 1", got)
	}
	r := bustest.NewRecorder()
	bustest.Subscribe(t, b, "patient", r) // cannot fail: the room waits for Redis

	env.restart(t)
	publishUntil(t, b, "patient", "back", r)
	env.wantNumsub(t, "patient", 1)
}
