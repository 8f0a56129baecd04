package hub

import (
	"log/slog"

	"go.uber.org/fx"

	"rt/config"
	"rt/modules/bus"
	"rt/modules/metrics/collect"
	"rt/modules/presence"
)

// Module provides *Hub and the IDs it makes message and connection ids with.
var Module = fx.Module("hub",
	fx.Provide(
		fx.Annotate(NewULIDs, fx.As(new(IDs))),
		provideHub,
		collect.As((*Hub).Collectors),
	),
)

type hubParams struct {
	fx.In
	Config   config.Config
	Bus      bus.Bus
	Presence *presence.Tracker
	IDs      IDs
	Log      *slog.Logger
}

func provideHub(p hubParams) *Hub {
	return newHub(p.Bus, p.Presence, p.IDs, Limits{MaxTextBytes: p.Config.MaxTextBytes}, p.Log)
}
