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

// Said is one chat message as a client's frame gave it: the room it named
// ("" for none) and the text.
type Said struct {
	Room, Text string
}

// Say publishes text from c to every member of c's room on every node, c
// included. room is the room the client's frame named, "" for none; naming
// another room is refused. A *protocol.Error is the client's fault; any other
// error means the message could not be published (the bus is away).
func (h *Hub) Say(ctx context.Context, c Client, room, text string) error {
	return h.SayAll(ctx, c, []Said{{Room: room, Text: text}})[0]
}

// SayAll is Say for several messages of one client, in order, with one
// error per message. On a bus that can (bus.Batcher) they are published in
// one round trip: a client's backlog reaches the other nodes together.
func (h *Hub) SayAll(ctx context.Context, c Client, said []Said) []error {
	errs := make([]error, len(said))
	ms := make([]bus.Message, 0, len(said))
	at := make([]int, 0, len(said)) // index in said of each message
	for i, s := range said {
		m, err := h.compose(c, s)
		if errs[i] = err; err == nil {
			ms, at = append(ms, m), append(at, i)
		}
	}
	for k, err := range h.publishAll(ctx, ms) {
		if err != nil {
			errs[at[k]] = fmt.Errorf("publish to %s: %w", c.Room, err)
			continue
		}
		h.stats.published.Inc()
	}
	return errs
}

// compose checks one message and encodes its delivery.
func (h *Hub) compose(c Client, s Said) (bus.Message, error) {
	if s.Room != "" && s.Room != c.Room {
		return bus.Message{}, ErrRoomMismatch
	}
	if len(s.Text) > h.limits.MaxTextBytes {
		return bus.Message{}, ErrTextTooLong
	}
	m := bus.Message{Room: c.Room, ID: h.ids.Next(), At: protocol.Now()}
	m.Frame = protocol.Delivery(c.Room, c.User, s.Text, m.ID, m.At)
	return m, nil
}

func (h *Hub) publishAll(ctx context.Context, ms []bus.Message) []error {
	if b, ok := h.bus.(bus.Batcher); ok && len(ms) > 1 {
		return b.PublishAll(ctx, ms)
	}
	errs := make([]error, len(ms))
	for i, m := range ms {
		errs[i] = h.bus.Publish(ctx, m)
	}
	return errs
}
