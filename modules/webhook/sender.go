package webhook

import (
	"context"

	"github.com/rtserver/rt/modules/hooks"
)

// sendLoop takes batches from the Queue and delivers each before the
// next: one request in flight per node keeps a node's batches in order
// and leaves the caller's other slots to the connect and publish hooks.
func (d *Delivery) sendLoop(ctx context.Context) {
	defer d.loops.Done()
	retry := d.set.Retry.Start()
	for ctx.Err() == nil {
		batch, err := d.queue.Take(ctx, MaxBatch)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			d.warn(&d.queueFailures, "webhook: reading the queue failed; retrying", err)
			retry.Wait(ctx)
			continue
		}
		retry.Reset()
		if len(batch) > 0 {
			d.deliver(ctx, batch)
		}
		d.gauge(ctx)
	}
}

// deliver POSTs the batch until the backend takes it, the same body every
// time (so the same ids), holding the batch before each retry so that no
// other node claims it meanwhile. It gives up only when ctx ends (the
// batch stays queued) or when every event of it was dropped meanwhile.
func (d *Delivery) deliver(ctx context.Context, batch []Pending) {
	body := batchBody(batch)
	retry := d.set.Retry.Start()
	for {
		_, err := d.caller.Call(ctx, hookName, d.set.URL, body)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		d.hookStats.Count(hookName, hooks.Outcome(err))
		d.warn(&d.failures, "webhook: delivery failed; retrying", err)
		if !retry.Wait(ctx) {
			return
		}
		held, err := d.queue.Hold(ctx, batch)
		if err == nil && held == 0 {
			return // dropped to the bound, and counted then
		}
		d.stats.retries.Inc()
	}
	d.hookStats.Count(hookName, "delivered")
	d.stats.delivered.Add(float64(len(batch)))
	d.done(ctx, batch)
}

// done removes a delivered batch, retrying while the Queue fails: a batch
// left in it is delivered again after claimAfter.
func (d *Delivery) done(ctx context.Context, batch []Pending) {
	retry := d.set.Retry.Start()
	for {
		err := d.queue.Done(ctx, batch)
		if err == nil || ctx.Err() != nil {
			return
		}
		d.warn(&d.queueFailures, "webhook: removing delivered events failed; retrying", err)
		if !retry.Wait(ctx) {
			return
		}
	}
}

// gauge sets rt_webhook_backlog: the Queue's length and this node's
// buffer.
func (d *Delivery) gauge(ctx context.Context) {
	if n, err := d.queue.Len(ctx); err == nil {
		d.stats.backlog.Set(float64(n + d.buf.len()))
	}
}

// batchBody is {"events":[...]} around the events' JSON as queued.
func batchBody(batch []Pending) []byte {
	n := len(`{"events":[]}`) + len(batch)
	for _, p := range batch {
		n += len(p.Event)
	}
	b := append(make([]byte, 0, n), `{"events":[`...)
	for i, p := range batch {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, p.Event...)
	}
	return append(b, "]}"...)
}
