package redisbus

import (
	"log/slog"

	"github.com/redis/rueidis"
	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/presence"
	"github.com/rtserver/rt/modules/redis"
)

// Module provides the Redis bus and presence store. Both need the redis
// module, whose client is open when they are built.
var Module = fx.Options(BusModule, PresenceModule)

// BusModule provides the Redis bus alone: its subscriber runs between
// start and stop, and the client closes only after it (fx stops in
// reverse order of construction).
var BusModule = fx.Module("bus.redis", fx.Provide(provideBus))

// PresenceModule provides the Redis presence store alone, for an app that
// brings a bus of its own and keeps presence in Redis.
var PresenceModule = fx.Module("presence.redis",
	fx.Provide(providePresence),
	fx.Invoke(refreshOnReconnect),
)

func provideBus(lc fx.Lifecycle, c rueidis.Client, cfg config.Config, stats *redis.Stats, rec *redis.Reconnects, log *slog.Logger) bus.Bus {
	b := New(c, bus.HistorySettings(cfg), stats, rec, log)
	lc.Append(fx.StartStopHook(b.Start, b.Stop))
	return b
}

// providePresence checks at start that Redis runs the presence scripts.
func providePresence(lc fx.Lifecycle, c rueidis.Client, cfg config.Config, stats *redis.Stats) presence.Store {
	p := NewPresence(c, cfg.PresenceTTL, stats)
	lc.Append(fx.StartHook(p.CheckScripts))
	return p
}

// refreshOnReconnect has the tracker rewrite this node's presence after
// each Redis reconnect: a restarted Redis has lost it.
func refreshOnReconnect(lc fx.Lifecycle, t *presence.Tracker, rec *redis.Reconnects) {
	lc.Append(fx.StopHook(rec.Subscribe(t.RefreshNow)))
}
