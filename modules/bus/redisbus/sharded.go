package redisbus

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/backoff"
	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/redis"
)

// sharded carries rooms on a Redis Cluster: one sharded
// subscription per room with local subscribers, each held by its own
// goroutine with client.Receive on the connection rueidis keeps to the
// master that serves the room's slot. A subscription ends when its master
// goes away (the connection breaks) or its slot moves (Redis sends
// SUNSUBSCRIBE): the room's subscribers are told LinkLost at once, the
// goroutine subscribes again where the slot lives now, and LinkBack follows
// Redis's confirmation. Rooms coming back after a loss also tell the
// reconnect notifier, once per burst (relinks), since a promoted replica
// may lack keys its master never passed on.
type sharded struct {
	client  rueidis.Client
	stats   *redis.Stats
	log     *slog.Logger
	subs    bus.Subscribers
	relinks *debounce

	// mu orders the first add and the last remove of a room's subscribers
	// with the start and end of its goroutine.
	mu    sync.Mutex
	rooms map[string]*shard
	// ending holds, per room, a goroutine told to end that may still be
	// unsubscribing: the room's next goroutine waits for it, so that its
	// SUNSUBSCRIBE cannot land after the next SSUBSCRIBE.
	ending map[string]*shard
	wg     sync.WaitGroup
}

// shard is one room's sharded subscription.
type shard struct {
	room, channel string
	ctx           context.Context
	cancel        context.CancelFunc
	done          chan struct{}

	mu sync.Mutex
	up bool // Redis confirmed the SSUBSCRIBE, and nothing ended it since
	// lost: a subscriber was told LinkLost since the last confirmation, so
	// the next one is told LinkBack.
	lost bool
	upCh chan struct{} // closed when up turns true
	ups  int           // confirmations so far
}

// relinkQuiet and relinkMost shape the bursts of rooms subscribed again
// (a failover or a slot move re-subscribes every room of the slots it
// touched): the notifier is told once no room has come back for
// relinkQuiet, and at the latest relinkMost after the first one did.
const (
	relinkQuiet = 200 * time.Millisecond
	relinkMost  = time.Second
)

// newSharded returns the transport on the cluster client c; rec is told
// when rooms come back after a loss.
func newSharded(c rueidis.Client, stats *redis.Stats, rec *redis.Reconnects, log *slog.Logger) *sharded {
	return &sharded{
		client: c, stats: stats, log: log, subs: bus.NewSubscribers(),
		relinks: newDebounce(relinkQuiet, relinkMost, rec.Reconnected),
		rooms:   map[string]*shard{}, ending: map[string]*shard{},
	}
}

// Start starts nothing: each room's sharded subscription is taken on its
// first Subscribe.
func (s *sharded) Start(context.Context) error { return nil }

// Stop ends every room's goroutine and waits for them.
func (s *sharded) Stop() {
	defer s.relinks.stop()
	s.mu.Lock()
	for room, sh := range s.rooms {
		sh.cancel()
		delete(s.rooms, room)
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Publish sends m's envelope with SPUBLISH to the room's shard channel.
func (s *sharded) Publish(ctx context.Context, m bus.Message) error {
	if err := checkEnvelope(m); err != nil {
		return err
	}
	payload := rueidis.BinaryString(encodeEnvelope(m))
	cmd := s.client.B().Spublish().Channel(ShardChannel(m.Room)).Message(payload).Build()
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	err := s.client.Do(ctx, cmd).Error()
	if err != nil {
		s.stats.Failed(redis.OpPublish)
	}
	return err
}

// Subscribe registers deliver, starts the room's goroutine for its first
// subscriber, and waits until Redis confirms the room subscribed. If that
// does not happen before ctx ends or within commandTimeout, deliver is told
// LinkLost at once, and LinkBack once it does.
func (s *sharded) Subscribe(ctx context.Context, room string, deliver func(bus.Message)) func() {
	s.mu.Lock()
	sub, first := s.subs.Add(room, deliver)
	sh := s.rooms[room]
	if first {
		sh = s.start(room)
	}
	s.mu.Unlock()

	if !sh.waitUp(ctx) {
		sh.mu.Lock()
		if !sh.up {
			sh.lost = true
			deliver(bus.Message{Room: room, Link: bus.LinkLost})
		}
		sh.mu.Unlock()
	}
	return bus.CancelOnce(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.subs.Remove(room, sub) {
			sh := s.rooms[room]
			delete(s.rooms, room)
			sh.cancel()
			s.ending[room] = sh
		}
	})
}

// start runs a new goroutine for room; s.mu is held.
func (s *sharded) start(room string) *shard {
	ctx, cancel := context.WithCancel(context.Background())
	sh := &shard{
		room: room, channel: ShardChannel(room), ctx: ctx, cancel: cancel,
		done: make(chan struct{}), upCh: make(chan struct{}),
	}
	s.rooms[room] = sh
	prev := s.ending[room]
	s.wg.Add(1)
	go s.run(sh, prev)
	return sh
}

// run holds sh's subscription until sh is cancelled, subscribing again
// (with backoff after failures) whenever it ends.
func (s *sharded) run(sh *shard, prev *shard) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		if s.ending[sh.room] == sh {
			delete(s.ending, sh.room)
		}
		s.mu.Unlock()
		close(sh.done)
	}()
	if prev != nil {
		select {
		case <-prev.done:
		case <-sh.ctx.Done():
			return
		}
	}
	ctx := rueidis.WithOnSubscriptionHook(sh.ctx, sh.confirmed(s))
	ctx = rueidis.WithOnReceiveReturnHook(ctx, sh.returned(s))
	wait, ups := retry.Start(), 0
	for {
		err := s.client.Receive(ctx, s.client.B().Ssubscribe().Channel(sh.channel).Build(), sh.dispatch(s))
		if sh.ctx.Err() != nil {
			return
		}
		// Receive returns nil when Redis ended the subscription (the slot
		// moved): subscribe again at once, where the slot is now. An error
		// is a connection or a command that kept failing: back off.
		sh.down(s)
		if n := sh.confirmations(); n != ups { // it was confirmed since: start over
			ups = n
			wait.Reset()
		}
		d := time.Duration(0)
		if err != nil {
			d = wait.Next()
			s.stats.Failed(redis.OpSubscribe)
			s.log.Warn("redisbus: sharded subscription failed; retrying", "room", sh.room, "err", err, "in", d)
		}
		if !backoff.Sleep(sh.ctx, d) {
			return
		}
	}
}

