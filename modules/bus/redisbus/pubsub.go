package redisbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/redis"
)

// commandTimeout bounds one command: an append, a read, a PUBLISH, a
// SUBSCRIBE or an UNSUBSCRIBE.
const commandTimeout = 5 * time.Second

var errDisconnected = errors.New("redisbus: not connected to Redis; the room will be subscribed on reconnect")

// pubsub carries rooms on a single Redis. It holds one dedicated Pub/Sub
// connection per process with one SUBSCRIBE per room that has local
// subscribers, taken on the first Subscribe and dropped on the last cancel. When the
// connection breaks it reconnects with backoff and subscribes every wanted
// room again.
type pubsub struct {
	client rueidis.Client
	stats  *redis.Stats
	log    *slog.Logger
	subs   bus.Subscribers
	// reconnects is told after every reconnect, so presence can rewrite
	// what a restarted Redis lost.
	reconnects *redis.Reconnects

	// syncMu serialises every change to what Redis has subscribed, so a
	// SUBSCRIBE and an UNSUBSCRIBE of one room can never arrive reversed:
	// each change reconciles Redis with the wanted state read under it.
	syncMu sync.Mutex
	// conn is the Pub/Sub connection in use, nil while there is none. It is
	// cleared under syncMu the moment a command on it shows it broken, or
	// the run loop sees it lost, and never used again: closing a dedicated
	// client hands it back to rueidis, which then refuses every command on
	// it ("dedicated client should not be used after recycled").
	conn *dedicated
	// active holds the rooms Redis confirmed subscribed on conn. unsure
	// holds the rooms whose last SUBSCRIBE or UNSUBSCRIBE on conn went
	// unanswered, so Redis may have applied it or not: their command is
	// sent again. Both are emptied with conn.
	active map[string]bool
	unsure map[string]bool
	// resync tells the run loop that a room became unsure.
	resync chan struct{}

	// pendMu guards next, the rooms waiting for the next flush (sync),
	// and stopped, set by Stop: no flush starts after it.
	pendMu  sync.Mutex
	next    *batch
	stopped bool
	// flushes counts the flushes started and not yet returned.
	flushes sync.WaitGroup

	// ctx ends at Stop: the run loop, its waits and the commands of a
	// flush end with it.
	ctx          context.Context
	cancel       context.CancelFunc
	done         chan struct{}
	firstConnect chan struct{} // closed after the first connect attempt
}

// newPubSub returns the transport on c, which counts its failures and
// reconnects in stats, tells rec after each reconnect and logs what it
// recovers from to log.
func newPubSub(c rueidis.Client, stats *redis.Stats, rec *redis.Reconnects, log *slog.Logger) *pubsub {
	ctx, cancel := context.WithCancel(context.Background())
	return &pubsub{
		client: c, stats: stats, log: log, subs: bus.NewSubscribers(), reconnects: rec,
		active: map[string]bool{}, unsure: map[string]bool{}, resync: make(chan struct{}, 1),
		ctx: ctx, cancel: cancel,
	}
}

// Start runs the subscriber connection in the background and waits for its
// first connect, so a Subscribe right after start is confirmed by Redis
// rather than deferred to a reconnect.
func (r *pubsub) Start(ctx context.Context) error {
	r.done = make(chan struct{})
	r.firstConnect = make(chan struct{})
	go r.run()
	select {
	case <-r.firstConnect:
		return nil
	case <-ctx.Done():
		r.Stop()
		return fmt.Errorf("redisbus: Redis Pub/Sub connection: %w", ctx.Err())
	}
}

// Stop closes the subscriber connection and waits for it, and for the
// flushes under way.
func (r *pubsub) Stop() {
	r.cancel()
	<-r.done
	r.pendMu.Lock()
	r.stopped = true
	r.pendMu.Unlock()
	r.flushes.Wait()
}

