package client

import (
	"bytes"
	"encoding/json"
	"errors"
)

// inFrame is a server frame. One struct holds the fields of every type
// (docs/protocol.md, "Server to client"); a frame sets those of its type.
type inFrame struct {
	Type     string          `json:"type"`
	Room     string          `json:"room"`
	Ref      string          `json:"ref"`
	User     string          `json:"user"`
	Text     string          `json:"text"`
	Data     json.RawMessage `json:"data"`
	ID       string          `json:"id"`
	TS       int64           `json:"ts"`
	Code     string          `json:"code"`
	Message  string          `json:"message"`
	Users    []string        `json:"users"`
	Joins    []string        `json:"joins"`
	Leaves   []string        `json:"leaves"`
	Count    int             `json:"count"`
	Complete bool            `json:"complete"`
	Messages []Message       `json:"messages"`
	More     bool            `json:"more"`
	Reason   string          `json:"reason"`
	Exp      int64           `json:"exp"`
}

var (
	errNoType   = errors.New("rt: frame without a type")
	errNoRoom   = errors.New("rt: room frame without a room")
	errNoID     = errors.New("rt: chat.delivery without an id")
	errNoUser   = errors.New("rt: presence frame without a user")
	errBadFrame = errors.New("rt: frame is not a JSON object")
)

// roomTypes are the frame types that make no sense without a room.
var roomTypes = map[string]bool{
	"chat.delivery": true, "presence.state": true, "presence.join": true,
	"presence.leave": true, "presence.diff": true, "history.page": true,
	"history.recovered": true, "room.joined": true, "room.left": true,
	"chat.ack": true, "room.signal": true,
}

// parseFrame decodes one server frame and checks the fields the client
// relies on, so the handlers never see a frame they would misread (a
// delivery without an id would look like a duplicate forever).
func parseFrame(data []byte) (*inFrame, error) {
	if len(data) == 0 || data[0] != '{' {
		return nil, errBadFrame
	}
	f := new(inFrame)
	if err := json.Unmarshal(data, f); err != nil {
		return nil, err
	}
	switch {
	case f.Type == "":
		return nil, errNoType
	case roomTypes[f.Type] && f.Room == "":
		return nil, errNoRoom
	case f.Type == "chat.delivery" && f.ID == "":
		return nil, errNoID
	case (f.Type == "presence.join" || f.Type == "presence.leave") && f.User == "":
		return nil, errNoUser
	}
	return f, nil
}

// presencePrefix starts every presence frame rt sends: the server writes
// "type" first (docs/protocol.md, "Frames").
var presencePrefix = []byte(`{"type":"presence.`)

// isPresence reports whether data is a presence frame, without decoding
// it. A frame that does not start as rt writes them is decoded and, if it
// is presence after all, dropped by onPresence.
func isPresence(data []byte) bool { return bytes.HasPrefix(data, presencePrefix) }

// outFrame is a client frame; empty fields are left out, which the server
// reads as absent.
type outFrame struct {
	Type   string          `json:"type"`
	Room   string          `json:"room,omitempty"`
	Text   string          `json:"text,omitempty"`
	Data   json.RawMessage `json:"data,omitempty"`
	Since  string          `json:"since,omitempty"`
	Token  string          `json:"token,omitempty"`
	Before string          `json:"before,omitempty"`
	Limit  int             `json:"limit,omitempty"`
	Ref    string          `json:"ref,omitempty"`
}

// encode marshals a client frame. Only Data can make it fail (invalid
// JSON), and Publish and Signal check that before a frame is built.
func (f outFrame) encode() []byte {
	b, err := json.Marshal(f)
	if err != nil {
		panic("rt: encoding a checked frame: " + err.Error())
	}
	return b
}

// pongFrame is the answer to system.ping, prebuilt: it is sent often and
// never changes.
var pongFrame = []byte(`{"type":"system.pong"}`)
