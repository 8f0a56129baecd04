package webhook_test

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rtserver/rt/modules/webhook"
	"github.com/rtserver/rt/modules/webhook/webhooktest"
)

// Stop moves what the node buffered into the queue, even when no flush
// was due yet.
func TestStopFlushesTheBuffer(t *testing.T) {
	b := webhooktest.NewBackend(t, nil)
	q := webhook.NewMemory(1000, webhooktest.Long)
	n := newNode(t, q, b, func(o *options) { o.settings.FlushEvery = time.Hour }).start(t)
	n.Record(joins(1, 5)...)
	if err := n.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	webhooktest.WantLen(t, q, 5)
	if got := b.Batches(); len(got) != 0 {
		t.Errorf("the backend got %d batches before the flush", len(got))
	}
}

// Stopped, the flusher and the sender are gone, with a delivery done and
// with one cut short (the backend never answers): its batch stays queued.
func TestStopLeavesNoGoroutine(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer webhooktest.Answer
	}{
		{"idle", nil},
		{"mid-delivery", func(int, webhooktest.Batch) int { return webhooktest.Hang }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := goleak.IgnoreCurrent()
			b := webhooktest.NewBackend(t, tc.answer)
			q := webhook.NewMemory(1000, webhooktest.Long)
			n := newNode(t, q, b).start(t)
			n.Record(joins(1, 3)...)
			b.AwaitArrived(1)
			if tc.answer == nil {
				b.AwaitAccepted(3)
			}
			if err := n.Stop(t.Context()); err != nil {
				t.Fatal(err)
			}
			n.caller.Close()
			b.Down()
			if err := goleak.Find(before); err != nil {
				t.Fatal(err)
			}
			if tc.answer != nil {
				webhooktest.WantLen(t, q, 3)
			}
		})
	}
}
