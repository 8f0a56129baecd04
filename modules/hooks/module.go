// Package hooks puts the application's backend in the loop (SPEC §11): the
// connect hook (CONNECT_HOOK_URL) asked before every upgrade and room.join,
// the publish hook (PUBLISH_HOOK_URL) asked before every message is stored,
// and the signed caller the webhooks are delivered through too.
//
// It is a leaf: the transport and the hub take its Gate and Moderator as
// optional dependencies, nil while their URL is unset, and then nothing on
// their paths changes.
package hooks

import (
	"context"
	"log/slog"

	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/metrics/collect"
)

// Module provides the hook metrics, the Caller (nil while no hook or
// webhook URL is set; its idle connections closed on stop), the Gate (nil
// without CONNECT_HOOK_URL) and the Moderator (nil without
// PUBLISH_HOOK_URL).
var Module = fx.Module("hooks",
	fx.Provide(NewStats, collect.As((*Stats).Collectors), provideCaller, provideGate, provideModerator),
)

func provideCaller(lc fx.Lifecycle, cfg config.Config, stats *Stats) *Caller {
	if !cfg.Hooked() {
		return nil
	}
	timeout, concurrency, _ := cfg.HookLimits()
	c := NewCaller(cfg.HookSecret, timeout, concurrency, stats)
	lc.Append(fx.StopHook(func(context.Context) { c.Close() }))
	return c
}

// provideGate returns a nil interface, not a nil *connectHook, when the URL
// is unset: the transport tests the interface against nil.
func provideGate(cfg config.Config, c *Caller, stats *Stats, log *slog.Logger) Gate {
	if cfg.ConnectHookURL == "" {
		return nil
	}
	return NewGate(c, cfg.ConnectHookURL, cfg.HookFailOpen, stats, log)
}

// provideModerator returns a nil interface when the URL is unset, as
// provideGate does.
func provideModerator(cfg config.Config, c *Caller, stats *Stats, log *slog.Logger) Moderator {
	if cfg.PublishHookURL == "" {
		return nil
	}
	return NewModerator(c, cfg.PublishHookURL, cfg.HookFailOpen, stats, log)
}
