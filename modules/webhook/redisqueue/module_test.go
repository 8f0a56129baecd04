package redisqueue_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/hooks"
	"github.com/rtserver/rt/modules/redis"
	"github.com/rtserver/rt/modules/redis/redistest"
	"github.com/rtserver/rt/modules/webhook"
	"github.com/rtserver/rt/modules/webhook/redisqueue"
	"github.com/rtserver/rt/modules/webhook/webhooktest"
)

// app is redis mode's webhook: the redis module, the Redis queue and the
// webhook module, with the hooks module's caller.
func app(t *testing.T, redisURL, webhookURL string, populate ...any) *fxtest.App {
	cfg := config.Config{
		RedisURL: redisURL, WebhookURL: webhookURL, HookSecret: webhooktest.Secret,
		HookTimeout: 2 * time.Second, HookConcurrency: 4, WebhookBacklog: 1000,
	}
	return fxtest.New(t, fx.Supply(cfg, slog.New(slog.DiscardHandler)),
		fx.Supply(hooks.NewCaller(cfg.HookSecret, cfg.HookTimeout, cfg.HookConcurrency, nil)),
		redis.Module, redisqueue.Module, webhook.Module, fx.Populate(populate...))
}

// Without WEBHOOK_URL there is no queue, no Recorder and no key in Redis.
func TestModuleOffWithoutURL(t *testing.T) {
	srv := redistest.Start(t)
	var (
		rec   webhook.Recorder
		queue webhook.Queue
	)
	a := app(t, srv.URL(), "", &rec, &queue)
	a.RequireStart()
	a.RequireStop()
	if rec != nil || queue != nil {
		t.Errorf("Recorder %T, Queue %T; want none", rec, queue)
	}
	c := redistest.NewClient(t, srv.Addr())
	if keys, err := c.Do(t.Context(), c.B().Keys().Pattern("*").Build()).AsStrSlice(); err != nil || len(keys) != 0 {
		t.Errorf("keys in Redis: %q, %v", keys, err)
	}
}

// With WEBHOOK_URL the events recorded go through the stream to the
// backend; the stream is left empty, and the stopped node's consumer,
// holding nothing, is gone from the group.
func TestModuleDeliversThroughRedis(t *testing.T) {
	srv := redistest.Start(t)
	b := webhooktest.NewBackend(t, nil)
	var (
		rec   webhook.Recorder
		queue webhook.Queue
	)
	a := app(t, srv.URL(), b.URL(), &rec, &queue)
	a.RequireStart()
	if _, ok := queue.(*redisqueue.Queue); !ok {
		t.Fatalf("Queue = %T, want *redisqueue.Queue", queue)
	}
	rec.Record(joins(3)...)
	b.AwaitAccepted(3)
	webhooktest.Await(t, "the stream emptied", func() bool {
		n, err := queue.Len(t.Context())
		return err == nil && n == 0
	})
	a.RequireStop()
	c := redistest.NewClient(t, srv.Addr())
	if n := consumers(t, c); n != 0 {
		t.Errorf("%d consumers left in the group", n)
	}
}

// A queue stopped while it holds entries stays in the group, so that
// another node can claim them from it.
func TestStopKeepsAConsumerThatHoldsEntries(t *testing.T) {
	srv := redistest.Start(t)
	c := redistest.NewClient(t, srv.Addr())
	s := redisqueue.Settings{Bound: 100, ClaimAfter: webhooktest.Long}
	holder, idle := redisqueue.New(c, s, nil), redisqueue.New(c, s, nil)
	for _, q := range []*redisqueue.Queue{holder, idle} {
		if err := q.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	webhooktest.Add(t, holder, webhooktest.Events(1, 2), 0)
	webhooktest.Take(t, holder, 1)
	webhooktest.Done(t, idle, webhooktest.Take(t, idle, 1)) // known to the group now, holding nothing
	if n := consumers(t, c); n != 2 {
		t.Fatalf("%d consumers, want 2", n)
	}
	for _, q := range []*redisqueue.Queue{holder, idle} {
		q.Stop(t.Context())
	}
	if n := consumers(t, c); n != 1 {
		t.Errorf("%d consumers after the stops, want the holder's alone", n)
	}
}

// consumers counts the group's consumers.
func consumers(t *testing.T, c rueidis.Client) int {
	t.Helper()
	list, err := c.Do(t.Context(), c.B().XinfoConsumers().Key(redisqueue.Key).Group(redisqueue.Group).Build()).ToArray()
	if err != nil {
		t.Fatalf("XINFO CONSUMERS: %v", err)
	}
	return len(list)
}
