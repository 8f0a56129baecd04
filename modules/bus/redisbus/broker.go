// Package redisbus is the Redis side of the broadcast bus: every room's
// stream of messages kept in a Redis Stream and carried by Pub/Sub, on a
// single Redis or on a Redis Cluster. The one difference between the two
// is how messages are carried (pubsub.go, sharded.go); New picks one from
// the client's mode, once. The wire format, the same for both but for the
// channel names, is in wire.go.
package redisbus

import (
	"context"
	"log/slog"

	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/redis"
)

// Bus is the bus of redis mode: appends and reads on the room's stream
// (streams), and live messages on a transport.
type Bus struct {
	*streams
	transport
}

var _ bus.Bus = (*Bus)(nil)

// transport carries the messages the append script publishes, and the
// unstored ones, to this node's subscribers.
type transport interface {
	Publish(ctx context.Context, m bus.Message) error
	Subscribe(ctx context.Context, room string, deliver func(bus.Message)) (cancel func())
	Start(ctx context.Context) error
	Stop()
}

// New returns the bus on c: with sharded Pub/Sub when c is a Redis Cluster
// client (redis.Dial asked every node), with one Pub/Sub connection
// otherwise. rec is told after every reconnect, or after rooms come back
// once a slot moved or a master failed over.
func New(c rueidis.Client, s bus.Settings, stats *redis.Stats, rec *redis.Reconnects, log *slog.Logger) *Bus {
	if c.Mode() == rueidis.ClientModeCluster {
		return &Bus{
			streams:   newStreams(c, s, stats, appendShardedScript, ShardChannel),
			transport: newSharded(c, stats, rec, log),
		}
	}
	return &Bus{
		streams:   newStreams(c, s, stats, appendScript, Channel),
		transport: newPubSub(c, stats, rec, log),
	}
}
