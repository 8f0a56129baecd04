// Command rt is a real-time WebSocket server: clients join rooms at
// /ws/:room?token=JWT and every message fans out to the whole room, across
// processes through Redis when REDIS_URL is set.
//
// main only lists the modules; each line can be removed or swapped with fx
// options (README, "Modules").
package main

import (
	"go.uber.org/fx"

	"rt/config"
	"rt/modules/auth"
	"rt/modules/bus"
	"rt/modules/demo"
	"rt/modules/health"
	"rt/modules/logging"
	"rt/modules/metrics"
	"rt/modules/presence"
	"rt/modules/redis"
	"rt/modules/rooms"
	"rt/modules/server"
	"rt/modules/ws"
)

func main() {
	fx.New(modules()).Run()
}

// modules is the whole server, one capability per line.
func modules() fx.Option {
	return fx.Options(
		logging.Module,
		config.Module,
		redis.Module,
		bus.Module,
		presence.Module,
		rooms.Module,
		auth.Module,
		ws.Module,
		health.Module,
		metrics.Module,
		demo.Module,
		server.Module,
	)
}
