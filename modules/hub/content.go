package hub

import (
	"context"
	"math/rand/v2"

	"github.com/go-json-experiment/json"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/protocol"
)

// Content is what a message carries: text, data (a compact JSON value, as
// the client or the backend gave it), or both.
type Content struct {
	Text string
	Data []byte
}

// UserSender queues frame to this node's sockets of user and says how
// many. The transport provides it (OnUserMessage).
type UserSender func(user string, frame []byte) int

// OnUserMessage sets what delivers a personal message to this node's
// sockets when one reaches it.
func (h *Hub) OnUserMessage(s UserSender) {
	h.control.mu.Lock()
	defer h.control.mu.Unlock()
	h.control.send = s
}

// SendToUser delivers m as a user.message to every socket of user on every
// node, whatever rooms they are in. It is not stored: a socket that is not
// connected when it arrives does not get it. The id is made here, from
// this node's clock and a random sequence: unique, and shaped like a chat
// message's id, but no position in any history.
func (h *Hub) SendToUser(ctx context.Context, user string, m Content) (Published, error) {
	switch {
	case !protocol.ValidUser(user):
		return Published{}, ErrBadUser
	case !validContent(m):
		return Published{}, ErrNoText
	}
	if err := h.checkSize(m); err != nil {
		return Published{}, err
	}
	now := protocol.Now()
	id := protocol.FormatID(uint64(now), rand.Uint64())
	frame := protocol.UserMessage(user, m.Text, m.Data, id, now)
	payload, err := json.Marshal(command{Type: commandMessage, User: user, Frame: frame})
	if err != nil {
		return Published{}, err
	}
	if err := h.bus.Publish(ctx, bus.Message{Room: controlRoom, Frame: payload}); err != nil {
		return Published{}, err
	}
	return Published{ID: id, TS: now}, nil
}

// deliverToUser carries out a personal message that reached this node.
func (h *Hub) deliverToUser(c command) {
	if !c.Frame.IsValid() || c.Frame.Kind() != '{' {
		h.log.Warn("control: dropped a personal message without a frame")
		return
	}
	h.control.mu.Lock()
	send := h.control.send
	h.control.mu.Unlock()
	if send != nil {
		send(c.User, []byte(c.Frame))
	}
}
