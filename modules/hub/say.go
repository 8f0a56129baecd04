package hub

import (
	"context"
	"fmt"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/protocol"
)

// What a client is told when the hub refuses what it said; the socket
// stays open.
var (
	ErrTextTooLong    = &protocol.Error{Code: protocol.CodeTextTooLong, Message: "text is longer than the limit"}
	ErrMessageTooLong = &protocol.Error{Code: protocol.CodeMessageTooLong, Message: "text and data are longer than the limit"}
)

// Said is one chat message as a client's frame gave it, in the room the
// transport resolved it to (the frame's room, or the connection's own).
type Said struct {
	Room string
	Content
}

// Say publishes s from user to every member of s.Room on every node, the
// sender included. A *protocol.Error is the client's fault; any other error
// means the message could not be published (the bus is away).
func (h *Hub) Say(ctx context.Context, user string, s Said) (Published, error) {
	ps, errs := h.SayAll(ctx, user, []Said{s})
	return ps[0], errs[0]
}

// SayAll is Say for several messages of one client, in order, with one
// result per message. History stores and publishes them together (in redis
// mode in one round trip), so a client's backlog reaches the other nodes
// together.
//
// With a publish hook, every message that passed the checks is asked about
// at once, and what the hook allows is stored as the hook wants it
// (moderate), still in order: a message is composed, and so stamped, only
// once all of the batch has its answer.
func (h *Hub) SayAll(ctx context.Context, user string, said []Said) ([]Published, []error) {
	ps, errs := make([]Published, len(said)), make([]error, len(said))
	for i, s := range said {
		errs[i] = h.checkSize(s.Content)
	}
	said = h.moderate(ctx, user, said, errs)
	drafts := make([]bus.Draft, 0, len(said))
	at := make([]int, 0, len(said)) // index in said of each draft
	for i, s := range said {
		if errs[i] == nil {
			drafts, at = append(drafts, h.compose(s.Room, user, s.Content)), append(at, i)
		}
	}
	if len(drafts) == 0 {
		return ps, errs
	}
	ids, appendErrs := h.bus.Append(ctx, drafts)
	for k, err := range appendErrs {
		i := at[k]
		if err != nil {
			h.stats.historyErrors.WithLabelValues("append").Inc()
			errs[i] = fmt.Errorf("publish to %s: %w", said[i].Room, err)
			continue
		}
		ps[i] = Published{ID: ids[k], TS: drafts[k].At}
		h.stats.appends.Inc()
		h.stats.published.Inc()
	}
	h.recordSaid(user, said, ps, errs)
	return ps, errs
}

// compose encodes one checked message's delivery, with a placeholder for
// the id history gives it.
func (h *Hub) compose(room, user string, m Content) bus.Draft {
	d := bus.Draft{Room: room, At: protocol.Now()}
	d.Frame, d.IDAt = protocol.DeliveryDraft(room, user, m.Text, m.Data, d.At)
	return d
}

// checkSize applies MAX_MESSAGE_BYTES to text plus data. A message of text
// alone is refused as text_too_long, as before messages had data.
func (h *Hub) checkSize(m Content) error {
	if protocol.MessageBytes(m.Text, m.Data) <= h.limits.MaxMessageBytes {
		return nil
	}
	if m.Data == nil {
		return ErrTextTooLong
	}
	return ErrMessageTooLong
}
