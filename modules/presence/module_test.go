package presence

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"rt/config"
	"rt/modules/redis"
	"rt/modules/redis/redistest"
)

func TestModuleEmbedded(t *testing.T) {
	testModule(t, config.Config{PresenceTTL: longTTL}, MemoryModule, &Memory{})
}

func TestModuleRedis(t *testing.T) {
	srv := redistest.Start(t)
	testModule(t, config.Config{PresenceTTL: longTTL, RedisURL: srv.URL()}, fx.Options(redis.Module, RedisModule), &Redis{})
	// The tracker stopped before the redis module closed its client, so its
	// leave reached Redis.
	wantUsers(t, newRedisStore(t, srv, longTTL), "fx")
}

// testModule starts the app, joins through the Tracker, and checks that
// stopping the app removes the entry before Redis closes.
func testModule(t *testing.T, cfg config.Config, backend fx.Option, wantStore Store) {
	var (
		tr    *Tracker
		store Store
	)
	app := fxtest.New(t, fx.Supply(cfg, discardLog), backend, Module, fx.Populate(&tr, &store))
	app.RequireStart()
	if got, want := fmt.Sprintf("%T", store), fmt.Sprintf("%T", wantStore); got != want {
		t.Fatalf("store = %s, want %s for mode %s", got, want, cfg.Mode())
	}
	wantJoin(t, tr, Entry{"fx", "u1", "c1"}, true)
	wantUsers(t, tr, "fx", "u1")
	app.RequireStop()
	if cfg.Mode() == config.ModeEmbedded {
		wantUsers(t, store, "fx") // in redis mode the client is closed by now
	}
}

// Embedded mode needs no redis module at all.
func TestModuleWithoutRedis(t *testing.T) {
	var tr *Tracker
	app := fxtest.New(t, fx.Supply(config.Config{PresenceTTL: longTTL}, discardLog), MemoryModule, Module, fx.Populate(&tr))
	app.RequireStart()
	wantJoin(t, tr, Entry{"solo", "u1", "c1"}, true)
	app.RequireStop()
}

// A Redis that refuses the scripts' flags (older than 7.0, or, as here, an
// ACL without scripting) stops the start with an error saying so, rather
// than a node that starts and then fails every join.
func TestModuleRedisRefusingScripts(t *testing.T) {
	srv := redistest.Start(t)
	admin := newRedisStore(t, srv, longTTL).client()
	presenceDo(t, admin, admin.B().AclSetuser().Username("noscripts").
		Rule("on", ">pw", "~*", "&*", "+@all", "-@scripting").Build())
	cfg := config.Config{PresenceTTL: longTTL, RedisURL: "redis://noscripts:pw@" + srv.Addr()}
	var store Store
	app := fx.New(fx.NopLogger, fx.Supply(cfg, discardLog), redis.Module, RedisModule, Module, fx.Populate(&store))
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
