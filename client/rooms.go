package client

import (
	"context"
	"time"
)

// Room is one room of a client, got with Client.Room. A room the app
// joined stays wanted across reconnects, and is rejoined on each with
// since = its position, until Leave or until the server takes it away
// (OnLeft).
type Room struct {
	c    *Client
	name string

	// guarded by c.mu
	wanted       bool   // the app joined it and has not left
	joined       bool   // room.joined on the current socket
	joining      bool   // room.join sent, no answer yet
	leaving      bool   // room.leave sent, no answer yet
	everJoined   bool   // joined on an earlier socket: a rejoin is a recovery
	joinSince    string // the since of the join in flight
	position     string // the greatest delivery id seen
	users        map[string]struct{}
	joinWaiters  []chan error
	leaveWaiters []chan error
	queue        []*call // publishes waiting for the join
}

// Name is the room's name.
func (r *Room) Name() string { return r.name }

// Join joins the room and returns once the server confirmed it, or with
// its refusal (*Error with the server's code: room_forbidden,
// too_many_rooms, bad_room, unavailable…). While the client is not
// connected the join is remembered and done on connect; Join then waits
// until ctx ends (the room stays wanted: Leave drops it).
func (r *Room) Join(ctx context.Context) error {
	c := r.c
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	r.wanted = true
	if r.joined && !r.leaving {
		c.mu.Unlock()
		return nil
	}
	w := make(chan error, 1)
	r.joinWaiters = append(r.joinWaiters, w)
	if c.sess != nil && !r.joining && !r.leaving {
		c.sendJoin(r)
	}
	c.mu.Unlock()
	return r.wait(ctx, w, &r.joinWaiters)
}

// Leave leaves the room and returns once the server confirmed it (at
// once when not connected). Publishes still queued for the room fail with
// not_joined, and its position is forgotten: a later Join starts afresh.
func (r *Room) Leave(ctx context.Context) error {
	c := r.c
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	if !r.wanted && !r.leaving {
		c.mu.Unlock()
		return nil
	}
	r.forget(errNotJoined)
	if !r.leaving && (c.sess == nil || (!r.joined && !r.joining)) {
		c.mu.Unlock()
		return nil
	}
	w := make(chan error, 1)
	r.leaveWaiters = append(r.leaveWaiters, w)
	if !r.leaving {
		r.leaving = true
		ref := c.newRef()
		c.calls[ref] = &call{kind: kindLeave, room: r, ref: ref}
		c.sess.send(outFrame{Type: "room.leave", Room: r.name, Ref: ref}.encode())
	}
	c.mu.Unlock()
	return r.wait(ctx, w, &r.leaveWaiters)
}

// forget drops the room from the app's wants; c.mu is held.
func (r *Room) forget(err error) {
	r.wanted, r.everJoined = false, false
	r.position, r.users = "", nil
	r.c.rejectQueue(r, err)
	resolve(&r.joinWaiters, err)
}

// Position is the greatest message id delivered in the room so far ("" for
// none): where a rejoin resumes.
func (r *Room) Position() string {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	return r.position
}

// wait waits for w or ctx; on ctx it takes w off its list.
func (r *Room) wait(ctx context.Context, w chan error, list *[]chan error) error {
	select {
	case err := <-w:
		return err
	case <-ctx.Done():
		r.c.mu.Lock()
		*list = without(*list, w)
		r.c.mu.Unlock()
		select {
		case err := <-w:
			return err
		default:
			return ctx.Err()
		}
	}
}

// sendJoin sends room.join with since = the room's position; c.mu is held
// and a socket is open. A join unanswered after AckTimeout is sent again:
// a frame the server dropped for its rate limit gets a system.error
// without the ref, which nothing could match, and joining a room twice
// changes nothing on the server.
func (c *Client) sendJoin(r *Room) {
	s := c.sess
	k := &call{kind: kindJoin, room: r, ref: c.newRef()}
	r.joining, r.joinSince = true, r.position
	c.calls[k.ref] = k
	k.timer = c.after(c.cfg.AckTimeout, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.calls[k.ref] == k && c.sess == s && r.joining {
			delete(c.calls, k.ref)
			c.sendJoin(r)
		}
	})
	s.send(outFrame{Type: "room.join", Room: r.name, Since: r.position, Ref: k.ref}.encode())
}

