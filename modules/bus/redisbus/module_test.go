package redisbus

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/bus/bustest"
	"github.com/rtserver/rt/modules/presence"
	"github.com/rtserver/rt/modules/presence/presencetest"
	"github.com/rtserver/rt/modules/redis"
	"github.com/rtserver/rt/modules/redis/redistest"
)

// Module runs on the redis module's client and wires its Reconnects: it
// starts and stops the bus's subscriber with the app, provides the Redis
// presence store, and has the presence tracker refresh on a reconnect.
func TestModule(t *testing.T) {
	srv := redistest.Start(t)
	var (
		b     bus.Bus
		store presence.Store
		tr    *presence.Tracker
		rec   *redis.Reconnects
	)
	app := fxtest.New(t,
		fx.Supply(config.Config{RedisURL: srv.URL(), HistorySize: 10, HistoryTTL: time.Hour, PresenceTTL: presencetest.LongTTL}, discardLogger()),
		redis.Module, Module, presence.Module,
		fx.Populate(&b, &store, &tr, &rec),
	)
	app.RequireStart()
	rb, ok := b.(*Bus)
	if !ok {
		t.Fatalf("Module provides the bus %T, want *Bus", b)
	}
	if ps, ok := rb.transport.(*pubsub); !ok || ps.reconnects != rec {
		t.Errorf("the bus's transport %T does not tell the redis module's Reconnects", rb.transport)
	}
	if _, ok := store.(*Presence); !ok {
		t.Fatalf("Module provides the presence store %T, want *Presence", store)
	}

	r := bustest.NewRecorder()
	cancel := bustest.Subscribe(t, b, "module", r)
	sent := bus.Message{Room: "module", ID: "01J9ZK7Q3X", At: 1_700_000_000_123, Frame: []byte("hello")}
	bustest.PublishMessage(t, b, sent)
	r.WaitFor(t, "hello")
	if got := r.Messages(); len(got) != 1 || !bustest.SameMessage(got[0], sent) {
		t.Errorf("got %+v, want [%+v]", got, sent)
	}
	cancel()

	presencetest.WantJoin(t, tr, presenceEntry("fx", "u1", "c1"), presence.RoomEdge)
	presencetest.WantUsers(t, tr, "fx", "u1")
	app.RequireStop()
	// The tracker stopped before the redis module closed its client, so its
	// leave reached Redis.
	presencetest.WantUsers(t, newRedisStore(t, srv, presencetest.LongTTL), "fx")
}

// A Redis that refuses the scripts' flags (older than 7.0, or, as here, an
// ACL without scripting) stops the start with an error saying so, rather
// than a node that starts and then fails every join.
func TestModuleRedisRefusingScripts(t *testing.T) {
	srv := redistest.Start(t)
	admin := redistest.NewClient(t, srv.Addr())
	presenceDo(t, admin, admin.B().AclSetuser().Username("noscripts").
		Rule("on", ">pw", "~*", "&*", "+@all", "-@scripting").Build())
	cfg := config.Config{PresenceTTL: presencetest.LongTTL, RedisURL: "redis://noscripts:pw@" + srv.Addr()}
	app := fx.New(fx.NopLogger, fx.Supply(cfg, discardLogger()), redis.Module, Module, presence.Module)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := app.Start(ctx)
	if err == nil {
		app.Stop(ctx)
		t.Fatal("start succeeded with a Redis that refuses scripts")
	}
	if !strings.Contains(err.Error(), "Redis 7.0 or newer is needed") {
		t.Fatalf("start error %q should say what presence needs from Redis", err)
	}
}
