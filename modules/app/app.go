// Package app assembles rt: one list of modules, with the backend chosen
// once, here, from the configuration. Embedded mode assembles the memory
// bus and presence and constructs no Redis code at all; redis mode
// assembles the redis module with the Redis bus and presence, which pick
// single Redis or Cluster once, from the client the redis module opened.
//
// main runs FromEnv; tests and programs that embed rt assemble the same
// parts with a Config of their own, and leave out or swap modules with fx
// options (docs/architecture.md, "Toggling and swapping modules").
package app

import (
	"log/slog"
	"os"

	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/admin"
	"github.com/rtserver/rt/modules/api"
	"github.com/rtserver/rt/modules/auth"
	"github.com/rtserver/rt/modules/buildinfo"
	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/bus/redisbus"
	"github.com/rtserver/rt/modules/clientjs"
	"github.com/rtserver/rt/modules/debug"
	"github.com/rtserver/rt/modules/demo"
	"github.com/rtserver/rt/modules/drain"
	"github.com/rtserver/rt/modules/health"
	"github.com/rtserver/rt/modules/hooks"
	"github.com/rtserver/rt/modules/hub"
	"github.com/rtserver/rt/modules/logging"
	"github.com/rtserver/rt/modules/metrics"
	"github.com/rtserver/rt/modules/nodes"
	"github.com/rtserver/rt/modules/nodes/redisnodes"
	"github.com/rtserver/rt/modules/presence"
	"github.com/rtserver/rt/modules/redis"
	"github.com/rtserver/rt/modules/server"
	"github.com/rtserver/rt/modules/webhook"
	"github.com/rtserver/rt/modules/webhook/redisqueue"
	"github.com/rtserver/rt/modules/ws"
)

// Core is what every node runs, whatever its backend.
var Core = fx.Options(
	logging.Module,
	config.Module,
	drain.Module,
	presence.Module,
	hub.Module,
	auth.Module,
	ws.Module,
	server.Module,
)

// Extras are the modules a node can do without, each on its own.
var Extras = fx.Options(
	health.Module,
	metrics.Module,
	buildinfo.Module,
	demo.Module,
	clientjs.Module,
	debug.Module,
	api.Module,
	webhook.Module,
	hooks.Module,
	nodes.Module,
	admin.Module,
)

// Embedded keeps rooms, their history, presence and the webhook's
// pending events in this process.
var Embedded = fx.Options(
	bus.MemoryModule,
	presence.MemoryModule,
	webhook.MemoryModule,
)

// Redis shares rooms, their history, presence and the webhook's pending
// events between nodes through Redis: a single Redis or a Redis Cluster,
// as the client finds it.
var Redis = fx.Options(
	redis.Module,
	redisbus.Module,
	redisqueue.Module,
	redisnodes.Module,
)

// Backend is Redis when REDIS_URL is set, Embedded otherwise.
func Backend(cfg config.Config) fx.Option {
	if cfg.Mode() == config.ModeRedis {
		return Redis
	}
	return Embedded
}

// Modules is the whole server for cfg. SIGINT and SIGTERM stop it cleanly
// from the moment it is assembled, and it logs "shutting down" when it starts
// to stop and "stopped" when every module has. Its stop drains: /readyz
// answers 503 draining for DRAIN_DELAY before the listener closes, then the
// sockets are closed over SHUTDOWN_SPREAD (a second signal skips both
// waits); Run's stop timeout covers both.
func Modules(cfg config.Config) fx.Option {
	return fx.Options(lifecycle(fx.Supply(cfg), Core, Backend(cfg), Extras), stopTimeout(cfg))
}

// FromEnv is the whole server, configured from the process environment. A
// bad variable fails the start with one line per problem, like any other
// start failure.
func FromEnv() fx.Option {
	cfg, err := config.FromOS()
	if err != nil {
		quiet := slog.New(slog.DiscardHandler)
		return fx.Options(
			fx.WithLogger(func() fxevent.Logger { return logging.NewFxLogger(os.Stderr, quiet) }),
			fx.Error(err),
		)
	}
	return Modules(cfg)
}