// Publish sends m to its room's channel in an envelope (wire.go). A
// message the envelope cannot carry (negative At, a space or a newline in
// ID, a newline in From) is refused before Redis is asked, rather than
// arriving changed or dropped elsewhere.
func (r *pubsub) Publish(ctx context.Context, m bus.Message) error {
	c := r.client
	cmd, err := publishCmd(c, m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	if err = c.Do(ctx, cmd).Error(); err != nil {
		r.stats.Failed(redis.OpPublish)
	}
	return err
}

// publishCmd is the PUBLISH of m's envelope to its room's channel, or the
// reason the envelope cannot carry m.
func publishCmd(c rueidis.Client, m bus.Message) (rueidis.Completed, error) {
	if err := checkEnvelope(m); err != nil {
		return rueidis.Completed{}, err
	}
	payload := rueidis.BinaryString(encodeEnvelope(m))
	return c.B().Publish().Channel(Channel(m.Room)).Message(payload).Build(), nil
}

// Subscribe registers deliver and waits for Redis to confirm the room
// subscribed. It cannot fail: while Redis is away, when the connection
// breaks under it, or when the SUBSCRIBE is not confirmed before ctx ends,
// deliver is given LinkLost at once and the room is subscribed as soon as
// Redis answers, followed by LinkBack. Concurrent calls share their
// SUBSCRIBEs (sync), so a socket joining 100 rooms at once does not wait
// for 100 round trips one after another.
func (r *pubsub) Subscribe(ctx context.Context, room string, deliver func(bus.Message)) func() {
	sub, _ := r.subs.Add(room, deliver)
	// Every caller syncs, not only the first: a second subscriber must also
	// wait until a SUBSCRIBE in flight for the room is confirmed.
	if err := r.sync(ctx, room, deliver); err != nil && !errors.Is(err, errGaveUp) {
		r.logFailure(ctx, "redisbus: subscribe failed; retrying", room, err)
		// Messages published until the SUBSCRIBE goes through are missed;
		// LinkBack follows once it has. The run loop may have subscribed
		// the room, and told LinkBack, since the sync failed: then this
		// subscriber hears LinkBack again from here, after its LinkLost.
		deliver(bus.Message{Room: room, Link: bus.LinkLost})
		if r.confirmed(room) {
			deliver(bus.Message{Room: room, Link: bus.LinkBack})
		}
	}
	return bus.CancelOnce(func() {
		if r.subs.Remove(room, sub) {
			if err := r.sync(context.Background(), room, nil); err != nil {
				r.logFailure(context.Background(), "redisbus: unsubscribe failed; retrying", room, err)
			}
		}
	})
}

// confirmed says whether Redis has confirmed room subscribed on the
// connection in use.
func (r *pubsub) confirmed(room string) bool {
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	return r.conn != nil && r.active[room]
}

// logFailure logs a failed reconcile of room, unless the bus is merely
// waiting for Redis or the caller itself gave up: the room is retried in
// every case.
func (r *pubsub) logFailure(ctx context.Context, msg, room string, err error) {
	if errors.Is(err, errDisconnected) || ctx.Err() != nil {
		return
	}
	r.log.Warn(msg, "room", room, "err", err)
}

// send sends SUBSCRIBE (want) or UNSUBSCRIBE for rooms on c, the conn in
// use, and records the outcome; syncMu must be held. Redis applies one
// connection's commands in order, and both commands are idempotent, so a
// room whose command went unanswered is safely sent its command again.
//
// What a failure means depends on what failed:
//
//   - ctx ended (commandTimeout under load, or the bus stopping): the
//     command may still be applied and the connection is as good as it
//     was; rueidis matches the late reply to the abandoned call. The rooms
//     become unsure and the run loop sends them again. Dropping the
//     connection instead would turn one slow reply into a SUBSCRIBE of
//     every room, against a Redis that is already slow, and lose the
//     frames published meanwhile. A connection that is really dead is
//     found by rueidis's own keep-alive PING and reported on lost.
//   - Redis refused the command (a RedisError, such as an ACL denial): the
//     connection is fine; the rooms become unsure likewise, retried with
//     backoff.
//   - anything else is the connection failing (closed, reset, killed): c
//     is cleared and closed here, under syncMu, so no later command can
//     reach its recycled client, and the run loop, seeing lost, reconnects
//     and subscribes every wanted room again.
func (r *pubsub) send(ctx context.Context, c *dedicated, want bool, rooms ...string) error {
	if len(rooms) == 0 {
		return nil // an UNSUBSCRIBE without channels would drop every room
	}
	channels := make([]string, len(rooms))
	for i, room := range rooms {
		channels[i] = Channel(room)
	}
	cmd := c.B().Unsubscribe().Channel(channels...).Build()
	if want {
		cmd = c.B().Subscribe().Channel(channels...).Build()
	}
	cctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	err := c.Do(cctx, cmd).Error()
	if err == nil {
		for _, room := range rooms {
			delete(r.unsure, room)
			if want {
				r.active[room] = true
			} else {
				delete(r.active, room)
			}
		}
		return nil
	}
	if ctx.Err() == nil { // the caller giving up is no failure of Redis
		r.stats.Failed(redis.OpSubscribe)
	}
	if connectionFailed(err) {
		r.drop(c)
		return err
	}
	for _, room := range rooms {
		r.unsure[room] = true
		delete(r.active, room)
	}
	select {
	case r.resync <- struct{}{}:
	default:
	}
	return err
}

// connectionFailed says whether err, from a command on the Pub/Sub
// connection, is the connection's own failure rather than a timeout or a
// reply from Redis (send).
func connectionFailed(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	_, isReply := rueidis.IsRedisErr(err)
	return !isReply
}

// drop forgets c and closes it, so the run loop's lost fires; syncMu must
// be held. A c the run loop has already replaced is only closed (again).
func (r *pubsub) drop(c *dedicated) {
	if r.conn == c {
		r.conn = nil
		clear(r.active)
		clear(r.unsure)
	}
	c.Close()
}

// dispatch hands a message from a room channel to the room's subscribers.
// A payload that is not an envelope (published by something other than an
// rt bus) is dropped: its ID and At are unknown, and the frame in it cannot
// be trusted to be one. The payload is not logged; anyone can publish it.
func (r *pubsub) dispatch(p rueidis.PubSubMessage) {
	room, ok := strings.CutPrefix(p.Channel, ChannelPrefix)
	if !ok {
		return
	}
	m, err := decodeEnvelope(room, p.Message)
	if err != nil {
		r.stats.Failed(redis.OpPubSub)
		r.log.Warn("redisbus: dropped a malformed message on a room channel", "room", room, "err", err)
		return
	}
	r.subs.Deliver(m)
}
