package ws

import (
	"context"
	"log/slog"
	"time"

	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/auth"
	"github.com/rtserver/rt/modules/drain"
	"github.com/rtserver/rt/modules/hooks"
	"github.com/rtserver/rt/modules/hub"
	"github.com/rtserver/rt/modules/metrics/collect"
	"github.com/rtserver/rt/modules/protocol"
	"github.com/rtserver/rt/modules/server"
)

// Module serves /ws/:room and drains every socket on stop.
var Module = fx.Module("ws",
	fx.Provide(newStats, newHandler, fx.Private),
	fx.Provide(server.AsRoute(route), collect.As(collectors), sockets),
)

// sockets offers the registry's count to the drain's start line.
func sockets(h *Handler) drain.Sockets { return h.registry }

type handlerParams struct {
	fx.In
	Lifecycle fx.Lifecycle
	Config    config.Config
	Handshake *auth.Handshake
	Verifier  auth.Verifier
	Hub       *hub.Hub
	Stats     *stats
	Log       *slog.Logger
	// Drain paces the closing of the sockets on stop over SHUTDOWN_SPREAD.
	Drain *drain.Drain
	// Gate is the connect hook; nil without CONNECT_HOOK_URL, or without
	// the hooks module.
	Gate hooks.Gate `optional:"true"`
}

// newHandler hooks the draining of every socket into the lifecycle. fx runs
// stop hooks in reverse order of construction, and the handler is built
// after the hub (and so after presence, the bus and Redis) and before the
// server, which mounts it: on stop the listener closes first, then every
// socket is closed, spread over SHUTDOWN_SPREAD, and drained (its presence
// removed), and only then do presence, the bus and Redis stop. The
// heartbeat and the shedding go on while the spread lasts: the sockets not
// yet closed are served as before.
func newHandler(p handlerParams) *Handler {
	caps := Caps{MaxConnsPerUser: p.Config.MaxConnsPerUser, MaxConns: p.Config.MaxConns}
	budget := HistoryBudget{Rate: p.Config.HistoryBudget, Burst: p.Config.HistoryBudgetBurst}
	h := &Handler{
		handshake: p.Handshake, verifier: p.Verifier, hub: p.Hub, registry: NewRegistry(caps, budget),
		queues: newNodeQueue(p.Config.MaxQueuedBytes), stats: p.Stats, limits: LimitsFrom(p.Config), log: p.Log,
	}
	h.limit = handshakeLimitFrom(p.Config)
	h.hook, h.addrs = p.Gate, clientAddrs{trusted: p.Config.TrustedPrefixes()}
	p.Hub.OnDisconnect(h.registry.Disconnect)
	p.Hub.OnUserMessage(h.registry.SendToUser)
	var stopHeartbeat, stopShed func()
	p.Lifecycle.Append(fx.Hook{
		OnStart: func(context.Context) error {
			h.pollers = newPollers(p.Config.PollSockets(), p.Log)
			stopHeartbeat = h.registry.Heartbeat(h.limits.Heartbeat)
			stopShed = h.registry.Shed(h.queues, h.shed)
			return nil
		},
		OnStop: func(ctx context.Context) error {
			err := h.registry.Drain(ctx, p.Drain)
			stopHeartbeat()
			stopShed()
			if err == nil { // a socket still draining is still read
				h.pollers.close()
			}
			return err
		},
	})
	return h
}

// shed logs and counts the sockets closed because the node's send queues
// passed MAX_QUEUED_BYTES.
func (h *Handler) shed(n int) {
	h.stats.shed.Add(float64(n))
	h.log.Warn("send queues past MAX_QUEUED_BYTES: the sockets with the most waiting were closed with 4002",
		"closed", n, "queued_bytes", h.queues.total.Load())
}

// handshakeLimitFrom builds the per-address handshake limit from cfg; nil
// when HANDSHAKE_RATE is 0 (no limit).
func handshakeLimitFrom(cfg config.Config) *handshakeLimit {
	if cfg.HandshakeRate == 0 {
		return nil
	}
	return &handshakeLimit{
		addrs:   clientAddrs{trusted: cfg.TrustedPrefixes()},
		buckets: newAddrLimiter(cfg.HandshakeRate, cfg.HandshakeBurst, time.Now),
	}
}

// route offers the handler to the server.
func route(h *Handler) *Handler { return h }

// LimitsFrom takes the per-connection settings from cfg.
func LimitsFrom(cfg config.Config) Limits {
	return Limits{
		MaxFrameBytes:  cfg.MaxFrameBytes,
		SendQueue:      cfg.SendQueue,
		SendQueueBytes: cfg.SendQueueBytes,
		PageEntries:    pageEntries(cfg),
		Heartbeat:      cfg.HeartbeatInterval,
		Idle:           cfg.IdleTimeout,
		WriteTimeout:   cfg.WriteTimeout,
		Rate:           cfg.RateLimit,
		Burst:          cfg.RateBurst,
		RateWarnings:   cfg.RateWarnings,
		TokenLeeway:    cfg.JWTLeeway,
		MaxRooms:       cfg.MaxRoomsPerConn,
	}
}

// pageEntries is how many messages one page of a recovery may ask for: as
// many of the largest that fit in half the send queue's bytes (a page is
// read only once the queue is under half), at least 1, at most 100.
func pageEntries(cfg config.Config) int {
	half := cfg.SendQueueBytes / 2
	return min(100, max(1, half/protocol.MaxDeliveryBytes(cfg.MaxMessageBytes)))
}
