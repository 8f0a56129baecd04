// Package bus is the broadcast bus, rt's broker: every room's ordered
// stream of chat messages, kept for a while and carried to every node that
// has members in the room. The hub uses it through one interface, Bus, and
// never learns where the messages live.
//
// A chat message's id is its position in the room's stream, so ids are
// one total order per room across every node, and a client or a node that
// missed messages reads them back by id. Appending a message and
// publishing it are one step (Append): nothing is delivered live without
// being in history, nor stored without being published.
//
// Memory is embedded mode's Bus. The Redis side (package redisbus) keeps
// each room in a Redis Stream, appended and published by one Lua script,
// and carries messages by Pub/Sub, sharded on a Redis Cluster. The app
// assembles exactly one of them; a program that embeds rt may supply a Bus
// of its own (docs/architecture.md, "Toggling and swapping modules").
package bus

import "context"

// Bus is a room's stream of messages, shared by every node.
type Bus interface {
	// Append gives each draft the next position in its room, writes the id
	// into its frame, stores it and publishes it, in order, each as one
	// step. It returns each draft's id, or an error: then the message was
	// not stored and published, or, when the error is a timeout, may still
	// be, once a stalled backend resumes.
	Append(ctx context.Context, drafts []Draft) (ids []string, errs []error)
	// Publish sends m to every subscriber of m.Room on every node, this
	// one included, without storing it: presence announcements and the
	// hub's control commands, which have no id.
	Publish(ctx context.Context, m Message) error
	// Subscribe calls deliver with every message appended or published to
	// room until cancel is called. deliver runs on the bus's own
	// goroutine: it must not block and must not call back into the bus;
	// the message it gets is shared and read-only. Subscribe returns once
	// the node is receiving, or, while the bus cannot reach its backend,
	// once deliver has been told LinkLost: LinkBack follows when the room
	// is received again.
	Subscribe(ctx context.Context, room string, deliver func(Message)) (cancel func())
	// After returns the room's messages with ids greater than since, oldest
	// first: at most the configured size of history, the newest of them.
	// complete says that history still holds since itself and that nothing
	// after it was left out, so the caller misses nothing.
	After(ctx context.Context, room, since string) (entries []Entry, complete bool, err error)
	// Range returns up to limit of the room's messages with ids greater
	// than after, oldest first: a recovery reads its replay with it page by
	// page. held says that history still holds after itself, so nothing
	// between it and the first entry returned is missing.
	Range(ctx context.Context, room, after string, limit int) (entries []Entry, held bool, err error)
	// Before returns up to limit of the room's messages with ids less than
	// before ("" for the newest), oldest first, and whether older ones exist.
	Before(ctx context.Context, room, before string, limit int) (entries []Entry, more bool, err error)
}

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
	// From is set only on a room.signal: the user who sent it; the hub
	// does not give it to that user's own sockets. Empty for chat messages
	// and presence.
	From string
	// Link, set only on a message without a frame that the bus itself
	// hands to a room's subscribers, tells them about the node's link to
	// the other nodes (Link).
	Link Link
}

// Link is news about the bus's link to the other nodes, for one room.
// Only a bus that can lose messages (Redis Pub/Sub) sends it; a subscriber
// that must not miss messages reads them back with After between the two.
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
