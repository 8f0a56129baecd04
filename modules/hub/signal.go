package hub

import (
	"context"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/protocol"
)

// Signal sends data from user to the other users in room, on every node, as
// a room.signal: typing indicators, cursors. It is not stored and has no
// id, so nothing recovers it, and a member whose queue is full does not get
// it (Member.Signal). data is bounded like a message's.
func (h *Hub) Signal(ctx context.Context, room, user string, data []byte) error {
	if err := h.checkSize(Content{Data: data}); err != nil {
		return err
	}
	now := protocol.Now()
	frame := protocol.Signal(room, user, data, now)
	return h.bus.Publish(ctx, bus.Message{Room: room, At: now, Frame: frame, From: user})
}
