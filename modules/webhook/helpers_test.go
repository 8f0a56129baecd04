package webhook_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/backoff"
	"github.com/rtserver/rt/modules/hooks"
	"github.com/rtserver/rt/modules/logging/logtest"
	"github.com/rtserver/rt/modules/metrics/metricstest"
	"github.com/rtserver/rt/modules/webhook"
	"github.com/rtserver/rt/modules/webhook/webhooktest"
)

// node is one rt node's webhook: its Delivery on a queue, to a backend.
type node struct {
	*webhook.Delivery
	queue     webhook.Queue
	caller    *hooks.Caller
	stats     *webhook.Stats
	hookStats *hooks.Stats
	log       *logtest.Buffer
}

// options of a test node: short retries, and a caller whose timeout is
// far longer than any answer unless a test shortens it.
type options struct {
	settings    webhook.Settings
	hookTimeout time.Duration
}

func defaults(b *webhooktest.Backend) options {
	return options{
		settings: webhook.Settings{
			URL: b.URL(), Backlog: 1000,
			Retry: backoff.Policy{Min: time.Millisecond, Max: 10 * time.Millisecond},
		},
		hookTimeout: webhooktest.WaitLimit,
	}
}

// newNode returns a stopped node; change adjusts its options.
func newNode(t *testing.T, q webhook.Queue, b *webhooktest.Backend, change ...func(*options)) *node {
	t.Helper()
	o := defaults(b)
	for _, f := range change {
		f(&o)
	}
	n := &node{queue: q, stats: webhook.NewStats(), hookStats: hooks.NewStats(), log: &logtest.Buffer{}}
	n.caller = hooks.NewCaller(webhooktest.Secret, o.hookTimeout, 4, n.hookStats)
	t.Cleanup(n.caller.Close)
	log := slog.New(slog.NewTextHandler(n.log, nil))
	n.Delivery = webhook.New(q, n.caller, n.hookStats, n.stats, log, o.settings)
	return n
}

// start starts n and stops it when the test ends.
func (n *node) start(t *testing.T) *node {
	t.Helper()
	if err := n.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Stop(context.Background()) }) // t.Context has ended by then
	return n
}

// metric is the value of a webhook or hook metric of n.
func (n *node) metric(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	cs := append(n.stats.Collectors(), n.hookStats.Collectors()...)
	return metricstest.Gather(t, cs...).Value(name, labels...)
}

// joins are n presence.join events of users u<from>.. in room lobby.
func joins(from, n int) []webhook.Event {
	out := make([]webhook.Event, n)
	for i := range out {
		out[i] = webhook.Event{Type: webhook.PresenceJoin, Room: "lobby", User: fmt.Sprintf("u%d", from+i), TS: int64(from + i)}
	}
	return out
}

// users are the events' users, in order.
func users(events []webhook.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.User
	}
	return out
}
