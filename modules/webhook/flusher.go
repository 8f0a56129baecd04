package webhook

import (
	"context"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// flushLoop moves the buffer into the Queue: FlushEvery after the first
// event of a burst, or at once when MaxBatch wait. While the Queue fails
// (Redis away) it retries with backoff; the buffer's bound meanwhile
// drops the oldest.
func (d *Delivery) flushLoop(ctx context.Context) {
	defer d.loops.Done()
	retry := d.set.Retry.Start()
	for {
		select {
		case <-d.buf.ready:
		case <-ctx.Done():
			return
		}
		if !d.gather(ctx) {
			return
		}
		for d.buf.len() > 0 {
			if err := d.flushChunk(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				d.warn(&d.queueFailures, "webhook: the queue refuses events; retrying", err)
				if !retry.Wait(ctx) {
					return
				}
				continue
			}
			retry.Reset()
		}
		d.reportDrops()
	}
}

// gather waits FlushEvery for more events, unless a batch waits already,
// and reports false when ctx ended.
func (d *Delivery) gather(ctx context.Context) bool {
	if d.buf.len() >= MaxBatch {
		return true
	}
	t := time.NewTimer(d.set.FlushEvery)
	defer t.Stop()
	select {
	case <-t.C:
	case <-d.buf.ready: // MaxBatch reached
	case <-ctx.Done():
		return false
	}
	return true
}

// flushChunk adds the oldest MaxBatch buffered events to the Queue; when
// the Queue fails they go back to the front of the buffer.
func (d *Delivery) flushChunk(ctx context.Context) error {
	chunk, encoded := d.encode(d.buf.take(MaxBatch))
	dropped, err := d.queue.Add(ctx, encoded)
	if err != nil {
		if n := d.buf.putBack(chunk); n > 0 {
			d.dropped(n)
		}
		return err
	}
	if dropped > 0 {
		d.dropped(dropped)
	}
	return nil
}

// encode returns the events with their JSON. An event that does not
// encode (its message's data is not JSON, which the hub never records)
// is dropped and logged, so it cannot hold up the others.
func (d *Delivery) encode(chunk []Event) ([]Event, []jsontext.Value) {
	kept := chunk[:0]
	encoded := make([]jsontext.Value, 0, len(chunk))
	for _, e := range chunk {
		b, err := json.Marshal(&e)
		if err != nil {
			d.log.Error("webhook: event not encodable, dropped", "type", e.Type, "room", e.Room, "err", err)
			d.dropped(1)
			continue
		}
		kept = append(kept, e)
		encoded = append(encoded, b)
	}
	return kept, encoded
}

// flushAll adds what is buffered to the Queue, retrying until ctx ends.
func (d *Delivery) flushAll(ctx context.Context) {
	retry := d.set.Retry.Start()
	for d.buf.len() > 0 {
		if err := d.flushChunk(ctx); err != nil && !retry.Wait(ctx) {
			return
		}
	}
}
