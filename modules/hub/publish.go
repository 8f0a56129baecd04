package hub

import (
	"context"
	"unicode/utf8"

	"github.com/rtserver/rt/modules/protocol"
)

// What the server API is told when a message it publishes is refused.
var (
	ErrBadRoom = &protocol.Error{Code: protocol.CodeBadRoom, Message: "room must match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"}
	ErrBadUser = &protocol.Error{Code: protocol.CodeBadMessage, Message: "user must be 1 to 256 bytes of UTF-8 without control characters"}
	ErrNoText  = &protocol.Error{Code: protocol.CodeBadMessage, Message: "text (a non-empty string) or data is required"}
)

// Published is what Publish gave a message: its id (its position in the
// room's history) and its ts.
type Published struct {
	ID string `json:"id"`
	TS int64  `json:"ts"`
}

// Publish sends m from user into room on every node, exactly as if a
// client of user had said it: the same chat.delivery, the same history, the
// same limit on size. The server API speaks through it; user is whatever
// the backend says (a bot, "system"). A *protocol.Error is the caller's
// fault; any other error means it could not be published.
func (h *Hub) Publish(ctx context.Context, room, user string, m Content) (Published, error) {
	switch {
	case !protocol.ValidRoom(room):
		return Published{}, ErrBadRoom
	case !protocol.ValidUser(user):
		return Published{}, ErrBadUser
	case !validContent(m):
		return Published{}, ErrNoText
	}
	return h.Say(ctx, user, Said{Room: room, Content: m})
}

// validContent: text, data or both, the text valid UTF-8 (a client's frame
// was checked by the decoder; the backend's is checked here).
func validContent(m Content) bool {
	return (m.Text != "" || m.Data != nil) && utf8.ValidString(m.Text)
}
