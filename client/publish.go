package client

import (
	"context"
	"encoding/json"
	"slices"
)

// Publish sends a chat message (text, data or both) to the room and
// returns its Ack once the server stored and published it. When the room
// is not joined right now (reconnecting, join in flight) the message is
// queued, in order, up to Config.PublishQueue (ErrQueueFull beyond), and
// sent once the room is rejoined. A message sent but not acked when the
// socket drops fails with ErrDisconnected and is never resent; no ack
// within AckTimeout is ErrTimeout; a server refusal is an *Error with its
// code. A room the app has not joined (or left) gives not_joined. While
// the client is not running (before Connect, after a final stop)
// nothing is queued: ErrDisconnected.
func (r *Room) Publish(ctx context.Context, text string, data json.RawMessage) (Ack, error) {
	if err := checkPayload(text, data); err != nil {
		return Ack{}, err
	}
	k := &call{
		kind:  kindPublish,
		room:  r,
		frame: outFrame{Type: "chat.message", Room: r.name, Text: text, Data: data},
		done:  make(chan result, 1),
	}
	if err := r.c.submit(k); err != nil {
		return Ack{}, err
	}
	f, err := r.c.await(ctx, k)
	if err != nil {
		return Ack{}, err
	}
	return Ack{ID: f.ID, TS: f.TS}, nil
}

func checkPayload(text string, data json.RawMessage) error {
	if text == "" && len(data) == 0 {
		return &Error{Code: "bad_message", Message: "a message needs text or data"}
	}
	if len(data) > 0 && !json.Valid(data) {
		return &Error{Code: "bad_message", Message: "data is not valid JSON"}
	}
	return nil
}

// submit sends a publish, or queues it while its room is not joined.
func (c *Client) submit(k *call) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := k.room
	switch {
	case c.closed:
		return ErrClosed
	case !r.wanted:
		return errNotJoined
	case c.sess != nil && r.joined && !r.leaving:
		c.sendCall(k)
	case !c.running:
		// Not started, or stopped for good: nothing would send it.
		return ErrDisconnected
	case c.queued >= c.cfg.PublishQueue:
		return ErrQueueFull
	default:
		r.queue = append(r.queue, k)
		c.queued++
	}
	return nil
}

// flushQueue sends the room's queued publishes in order; c.mu is held.
func (c *Client) flushQueue(r *Room) {
	q := r.queue
	r.queue = nil
	c.queued -= len(q)
	for _, k := range q {
		c.sendCall(k)
	}
}

// rejectQueue fails the room's queued publishes with err; c.mu is held.
func (c *Client) rejectQueue(r *Room, err error) {
	q := r.queue
	r.queue = nil
	c.queued -= len(q)
	for _, k := range q {
		c.finish(k, result{err: err})
	}
}

// unqueue takes k out of its room's queue if it is there; c.mu is held.
func (c *Client) unqueue(k *call) {
	r := k.room
	if i := slices.Index(r.queue, k); i >= 0 {
		r.queue = slices.Delete(r.queue, i, i+1)
		c.queued--
	}
}

// onAck answers the publish the ack's ref names. The position is not
// touched: it moves with deliveries only, so the sender's own delivery,
// which may come after its ack, is not taken for a duplicate.
func (c *Client) onAck(f *inFrame) {
	k := c.calls[f.Ref]
	if k == nil || k.kind != kindPublish {
		return
	}
	c.stats.acks.Add(1)
	c.finish(k, result{f: f})
}

// onDelivery hands a chat message to the app unless its id is not past
// the room's position (a replay overlapping what was seen): ids of a room
// compare as strings in publish order.
func (c *Client) onDelivery(f *inFrame) {
	r := c.rooms[f.Room]
	if r == nil || !r.wanted {
		return
	}
	if f.ID <= r.position {
		c.stats.duplicates.Add(1)
		return
	}
	r.position = f.ID
	c.stats.messages.Add(1)
	c.emitMessage(Message{Room: f.Room, ID: f.ID, User: f.User, Text: f.Text, Data: f.Data, TS: f.TS})
}

// History reads a page of the room's history: the newest limit messages
// (1 to 100; 0 means the server's default, 50) older than before ("" for
// the newest), oldest first. It needs the room joined on an open socket
// (ErrDisconnected otherwise) and does not move the position.
func (r *Room) History(ctx context.Context, before string, limit int) (Page, error) {
	c := r.c
	k := &call{
		kind:  kindHistory,
		room:  r,
		frame: outFrame{Type: "history.get", Room: r.name, Before: before, Limit: limit},
		done:  make(chan result, 1),
	}
	if err := c.sendNow(k); err != nil {
		return Page{}, err
	}
	f, err := c.await(ctx, k)
	if err != nil {
		return Page{}, err
	}
	return Page{Messages: f.Messages, More: f.More}, nil
}

// sendNow sends k if its room is joined on an open socket.
func (c *Client) sendNow(k *call) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.joinedNow(k.room); err != nil {
		return err
	}
	c.sendCall(k)
	return nil
}

// joinedNow says why the room cannot take a frame right now, or nil;
// c.mu is held.
func (c *Client) joinedNow(r *Room) error {
	switch {
	case c.closed:
		return ErrClosed
	case !r.wanted:
		return errNotJoined
	case c.sess == nil || !r.joined || r.leaving:
		return ErrDisconnected
	}
	return nil
}

// onPage answers the history read the page's ref names.
func (c *Client) onPage(f *inFrame) {
	if k := c.calls[f.Ref]; k != nil && k.kind == kindHistory {
		c.finish(k, result{f: f})
	}
}

// Signal sends a passing state (typing, a cursor) to the room's other
// users. It is fire-and-forget: while the room is not joined on an open
// socket it is dropped, with ErrDisconnected.
func (r *Room) Signal(data json.RawMessage) error {
	if len(data) == 0 || !json.Valid(data) {
		return &Error{Code: "bad_message", Message: "a signal needs valid JSON data"}
	}
	c := r.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.joinedNow(r); err != nil {
		return err
	}
	c.sess.send(outFrame{Type: "room.signal", Room: r.name, Data: data}.encode())
	return nil
}
