package redisbus

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/backoff"
	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/redis"
)

// retry is the schedule of reconnects while Redis is away, of unsure rooms
// (send) sent again, and of a room's sharded subscription taken again.
var retry = backoff.Policy{Min: 100 * time.Millisecond, Max: 5 * time.Second}

// errClosed stands for a lost channel closed without an error: rueidis
// closes it so when the dedicated client is closed or handed back.
var errClosed = errors.New("redisbus: Redis Pub/Sub connection closed")

// run keeps one dedicated Pub/Sub connection alive until Stop.
func (r *pubsub) run() {
	defer close(r.done)
	wait := retry.Start()
	signalled, connectedBefore := false, false
	for {
		c, lost, err := r.connect()
		if !signalled {
			close(r.firstConnect)
			signalled = true
		}
		failed := err != nil
		if !failed {
			if connectedBefore {
				r.stats.Reconnected()
				r.reconnects.Reconnected()
			}
			connectedBefore = true
			wait.Reset()
			var stopped bool
			if err, stopped = r.serve(lost); stopped {
				r.disconnect(c)
				return
			}
			r.disconnect(c)
			// Whatever is published from now until the rooms are
			// subscribed again is missed: tell their subscribers.
			r.subs.Signal(bus.LinkLost, r.subs.Names())
			r.stats.Failed(redis.OpPubSub)
			r.log.Warn("redisbus: Redis Pub/Sub connection lost; reconnecting", "err", err)
		}
		d := wait.Next()
		if failed {
			r.stats.Failed(redis.OpPubSub)
			r.log.Warn("redisbus: Redis Pub/Sub connect failed; retrying", "err", err, "in", d)
		}
		if !backoff.Sleep(r.ctx, d) {
			return
		}
	}
}

// serve waits until the connection is lost, returning why, or the bus
// stops. Meanwhile it sends again the command of every unsure room, backing
// off while that keeps failing.
func (r *pubsub) serve(lost <-chan error) (err error, stopped bool) {
	wait := retry.Start()
	var again <-chan time.Time
	for {
		select {
		case err = <-lost:
			if err == nil {
				err = errClosed
			}
			return err, false
		case <-r.ctx.Done():
			return nil, true
		case <-r.resync:
			if again == nil {
				again = time.After(wait.Next())
			}
		case <-again:
			again = nil
			if r.resend() {
				wait.Reset()
			}
		}
	}
}

// connect dedicates a connection, installs the hooks and subscribes every
// room that has local subscribers. It fails only when the connection does:
// rooms whose SUBSCRIBE is not confirmed in time are left unsure (send).
func (r *pubsub) connect() (*dedicated, <-chan error, error) {
	dc, release := r.client.Dedicate()
	c := &dedicated{DedicatedClient: dc, release: release}
	lost := dc.SetPubSubHooks(rueidis.PubSubHooks{OnMessage: r.dispatch})
	select {
	case err := <-lost:
		// The dial failed: rueidis hands out a dead connection and reports
		// it at once. Without this check a bus with no rooms would take it
		// for a connection and count a reconnect every backoff.
		c.Close()
		if err == nil {
			err = errClosed
		}
		return nil, nil, err
	default:
	}
	back, err := r.subscribeAll(c)
	if err != nil {
		return nil, nil, err
	}
	r.subs.Signal(bus.LinkBack, back)
	return c, lost, nil
}

// subscribeAll makes c the connection in use and subscribes every room
// with local subscribers on it, returning the rooms Redis confirmed. It
// fails only when c does; rooms left unsure are retried (resend).
func (r *pubsub) subscribeAll(c *dedicated) ([]string, error) {
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	r.conn = c
	clear(r.active)
	clear(r.unsure)
	rooms := r.subs.Names()
	if err := r.send(context.Background(), c, true, rooms...); err != nil {
		if r.conn != c { // the connection failed; send closed it
			return nil, err
		}
		r.log.Warn("redisbus: subscribing the rooms again was not confirmed; retrying", "err", err)
		return nil, nil
	}
	return rooms, nil
}

// resend sends again the command of every unsure room and says whether
// every one was confirmed.
func (r *pubsub) resend() bool {
	back, ok := r.resendLocked()
	r.subs.Signal(bus.LinkBack, back)
	return ok
}

// resendLocked is resend under syncMu; it returns the rooms now confirmed
// subscribed, whose subscribers are told LinkBack outside the lock.
func (r *pubsub) resendLocked() ([]string, bool) {
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	c := r.conn
	if c == nil || len(r.unsure) == 0 {
		return nil, true
	}
	var sub, unsub []string
	for room := range r.unsure {
		if r.subs.Has(room) {
			sub = append(sub, room)
		} else {
			unsub = append(unsub, room)
		}
	}
	err := r.send(context.Background(), c, true, sub...)
	var back []string
	if err == nil {
		back = sub
		err = r.send(context.Background(), c, false, unsub...)
	}
	if err != nil {
		r.log.Warn("redisbus: subscribing or unsubscribing rooms again failed; retrying", "rooms", len(sub)+len(unsub), "err", err)
		return back, false
	}
	return back, true
}

// disconnect forgets c, unless a failed command already did, and closes it.
func (r *pubsub) disconnect(c *dedicated) {
	r.syncMu.Lock()
	if r.conn == c {
		r.conn = nil
		clear(r.active)
		clear(r.unsure)
	}
	r.syncMu.Unlock()
	c.Close()
}

// dedicated returns its connection to the client's pool exactly once, when
// first closed: by a failed command (send) or by the run loop.
type dedicated struct {
	rueidis.DedicatedClient
	release func()
	once    sync.Once
}

func (d *dedicated) Close() {
	d.once.Do(func() {
		d.DedicatedClient.Close()
		d.release()
	})
}
