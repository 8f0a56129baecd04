package hub

import (
	"context"
	"fmt"

	"rt/modules/bus"
	"rt/modules/protocol"
)

// What a client is told when the hub refuses what it said; the socket
// stays open.
var (
	ErrRoomMismatch = &protocol.Error{Code: protocol.CodeRoomMismatch, Message: "room must be this connection's room"}
	ErrTextTooLong  = &protocol.Error{Code: protocol.CodeTextTooLong, Message: "text is longer than the limit"}
)

// Say publishes text from c to every member of c's room on every node, c
// included. room is the room the client's frame named, "" for none; naming
// another room is refused. A *protocol.Error is the client's fault; any other
// error means the message could not be published (the bus is away).
func (h *Hub) Say(ctx context.Context, c Client, room, text string) error {
	if room != "" && room != c.Room {
		return ErrRoomMismatch
	}
	if len(text) > h.limits.MaxTextBytes {
		return ErrTextTooLong
	}
	m := bus.Message{Room: c.Room, ID: h.ids.Next(), At: protocol.Now()}
	m.Frame = protocol.Delivery(c.Room, c.User, text, m.ID, m.At)
	if err := h.bus.Publish(ctx, m); err != nil {
		return fmt.Errorf("publish to %s: %w", c.Room, err)
	}
	h.stats.published.Inc()
	return nil
}
