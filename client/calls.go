package client

import (
	"context"
	"time"
)

type callKind int

const (
	kindPublish callKind = iota
	kindHistory
	kindJoin
	kindLeave
	kindRefresh
)

// call is a request waiting for the frame that carries its ref. Publishes
// and history reads have a caller waiting on done; joins and leaves are
// tracked on their room; a refresh keeps the token it sent.
type call struct {
	kind  callKind
	room  *Room
	ref   string
	frame outFrame    // publish, history: the frame, ref set when sent
	token string      // refresh
	done  chan result // publish, history; one answer
	timer *time.Timer // the ack timeout
	over  bool        // answered
}

type result struct {
	f   *inFrame
	err error
}

// sendCall gives k a ref and sends it, with the ack timeout running; c.mu
// is held and the room is joined on the current socket.
func (c *Client) sendCall(k *call) {
	k.ref = c.newRef()
	k.frame.Ref = k.ref
	c.calls[k.ref] = k
	k.timer = c.after(c.cfg.AckTimeout, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.calls[k.ref] == k {
			c.finish(k, result{err: ErrTimeout})
		}
	})
	c.sess.send(k.frame.encode())
}

// finish answers k once and forgets it; c.mu is held.
func (c *Client) finish(k *call, res result) {
	if c.calls[k.ref] == k {
		delete(c.calls, k.ref)
	}
	c.stopTimer(k.timer)
	if k.done != nil && !k.over {
		k.over = true
		k.done <- res
	}
}

// await waits for k's answer or ctx. A publish given up on while queued
// is taken out of the queue, so it is never sent.
func (c *Client) await(ctx context.Context, k *call) (*inFrame, error) {
	select {
	case res := <-k.done:
		return res.f, res.err
	case <-ctx.Done():
	}
	c.mu.Lock()
	if !k.over {
		k.over = true
		c.unqueue(k)
		if c.calls[k.ref] == k {
			delete(c.calls, k.ref)
			c.stopTimer(k.timer)
		}
	}
	c.mu.Unlock()
	select {
	case res := <-k.done:
		return res.f, res.err
	default:
		return nil, ctx.Err()
	}
}

// forgetCall drops the call of ref when it is of kind (an answer without a
// waiter: join, leave).
func (c *Client) forgetCall(ref string, kind callKind) {
	if k := c.calls[ref]; k != nil && k.kind == kind {
		c.finish(k, result{})
	}
}

// onServerError routes a system.error to the request whose ref it carries,
// or to OnError when it answers none.
func (c *Client) onServerError(f *inFrame) {
	err := serverError(f)
	k := c.calls[f.Ref]
	if f.Ref == "" || k == nil {
		c.report(err)
		return
	}
	switch k.kind {
	case kindPublish, kindHistory:
		c.finish(k, result{err: err})
	case kindJoin:
		c.finish(k, result{})
		c.onJoinRefused(k.room, err)
	case kindLeave:
		// not_joined: the room was already gone, which is what was asked.
		c.finish(k, result{})
		k.room.joined, k.room.joining = false, false
		c.leaveDone(k.room)
	case kindRefresh:
		// token_invalid: the socket goes on until the server's 4001.
		c.finish(k, result{})
		c.report(err)
	}
}

// after runs f after d on a timer the client tracks, so that Close can
// stop it or wait for it; nil after Close. c.mu is held.
func (c *Client) after(d time.Duration, f func()) *time.Timer {
	if c.closed {
		return nil
	}
	c.timers.Add(1)
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		defer c.timers.Done()
		c.mu.Lock()
		delete(c.live, t)
		c.mu.Unlock()
		f()
	})
	c.live[t] = struct{}{}
	return t
}

// stopTimer stops t if it has not fired; c.mu is held.
func (c *Client) stopTimer(t *time.Timer) {
	if t != nil && t.Stop() {
		delete(c.live, t)
		c.timers.Done()
	}
}

// stopTimers stops every tracked timer; c.mu is held.
func (c *Client) stopTimers() {
	for t := range c.live {
		c.stopTimer(t)
	}
}
