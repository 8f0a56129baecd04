package nodes

import (
	"context"

	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"

	"github.com/rtserver/rt/modules/health/check"
	"github.com/rtserver/rt/modules/hub"
	"github.com/rtserver/rt/modules/server"
)

// Module reports this node and provides Nodes. Its Store is the backend's
// (redisnodes.Module in redis mode); without one, records stay in this
// process. Settings default to DefaultSettings.
var Module = fx.Module("nodes",
	fx.Provide(newModuleReporter, func(r *Reporter) Nodes { return r }),
	fx.Invoke(func(*Reporter) {}),
)

type params struct {
	fx.In
	Lifecycle fx.Lifecycle
	Settings  *Settings            `optional:"true"`
	Store     Store                `optional:"true"`
	Shards    Shards               `optional:"true"`
	Registry  *prometheus.Registry `optional:"true"`
	Checks    check.All
	Hub       *hub.Hub
	Server    *server.Server // built first, so its listener is open when the first record names it
	Log       *slog.Logger
}

func newModuleReporter(p params) *Reporter {
	s := DefaultSettings
	if p.Settings != nil {
		s = *p.Settings
	}
	store := p.Store
	if store == nil {
		store = NewMemory()
	}
	var g prometheus.Gatherer
	if p.Registry != nil {
		g = p.Registry
	}
	r := newReporter(s, store, p.Hub, g, p.Checks.Checks, p.Shards, p.Log)
	p.Lifecycle.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			return r.start(ctx, p.Server.Addr().String())
		},
		OnStop: r.halt,
	})
	return r
}
