package main

import (
	"context"
	"sync"
	"time"
)

// sendSteady sends total messages, message j at start + j/rate to room
// j mod rooms from that room's sender: every room gets rate/rooms per
// second, and their sends interleave evenly rather than arriving in bursts.
// A sender running late catches up at once; the phase's bound stops it.
// Each room's sender publishes on a goroutine of its own, one message after
// the other's ack (so that a room's messages have one order, as they had
// with one writer per socket), each stamped with the time Publish was
// called; sendSteady returns once every one is answered.
func (f *mrFleet) sendSteady(ctx context.Context, rate float64, total int) error {
	queues := make([]chan struct{}, f.l.rooms)
	var senders sync.WaitGroup
	for r := range queues {
		queues[r] = make(chan struct{}, total/f.l.rooms+1)
		room := f.clients[f.l.sender(r)].rooms[0] // the sender's slot 0 is room r
		senders.Go(func() {
			for range queues[r] {
				if ctx.Err() != nil {
					continue // past the phase's bound: not sent
				}
				text := msgText(int(f.sent[r].Load()), time.Now().UnixNano())
				f.sent[r].Add(1)
				if _, err := room.Publish(context.WithoutCancel(ctx), text, nil); err != nil {
					f.refused[r].Add(1)
					f.count(f.errs, errText(err))
					continue
				}
				f.acked[r].Add(1)
			}
		})
	}
	defer func() {
		for _, q := range queues {
			close(q)
		}
		senders.Wait()
	}()
	start := time.Now()
	for j := range total {
		at := start.Add(time.Duration(float64(j) / rate * float64(time.Second)))
		if d := time.Until(at); d > 0 {
			if err := sleep(ctx, d); err != nil {
				return err
			}
		} else if err := ctx.Err(); err != nil {
			return err
		}
		queues[j%f.l.rooms] <- struct{}{}
	}
	return nil
}
