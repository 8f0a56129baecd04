package main

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"
)

// expectedDeliveries: every message reaches every member of its room,
// the sender included.
func (f *fleet) expectedDeliveries(msgs int) int64 {
	return int64(msgs) * int64(f.members())
}

// members is the number of connected clients in rooms.
func (f *fleet) members() int {
	n := 0
	for _, r := range f.rooms {
		n += len(r.members)
	}
	return n
}

// sendPlan is how the senders of every room send.
type sendPlan struct {
	msgs    int     // per room
	rate    float64 // per room, messages/s; 0 = as fast as the window allows
	window  int     // messages of a room not yet received by all its members; 0 = no bound
	senders int     // per room: its first members
}

// sendAll starts the senders of every room and returns a channel closed
// when all of them are done. Paced senders' start times are spread over one
// send interval: rooms in step would send in bursts of one message per room
// at once, and latency would measure the burst.
func (f *fleet) sendAll(ctx context.Context, plan sendPlan) <-chan struct{} {
	var wg sync.WaitGroup
	var interval time.Duration
	if plan.rate > 0 {
		interval = time.Duration(float64(time.Second) * float64(plan.senders) / plan.rate)
	}
	nSenders := len(f.rooms) * plan.senders
	k := 0
	for _, r := range f.rooms {
		for s := range min(plan.senders, len(r.members)) {
			offset := interval * time.Duration(k) / time.Duration(nSenders)
			k++
			wg.Go(func() {
				if sleep(ctx, offset) != nil {
					return
				}
				if err := f.send(ctx, r, r.members[s], plan, interval); err != nil {
					f.mu.Lock()
					f.firstSend = cmp.Or(f.firstSend, err)
					f.mu.Unlock()
				}
			})
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return done
}

func (f *fleet) sendErr() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.firstSend
}

// send writes messages of room r from c until the room has sent
// plan.msgs: one per interval when paced, and with a window, only while
// fewer than plan.window of the room's messages are in flight (sent, and
// neither received by every member still connected nor refused by the
// server). Each carries its sequence number and send time.
func (f *fleet) send(ctx context.Context, r *room, c *client, plan sendPlan, interval time.Duration) error {
	c.sender.Store(true)
	var tick *time.Ticker
	if interval > 0 {
		tick = time.NewTicker(interval)
		defer tick.Stop()
	}
	recheck := time.NewTimer(time.Hour)
	defer recheck.Stop()
	for i := 0; ; i++ {
		seq := int(r.next.Add(1) - 1)
		if seq >= plan.msgs {
			return nil
		}
		if tick != nil && i > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tick.C:
			}
		}
		for plan.window > 0 {
			wait := r.waitChan()
			if r.inFlight(seq) < int64(plan.window) {
				break
			}
			recheck.Reset(100 * time.Millisecond)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-wait:
			case <-recheck.C:
				r.recount(seq) // a member dropped: some messages may be complete unnoticed
			}
		}
		msg := fmt.Appendf(nil, `{"type":"chat.message","text":"%s"}`, msgText(seq, time.Now().UnixNano()))
		if err := c.write(msg); err != nil {
			return fmt.Errorf("%s: %w", c.user, err)
		}
	}
}

// inFlight is how many of the messages before seq are still on their way.
func (r *room) inFlight(seq int) int64 {
	return int64(seq) - r.complete.Load() - r.refused.Load()
}

// recount counts again the messages before seq that every member still
// connected has received: after a drop, the receipt that completes a
// message may have come before the drop made it the last one needed.
func (r *room) recount(seq int) {
	alive, n := r.alive(), int64(0)
	for s := range min(seq, len(r.counts)) {
		if r.counts[s].Load() >= alive {
			n++
		}
	}
	if n > r.complete.Load() {
		r.complete.Store(n)
	}
}

// waitDeliveries returns when every expected delivery arrived (less those
// of messages the server refused), at deadline, or once the senders are
// done and nothing has arrived for drainIdle (what is missing by then is
// lost, not late).
func (f *fleet) waitDeliveries(ctx context.Context, expected int64, deadline time.Time, sent <-chan struct{}) {
	last, since := f.delivered.Load(), time.Now()
	waitUntil(ctx, deadline, func() bool {
		n := f.delivered.Load()
		if n >= expected-f.refusedDeliveries() {
			return true
		}
		if n != last {
			last, since = n, time.Now()
		}
		select {
		case <-sent:
			return time.Since(since) >= drainIdle
		default:
			return false
		}
	})
}

// refusedDeliveries is the deliveries the refused messages would have made.
func (f *fleet) refusedDeliveries() int64 {
	var n int64
	for _, r := range f.rooms {
		n += r.refused.Load() * int64(len(r.members))
	}
	return n
}