// onJoined: the room is in. A rejoin with no position cannot be
// recovered, which the app hears as Recovered{Complete: false}; then
// presence is listed afresh and the queued publishes go out in order.
func (c *Client) onJoined(s *session, f *inFrame) {
	c.forgetCall(f.Ref, kindJoin)
	r := c.rooms[f.Room]
	if r == nil {
		return
	}
	r.joining = false
	if !r.wanted || r.leaving || r.joined {
		return // not wanted any more, or the answer to a resent join
	}
	unrecoverable := r.everJoined && r.joinSince == ""
	r.joined, r.everJoined = true, true
	resolve(&r.joinWaiters, nil)
	c.listPresence(s, r)
	c.emitJoined(r.name)
	if unrecoverable {
		c.emitRecovered(Recovered{Room: r.name, Count: 0, Complete: false})
	}
	c.flushQueue(r)
}

// onJoinRefused handles a system.error answering a join. A Join waiting
// gets it; a rejoin nobody waits for is retried when the refusal is
// passing (rate_limited, unavailable), else the room is dropped (OnLeft
// with the code).
func (c *Client) onJoinRefused(r *Room, err *Error) {
	r.joining = false
	// A since the server cannot read: join afresh; the rejoin reports
	// Recovered{Complete: false}, having no position.
	if err.Code == "bad_since" && r.joinSince != "" {
		r.position = ""
		c.sendJoin(r)
		return
	}
	if len(r.joinWaiters) == 0 && (err.Code == "rate_limited" || err.Code == "unavailable") {
		c.retryJoin(r, c.sess)
		return
	}
	waited := len(r.joinWaiters) > 0
	r.forget(err)
	if !waited {
		c.report(err)
		c.emitLeft(r.name, err.Code)
	}
}

// retryJoin rejoins r after a short jittered wait on the same socket.
func (c *Client) retryJoin(r *Room, s *session) {
	d := backoff(1, c.cfg.MinDelay, c.cfg.MaxDelay, jitter) + 100*time.Millisecond
	c.after(d, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.sess == s && r.wanted && !r.joined && !r.joining && !r.leaving {
			c.sendJoin(r)
		}
	})
}

// onLeft handles room.left: the answer to our leave (a Join since then
// rejoins), or the server taking the room away (forbidden, disconnected).
func (c *Client) onLeft(f *inFrame) {
	c.forgetCall(f.Ref, kindLeave)
	r := c.rooms[f.Room]
	if r == nil {
		return
	}
	r.joined, r.joining = false, false
	if f.Reason == "left" || r.leaving {
		c.leaveDone(r)
		return
	}
	r.forget(&Error{Code: f.Reason, Message: "the server took the room away"})
	c.emitLeft(r.name, f.Reason)
}

// leaveDone completes our leave; c.mu is held.
func (c *Client) leaveDone(r *Room) {
	r.leaving = false
	resolve(&r.leaveWaiters, nil)
	if r.wanted && c.sess != nil {
		c.sendJoin(r)
	}
}

// resolve answers and empties a list of waiters.
func resolve(list *[]chan error, err error) {
	for _, w := range *list {
		w <- err
	}
	*list = nil
}

func without(list []chan error, w chan error) []chan error {
	out := list[:0]
	for _, x := range list {
		if x != w {
			out = append(out, x)
		}
	}
	return out
}

// presenceSettle is how long after a join the room's presence is listed
// again: past the server's presence window (200 ms), in which a user who
// joins and leaves is never announced while a list read inside it shows
// them.
const presenceSettle = time.Second

// listPresence asks who is in r now and once more after presenceSettle;
// c.mu is held.
func (c *Client) listPresence(s *session, r *Room) {
	if c.cfg.NoPresence {
		return
	}
	list := outFrame{Type: "presence.list", Room: r.name}.encode()
	s.send(list)
	c.after(presenceSettle, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.sess == s && r.joined {
			s.send(list)
		}
	})
}
