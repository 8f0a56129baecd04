package redisbus

import (
	"context"
	"errors"
	"sync"

	"github.com/rtserver/rt/modules/bus"
)

// errGaveUp: the caller's ctx ended before its room's command was
// answered; its subscriber has been told LinkLost, and LinkBack follows
// once Redis confirms the room (batch.finish) or the run loop subscribes
// it again.
var errGaveUp = errors.New("redisbus: stopped waiting for the SUBSCRIBE")

// A batch is the rooms whose subscription one flush makes match their
// local subscribers, with one SUBSCRIBE and one UNSUBSCRIBE at most for
// all of them.
//
// Subscribe and cancel add their room to the open batch (pubsub.next),
// opening one, and starting its flush, if there is none. The flush waits
// for syncMu, closes the batch to newcomers and sends its commands; rooms
// added meanwhile go to the next batch, whose flush runs once this one has
// released syncMu. So while one command is in flight every new room waits
// for the next, and a burst of N rooms costs a few round trips rather than
// N in a row. syncMu still serialises every change, so a SUBSCRIBE and an
// UNSUBSCRIBE of one room never arrive reversed.
type batch struct {
	rooms map[string]bool // guarded by pubsub.pendMu until the flush takes the batch
	done  chan struct{}   // closed once errs is set

	mu       sync.Mutex
	finished bool
	// errs holds each room's failure; a room absent from it needs nothing
	// more or was confirmed.
	errs map[string]error
	// abandoned holds the rooms whose caller stopped waiting and told its
	// subscriber LinkLost: the flush tells them LinkBack if it confirms them.
	abandoned map[string]bool
}

// sync makes Redis's subscription of room match whether it has local
// subscribers, sharing the command with concurrent callers, and waits
// until Redis answered or ctx ends. In the latter case deliver (non-nil
// when ctx can end) is told LinkLost, and errGaveUp returned. The command
// itself does not end with ctx, only with commandTimeout or Stop: another
// caller may be waiting for it, and the caller that gave up hears LinkBack
// when it is confirmed.
func (r *pubsub) sync(ctx context.Context, room string, deliver func(bus.Message)) error {
	b := r.enqueue(room)
	select {
	case <-b.done:
		return b.errs[room]
	case <-ctx.Done():
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return b.errs[room]
	}
	if b.abandoned == nil {
		b.abandoned = map[string]bool{}
	}
	b.abandoned[room] = true
	// Under b.mu, so that the flush's LinkBack cannot come first.
	deliver(bus.Message{Room: room, Link: bus.LinkLost})
	return errGaveUp
}

// enqueue adds room to the open batch, opening one and starting its flush
// if there is none, and returns the batch. After Stop the batch returned
// is already finished: the room waits for a connection that will not come.
func (r *pubsub) enqueue(room string) *batch {
	r.pendMu.Lock()
	defer r.pendMu.Unlock()
	if r.stopped {
		b := &batch{done: make(chan struct{})}
		b.finish(map[string]error{room: errDisconnected})
		return b
	}
	b := r.next
	if b == nil {
		b = &batch{rooms: map[string]bool{}, done: make(chan struct{})}
		r.next = b
		r.flushes.Add(1)
		go r.flush()
	}
	b.rooms[room] = true
	return b
}

// flush sends the open batch's commands once it holds syncMu. Each batch
// has its own flush, started as it opened; the batch is still open when
// its flush takes it, as the next one opens only after that.
func (r *pubsub) flush() {
	defer r.flushes.Done()
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	r.pendMu.Lock()
	b := r.next
	r.next = nil
	r.pendMu.Unlock()
	if b == nil {
		return
	}
	// Still under syncMu, so a LinkBack told here cannot overtake the
	// LinkLost the run loop tells once it has dropped the connection.
	r.subs.Signal(bus.LinkBack, b.finish(r.reconcile(b.rooms)))
}

// reconcile makes Redis's subscription of each of rooms match whether it
// has local subscribers now, with one SUBSCRIBE and one UNSUBSCRIBE at
// most, and returns the failures per room; syncMu must be held.
func (r *pubsub) reconcile(rooms map[string]bool) map[string]error {
	errs := map[string]error{}
	c := r.conn
	if c == nil {
		for room := range rooms {
			errs[room] = errDisconnected
		}
		return errs
	}
	var sub, unsub []string
	for room := range rooms {
		want := r.subs.Has(room)
		switch {
		case !r.unsure[room] && want == r.active[room]:
		case want:
			sub = append(sub, room)
		default:
			unsub = append(unsub, room)
		}
	}
	err := r.send(r.ctx, c, true, sub...)
	fail(errs, sub, err)
	if r.conn == c { // else the connection failed, and send dropped it: the run loop takes over
		err = r.send(r.ctx, c, false, unsub...)
	}
	fail(errs, unsub, err)
	return errs
}

// fail records err, if any, as the outcome of each of rooms.
func fail(errs map[string]error, rooms []string, err error) {
	if err == nil {
		return
	}
	for _, room := range rooms {
		errs[room] = err
	}
}

// finish records the outcome and wakes the callers; it returns the rooms
// a caller gave up on that are now confirmed, to be told LinkBack.
func (b *batch) finish(errs map[string]error) (back []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.finished, b.errs = true, errs
	close(b.done)
	for room := range b.abandoned {
		if errs[room] == nil {
			back = append(back, room)
		}
	}
	return back
}
