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

// record is everything one client did and saw: what the client library
// handed to the application (its OnMessage, OnRecovered, OnJoined and
// OnState calls, in their order) and what each Publish returned.
type record struct {
	Name       string
	Room       string
	User       string
	Conns      []connection
	Deliveries []delivery
	Sent       int            // Publish calls
	Sends      []sent         // … each of them, with its answer
	Errors     map[string]int // errors the library reported (OnError): system.error codes and others
	Dropped    int            // deliveries the library dropped as repeats (its Stats().Duplicates)
}

// sent is one Publish and its answer: an ack (ID, TS) or an error.
type sent struct {
	Text string
	At   time.Time
	Conn int       // the connection open when it was called; -1: none (queued)
	Done time.Time // when Publish returned; zero: it never did
	ID   string    // the ack's id
	TS   int64     // the ack's time, Unix ms
	Err  string    // why it failed: disconnected, timeout, queue_full, a system.error code…
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
