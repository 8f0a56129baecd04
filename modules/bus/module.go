package bus

import (
	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
)

// MemoryModule provides the in-process Bus of embedded mode. It needs
// nothing from Redis, so an app assembled with it has no redis module.
// The Redis side has a module of its own (redisbus.Module).
var MemoryModule = fx.Module("bus",
	fx.Provide(func(cfg config.Config) Bus { return NewMemory(HistorySettings(cfg)) }),
)

// HistorySettings are the history limits cfg sets.
func HistorySettings(cfg config.Config) Settings {
	return Settings{Size: cfg.HistorySize, TTL: cfg.HistoryTTL}
}
