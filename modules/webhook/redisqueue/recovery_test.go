package redisqueue_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/backoff"
	"github.com/rtserver/rt/modules/hooks"
	"github.com/rtserver/rt/modules/metrics/metricstest"
	"github.com/rtserver/rt/modules/redis"
	"github.com/rtserver/rt/modules/redis/redistest"
	"github.com/rtserver/rt/modules/webhook"
	"github.com/rtserver/rt/modules/webhook/redisqueue"
	"github.com/rtserver/rt/modules/webhook/webhooktest"
)

// A Redis that lost its data (the stream and its group gone) gets a new
// group at the next Take, which then reads what was added since.
func TestGroupMadeAgainAfterDataLoss(t *testing.T) {
	srv := redistest.Start(t)
	c := redistest.NewClient(t, srv.Addr())
	q := newQueue(t, c, redisqueue.Settings{Key: freshKey(), Bound: 100, ClaimAfter: webhooktest.Long}, redis.NewStats())
	if err := c.Do(t.Context(), c.B().Flushall().Build()).Error(); err != nil {
		t.Fatal(err)
	}
	webhooktest.Add(t, q, webhooktest.Events(1, 2), 0)
	webhooktest.WantEvents(t, webhooktest.Take(t, q, 10), webhooktest.Events(1, 2))
}

// While Redis is away the node keeps what it records and its flusher
// retries; the failures are counted in rt_redis_errors_total{op=webhook}.
// Redis back (empty: its data did not survive), everything is delivered.
func TestRedisAwayThenBack(t *testing.T) {
	srv := redistest.Start(t)
	stats := redis.NewStats()
	q := newQueue(t, redistest.NewClient(t, srv.Addr()), redisqueue.Settings{Bound: 1000, ClaimAfter: webhooktest.Long}, stats)
	b := webhooktest.NewBackend(t, nil)
	d, _ := sender(t, q, b, webhooktest.WaitLimit)
	srv.Stop()
	d.Record(joins(3)...)
	webhooktest.Await(t, "failures counted", func() bool {
		return metricstest.Gather(t, stats.Collectors()...).Value("rt_redis_errors_total", "op", redis.OpWebhook) >= 2
	})
	srv.Restart(t)
	got := b.AwaitAccepted(3)
	if users := users(got); !slices.Equal(users, []string{"ua", "ub", "uc"}) {
		t.Errorf("delivered %q", users)
	}
}

func users(events []webhook.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.User
	}
	return out
}

// A node stopping while Redis is away does not wait for it beyond its
// flush's limit: the stop returns, and what it could not queue is logged
// as lost.
func TestStopWithRedisAway(t *testing.T) {
	srv := redistest.Start(t)
	q := newQueue(t, redistest.NewClient(t, srv.Addr()), redisqueue.Settings{Bound: 1000, ClaimAfter: webhooktest.Long}, nil)
	b := webhooktest.NewBackend(t, nil)
	var log strings.Builder
	caller := hooks.NewCaller(webhooktest.Secret, webhooktest.WaitLimit, 4, nil)
	t.Cleanup(caller.Close)
	d := webhook.New(q, caller, nil, nil, slog.New(slog.NewTextHandler(&log, nil)), webhook.Settings{
		URL: b.URL(), Backlog: 1000, FlushEvery: time.Hour,
		Retry: backoff.Policy{Min: time.Millisecond, Max: 20 * time.Millisecond},
	})
	if err := d.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	d.Record(joins(3)...)
	if err := d.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "not queued by the stop are lost") || !strings.Contains(log.String(), "events=3") {
		t.Errorf("no loss logged:\n%s", log.String())
	}
}
