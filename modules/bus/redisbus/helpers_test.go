package redisbus

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/bus/bustest"
	"github.com/rtserver/rt/modules/redis"
	"github.com/rtserver/rt/modules/redis/redistest"
)

// testSettings are the history limits of the tests about delivery, which
// read no history.
var testSettings = bus.Settings{Size: 100, TTL: time.Hour}

// discardLogger is the bus's logger where a test does not read the log.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// start starts b and stops it when the test ends.
func start(tb testing.TB, b *Bus) *Bus {
	tb.Helper()
	if err := b.Start(tb.Context()); err != nil {
		tb.Fatalf("bus start: %v", err)
	}
	tb.Cleanup(b.Stop)
	return b
}

// node is one rt process of redis mode: its own client, and the bus on it.
type node struct {
	*Bus
	client rueidis.Client
	stats  *redis.Stats
}

// newNode starts a node on c, with history settings s, whose bus is
// receiving (warmUp).
func newNode(tb testing.TB, c rueidis.Client, s bus.Settings) *node {
	tb.Helper()
	stats := redis.NewStats()
	n := &node{Bus: start(tb, New(c, s, stats, nil, discardLogger())), client: c, stats: stats}
	warmUp(tb, n)
	return n
}

// newRedisNode starts a node on a client of its own against srv.
func newRedisNode(tb testing.TB, srv *redistest.Server, s bus.Settings) *node {
	tb.Helper()
	return newNode(tb, redistest.NewClient(tb, srv.Addr()), s)
}

// warmUp waits for a frame through a throwaway room, so no test depends
// on how the bus's Start races with its first Subscribe
// (TestRedisSubscribeRightAfterStart covers that).
func warmUp(tb testing.TB, b bus.Bus) {
	tb.Helper()
	r := bustest.NewRecorder()
	cancel := b.Subscribe(tb.Context(), "warm-up", r.Deliver)
	defer cancel()
	publishUntil(tb, b, "warm-up", "warm", r)
}

// publishUntil publishes frame every 50ms until r has it (Redis may be
// restarting, so publish errors are expected for a while).
func publishUntil(tb testing.TB, b bus.Bus, room, frame string, r *bustest.Recorder) {
	tb.Helper()
	deadline := time.Now().Add(2 * bustest.WaitLimit)
	for !r.Has(frame) {
		if time.Now().After(deadline) {
			tb.Fatalf("frame %q never delivered to %q", frame, room)
		}
		_ = b.Publish(tb.Context(), bus.Message{Room: room, Frame: []byte(frame)})
		r.Arrives(frame, 50*time.Millisecond)
	}
}

// flushAll empties the Redis c is connected to.
func flushAll(tb testing.TB, c rueidis.Client) {
	tb.Helper()
	if err := c.Do(tb.Context(), c.B().Flushall().Build()).Error(); err != nil {
		tb.Fatalf("FLUSHALL: %v", err)
	}
}

// eventually polls cond every 20ms until it holds or limit passes.
func eventually(tb testing.TB, limit time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("not within %v: %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// redisEnv is a running redis-server and a separate client to observe it
// with.
type redisEnv struct {
	srv *redistest.Server
	obs rueidis.Client
}

// startRedisBus returns a started bus on a redis-server of its own, its
// Pub/Sub connection up (warmUp).
func startRedisBus(t *testing.T) (*Bus, *redisEnv) {
	t.Helper()
	b, env := startRedisBusCold(t)
	warmUp(t, b)
	return b, env
}

// startRedisBusCold returns a bus right after Start.
func startRedisBusCold(t *testing.T) (*Bus, *redisEnv) {
	t.Helper()
	return startRedisBusLogging(t, discardLogger())
}

// startRedisBusLogging returns a bus logging to log, right after Start.
func startRedisBusLogging(t *testing.T, log *slog.Logger) (*Bus, *redisEnv) {
	t.Helper()
	srv := redistest.Start(t)
	c := redistest.NewClient(t, srv.Addr())
	env := &redisEnv{srv: srv, obs: redistest.NewClient(t, srv.Addr())}
	return start(t, New(c, testSettings, redis.NewStats(), nil, log)), env
}

// restart restarts redis-server. The observer client is replaced rather than
// left to reconnect: a retried read-only command on a rueidis client whose
// connection broke trips the race detector inside rueidis (cmds.PutCompleted
// against the dead pipe's writer), which is not what these tests are about.
func (e *redisEnv) restart(t *testing.T) {
	t.Helper()
	e.srv.Restart(t)
	e.obs = redistest.NewClient(t, e.srv.Addr())
}

// numsub is PUBSUB NUMSUB for room's channel, as seen by another client.
func (e *redisEnv) numsub(t *testing.T, room string) int64 {
	t.Helper()
	ch := Channel(room)
	m, err := e.obs.Do(t.Context(), e.obs.B().PubsubNumsub().Channel(ch).Build()).AsIntMap()
	if err != nil {
		t.Fatalf("PUBSUB NUMSUB %s: %v", ch, err)
	}
	return m[ch]
}

func (e *redisEnv) wantNumsub(t *testing.T, room string, want int64) {
	t.Helper()
	if got := e.numsub(t, room); got != want {
		t.Errorf("NUMSUB %s = %d, want %d", Channel(room), got, want)
	}
}

// killPubSub kills every Pub/Sub connection on the server, as a Redis
// restart, a failover or a network cut would, and says how many it killed.
func (e *redisEnv) killPubSub(t *testing.T) int64 {
	t.Helper()
	n, err := e.obs.Do(t.Context(), e.obs.B().ClientKill().TypePubsub().Build()).AsInt64()
	if err != nil {
		t.Errorf("CLIENT KILL TYPE pubsub: %v", err)
	}
	return n
}

// channels is PUBSUB CHANNELS for the room channels, as room names, sorted.
func (e *redisEnv) channels(t *testing.T) []string {
	t.Helper()
	chs, err := e.obs.Do(t.Context(), e.obs.B().PubsubChannels().Pattern(ChannelPrefix+"*").Build()).AsStrSlice()
	if err != nil {
		t.Fatalf("PUBSUB CHANNELS: %v", err)
	}
	rooms := make([]string, len(chs))
	for i, ch := range chs {
		rooms[i] = strings.TrimPrefix(ch, ChannelPrefix)
	}
	slices.Sort(rooms)
	return rooms
}

// waitChannels polls PUBSUB CHANNELS until it is exactly want: the bus
// restores its rooms asynchronously after a lost connection.
func (e *redisEnv) waitChannels(t *testing.T, want []string) {
	t.Helper()
	want = slices.Sorted(slices.Values(want))
	deadline := time.Now().Add(bustest.WaitLimit)
	for {
		got := e.channels(t)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscribed rooms after %s: %q\nwant %q", bustest.WaitLimit, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