// dispatch hands the room's messages to its subscribers; a payload that is
// not an envelope is dropped (pubsub.dispatch).
func (sh *shard) dispatch(s *sharded) func(rueidis.PubSubMessage) {
	return func(p rueidis.PubSubMessage) {
		if p.Channel != sh.channel {
			return
		}
		m, err := decodeEnvelope(sh.room, p.Message)
		if err != nil {
			s.stats.Failed(redis.OpPubSub)
			s.log.Warn("redisbus: dropped a malformed message on a room channel", "room", sh.room, "err", err)
			return
		}
		s.subs.Deliver(m)
	}
}

// confirmed follows Redis's subscription replies for the channel: an
// ssubscribe confirms it, an sunsubscribe (the slot moved) ends it. It runs
// on rueidis's reading goroutine and must not block.
func (sh *shard) confirmed(s *sharded) func(rueidis.PubSubSubscription) {
	return func(p rueidis.PubSubSubscription) {
		if p.Channel != sh.channel || sh.ctx.Err() != nil {
			return
		}
		switch p.Kind {
		case "ssubscribe":
			sh.setUp(s)
		case "sunsubscribe":
			sh.down(s)
		}
	}
}

// returned runs as each attempt of Receive returns: on a broken
// connection the room is lost at once (rueidis may retry by itself, and
// confirm the room again on the master that serves the slot then); when
// the room is left, its channel is unsubscribed on the connection that held
// it, since ending Receive does not.
func (sh *shard) returned(s *sharded) func(error, rueidis.CommandClient) error {
	return func(err error, cc rueidis.CommandClient) error {
		if sh.ctx.Err() == nil {
			if err != nil {
				sh.down(s)
			}
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
		defer cancel()
		if e := cc.Do(ctx, cc.B().Sunsubscribe().Channel(sh.channel).Build()).Error(); e != nil && !errors.Is(e, context.Canceled) {
			s.log.Debug("redisbus: SUNSUBSCRIBE failed", "room", sh.room, "err", e)
		}
		return err
	}
}

// setUp records Redis's confirmation and tells LinkBack if a subscriber
// was told LinkLost, and the reconnect notifier (debounced) then too.
func (sh *shard) setUp(s *sharded) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.up {
		return
	}
	sh.up = true
	sh.ups++
	close(sh.upCh)
	if sh.lost {
		sh.lost = false
		s.subs.Signal(bus.LinkBack, []string{sh.room})
		s.relinks.trigger()
	}
}

// down records the subscription's end and tells LinkLost, once.
func (sh *shard) down(s *sharded) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if !sh.up || sh.ctx.Err() != nil {
		return
	}
	sh.up = false
	sh.upCh = make(chan struct{})
	sh.lost = true
	s.stats.Failed(redis.OpPubSub)
	s.subs.Signal(bus.LinkLost, []string{sh.room})
}

// confirmations counts Redis's confirmations of the subscription so far.
func (sh *shard) confirmations() int {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.ups
}

// waitUp waits until the subscription is confirmed, ctx ends or
// commandTimeout passes, and says whether it is confirmed.
func (sh *shard) waitUp(ctx context.Context) bool {
	sh.mu.Lock()
	up, ch := sh.up, sh.upCh
	sh.mu.Unlock()
	if up {
		return true
	}
	t := time.NewTimer(commandTimeout)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-ctx.Done():
	case <-t.C:
	}
	return false
}
