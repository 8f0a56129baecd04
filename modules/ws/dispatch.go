package ws

import (
	"context"
	"errors"
	"log/slog"

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
		h.chat(c, in)
	case protocol.TypePing:
		c.Send(protocol.Pong(protocol.Now()))
	case protocol.TypePresenceList:
		h.presenceList(c)
	case protocol.TypeAuthRefresh:
		h.refresh(c, in.Token)
	case protocol.TypePong:
		// activity only; the read already counted it
	}
}

func (h *Handler) chat(c *Conn, in protocol.Inbound) {
	if in.Room != "" && in.Room != c.entry.Room {
		c.Send(protocol.ErrorFrame(protocol.CodeRoomMismatch, "room must be this connection's room"))
		return
	}
	if len(in.Text) > h.limits.MaxTextBytes {
		c.Send(protocol.ErrorFrame(protocol.CodeTextTooLong, "text is longer than the limit"))
		return
	}
	frame := protocol.Delivery(c.entry.Room, c.entry.User, in.Text, protocol.NewID(), protocol.Now())
	h.request(c, "message not delivered; try again", func(ctx context.Context) {
		if err := h.rooms.Publish(ctx, c.entry.Room, frame); err != nil {
			slog.Warn("publish failed", "room", c.entry.Room, "err", err)
			c.Send(protocol.ErrorFrame(protocol.CodeUnavailable, "message not delivered; try again"))
			return
		}
		h.stats.published.Inc()
	})
}

func (h *Handler) presenceList(c *Conn) {
	h.request(c, "presence is unavailable; try again", func(ctx context.Context) {
		users, err := h.presence.Users(ctx, c.entry.Room)
		if err != nil {
			slog.Warn("presence list failed", "room", c.entry.Room, "err", err)
			c.Send(protocol.ErrorFrame(protocol.CodeUnavailable, "presence is unavailable; try again"))
			return
		}
		c.Send(protocol.PresenceState(c.entry.Room, users))
	})
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
func (h *Handler) refresh(c *Conn, token string) {
	claims, err := h.verifier.Verify(token)
	if err != nil || claims.Subject != c.entry.User || !claims.MayJoin(c.entry.Room) {
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
