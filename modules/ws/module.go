package ws

import (
	"go.uber.org/fx"

	"rt/config"
	"rt/modules/auth"
	"rt/modules/metrics/collect"
	"rt/modules/presence"
	"rt/modules/rooms"
	"rt/modules/server"
)

// Module serves /ws/:room and drains every socket on stop.
var Module = fx.Module("ws",
	fx.Provide(newRegistry, newStats, server.AsRoute(newHandler), collect.As(collectors)),
)

// newRegistry orders shutdown through its dependencies: fx runs stop hooks
// in reverse order of construction, and the registry is built after presence,
// rooms and bus (its parameters) and before the server (which needs this
// module's route). So the listener stops first, then every socket is drained,
// and only then do presence, the bus and Redis stop.
func newRegistry(lc fx.Lifecycle, cfg config.Config, _ *presence.Tracker, _ *rooms.Manager) *Registry {
	r := NewRegistry(Caps{MaxConnsPerUser: cfg.MaxConnsPerUser, MaxConns: cfg.MaxConns})
	lc.Append(fx.StopHook(r.Drain))
	return r
}

func newHandler(cfg config.Config, hs *auth.Handshake, v auth.Verifier, rm *rooms.Manager, pt *presence.Tracker, reg *Registry, s *stats) *Handler {
	return &Handler{handshake: hs, verifier: v, rooms: rm, presence: pt, registry: reg, stats: s, limits: LimitsFrom(cfg)}
}

// LimitsFrom takes the per-connection settings from cfg.
func LimitsFrom(cfg config.Config) Limits {
	return Limits{
		MaxFrameBytes: cfg.MaxFrameBytes,
		MaxTextBytes:  cfg.MaxTextBytes,
		SendQueue:     cfg.SendQueue,
		Heartbeat:     cfg.HeartbeatInterval,
		Idle:          cfg.IdleTimeout,
		WriteTimeout:  cfg.WriteTimeout,
		Rate:          cfg.RateLimit,
		Burst:         cfg.RateBurst,
		RateWarnings:  cfg.RateWarnings,
		TokenLeeway:   cfg.JWTLeeway,
	}
}
