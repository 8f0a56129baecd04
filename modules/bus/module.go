package bus

import (
	"log/slog"

	"go.uber.org/fx"

	"rt/modules/redis"
)

// MemoryModule provides the in-process Bus of embedded mode. It needs
// nothing from Redis, so an app assembled with it has no redis module.
var MemoryModule = fx.Module("bus",
	fx.Provide(fx.Annotate(NewMemory, fx.As(new(Bus)))),
)

// RedisModule provides the Redis Pub/Sub Bus. It needs the redis module,
// whose client opens in OnStart before the bus's subscriber starts.
var RedisModule = fx.Module("bus", fx.Provide(newRedisBus))

// newRedisBus builds the Redis bus and runs its subscriber between start
// and stop. Depending on *redis.Client orders the hooks: the client's
// OnStart was appended first, so it has opened by the time Start runs, and
// it closes only after Stop. rec is told after every reconnect.
func newRedisBus(lc fx.Lifecycle, rc *redis.Client, stats *redis.Stats, rec *redis.Reconnects, log *slog.Logger) Bus {
	b := NewRedis(rc.Get, stats, log)
	b.reconnects = rec
	lc.Append(fx.StartStopHook(b.Start, b.Stop))
	return b
}
