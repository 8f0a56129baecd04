package hub

import (
	"context"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/protocol"
)

// controlRoom is the bus room that carries commands from one node to every
// node. Its name is no valid room name, so no client can join it.
const controlRoom = "#control"

// MaxReasonBytes bounds a disconnect's reason: it travels in the close
// frame, whose reason may hold 123 bytes.
const MaxReasonBytes = 123

// ErrBadReason: a disconnect's reason does not fit a close frame.
var ErrBadReason = &protocol.Error{Code: protocol.CodeBadMessage, Message: "reason must be at most 123 bytes of UTF-8"}

// command is a control message on the bus: close every socket of User (in
// Room, or in every room when Room is ""), or give every socket of User
// the user.message Frame.
type command struct {
	Type   string         `json:"type"`
	User   string         `json:"user"`
	Room   string         `json:"room,omitempty"`
	Reason string         `json:"reason,omitempty"`
	Frame  jsontext.Value `json:"frame,omitempty"`
}

const (
	commandDisconnect = "disconnect"
	commandMessage    = "message"
)

// Disconnector closes this node's sockets of user (in room, or every room
// when room is "") with 4003 and reason, and says how many. The transport
// provides it (OnDisconnect).
type Disconnector func(user, room, reason string) int

// control is the hub's end of the control room.
type control struct {
	mu         sync.Mutex
	disconnect Disconnector
	send       UserSender
	cancel     func()
}

// OnDisconnect sets what closes this node's sockets when a disconnect
// reaches it.
func (h *Hub) OnDisconnect(d Disconnector) {
	h.control.mu.Lock()
	defer h.control.mu.Unlock()
	h.control.disconnect = d
}

// Disconnect closes every socket of user, in room or, when room is "", in
// every room, on every node, with 4003 "disconnected by the server" and
// reason as the close reason. It returns once the command is on the bus; a
// node whose link to the others is down at that moment does not get it.
func (h *Hub) Disconnect(ctx context.Context, user, room, reason string) error {
	switch {
	case !protocol.ValidUser(user):
		return ErrBadUser
	case room != "" && !protocol.ValidRoom(room):
		return ErrBadRoom
	case len(reason) > MaxReasonBytes || !utf8.ValidString(reason):
		return ErrBadReason
	}
	payload, err := json.Marshal(command{Type: commandDisconnect, User: user, Room: room, Reason: reason})
	if err != nil {
		return err
	}
	return h.bus.Publish(ctx, bus.Message{Room: controlRoom, Frame: payload})
}

// listen subscribes this node to the control room until stopListening.
func (h *Hub) listen(ctx context.Context) {
	cancel := h.bus.Subscribe(ctx, controlRoom, h.obey)
	h.control.mu.Lock()
	h.control.cancel = cancel
	h.control.mu.Unlock()
}

func (h *Hub) stopListening() {
	h.control.mu.Lock()
	cancel := h.control.cancel
	h.control.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// obey carries out a command from the control room. A payload that is not
// one (anything with access to Redis can publish there) is logged and
// dropped, without its content. json/v2 reads names as written, once each,
// in valid UTF-8: a payload Disconnect could not have made is no command.
func (h *Hub) obey(m bus.Message) {
	if m.Link != bus.LinkUp {
		return
	}
	var c command
	if err := json.Unmarshal(m.Frame, &c); err != nil || !protocol.ValidUser(c.User) {
		h.log.Warn("control: dropped a message that is not a command")
		return
	}
	switch c.Type {
	case commandDisconnect:
		h.obeyDisconnect(c)
	case commandMessage:
		h.deliverToUser(c)
	default:
		h.log.Warn("control: dropped a message that is not a command")
	}
}

// obeyDisconnect carries out a disconnect that reached this node.
func (h *Hub) obeyDisconnect(c command) {
	h.control.mu.Lock()
	d := h.control.disconnect
	h.control.mu.Unlock()
	if d == nil {
		return
	}
	n := d(c.User, c.Room, c.Reason)
	h.log.Info("disconnected by the server", "user", c.User, "room", c.Room, "sockets", n)
}
