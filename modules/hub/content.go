package hub

import (
	"context"
	"errors"
)

// Content is what a message carries: text, data (a compact JSON value, as
// the client or the backend gave it), or both.
type Content struct {
	Text string
	Data []byte
}

// SendToUser delivers m as a user.message to every socket of user on every
// node, whatever rooms they are in. It is not stored: a socket that is not
// connected when it arrives does not get it.
func (h *Hub) SendToUser(ctx context.Context, user string, m Content) (Published, error) {
	return Published{}, errors.New("hub: personal messages are not wired yet")
}
