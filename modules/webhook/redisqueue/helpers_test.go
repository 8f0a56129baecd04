package redisqueue_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/backoff"
	"github.com/rtserver/rt/modules/hooks"
	"github.com/rtserver/rt/modules/redis"
	"github.com/rtserver/rt/modules/redis/redistest"
	"github.com/rtserver/rt/modules/webhook"
	"github.com/rtserver/rt/modules/webhook/redisqueue"
	"github.com/rtserver/rt/modules/webhook/webhooktest"
)

// testBlock is how long a test queue's Take waits for new entries: short,
// so that claims are looked for often.
const testBlock = 100 * time.Millisecond

// newQueue starts a queue on c with key (a fresh one when ""), stopped
// when the test ends.
func newQueue(t *testing.T, c rueidis.Client, s redisqueue.Settings, stats *redis.Stats) *redisqueue.Queue {
	t.Helper()
	if s.Block == 0 {
		s.Block = testBlock
	}
	q := redisqueue.New(c, s, stats)
	if err := q.Start(t.Context()); err != nil {
		t.Fatalf("queue start: %v", err)
	}
	t.Cleanup(func() { q.Stop(context.Background()) }) // t.Context has ended by then
	return q
}

// freshKey is a stream key of one test, so tests can share a Redis.
func freshKey() string { return "rt:webhooks:test:" + ulid.Make().String() }

// pairOn is the contract's queues: two nodes, each with its own client,
// on one stream.
func pairOn(ca, cb rueidis.Client) webhooktest.NewQueue {
	return func(t *testing.T, bound int, claimAfter time.Duration) (webhook.Queue, webhook.Queue) {
		s := redisqueue.Settings{Key: freshKey(), Bound: bound, ClaimAfter: claimAfter}
		return newQueue(t, ca, s, redis.NewStats()), newQueue(t, cb, s, redis.NewStats())
	}
}

// clusterClient is a cluster client of c, closed when the test ends.
func clusterClient(t *testing.T, c *redistest.Cluster) rueidis.Client { return c.Client(t) }

// sender is a node's Delivery to backend b on q, started, stopped when the
// test ends; its caller gives up after hookTimeout.
func sender(t *testing.T, q webhook.Queue, b *webhooktest.Backend, hookTimeout time.Duration) (*webhook.Delivery, *webhook.Stats) {
	t.Helper()
	stats := webhook.NewStats()
	caller := hooks.NewCaller(webhooktest.Secret, hookTimeout, 4, nil)
	t.Cleanup(caller.Close)
	d := webhook.New(q, caller, nil, stats, slog.New(slog.DiscardHandler), webhook.Settings{
		URL: b.URL(), Backlog: 1000, Retry: backoff.Policy{Min: time.Millisecond, Max: 20 * time.Millisecond},
	})
	if err := d.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Stop(context.Background()) })
	return d, stats
}
