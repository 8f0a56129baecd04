package webhook_test

import (
	"testing"
	"time"

	"github.com/rtserver/rt/modules/webhook"
	"github.com/rtserver/rt/modules/webhook/webhooktest"
)

func TestMemoryQueueContract(t *testing.T) {
	webhooktest.RunQueue(t, func(_ *testing.T, bound int, claimAfter time.Duration) (webhook.Queue, webhook.Queue) {
		q := webhook.NewMemory(bound, claimAfter)
		return q, q
	})
}

// A batch abandoned at the front does not keep every event delivered
// after it in memory: the memory queue drops the done ones behind it.
func TestMemoryQueueForgetsDoneBehindAbandoned(t *testing.T) {
	q := webhook.NewMemory(100_000, webhooktest.Long)
	webhooktest.Add(t, q, webhooktest.Events(0, 1), 0)
	stuck := webhooktest.Take(t, q, 1)
	for i := range 50 {
		webhooktest.Add(t, q, webhooktest.Events(1+i*100, 100), 0)
		webhooktest.Done(t, q, webhooktest.Take(t, q, webhook.MaxBatch))
	}
	webhooktest.WantLen(t, q, 1)
	if n := webhook.Entries(q); n > 3*webhook.MaxBatch {
		t.Errorf("%d entries kept for 1 event waiting", n)
	}
	webhooktest.Done(t, q, stuck)
	webhooktest.WantLen(t, q, 0)
}
