package presence

import (
	"errors"

	"go.uber.org/fx"

	"rt/config"
	"rt/modules/health/check"
	"rt/modules/metrics/collect"
	"rt/modules/redis"
)

// Module provides the Store for the configured mode and the node's Tracker,
// which starts refreshing on start and removes its entries on stop, and a
// readiness check that fails while presence writes fail.
var Module = fx.Module("presence",
	fx.Provide(newStore, newTracker, check.As(readiness), collect.As((*Tracker).Collectors)),
)

type storeParams struct {
	fx.In
	Lifecycle fx.Lifecycle
	Config    config.Config
	// Redis is optional so embedded mode works without the redis module.
	Redis *redis.Client `optional:"true"`
	Stats *redis.Stats  `optional:"true"`
}

// newStore picks Memory or Redis by mode. The Redis client is fetched at
// use time: it only exists once the redis module's OnStart has run, which
// is also why the script check is a start hook appended after the client's.
func newStore(p storeParams) (Store, error) {
	if p.Config.Mode() != config.ModeRedis {
		return NewMemory(p.Config.PresenceTTL), nil
	}
	if p.Redis == nil {
		return nil, errors.New("presence: redis mode needs the redis module")
	}
	s := NewRedis(p.Redis.Get, p.Config.PresenceTTL, p.Stats)
	p.Lifecycle.Append(fx.StartHook(s.checkScripts))
	return s, nil
}

type trackerParams struct {
	fx.In
	Lifecycle fx.Lifecycle
	Store     Store
	Config    config.Config
	// Reconnects is optional so embedded mode works without the redis module.
	Reconnects *redis.Reconnects `optional:"true"`
}

// newTracker hooks the tracker into the lifecycle. Its OnStop runs before
// the redis module's (fx stops in reverse order and the store depends on
// the client), so the final leaves still reach Redis. Each Redis reconnect
// refreshes at once: a restarted Redis has lost this node's entries.
func newTracker(p trackerParams) *Tracker {
	t := NewTracker(p.Store, p.Config.PresenceTTL)
	p.Lifecycle.Append(fx.StartStopHook(t.Start, t.Stop))
	if p.Reconnects != nil {
		p.Lifecycle.Append(fx.StopHook(p.Reconnects.Subscribe(t.RefreshNow)))
	}
	return t
}

// readiness is the "presence" check of /readyz: a node whose joins Redis
// refuses (e.g. out of memory) should get no new sockets. The Memory store
// never refuses one, so in embedded mode it always passes.
func readiness(t *Tracker) check.Check {
	return check.Check{Name: "presence", Probe: t.Ready}
}
