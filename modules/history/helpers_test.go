package history

import (
	"bytes"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"rt/modules/bus"
	"rt/modules/redis"
	"rt/modules/redis/redistest"
)

// waitLimit bounds every wait for a published message; it guards against
// hangs only.
const waitLimit = 15 * time.Second

// node is one Log under test with the bus it publishes on, as one rt
// process has them.
type node struct {
	log Log
	bus bus.Bus
	// setNow replaces the clock the Log reads the TTL against.
	setNow func(func() time.Time)
}

// newNode returns an empty history with settings s on a fresh node.
type newNode func(t *testing.T, s Settings) *node

func newMemoryNode(_ *testing.T, s Settings) *node {
	b := bus.NewMemory()
	m := NewMemory(b, s)
	return &node{log: m, bus: b, setNow: func(now func() time.Time) { m.now = now }}
}

// redisNode is a node of redis mode: its own rueidis client, a started
// Redis bus on it and the Redis history on it.
type redisNode struct {
	*node
	client rueidis.Client
	stats  *redis.Stats
	hist   *Redis
}

func newClient(tb testing.TB, addr string) rueidis.Client {
	tb.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true})
	if err != nil {
		tb.Fatalf("rueidis.NewClient: %v", err)
	}
	tb.Cleanup(c.Close)
	return c
}

// newRedisNode starts a node against srv whose bus is receiving: it waits
// for a message through a warm-up room, so no test depends on how the bus's
// Start races with its first Subscribe.
func newRedisNode(tb testing.TB, srv *redistest.Server, s Settings) *redisNode {
	tb.Helper()
	c := newClient(tb, srv.Addr())
	stats := redis.NewStats()
	b := bus.NewRedis(func() rueidis.Client { return c }, stats, slog.New(slog.DiscardHandler))
	if err := b.Start(tb.Context()); err != nil {
		tb.Fatalf("bus start: %v", err)
	}
	tb.Cleanup(b.Stop)
	h := NewRedis(func() rueidis.Client { return c }, s, stats)
	warmUp(tb, b)
	return &redisNode{
		node:   &node{log: h, bus: b, setNow: func(now func() time.Time) { h.now = now }},
		client: c, stats: stats, hist: h,
	}
}

func warmUp(tb testing.TB, b bus.Bus) {
	tb.Helper()
	got := make(chan struct{}, 1)
	cancel := b.Subscribe(tb.Context(), "warm-up", func(bus.Message) {
		select {
		case got <- struct{}{}:
		default:
		}
	})
	defer cancel()
	deadline := time.Now().Add(waitLimit)
	for {
		_ = b.Publish(tb.Context(), bus.Message{Room: "warm-up", Frame: []byte("warm")})
		select {
		case <-got:
			return
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatal("the Redis bus never delivered the warm-up message")
		}
	}
}

// flushAll empties the Redis c is connected to.
func flushAll(tb testing.TB, c rueidis.Client) {
	tb.Helper()
	if err := c.Do(tb.Context(), c.B().Flushall().Build()).Error(); err != nil {
		tb.Fatalf("FLUSHALL: %v", err)
	}
}

// recorder keeps every chat message the bus delivers for a room; news
// from the bus itself, which carries no id, is not one.
type recorder struct {
	mu   sync.Mutex
	msgs []bus.Message
	got  chan struct{} // poked after each message
}

// listen subscribes a recorder to room on n's bus until the test ends.
func listen(t testing.TB, n *node, room string) *recorder {
	t.Helper()
	r := &recorder{got: make(chan struct{}, 1)}
	t.Cleanup(n.bus.Subscribe(t.Context(), room, r.deliver))
	return r
}

func (r *recorder) deliver(m bus.Message) {
	if m.ID == "" {
		return
	}
	m.Frame = bytes.Clone(m.Frame)
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
	select {
	case r.got <- struct{}{}:
	default:
	}
}

func (r *recorder) messages() []bus.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// waitCount blocks until at least n messages have arrived.
func (r *recorder) waitCount(t testing.TB, n int) []bus.Message {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		if ms := r.messages(); len(ms) >= n {
			return ms
		}
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("%d of %d messages delivered within %v", len(r.messages()), n, waitLimit)
		}
	}
}

// waitID blocks until the message with id has arrived and returns every
// message so far. A room's messages arrive in id order, so any message
// published before it, or twice, is among them.
func (r *recorder) waitID(t testing.TB, id string) []bus.Message {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		ms := r.messages()
		if slices.ContainsFunc(ms, func(m bus.Message) bool { return m.ID == id }) {
			return ms
		}
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("message %s not delivered within %v; got %d messages", id, waitLimit, len(ms))
		}
	}
}
