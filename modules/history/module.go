package history

import (
	"go.uber.org/fx"

	"rt/config"
	"rt/modules/bus"
	"rt/modules/redis"
)

// MemoryModule provides the in-memory Log of embedded mode; it publishes on
// the in-process bus.
var MemoryModule = fx.Module("history",
	fx.Provide(func(b bus.Bus, cfg config.Config) Log { return NewMemory(b, settings(cfg)) }),
)

// RedisModule provides the Redis Stream Log of redis mode; it needs the
// redis module.
var RedisModule = fx.Module("history",
	fx.Provide(func(rc *redis.Client, stats *redis.Stats, cfg config.Config) Log {
		return NewRedis(rc.Get, settings(cfg), stats)
	}),
)

func settings(cfg config.Config) Settings {
	return Settings{Size: cfg.HistorySize, TTL: cfg.HistoryTTL}
}
