package bus

import (
	"context"
	"time"

	"github.com/redis/rueidis"

	"rt/modules/redis"
)

// Reconnect backoff: doubles from minBackoff to maxBackoff while Redis is away.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// run keeps one dedicated Pub/Sub connection alive until Stop.
func (r *Redis) run() {
	defer close(r.done)
	backoff := minBackoff
	signalled, connectedBefore := false, false
	for {
		lost, err := r.connect()
		if !signalled {
			close(r.firstConnect)
			signalled = true
		}
		if err == nil {
			if connectedBefore {
				r.stats.Reconnected()
				r.reconnects.Reconnected()
			}
			connectedBefore, backoff = true, minBackoff
			select {
			case err = <-lost:
				r.stats.Failed(redis.OpPubSub)
				r.log.Warn("bus: Redis Pub/Sub connection lost; reconnecting", "err", err)
			case <-r.stop:
				r.disconnect()
				return
			}
		} else {
			r.stats.Failed(redis.OpPubSub)
			r.log.Warn("bus: Redis Pub/Sub connect failed; retrying", "err", err, "in", backoff)
		}
		r.disconnect()
		select {
		case <-time.After(backoff):
			backoff = min(backoff*2, maxBackoff)
		case <-r.stop:
			return
		}
	}
}

// connect dedicates a connection, installs the hooks and subscribes every
// room that has local subscribers.
func (r *Redis) connect() (<-chan error, error) {
	conn, release := r.client().Dedicate()
	lost := conn.SetPubSubHooks(rueidis.PubSubHooks{OnMessage: r.dispatch})
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	r.conn = &dedicated{DedicatedClient: conn, release: release}
	r.active = map[string]bool{}
	rooms := r.subs.names()
	if len(rooms) == 0 {
		return lost, nil
	}
	channels := make([]string, len(rooms))
	for i, room := range rooms {
		channels[i] = ChannelPrefix + room
	}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	if err := conn.Do(ctx, conn.B().Subscribe().Channel(channels...).Build()).Error(); err != nil {
		return nil, err
	}
	for _, room := range rooms {
		r.active[room] = true
	}
	return lost, nil
}

func (r *Redis) disconnect() {
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	if r.conn != nil {
		r.conn.Close()
		r.conn = nil
	}
	r.active = map[string]bool{}
}

// dedicated returns its connection to the client's pool exactly when closed.
type dedicated struct {
	rueidis.DedicatedClient
	release func()
	closed  bool
}

func (d *dedicated) Close() {
	if d.closed {
		return
	}
	d.closed = true
	d.DedicatedClient.Close()
	d.release()
}
