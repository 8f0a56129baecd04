package ws

import (
	"context"
	"errors"

	"github.com/rtserver/rt/modules/hub"
	"github.com/rtserver/rt/modules/protocol"
)

// dispatch serves one text frame from c. A frame that cannot be served gets
// a system.error, with the frame's ref when it had a valid one, and reaches
// nobody else.
func (h *Handler) dispatch(c *Conn, data []byte) {
	in, err := protocol.Decode(data)
	if err != nil {
		h.stats.frame(frameInvalid)
		var perr *protocol.Error
		if !errors.As(err, &perr) {
			perr = &protocol.Error{Code: protocol.CodeBadJSON, Message: "frame could not be read"}
		}
		c.answer(in.Ref, perr)
		return
	}
	h.stats.frame(in.Type) // Decode admits only the client types
	switch in.Type {
	case protocol.TypeChatMessage:
		h.say(c, in)
	case protocol.TypePing:
		c.Send(protocol.WithRef(protocol.Pong(protocol.Now()), in.Ref))
	case protocol.TypePresenceList:
		h.presenceList(c, in)
	case protocol.TypeHistoryGet:
		h.historyPage(c, in)
	case protocol.TypeAuthRefresh:
		h.refresh(c, in)
	case protocol.TypeRoomJoin:
		h.roomJoin(c, in)
	case protocol.TypeRoomLeave:
		h.roomLeave(c, in)
	case protocol.TypeRoomSignal:
		h.signal(c, in)
	case protocol.TypePong:
		// activity only; the read already counted it
	}
}

// roomOf is the room frame in is about (roomSet.resolve); when there is
// none it answers the refusal and reports false.
func (c *Conn) roomOf(in protocol.Inbound) (string, bool) {
	room, err := c.rooms.resolve(in.Room)
	if err != nil {
		c.answer(in.Ref, err)
		return "", false
	}
	return room, true
}

// notSent is the unavailable answer to a chat message.
const notSent = "message not delivered; try again"

func (h *Handler) say(c *Conn, in protocol.Inbound) {
	room, ok := c.roomOf(in)
	if !ok {
		return
	}
	s := sayRequest{ref: in.Ref}
	s.Room, s.Text, s.Data = room, in.Text, in.Data
	if !c.requests.submitSay(s) {
		c.Send(protocol.WithRef(protocol.ErrorFrame(protocol.CodeUnavailable, notSent), in.Ref))
	}
}

// sayAll publishes a client's queued chat messages, acks each one that had
// a ref, and answers each one the hub refused or could not publish.
func (h *Handler) sayAll(ctx context.Context, c *Conn, said []sayRequest) {
	saids := make([]hub.Said, len(said))
	for i, s := range said {
		saids[i] = s.Said
	}
	published, errs := h.hub.SayAll(ctx, c.user, saids)
	for i, err := range errs {
		s := said[i]
		switch {
		case err != nil:
			h.refused(c, s.ref, "publish failed", err, notSent)
		case s.ref != "":
			c.Send(protocol.ChatAck(s.Room, s.ref, published[i].ID, published[i].TS))
		}
	}
}

// signal serves room.signal: published on the runner, in order with the
// client's messages; only a failure is answered.
func (h *Handler) signal(c *Conn, in protocol.Inbound) {
	room, ok := c.roomOf(in)
	if !ok {
		return
	}
	const unavailable = "signal not delivered; try again"
	h.request(c, in.Ref, unavailable, func(ctx context.Context) {
		if err := h.hub.Signal(ctx, room, c.user, in.Data); err != nil {
			h.refused(c, in.Ref, "signal failed", err, unavailable)
		}
	})
}

func (h *Handler) presenceList(c *Conn, in protocol.Inbound) {
	room, ok := c.roomOf(in)
	if !ok {
		return
	}
	h.sendPresence(c, room, in.Ref)
}

// sendPresence reads room's presence on the runner and sends it whatever
// the client missed before (sendPicture).
func (h *Handler) sendPresence(c *Conn, room, ref string) {
	const unavailable = "presence is unavailable; try again"
	h.request(c, ref, unavailable, func(ctx context.Context) {
		users, err := h.hub.Presence(ctx, room)
		if err != nil {
			h.refused(c, ref, "presence list failed", err, unavailable)
			return
		}
		c.sendPicture(protocol.WithRef(protocol.PresenceState(room, users), ref))
	})
}

// resync sends a client that missed presence frames the whole picture of
// every room it is in.
func (h *Handler) resync(c *Conn) {
	for _, room := range c.rooms.names() {
		h.sendPresence(c, room, "")
	}
}

// historyPage serves history.get on the history lane: it waits for the
// client to have read what came before (the socket's queue under half of
// SEND_QUEUE_BYTES) and for the user's history budget, reads the page, cut
// to the other half, and queues it.
func (h *Handler) historyPage(c *Conn, in protocol.Inbound) {
	room, ok := c.roomOf(in)
	if !ok {
		return
	}
	const unavailable = "history is unavailable; try again"
	ok = c.pages.submit(func(ctx context.Context) {
		if !c.pageTurn(ctx) {
			return
		}
		ctx, cancel := context.WithTimeout(ctx, opTimeout)
		defer cancel()
		page, read, err := h.hub.PageWithin(ctx, room, in.Before, in.Limit, c.pageRoom())
		c.historyRead(read)
		if err != nil {
			h.refused(c, in.Ref, "history page failed", err, unavailable)
			return
		}
		c.Send(protocol.WithRef(page, in.Ref))
	})
	if !ok {
		c.Send(protocol.WithRef(protocol.ErrorFrame(protocol.CodeRateLimited, "too many history requests waiting; wait for the pages asked for"), in.Ref))
	}
}

// refused answers a request the hub could not serve: the hub's own refusal
// as it is, anything else (the bus or presence is away) as unavailable.
func (h *Handler) refused(c *Conn, ref, what string, err error, unavailable string) {
	var perr *protocol.Error
	if !errors.As(err, &perr) {
		h.log.Warn(what, "err", err)
	}
	c.Send(protocol.WithRef(errorFrame(err, unavailable), ref))
}

// errorFrame is the system.error for err: its own code when it is a
// *protocol.Error, unavailable with the message given otherwise.
func errorFrame(err error, unavailable string) []byte {
	var perr *protocol.Error
	if errors.As(err, &perr) {
		return protocol.ErrorFrame(perr.Code, perr.Message)
	}
	return protocol.ErrorFrame(protocol.CodeUnavailable, unavailable)
}

// request hands f to c's request runner, or answers unavailable at once
// when too many of c's requests are already waiting on the backend.
func (h *Handler) request(c *Conn, ref, unavailable string, f func(context.Context)) {
	if !c.requests.submit(f) {
		c.Send(protocol.WithRef(protocol.ErrorFrame(protocol.CodeUnavailable, unavailable), ref))
	}
}
