package hub

import (
	"context"
	"log/slog"

	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/hooks"
	"github.com/rtserver/rt/modules/metrics/collect"
	"github.com/rtserver/rt/modules/presence"
	"github.com/rtserver/rt/modules/webhook"
)

// Module provides *Hub and the IDs it makes connection ids with (message
// ids come from history).
var Module = fx.Module("hub",
	fx.Provide(
		fx.Annotate(NewULIDs, fx.As(new(IDs))),
		provideHub,
		collect.As((*Hub).Collectors),
	),
)

type hubParams struct {
	fx.In
	Lifecycle fx.Lifecycle
	Config    config.Config
	Bus       bus.Bus
	Presence  *presence.Tracker
	IDs       IDs
	Log       *slog.Logger
	// Webhooks is nil when the webhook module is left out or WEBHOOK_URL
	// is unset: the hub then records no event.
	Webhooks webhook.Recorder `optional:"true"`
	// Moderator is the publish hook; nil without PUBLISH_HOOK_URL, or
	// without the hooks module.
	Moderator hooks.Moderator `optional:"true"`
}

// provideHub hooks the hub's Stop into the lifecycle: fx stops in reverse
// order of construction, so it runs after every socket has left (ws is built
// after the hub) and before presence and the bus stop.
func provideHub(p hubParams) *Hub {
	h := newHub(p.Bus, p.Presence, p.IDs, Limits{MaxMessageBytes: p.Config.MaxMessageBytes}, p.Log)
	h.webhooks = p.Webhooks
	h.moderator = p.Moderator
	p.Lifecycle.Append(fx.Hook{
		OnStart: func(ctx context.Context) error { h.listen(ctx); return nil },
		OnStop:  func(context.Context) error { h.stopListening(); h.Stop(); return nil },
	})
	return h
}
