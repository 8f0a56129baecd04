package hub

import (
	"context"
	"unicode/utf8"

	"rt/modules/bus"
	"rt/modules/protocol"
)

// What the server API is told when a message it publishes is refused.
var (
	ErrBadRoom = &protocol.Error{Code: "bad_room", Message: "room must match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"}
	ErrBadUser = &protocol.Error{Code: protocol.CodeBadMessage, Message: "user must be 1 to 256 bytes of UTF-8 without control characters"}
	ErrNoText  = &protocol.Error{Code: protocol.CodeBadMessage, Message: "text must be a non-empty string"}
)

// Published is what Publish gave a message: its id (its position in the
// room's history) and its ts.
type Published struct {
	ID string `json:"id"`
	TS int64  `json:"ts"`
}

// Publish sends text from user into room on every node, exactly as if a
// client of user had said it: the same chat.delivery, the same history, the
// same limit on text. The server API speaks through it; user is whatever
// the backend says (a bot, "system"). A *protocol.Error is the caller's
// fault; any other error means it could not be published.
func (h *Hub) Publish(ctx context.Context, room, user string, m Content) (Published, error) {
	text := m.Text
	switch {
	case !protocol.ValidRoom(room):
		return Published{}, ErrBadRoom
	case !protocol.ValidUser(user):
		return Published{}, ErrBadUser
	case text == "" || !utf8.ValidString(text):
		return Published{}, ErrNoText
	}
	d, err := h.compose(Client{Room: room, User: user}, Said{Text: text})
	if err != nil {
		return Published{}, err
	}
	ids, errs := h.bus.Append(ctx, []bus.Draft{d})
	if errs[0] != nil {
		h.stats.historyErrors.WithLabelValues("append").Inc()
		return Published{}, errs[0]
	}
	h.stats.appends.Inc()
	h.stats.published.Inc()
	return Published{ID: ids[0], TS: d.At}, nil
}
