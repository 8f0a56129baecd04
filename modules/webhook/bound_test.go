package webhook_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/rtserver/rt/modules/webhook"
	"github.com/rtserver/rt/modules/webhook/webhooktest"
)

// Past WEBHOOK_BACKLOG the node's buffer drops the oldest events, counts
// them and says so; the rest are delivered.
func TestBufferBoundDropsOldest(t *testing.T) {
	b := webhooktest.NewBackend(t, nil)
	n := newNode(t, webhook.NewMemory(1000, webhooktest.Long), b,
		func(o *options) { o.settings.Backlog = 5 })
	n.Record(joins(1, 8)...) // not started: nothing leaves the buffer
	if v := n.metric(t, "rt_webhook_dropped_total"); v != 3 {
		t.Errorf("rt_webhook_dropped_total = %v, want 3", v)
	}
	n.start(t)
	got := b.AwaitAccepted(5)
	if want := users(joins(4, 5)); !slices.Equal(users(got), want) {
		t.Errorf("delivered %q, want %q", users(got), want)
	}
	wantDropWarning(t, n, "dropped=3")
}

// Past its bound the queue drops its oldest events; they are counted in
// rt_webhook_dropped_total too.
func TestQueueBoundDropsOldest(t *testing.T) {
	b := webhooktest.NewBackend(t, nil)
	n := newNode(t, webhook.NewMemory(5, webhooktest.Long), b)
	n.Record(joins(1, 8)...) // one flush of 8 into a queue of 5
	n.start(t)
	got := b.AwaitAccepted(5)
	if want := users(joins(4, 5)); !slices.Equal(users(got), want) {
		t.Errorf("delivered %q, want %q", users(got), want)
	}
	waitMetric(t, n, 3, "rt_webhook_dropped_total")
	wantDropWarning(t, n, "dropped=3")
}

// A batch being retried whose events the bound dropped meanwhile is given
// up, and the sender goes on with the newer events.
func TestBatchDroppedWhileRetriedIsGivenUp(t *testing.T) {
	b := webhooktest.NewBackend(t, func(_ int, batch webhooktest.Batch) int {
		if slices.Contains(users(batch.Events), "u1") {
			return http.StatusServiceUnavailable // the first batch never goes through
		}
		return http.StatusOK
	})
	n := newNode(t, webhook.NewMemory(3, webhooktest.Long), b).start(t)
	n.Record(joins(1, 3)...)
	b.Await("the first batch refused", func(bs []webhooktest.Batch) bool { return len(bs) > 0 })
	n.Record(joins(4, 3)...)
	got := b.AwaitAccepted(3)
	if want := users(joins(4, 3)); !slices.Equal(users(got), want) {
		t.Errorf("delivered %q, want %q", users(got), want)
	}
	waitMetric(t, n, 3, "rt_webhook_dropped_total")
}

func wantDropWarning(t *testing.T, n *node, count string) {
	t.Helper()
	if err := n.Stop(t.Context()); err != nil { // the flusher may not have logged yet: Stop does
		t.Fatal(err)
	}
	log := n.log.String()
	if !strings.Contains(log, "backlog full, dropped the oldest events") || !strings.Contains(log, count) {
		t.Errorf("no drop warning with %s in the log:\n%s", count, log)
	}
}
