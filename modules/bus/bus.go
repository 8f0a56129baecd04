// Package bus carries a room's messages to every process that has members
// in the room: in memory when rt runs alone (MemoryModule), through Redis
// Pub/Sub otherwise (RedisModule). The app picks one when it is assembled.
package bus

import "context"

// Message is one room frame on its way to the room's members: the encoded
// frame every member receives as it is, plus what the hub needs to know
// about it without reading the frame again.
type Message struct {
	Room string
	// ID is the chat message's id; empty for presence announcements.
	ID string
	// At is when the message was published, in Unix milliseconds.
	At int64
	// Frame is the encoded frame; it must not be changed once published.
	Frame []byte
	// Link, set only on a message without a frame that the bus itself
	// hands to a room's subscribers, tells them about the node's link to
	// the other nodes (Link).
	Link Link
}

// Link is news about the bus's link to the other nodes, for one room.
// Only a bus that can lose messages (Redis Pub/Sub) sends it; a subscriber
// that must not miss messages reads them back from history between the
// two.
type Link uint8

const (
	// LinkUp: an ordinary message.
	LinkUp Link = iota
	// LinkLost: from now on the room's messages may be missed: the
	// connection broke, or a SUBSCRIBE was not confirmed.
	LinkLost
	// LinkBack: the room is received again; every message published from
	// now on arrives.
	LinkBack
)

// Bus publishes a room's messages and hands them to this node's subscribers.
type Bus interface {
	// Publish sends m to every subscriber of m.Room on every node, this
	// one included.
	Publish(ctx context.Context, m Message) error
	// Subscribe calls deliver with every message published to room until
	// cancel is called. deliver runs on the bus's own goroutine: it must
	// not block and must not call back into the bus; the message it gets
	// is shared and read-only (the Redis bus hands out the received
	// payload's own memory as Frame). Subscribe returns once the node is
	// receiving, or, while the bus cannot reach its backend, once the room
	// is registered to be subscribed when the backend is back.
	Subscribe(ctx context.Context, room string, deliver func(Message)) (cancel func())
}
