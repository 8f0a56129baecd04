package presence

import (
	"errors"

	"go.uber.org/fx"

	"rt/config"
	"rt/modules/metrics"
	"rt/modules/redis"
)

// Module provides the Store for the configured mode and the node's Tracker,
// which starts refreshing on start and removes its entries on stop.
var Module = fx.Module("presence",
	fx.Provide(newStore, newTracker, metrics.AsCollectors((*Tracker).Collectors)),
)

type storeParams struct {
	fx.In
	Config config.Config
	// Redis is optional so embedded mode works without the redis module.
	Redis *redis.Client `optional:"true"`
	Stats *redis.Stats  `optional:"true"`
}

// newStore picks Memory or Redis by mode. The Redis client is fetched at
// use time: it only exists once the redis module's OnStart has run.
func newStore(p storeParams) (Store, error) {
	if p.Config.Mode() != config.ModeRedis {
		return NewMemory(p.Config.PresenceTTL), nil
	}
	if p.Redis == nil {
		return nil, errors.New("presence: redis mode needs the redis module")
	}
	return NewRedis(p.Redis.Get, p.Config.PresenceTTL, p.Stats), nil
}

// newTracker hooks the tracker into the lifecycle. Its OnStop runs before
// the redis module's (fx stops in reverse order and the store depends on
// the client), so the final leaves still reach Redis.
func newTracker(lc fx.Lifecycle, s Store, cfg config.Config) *Tracker {
	t := NewTracker(s, cfg.PresenceTTL)
	lc.Append(fx.StartStopHook(t.Start, t.Stop))
	return t
}
