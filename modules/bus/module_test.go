package bus

import (
	"testing"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"rt/config"
	"rt/modules/redis"
	"rt/modules/redis/redistest"
)

// MemoryModule stands alone: no redis module, no config, no logger.
func TestMemoryModule(t *testing.T) {
	var b Bus
	app := fxtest.New(t, MemoryModule, fx.Populate(&b))
	app.RequireStart()
	if _, ok := b.(*Memory); !ok {
		t.Fatalf("MemoryModule provides %T, want *Memory", b)
	}
	roundTrip(t, b)
	app.RequireStop()
}

// RedisModule runs on the redis module's client, wires its Reconnects, and
// starts and stops its subscriber with the app.
func TestRedisModule(t *testing.T) {
	srv := redistest.Start(t)
	var (
		b   Bus
		rec *redis.Reconnects
	)
	app := fxtest.New(t,
		fx.Supply(config.Config{RedisURL: srv.URL()}, discardLogger()),
		redis.Module, RedisModule,
		fx.Populate(&b, &rec),
	)
	app.RequireStart()
	rb, ok := b.(*Redis)
	if !ok {
		t.Fatalf("RedisModule provides %T, want *Redis", b)
	}
	if rb.reconnects != rec {
		t.Error("the bus does not tell the redis module's Reconnects")
	}
	roundTrip(t, b)
	app.RequireStop()
}

// roundTrip checks that one message goes through b unchanged.
func roundTrip(t *testing.T, b Bus) {
	t.Helper()
	r := newRecorder()
	cancel := subscribe(t, b, "module", r)
	defer cancel()
	sent := Message{Room: "module", ID: "01J9ZK7Q3X", At: 1_700_000_000_123, Frame: []byte("hello")}
	publishMessage(t, b, sent)
	r.waitFor(t, "hello")
	if got := r.messages(); len(got) != 1 || !sameMessage(got[0], sent) {
		t.Errorf("got %+v, want [%+v]", got, sent)
	}
}
