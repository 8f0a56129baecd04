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
// error per message. History stores and publishes them together (in redis
// mode in one round trip), so a client's backlog reaches the other nodes
// together.
func (h *Hub) SayAll(ctx context.Context, c Client, said []Said) []error {
	errs := make([]error, len(said))
	drafts := make([]bus.Draft, 0, len(said))
	at := make([]int, 0, len(said)) // index in said of each draft
	for i, s := range said {
		d, err := h.compose(c, s)
		if errs[i] = err; err == nil {
			drafts, at = append(drafts, d), append(at, i)
		}
	}
	if len(drafts) == 0 {
		return errs
	}
	_, appendErrs := h.bus.Append(ctx, drafts)
	for k, err := range appendErrs {
		if err != nil {
			h.stats.historyErrors.WithLabelValues("append").Inc()
			errs[at[k]] = fmt.Errorf("publish to %s: %w", c.Room, err)
			continue
		}
		h.stats.appends.Inc()
		h.stats.published.Inc()
	}
	return errs
}

// compose checks one message and encodes its delivery, with a placeholder
// for the id history gives it.
func (h *Hub) compose(c Client, s Said) (bus.Draft, error) {
	if s.Room != "" && s.Room != c.Room {
		return bus.Draft{}, ErrRoomMismatch
	}
	if len(s.Text) > h.limits.MaxMessageBytes {
		return bus.Draft{}, ErrTextTooLong
	}
	d := bus.Draft{Room: c.Room, At: protocol.Now()}
	d.Frame, d.IDAt = protocol.DeliveryDraft(c.Room, c.User, s.Text, d.At)
	return d, nil
}
