package webhook_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/rtserver/rt/modules/webhook"
	"github.com/rtserver/rt/modules/webhook/webhooktest"
)

// Every recorded event reaches the backend once, with its fields, in
// signed batches of at most 100, in the order recorded (the backend checks
// the signature and the shape of every request).
func TestDeliversSignedBatches(t *testing.T) {
	b := webhooktest.NewBackend(t, nil)
	n := newNode(t, webhook.NewMemory(1000, webhooktest.Long), b).start(t)
	msg := webhook.Event{Type: webhook.MessagePublished, Room: "lobby", User: "ann", TS: 7,
		Message: &webhook.Message{ID: "1700000000000-0", Text: "hi", Data: jsontext.Value(`{"k":[1,2]}`)}}
	n.Record(msg)
	n.Record(joins(1, 249)...)
	got := b.AwaitAccepted(250)
	if len(got) != 250 {
		t.Fatalf("%d events accepted, want 250", len(got))
	}
	for _, batch := range b.Batches() {
		if len(batch.Events) > webhook.MaxBatch {
			t.Errorf("a batch of %d events", len(batch.Events))
		}
	}
	first := got[0]
	if first.ID == "" || first.Type != msg.Type || first.Room != "lobby" || first.User != "ann" || first.TS != 7 ||
		first.Message == nil || first.Message.Text != "hi" || string(first.Message.Data) != `{"k":[1,2]}` {
		t.Errorf("first event = %+v, message %+v", first, first.Message)
	}
	if want := users(append([]webhook.Event{msg}, joins(1, 249)...)); !slices.Equal(users(got), want) {
		t.Errorf("users in delivery order:\n%q\nwant\n%q", users(got), want)
	}
	ids := map[string]bool{}
	for _, e := range got {
		ids[e.ID] = true
	}
	if len(ids) != 250 {
		t.Errorf("%d distinct ids for 250 events", len(ids))
	}
	waitMetric(t, n, 250, "rt_webhook_delivered_total")
	if v := n.metric(t, "rt_webhook_events_total", "type", webhook.PresenceJoin); v != 249 {
		t.Errorf("rt_webhook_events_total{presence.join} = %v", v)
	}
	if v := n.metric(t, "rt_hook_calls_total", "hook", "webhook", "outcome", "delivered"); v != float64(len(b.Batches())) {
		t.Errorf("rt_hook_calls_total{delivered} = %v, %d batches", v, len(b.Batches()))
	}
}

// A batch the backend fails (500) is sent again, the same ids in the same
// order, until it is accepted.
func TestRetriesFailedBatchWithSameIDs(t *testing.T) {
	b := webhooktest.NewBackend(t, func(n int, _ webhooktest.Batch) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	n := newNode(t, webhook.NewMemory(1000, webhooktest.Long), b).start(t)
	n.Record(joins(1, 3)...)
	b.AwaitAccepted(3)
	wantSameBatches(t, b.Batches(), 3)
	waitMetric(t, n, 3, "rt_webhook_delivered_total")
	if v := n.metric(t, "rt_webhook_retries_total"); v != 2 {
		t.Errorf("rt_webhook_retries_total = %v, want 2", v)
	}
	if v := n.metric(t, "rt_hook_calls_total", "hook", "webhook", "outcome", "status"); v != 2 {
		t.Errorf("rt_hook_calls_total{status} = %v, want 2", v)
	}
}

// A batch the backend does not answer within HOOK_TIMEOUT is sent again
// with the same ids.
func TestRetriesTimedOutBatchWithSameIDs(t *testing.T) {
	b := webhooktest.NewBackend(t, func(n int, _ webhooktest.Batch) int {
		if n == 1 {
			return webhooktest.Hang
		}
		return http.StatusOK
	})
	n := newNode(t, webhook.NewMemory(1000, webhooktest.Long), b,
		func(o *options) { o.hookTimeout = 100 * time.Millisecond }).start(t)
	n.Record(joins(1, 2)...)
	b.AwaitAccepted(2)
	wantSameBatches(t, b.Batches(), 2)
	waitMetric(t, n, 1, "rt_webhook_retries_total")
	// The caller labels this failure timeout, or now and then error: its
	// transport's ResponseHeaderTimeout can fire before the context's
	// deadline is seen (a matter of the caller, not of the retry).
	failed := n.metric(t, "rt_hook_calls_total", "hook", "webhook", "outcome", "timeout") +
		n.metric(t, "rt_hook_calls_total", "hook", "webhook", "outcome", "error")
	if failed != 1 {
		t.Errorf("rt_hook_calls_total{timeout or error} = %v, want 1", failed)
	}
}

// A backend that is away (connections refused) and comes back gets every
// event recorded meanwhile.
func TestBackendDownThenBack(t *testing.T) {
	b := webhooktest.NewBackend(t, nil)
	b.Down()
	n := newNode(t, webhook.NewMemory(1000, webhooktest.Long), b).start(t)
	n.Record(joins(1, 150)...)
	waitMetric(t, n, 3, "rt_hook_calls_total", "hook", "webhook", "outcome", "error")
	b.Up()
	got := b.AwaitAccepted(150)
	seen := map[string]bool{}
	for _, u := range users(got) {
		seen[u] = true
	}
	for _, u := range users(joins(1, 150)) {
		if !seen[u] {
			t.Errorf("%s never delivered", u)
		}
	}
	if !strings.Contains(n.log.String(), "webhook: delivery failed; retrying") {
		t.Errorf("no warning of the failures in the log:\n%s", n.log)
	}
}

// wantSameBatches checks that every request carried the same n events:
// one batch, sent again.
func wantSameBatches(t *testing.T, batches []webhooktest.Batch, n int) {
	t.Helper()
	if len(batches) < 2 {
		t.Fatalf("%d requests, want retries", len(batches))
	}
	first := batches[0].IDs()
	if len(first) != n {
		t.Errorf("first batch: %d events, want %d", len(first), n)
	}
	for i, batch := range batches[1:] {
		if !slices.Equal(batch.IDs(), first) {
			t.Errorf("request %d: ids %q, first request %q", i+2, batch.IDs(), first)
		}
	}
}

// waitMetric waits until a metric of n reaches want: the loops count after
// the backend answered.
func waitMetric(t *testing.T, n *node, want float64, name string, labels ...string) {
	t.Helper()
	deadline := time.Now().Add(webhooktest.WaitLimit)
	for {
		v := n.metric(t, name, labels...)
		if v >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%q = %v, want %v", name, labels, v, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
