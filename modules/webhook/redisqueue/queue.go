// Package redisqueue is the webhook.Queue of redis mode: the events
// waiting for the backend live in one Redis stream that every node adds
// to and takes from, so the events a crashed node took are delivered by
// another.
//
// The stream (rt:webhooks, one key, so it works on a Redis Cluster too)
// is read by the consumer group rt; each process is a consumer of its own,
// named by a ULID. An event is one entry whose field e is its JSON. Add
// appends a batch and trims the stream to the bound in one script; Take
// first claims entries idle past claimAfter (XAUTOCLAIM: a dead node's),
// else reads new ones (XREADGROUP, blocking up to a second); Hold resets a
// batch's idle time (XCLAIM JUSTID); Done acknowledges AND deletes, so the
// stream's length is the backlog.
//
// Known limits: a trim drops the oldest entries whether taken or not;
// the consumers of crashed processes stay in the group (without entries,
// once theirs are claimed); a Redis that loses its data (a restart without
// persistence) loses the backlog, and the group is made again.
package redisqueue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/oklog/ulid/v2"
	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/redis"
	"github.com/rtserver/rt/modules/webhook"
)

// The stream, its group, and the field of an entry that holds the event.
const (
	Key   = "rt:webhooks"
	Group = "rt"
	field = "e"
)

// DefaultBlock is how long a Take waits for new entries before it returns
// none, so that the sender looks for claimable entries again.
const DefaultBlock = time.Second

// Settings shape a Queue.
type Settings struct {
	Key        string        // Key when empty
	Bound      int           // the most entries the stream keeps (WEBHOOK_BACKLOG)
	ClaimAfter time.Duration // webhook.ClaimAfter(HOOK_TIMEOUT); its floor, a second, when 0
	Block      time.Duration // DefaultBlock when 0
}

// Queue is one process's consumer of the stream.
type Queue struct {
	c        rueidis.Client
	set      Settings
	consumer string
	stats    *redis.Stats

	mu     sync.Mutex
	cursor string // where the next XAUTOCLAIM scan of the pending entries starts
}

var _ webhook.Queue = (*Queue)(nil)

// New returns the queue on c; Start makes the group. stats may be nil.
func New(c rueidis.Client, s Settings, stats *redis.Stats) *Queue {
	if s.Key == "" {
		s.Key = Key
	}
	if s.Block <= 0 {
		s.Block = DefaultBlock
	}
	if s.ClaimAfter <= 0 { // 0 would claim every batch being delivered
		s.ClaimAfter = webhook.ClaimAfter(0)
	}
	s.Bound = max(s.Bound, 1)
	return &Queue{c: c, set: s, consumer: ulid.Make().String(), stats: stats, cursor: "0-0"}
}

// Consumer is this queue's name in the group.
func (q *Queue) Consumer() string { return q.consumer }

// Start makes the stream and its group unless they exist, reading from
// the stream's start: entries added while no group existed are delivered.
func (q *Queue) Start(ctx context.Context) error {
	err := q.c.Do(ctx, q.c.B().XgroupCreate().Key(q.set.Key).Group(Group).Id("0").Mkstream().Build()).Error()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return q.failed("webhook queue: make the group", err)
	}
	return nil
}

// Stop removes this consumer from the group when it holds no entry (the
// sender is stopped, so none can come to it). One holding entries stays,
// for another node to claim them from. It is a tidying up: when Redis
// does not answer, the consumer stays, and the stop goes on.
func (q *Queue) Stop(ctx context.Context) {
	err := forget.Exec(ctx, q.c, []string{q.set.Key}, []string{Group, q.consumer}).Error()
	if err != nil && !isNoGroup(err) {
		_ = q.failed("webhook queue: forget the consumer", err)
	}
}

// Add appends the events and trims the stream to the bound, in one
// script.
func (q *Queue) Add(ctx context.Context, events []jsontext.Value) (int, error) {
	if len(events) == 0 {
		return 0, nil
	}
	args := make([]string, 0, 1+len(events))
	args = append(args, strconv.Itoa(q.set.Bound))
	for _, e := range events {
		args = append(args, string(e))
	}
	n, err := add.Exec(ctx, q.c, []string{q.set.Key}, args).AsInt64()
	if err != nil {
		return 0, q.failed("webhook queue: add", err)
	}
	return int(n), nil
}

// Take claims entries idle past claimAfter, else reads new ones. A group
// gone (Redis lost its data) is made again, and the Take returns none.
func (q *Queue) Take(ctx context.Context, limit int) ([]webhook.Pending, error) {
	batch, err := q.claim(ctx, limit)
	if err == nil && len(batch) == 0 {
		batch, err = q.read(ctx, limit)
	}
	if isNoGroup(err) {
		return nil, q.Start(ctx)
	}
	if err != nil {
		return nil, q.failed("webhook queue: take", err)
	}
	return batch, nil
}

// Hold claims the batch again for this consumer with an idle time of 0.
// Entries trimmed meanwhile are not claimed (Redis drops them from the
// pending list), so the reply counts those still queued.
func (q *Queue) Hold(ctx context.Context, batch []webhook.Pending) (int, error) {
	if len(batch) == 0 {
		return 0, nil
	}
	cmd := q.c.B().Xclaim().Key(q.set.Key).Group(Group).Consumer(q.consumer).MinIdleTime("0").Id(refs(batch)...).Justid().Build()
	ids, err := q.c.Do(ctx, cmd).AsStrSlice()
	if err != nil {
		return 0, q.failed("webhook queue: hold", err)
	}
	return len(ids), nil
}

// Done acknowledges and deletes the batch's entries.
func (q *Queue) Done(ctx context.Context, batch []webhook.Pending) error {
	if len(batch) == 0 {
		return nil
	}
	err := done.Exec(ctx, q.c, []string{q.set.Key}, append([]string{Group}, refs(batch)...)).Error()
	if err != nil && !isNoGroup(err) {
		return q.failed("webhook queue: done", err)
	}
	return nil
}

// Len is the stream's length: every entry is waiting, as delivered ones
// are deleted.
func (q *Queue) Len(ctx context.Context) (int, error) {
	n, err := q.c.Do(ctx, q.c.B().Xlen().Key(q.set.Key).Build()).AsInt64()
	if err != nil {
		return 0, q.failed("webhook queue: length", err)
	}
	return int(n), nil
}

// failed counts a failure in rt_redis_errors_total{op="webhook"}, unless
// it is the caller giving up (a stop), and names what failed.
func (q *Queue) failed(what string, err error) error {
	if q.stats != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		q.stats.Failed(redis.OpWebhook)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func isNoGroup(err error) bool {
	e, ok := rueidis.IsRedisErr(err)
	return ok && strings.HasPrefix(e.Error(), "NOGROUP")
}

func refs(batch []webhook.Pending) []string {
	ids := make([]string, len(batch))
	for i, p := range batch {
		ids[i] = p.Ref
	}
	return ids
}
