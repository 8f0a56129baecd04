package bus

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"rt/modules/metrics/metricstest"
	"rt/modules/redis"
	"rt/modules/redis/redistest"
)

// redisEnv is a running redis-server, a started Redis bus on it and a
// separate client to observe Redis with.
type redisEnv struct {
	srv *redistest.Server
	obs rueidis.Client
}

// discardLogger is the bus's logger where a test does not read the log.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newClient(t *testing.T, addr string) rueidis.Client {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true})
	if err != nil {
		t.Fatalf("rueidis.NewClient: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// startRedisBus returns a started Redis bus whose Pub/Sub connection is up:
// it waits for a frame through a warm-up room, so the tests using it do not
// depend on how Start races with the first Subscribe (TestRedisSubscribeRightAfterStart
// covers that).
func startRedisBus(t *testing.T) (*Redis, *redisEnv) {
	t.Helper()
	b, env := startRedisBusCold(t)
	r := newRecorder()
	cancel := subscribe(t, b, "warm-up", r)
	publishUntil(t, b, "warm-up", "warm", r)
	cancel()
	return b, env
}

// startRedisBusCold returns a bus right after Start.
func startRedisBusCold(t *testing.T) (*Redis, *redisEnv) {
	t.Helper()
	return startRedisBusLogging(t, discardLogger())
}

// startRedisBusLogging returns a bus logging to log, right after Start.
func startRedisBusLogging(t *testing.T, log *slog.Logger) (*Redis, *redisEnv) {
	t.Helper()
	srv := redistest.Start(t)
	c := newClient(t, srv.Addr())
	env := &redisEnv{srv: srv, obs: newClient(t, srv.Addr())}
	b := NewRedis(func() rueidis.Client { return c }, redis.NewStats(), log)
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	return b, env
}

// restart restarts redis-server. The observer client is replaced rather than
// left to reconnect: a retried read-only command on a rueidis client whose
// connection broke trips the race detector inside rueidis (cmds.PutCompleted
// against the dead pipe's writer), which is not what these tests are about.
func (e *redisEnv) restart(t *testing.T) {
	t.Helper()
	e.srv.Restart(t)
	e.obs = newClient(t, e.srv.Addr())
}

// numsub is PUBSUB NUMSUB for room's channel, as seen by another client.
func (e *redisEnv) numsub(t *testing.T, room string) int64 {
	t.Helper()
	ch := ChannelPrefix + room
	m, err := e.obs.Do(t.Context(), e.obs.B().PubsubNumsub().Channel(ch).Build()).AsIntMap()
	if err != nil {
		t.Fatalf("PUBSUB NUMSUB %s: %v", ch, err)
	}
	return m[ch]
}

func (e *redisEnv) wantNumsub(t *testing.T, room string, want int64) {
	t.Helper()
	if got := e.numsub(t, room); got != want {
		t.Errorf("NUMSUB %s%s = %d, want %d", ChannelPrefix, room, got, want)
	}
}

// publishUntil publishes frame every 50ms until r has it (Redis may be
// restarting, so publish errors are expected for a while).
func publishUntil(t *testing.T, b Bus, room, frame string, r *recorder) {
	t.Helper()
	deadline := time.Now().Add(2 * waitLimit)
	for !r.has(frame) {
		if time.Now().After(deadline) {
			t.Fatalf("frame %q never delivered to %q", frame, room)
		}
		_ = b.Publish(t.Context(), Message{Room: room, Frame: []byte(frame)})
		select {
		case <-r.got:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestRedisOneSubscriptionPerRoom(t *testing.T) {
	b, env := startRedisBus(t)
	var cancels []func()
	recs := make([]*recorder, 3)
	for i := range recs {
		recs[i] = newRecorder()
		cancels = append(cancels, subscribe(t, b, "shared", recs[i]))
		env.wantNumsub(t, "shared", 1)
	}
	publish(t, b, "shared", "once")
	for i, r := range recs {
		r.waitFor(t, "once")
		r.want(t, fmt.Sprintf("subscriber %d", i), "once")
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
	keeper := newRecorder()
	subscribe(t, b, "s0", keeper) // s0 keeps one subscriber throughout
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range 50 {
		wg.Go(func() {
			<-start
			for i := range 50 {
				room := rooms[(g+i)%len(rooms)]
				cancel := b.Subscribe(t.Context(), room, func(Message) {})
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
	publish(t, b, "s0", "after-storm")
	keeper.waitFor(t, "after-storm")
	late := newRecorder()
	subscribe(t, b, "s1", late)
	env.wantNumsub(t, "s1", 1)
	publish(t, b, "s1", "late")
	late.waitFor(t, "late")
}

func TestRedisPublishRightAfterSubscribe(t *testing.T) {
	b, _ := startRedisBus(t)
	for i := range 20 {
		room := fmt.Sprintf("fresh-%d", i)
		r := newRecorder()
		subscribe(t, b, room, r) // returns once Redis confirmed the SUBSCRIBE
		publish(t, b, room, "first")
		publish(t, b, room, "fence")
		r.waitFor(t, "fence")
		r.want(t, room, "first", "fence")
	}
}

func TestRedisRestoresAfterRestart(t *testing.T) {
	b, env := startRedisBus(t)
	r := newRecorder()
	cancel := subscribe(t, b, "survivor", r)
	publish(t, b, "survivor", "before")
	r.waitFor(t, "before")

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
	if err := b.Publish(t.Context(), Message{Room: "patient", Frame: []byte("lost")}); err == nil {
		t.Fatal("Publish with Redis down: no error")
	}
	if got := metricstest.Gather(t, b.stats.Collectors()...).Value("rt_redis_errors_total", "op", redis.OpPublish); got != 1 {
		t.Errorf("publish errors = %v, want 1", got)
	}
	r := newRecorder()
	subscribe(t, b, "patient", r) // cannot fail: the room waits for Redis

	env.restart(t)
	publishUntil(t, b, "patient", "back", r)
	env.wantNumsub(t, "patient", 1)
}
