package main

import "time"

// What a client saw, kept as it happened and judged only at the end (see
// check.go): the checker needs nothing but these records, the rooms'
// histories and the fault log, which is what makes it testable alone.

// delivery is one chat.delivery a client read, live or replayed.
type delivery struct {
	ID   string
	User string
	Text string
	TS   int64 // the server's publish time, Unix ms
	Conn int   // index into record.Conns
}

// recovery is a history.recovered frame.
type recovery struct {
	Count    int  `json:"count"`
	Complete bool `json:"complete"`
}

// connection is one WebSocket connection of a client.
type connection struct {
	Node      int       `json:"node"`            // 0-based
	Since     string    `json:"since,omitempty"` // what the handshake asked to recover from
	Up        time.Time `json:"up"`              // the 101 arrived
	Joined    time.Time `json:"joined"`          // the first frame arrived: the server had joined it to the room
	Recovered *recovery `json:"recovered,omitempty"`
	Replayed  int       `json:"replayed"`        // deliveries read before history.recovered
	Ended     string    `json:"ended,omitempty"` // why it ended; "" = still open when the run ended
}

// record is everything one client did and saw.
type record struct {
	Name       string
	Room       string
	User       string
	Conns      []connection
	Deliveries []delivery
	Sent       int            // chat.message frames written without an error
	Sends      []sent         // … each of them
	Errors     map[string]int // system.error codes the server answered
}

// sent is one chat.message the client wrote.
type sent struct {
	Text string
	At   time.Time
	Conn int
}

// entry is one message of a room's history, the ground truth.
type entry struct {
	ID   string `json:"id"`
	User string `json:"user"`
	Text string `json:"text"`
	TS   int64  `json:"ts"`
}

// event is one fault as it was carried out, for the log and for naming the
// faults near a loss.
type event struct {
	At   time.Time     `json:"-"`
	Off  time.Duration `json:"-"`          // since the chat started
	Secs float64       `json:"at_seconds"` // Off, for JSON readers
	What string        `json:"what"`
}
