package presence

import (
	"log/slog"

	"go.uber.org/fx"

	"rt/config"
	"rt/modules/health/check"
	"rt/modules/metrics/collect"
	"rt/modules/redis"
)

// Module provides the node's Tracker over whichever Store the app was
// assembled with (MemoryModule or RedisModule): it refreshes on start,
// removes its entries on stop, and offers a readiness check that fails while
// presence writes fail.
var Module = fx.Module("presence",
	fx.Provide(newTracker, check.As(readiness), collect.As((*Tracker).Collectors)),
)

// MemoryModule keeps presence in this process (embedded mode).
var MemoryModule = fx.Module("presence.memory",
	fx.Provide(func(cfg config.Config) Store { return NewMemory(cfg.PresenceTTL) }),
)

// RedisModule keeps presence in Redis (redis mode). It needs redis.Module.
// Each Redis reconnect has the tracker refresh at once: a restarted Redis
// has lost this node's entries.
var RedisModule = fx.Module("presence.redis",
	fx.Provide(provideRedisStore),
	fx.Invoke(refreshOnReconnect),
)

// provideRedisStore uses the client once the redis module's OnStart has opened
// it, which is also why the script check is a start hook appended after the
// client's.
func provideRedisStore(lc fx.Lifecycle, cfg config.Config, rc *redis.Client, stats *redis.Stats) Store {
	s := NewRedis(rc.Get, cfg.PresenceTTL, stats)
	lc.Append(fx.StartHook(s.checkScripts))
	return s
}

func refreshOnReconnect(lc fx.Lifecycle, t *Tracker, rec *redis.Reconnects) {
	lc.Append(fx.StopHook(rec.Subscribe(t.RefreshNow)))
}

// newTracker hooks the tracker into the lifecycle. Its OnStop runs before
// the redis module's (fx stops in reverse order and the store depends on
// the client), so the final leaves still reach Redis.
func newTracker(lc fx.Lifecycle, store Store, cfg config.Config, log *slog.Logger) *Tracker {
	t := NewTracker(store, cfg.PresenceTTL, log)
	lc.Append(fx.StartStopHook(t.Start, t.Stop))
	return t
}

// readiness is the "presence" check of /readyz: a node whose joins Redis
// refuses (e.g. out of memory) should get no new sockets. The Memory store
// never refuses one, so in embedded mode it always passes.
func readiness(t *Tracker) check.Check {
	return check.Check{Name: "presence", Probe: t.Ready}
}
