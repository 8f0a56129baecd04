package client

import (
	"encoding/json"
	"fmt"
)

// Status is where the connection stands.
type Status int

const (
	// Disconnected: not started yet, or stopped for good (Close, or a close
	// the library must not retry: 1008, 4003, 4001 without a new token, a
	// handshake refused with 400/403/404, GetToken returning
	// ErrUnauthorized). Connect starts again from here, Close excepted.
	Disconnected Status = iota
	// Connecting: dialing, or waiting to redial after a transient drop.
	Connecting
	// Connected: the socket is open (rooms may still be rejoining).
	Connected
)

func (s Status) String() string {
	switch s {
	case Disconnected:
		return "disconnected"
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// State is a Status with the close code and reason that led to it: for
// Connecting after a drop, the drop's; for Disconnected, why the client
// stopped (an HTTP status for a refused handshake, with the body's error
// code as Reason; 0 and "unauthorized" when GetToken refused).
type State struct {
	State  Status
	Code   int
	Reason string
}

// Message is a chat message of a room, live or replayed after a reconnect.
type Message struct {
	Room string          `json:"room"`
	ID   string          `json:"id"`
	User string          `json:"user"`
	Text string          `json:"text,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
	TS   int64           `json:"ts"`
}

// Signal is another user's passing state in a room (typing, a cursor).
type Signal struct {
	Room string
	User string
	Data json.RawMessage
	TS   int64
}

// Recovered reports the end of a room's replay after a rejoin. Complete
// false means messages may be missing for good (or the room had no
// position to recover from): the app's cue to reload with History.
type Recovered struct {
	Room     string
	Count    int
	Complete bool
}

// UserMessage is a personal message the application's backend sent to
// this user (not stored, not tied to a room).
type UserMessage struct {
	User string
	Text string
	Data json.RawMessage
	ID   string
	TS   int64
}

// Ack confirms a published message: its id and timestamp, as its
// delivery carries them.
type Ack struct {
	ID string
	TS int64
}

// Page is one page of a room's history, oldest first.
type Page struct {
	Messages []Message
	More     bool
}

// Stats are counters over the client's life, for tests and dashboards.
type Stats struct {
	Connects   uint64 // sockets opened
	Reconnects uint64 // sockets opened after the first
	Messages   uint64 // deliveries handed to OnMessage
	Duplicates uint64 // deliveries dropped because their id was not past the room's position
	Replayed   uint64 // messages the server said it replayed (history.recovered counts)
	Acks       uint64 // publishes acknowledged
	Refreshes  uint64 // tokens refreshed on an open socket (auth.refreshed)
	Pongs      uint64 // system.ping frames answered
	Queued     int    // publishes waiting for their room to be joined, now
}

// Handlers are the app's callbacks. All run on one dispatcher goroutine
// per client, in the order the events happened, fed by an unbounded queue:
// a slow handler delays the handlers after it but never the socket, so the
// server never sees a slow reader because of it. A handler may call any
// method of the client except Close (Close waits for the dispatcher, so
// calling it there would wait for itself; call it from another goroutine).
// A panic in a handler is recovered and reported to OnError.
type Handlers struct {
	OnState       func(State)
	OnMessage     func(Message)
	OnSignal      func(Signal)
	OnPresence    func(room string, users []string)
	OnRecovered   func(Recovered)
	OnJoined      func(room string)
	OnLeft        func(room, reason string) // the server took the room away
	OnUserMessage func(UserMessage)
	OnError       func(error)
}
