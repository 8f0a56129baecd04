package presence

import (
	"log/slog"

	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/health/check"
	"github.com/rtserver/rt/modules/metrics/collect"
)

// Module provides the node's Tracker over whichever Store the app was
// assembled with (MemoryModule, or redisbus.Module in redis mode): it refreshes on start,
// removes its entries on stop, and offers a readiness check that fails while
// presence writes fail.
var Module = fx.Module("presence",
	fx.Provide(newTracker, check.As(readiness), collect.As((*Tracker).Collectors)),
)

// MemoryModule keeps presence in this process (embedded mode).
var MemoryModule = fx.Module("presence.memory",
	fx.Provide(func(cfg config.Config) Store { return NewMemory(cfg.PresenceTTL) }),
)

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
