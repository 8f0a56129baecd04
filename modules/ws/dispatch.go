package ws

import (
	"context"
	"errors"
	"time"

	"rt/modules/hub"
	"rt/modules/protocol"
)

// dispatch serves one text frame from c. A frame that cannot be served gets
// a system.error and reaches nobody else.
func (h *Handler) dispatch(c *Conn, data []byte) {
	in, err := protocol.Decode(data)
	if err != nil {
		h.stats.frame(frameInvalid)
		var perr *protocol.Error
		if !errors.As(err, &perr) {
			perr = &protocol.Error{Code: protocol.CodeBadJSON, Message: "frame could not be read"}
		}
		c.Send(protocol.ErrorFrame(perr.Code, perr.Message))
		return
	}
	h.stats.frame(in.Type) // Decode admits only the client types
	switch in.Type {
	case protocol.TypeChatMessage:
		h.say(c, in)
	case protocol.TypePing:
		c.Send(protocol.Pong(protocol.Now()))
	case protocol.TypePresenceList:
		h.presenceList(c)
	case protocol.TypeHistoryGet:
		h.historyPage(c, in)
	case protocol.TypeAuthRefresh:
		h.refresh(c, in.Token)
	case protocol.TypePong:
		// activity only; the read already counted it
	}
}

// notSent is the unavailable answer to a chat message.
const notSent = "message not delivered; try again"

func (h *Handler) say(c *Conn, in protocol.Inbound) {
	if !c.requests.submitSay(hub.Said{Room: in.Room, Text: in.Text}) {
		c.Send(protocol.ErrorFrame(protocol.CodeUnavailable, notSent))
	}
}

// sayAll publishes a client's queued chat messages and answers each one
// the hub refused or could not publish.
func (h *Handler) sayAll(ctx context.Context, c *Conn, said []hub.Said) {
	for _, err := range h.hub.SayAll(ctx, c.client, said) {
		if err != nil {
			h.refused(c, "publish failed", err, notSent)
		}
	}
}

func (h *Handler) presenceList(c *Conn) {
	const unavailable = "presence is unavailable; try again"
	h.request(c, unavailable, func(ctx context.Context) {
		users, err := h.hub.Presence(ctx, c.client.Room)
		if err != nil {
			h.refused(c, "presence list failed", err, unavailable)
			return
		}
		c.sendPicture(protocol.PresenceState(c.client.Room, users))
	})
}

// historyPage serves history.get on the history lane: it waits for the
// client to have read what came before (the socket's queue under half of
// SEND_QUEUE_BYTES) and for the user's history budget, reads the page, cut
// to the other half, and queues it.
func (h *Handler) historyPage(c *Conn, in protocol.Inbound) {
	const unavailable = "history is unavailable; try again"
	ok := c.pages.submit(func(ctx context.Context) {
		if !c.pageTurn(ctx) {
			return
		}
		ctx, cancel := context.WithTimeout(ctx, opTimeout)
		defer cancel()
		page, read, err := h.hub.PageWithin(ctx, c.client.Room, in.Before, in.Limit, c.pageRoom())
		c.historyRead(read)
		if err != nil {
			h.refused(c, "history page failed", err, unavailable)
			return
		}
		c.Send(page)
	})
	if !ok {
		c.Send(protocol.ErrorFrame(protocol.CodeRateLimited, "too many history requests waiting; wait for the pages asked for"))
	}
}

// refused answers a request the hub could not serve: the hub's own refusal
// as it is, anything else (the bus or presence is away) as unavailable.
func (h *Handler) refused(c *Conn, what string, err error, unavailable string) {
	var perr *protocol.Error
	if !errors.As(err, &perr) {
		h.log.Warn(what, "room", c.client.Room, "err", err)
	}
	c.Send(errorFrame(err, unavailable))
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
func (h *Handler) request(c *Conn, unavailable string, f func(context.Context)) {
	if !c.requests.submit(f) {
		c.Send(protocol.ErrorFrame(protocol.CodeUnavailable, unavailable))
	}
}

// refresh moves the connection's expiry to the new token's, if it verifies,
// names the same user and still allows this room; otherwise nothing changes.
// Refreshes have a rate of their own (checkRefresh), and a token longer
// than auth.MaxTokenBytes is refused by Verify unread.
func (h *Handler) refresh(c *Conn, token string) {
	switch c.guard.checkRefresh(time.Now()) { // not rateLimited or expel: the frame is counted as auth.refresh
	case warn:
		c.Send(protocol.ErrorFrame(protocol.CodeRateLimited, "too many token refreshes; slow down"))
		return
	case expel:
		c.Close(protocol.ClosePolicy, "rate limit exceeded repeatedly")
		return
	}
	claims, err := h.verifier.Verify(token)
	if err != nil || claims.Subject != c.client.User || !claims.MayJoin(c.client.Room) {
		c.Send(protocol.ErrorFrame(protocol.CodeTokenInvalid, "token does not verify, names another user or does not allow this room"))
		return
	}
	c.token.set(claims.ExpiresAt, c)
	var exp int64
	if !claims.ExpiresAt.IsZero() {
		exp = claims.ExpiresAt.UnixMilli()
	}
	c.Send(protocol.AuthRefreshed(exp))
}
