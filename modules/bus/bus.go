// Package bus carries encoded frames to every process that has members in a
// room: in memory when rt runs alone, through Redis Pub/Sub otherwise.
package bus

import (
	"context"

	"go.uber.org/fx"

	"rt/config"
	"rt/modules/redis"
)

// Bus publishes a room's frames and hands them to this node's subscribers.
type Bus interface {
	// Publish sends frame to every subscriber of room on every node,
	// this one included. frame must not be changed afterwards.
	Publish(ctx context.Context, room string, frame []byte) error
	// Subscribe calls deliver with every frame published to room until
	// cancel is called. deliver runs on the bus's own goroutine: it must
	// not block and must not call back into the bus; the frame it gets is
	// shared and read-only. Subscribe returns once the node is receiving.
	Subscribe(ctx context.Context, room string, deliver func(frame []byte)) (cancel func(), err error)
}

// Module provides the Bus for the configured mode.
var Module = fx.Module("bus", fx.Provide(New))

// New returns the memory bus in embedded mode and the Redis bus otherwise;
// the Redis bus starts its subscriber in OnStart, after Redis has opened,
// and tells rec after each reconnect.
func New(lc fx.Lifecycle, cfg config.Config, rc *redis.Client, stats *redis.Stats, rec *redis.Reconnects) Bus {
	if cfg.Mode() != config.ModeRedis {
		return NewMemory()
	}
	b := NewRedis(rc.Get, stats)
	b.reconnects = rec
	lc.Append(fx.StartStopHook(b.Start, b.Stop))
	return b
}
