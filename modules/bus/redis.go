package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/rueidis"

	"rt/modules/redis"
)

// ChannelPrefix is prepended to a room name to form its Pub/Sub channel.
const ChannelPrefix = "rt:room:"

// commandTimeout bounds one PUBLISH, SUBSCRIBE or UNSUBSCRIBE.
const commandTimeout = 5 * time.Second

var errDisconnected = errors.New("bus: not connected to Redis; the room will be subscribed on reconnect")

// Redis is the bus of redis mode. It holds one dedicated Pub/Sub connection
// per process with one SUBSCRIBE per room that has local subscribers,
// taken on the first Subscribe and dropped on the last cancel. When the
// connection breaks it reconnects with backoff and subscribes every wanted
// room again.
type Redis struct {
	client func() rueidis.Client
	stats  *redis.Stats
	log    *slog.Logger
	subs   subscribers
	// reconnects is told after every reconnect (nil: nobody listens), so
	// presence can rewrite what a restarted Redis lost; set before Start.
	reconnects *redis.Reconnects

	// syncMu serialises every change to what Redis has subscribed, so a
	// SUBSCRIBE and an UNSUBSCRIBE of one room can never arrive reversed:
	// each change reconciles Redis with the wanted state read under it.
	syncMu sync.Mutex
	conn   rueidis.DedicatedClient // nil while disconnected
	active map[string]bool         // rooms subscribed on conn

	stop         chan struct{}
	done         chan struct{}
	firstConnect chan struct{} // closed after the first connect attempt
}

var _ Bus = (*Redis)(nil)

// NewRedis returns a bus that uses the client returned by client once
// started, counts its failures and reconnects in stats and logs what it
// recovers from to log.
func NewRedis(client func() rueidis.Client, stats *redis.Stats, log *slog.Logger) *Redis {
	return &Redis{client: client, stats: stats, log: log, subs: newSubscribers(), active: map[string]bool{}}
}

// Start runs the subscriber connection in the background and waits for its
// first connect, so a Subscribe right after start is confirmed by Redis
// rather than deferred to a reconnect.
func (r *Redis) Start(ctx context.Context) error {
	r.stop, r.done = make(chan struct{}), make(chan struct{})
	r.firstConnect = make(chan struct{})
	go r.run()
	select {
	case <-r.firstConnect:
		return nil
	case <-ctx.Done():
		r.Stop()
		return fmt.Errorf("bus: Redis Pub/Sub connection: %w", ctx.Err())
	}
}

// Stop closes the subscriber connection and waits for it.
func (r *Redis) Stop() {
	close(r.stop)
	<-r.done
}

// Publish sends m to its room's channel in an envelope (envelope.go). A
// message the envelope cannot carry (negative At, newline in ID) is refused
// before Redis is asked, rather than arriving changed or dropped elsewhere.
func (r *Redis) Publish(ctx context.Context, m Message) error {
	if err := checkEnvelope(m); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	c := r.client()
	payload := rueidis.BinaryString(encodeEnvelope(m))
	cmd := c.B().Publish().Channel(ChannelPrefix + m.Room).Message(payload).Build()
	err := c.Do(ctx, cmd).Error()
	if err != nil {
		r.stats.Failed(redis.OpPublish)
	}
	return err
}

// Subscribe registers deliver and, for the room's first subscriber, waits
// for Redis to confirm the SUBSCRIBE. It cannot fail: while Redis is away,
// or when the SUBSCRIBE fails (which drops the connection), the room is
// subscribed as soon as the connection is back.
func (r *Redis) Subscribe(ctx context.Context, room string, deliver func(Message)) func() {
	sub, _ := r.subs.add(room, deliver)
	// Every caller reconciles, not only the first: a second subscriber must
	// also wait until a SUBSCRIBE in flight for the room is confirmed.
	if err := r.reconcile(ctx, room); err != nil && !errors.Is(err, errDisconnected) {
		r.log.Warn("bus: subscribe failed; retrying on reconnect", "room", room, "err", err)
	}
	return cancelOnce(func() {
		if r.subs.remove(room, sub) {
			ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
			defer cancel()
			_ = r.reconcile(ctx, room)
		}
	})
}

// reconcile makes Redis's subscription of room match whether it has local
// subscribers now. A failed command drops the connection, so the run loop
// reconnects and restores every wanted room.
func (r *Redis) reconcile(ctx context.Context, room string) error {
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	if r.conn == nil {
		return errDisconnected
	}
	want := r.subs.has(room)
	if want == r.active[room] {
		return nil
	}
	b := r.conn.B()
	cmd := b.Unsubscribe().Channel(ChannelPrefix + room).Build()
	if want {
		cmd = b.Subscribe().Channel(ChannelPrefix + room).Build()
	}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	if err := r.conn.Do(ctx, cmd).Error(); err != nil {
		r.stats.Failed(redis.OpSubscribe)
		r.conn.Close()
		return err
	}
	if want {
		r.active[room] = true
	} else {
		delete(r.active, room)
	}
	return nil
}

// dispatch hands a message from a room channel to the room's subscribers.
// A payload that is not an envelope (published by something other than an
// rt bus) is dropped: its ID and At are unknown, and the frame in it cannot
// be trusted to be one. The payload is not logged; anyone can publish it.
func (r *Redis) dispatch(p rueidis.PubSubMessage) {
	room, ok := strings.CutPrefix(p.Channel, ChannelPrefix)
	if !ok {
		return
	}
	m, err := decodeEnvelope(room, []byte(p.Message))
	if err != nil {
		r.stats.Failed(redis.OpPubSub)
		r.log.Warn("bus: dropped a malformed message on a room channel", "room", room, "err", err)
		return
	}
	r.subs.deliver(m)
}
