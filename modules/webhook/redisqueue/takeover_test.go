package redisqueue_test

import (
	"slices"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/redis"
	"github.com/rtserver/rt/modules/redis/redistest"
	"github.com/rtserver/rt/modules/webhook"
	"github.com/rtserver/rt/modules/webhook/redisqueue"
	"github.com/rtserver/rt/modules/webhook/webhooktest"
)

// A node that took a batch and died before the backend answered (its
// sender cut off mid-request, its Redis connection gone, nothing acked)
// loses none of it: after claimAfter another node delivers the same
// events, ids and all, and the stream is empty.
func TestCrashedNodesBatchDeliveredByAnother(t *testing.T) {
	for _, tc := range []struct {
		name    string
		clients func(t *testing.T) (a, b rueidis.Client)
	}{
		{"redis", func(t *testing.T) (rueidis.Client, rueidis.Client) {
			srv := redistest.Start(t)
			return redistest.NewClient(t, srv.Addr()), redistest.NewClient(t, srv.Addr())
		}},
		{"cluster", func(t *testing.T) (rueidis.Client, rueidis.Client) {
			c := redistest.StartCluster(t)
			return c.Client(t), c.Client(t)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ca, cb := tc.clients(t)
			s := redisqueue.Settings{Bound: 1000, ClaimAfter: 300 * time.Millisecond}

			// Node A records, takes the batch, and hangs on its backend.
			hung := webhooktest.NewBackend(t, func(int, webhooktest.Batch) int { return webhooktest.Hang })
			qa := redisqueue.New(ca, s, redis.NewStats())
			if err := qa.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			a, _ := sender(t, qa, hung, webhooktest.WaitLimit)
			a.Record(joins(5)...)
			hung.AwaitArrived(1)
			// Then it dies: its loops end without a word to Redis, and
			// its connection closes.
			if err := a.Stop(t.Context()); err != nil {
				t.Fatal(err)
			}
			ca.Close()
			wantPending(t, cb, redisqueue.Key, qa.Consumer(), 5)

			// Node B has nothing of its own to send: it claims A's batch.
			b := webhooktest.NewBackend(t, nil)
			qb := newQueue(t, cb, s, redis.NewStats())
			sender(t, qb, b, webhooktest.WaitLimit)
			got := b.AwaitAccepted(5)
			if ids := ids(got); !slices.Equal(ids, hung.Batches()[0].IDs()) {
				t.Errorf("B delivered %q, A had taken %q", ids, hung.Batches()[0].IDs())
			}
			webhooktest.Await(t, "the stream emptied", func() bool {
				n, err := qb.Len(t.Context())
				return err == nil && n == 0
			})
			wantPending(t, cb, redisqueue.Key, qa.Consumer(), 0)
		})
	}
}

// wantPending checks how many entries consumer holds.
func wantPending(t *testing.T, c rueidis.Client, key, consumer string, want int64) {
	t.Helper()
	cmd := c.B().Xpending().Key(key).Group(redisqueue.Group).Start("-").End("+").Count(1000).Consumer(consumer).Build()
	got, err := c.Do(t.Context(), cmd).ToArray()
	if err != nil || int64(len(got)) != want {
		t.Errorf("XPENDING of %s: %d entries, %v; want %d", consumer, len(got), err, want)
	}
}

func joins(n int) []webhook.Event {
	out := make([]webhook.Event, n)
	for i := range out {
		out[i] = webhook.Event{Type: webhook.PresenceJoin, Room: "lobby", User: "u" + string(rune('a'+i)), TS: int64(i)}
	}
	return out
}

func ids(events []webhook.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}
