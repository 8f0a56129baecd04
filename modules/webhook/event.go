package webhook

import "github.com/go-json-experiment/json/jsontext"

// The event types.
const (
	RoomOccupied     = "room.occupied"     // the room's first member, on any node
	RoomVacated      = "room.vacated"      // the room's last member gone from every node
	PresenceJoin     = "presence.join"     // a user's first connection in the room
	PresenceLeave    = "presence.leave"    // a user's last connection in the room closed
	MessagePublished = "message.published" // a message stored and published in the room
)

// Event is one event as the backend receives it in a batch:
// {"events":[Event, ...]}.
type Event struct {
	// ID is unique and stable across retries; Record gives it.
	ID   string `json:"id"`
	Type string `json:"type"`
	Room string `json:"room"`
	// User is the user who joined, left or published; empty for
	// room.occupied and room.vacated.
	User string `json:"user,omitempty"`
	// TS is when it happened, Unix milliseconds.
	TS int64 `json:"ts"`
	// Message is the published message, for message.published only.
	Message *Message `json:"message,omitempty"`
}

// Message is a published message as its chat.delivery carried it.
type Message struct {
	ID   string         `json:"id"`
	Text string         `json:"text,omitempty"`
	Data jsontext.Value `json:"data,omitempty"`
}

// Recorder takes events for delivery. Record never blocks and never fails:
// past WEBHOOK_BACKLOG the oldest waiting events are dropped, counted and
// logged. The hub records; there is none while WEBHOOK_URL is unset.
type Recorder interface {
	Record(events ...Event)
}
