// Package hub is the room manager: who is a member of which room on this
// node, presence across nodes, the announcements of joins and leaves, the
// checks on what clients say and the encoding of room frames, recovery
// and scrollback from history, and filling the gaps a lost link leaves.
// It knows the other nodes only through one bus.Bus, which gives each chat
// message its id (its position in the room's history), stores it and
// carries it. The transport (ws) only reads, decodes, calls the hub and
// writes.
//
// A chat message goes ws → hub (Say: check, ask the publish hook if there
// is one, encode a draft) → bus (Append:
// id, history, publish, one step) → hub (room.deliver: fan-out to local
// members in id order) → ws (each member's send queue).
//
// With a webhook.Recorder (WEBHOOK_URL set) the hub also records the
// events of SPEC §11's webhook (events.go): the presence edges of joins
// and leaves, and each message it published.
package hub

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/hooks"
	"github.com/rtserver/rt/modules/presence"
	"github.com/rtserver/rt/modules/webhook"
)

// leaveTimeout bounds the presence write of a leave, which runs after the
// connection is gone and so has no caller's deadline.
const leaveTimeout = 5 * time.Second

// Member is one local connection as the hub sees it: where its room frames
// go. Neither method may block or call back into the hub or the bus.
type Member interface {
	// Send queues a chat frame and reports whether it did; a member that
	// cannot keep up closes itself.
	Send(frame []byte) bool
	// SendState queues a presence frame and reports whether it did. A
	// member that cannot take it must not close for it: presence is state,
	// and it catches up with a fresh presence.state once it can.
	SendState(frame []byte) bool
	// Signal queues a room.signal from user from, unless the member is one
	// of from's own sockets or its queue has no room: a signal is dropped
	// rather than queued past the bound, and never closes the member.
	Signal(frame []byte, from string) bool
	// Replay queues a frame read back from history (a recovery's messages
	// after since and history.recovered, or what a gap fill found missed)
	// and reports whether it did. A replay is bounded by the history's size
	// and must not count toward the member's limit for live frames: a
	// client that missed a lot would otherwise be closed for it.
	Replay(frame []byte) bool
}

// Client is a connection of User in Room: the room of its URL, or one it
// joined later.
type Client struct {
	Room   string
	User   string
	Member Member
	// Since, when not empty, is the id of the last message the client had:
	// the join replays what history holds after it (Join).
	Since string
	// Joined, when not nil, is queued to Member (Send) the moment it
	// becomes a member, before any of the room's frames can reach it: the
	// room.joined that answers a room.join.
	Joined []byte
}

// Hub is the rooms of this node and their way to the other nodes.
type Hub struct {
	bus      bus.Bus
	presence *presence.Tracker
	ids      IDs
	log      *slog.Logger
	limits   Limits
	stats    stats
	rooms    *rooms
	announce *announcer
	control  control
	// webhooks takes the events of SPEC §11's webhook; nil when
	// WEBHOOK_URL is unset.
	webhooks webhook.Recorder
	// moderator is the publish hook; nil without PUBLISH_HOOK_URL.
	moderator hooks.Moderator
}

// Limits are the hub's checks on what clients say.
type Limits struct {
	// MaxMessageBytes bounds a message's text plus its encoded data.
	MaxMessageBytes int
}

// newHub returns a hub whose rooms and their history live on b, with
// presence in p.
func newHub(b bus.Bus, p *presence.Tracker, ids IDs, l Limits, log *slog.Logger) *Hub {
	h := &Hub{bus: b, presence: p, ids: ids, log: log, limits: l, stats: newStats()}
	h.rooms = newRooms(b, h.stats, log)
	h.announce = newAnnouncer(b.Publish, func(room string, err error) {
		log.Warn("presence announce failed", "room", room, "err", err)
	})
	return h
}

// Join makes c a member of its room: it receives every room frame published
// from now on, and its user is present in the room on every node. The
// joiner sees its own presence.join like everyone else, because it is
// subscribed before the join is announced. leave undoes it all; call it
// once, when the connection leaves the room or ends.
//
// With c.Since the member holds its live chat messages from the moment it
// is subscribed: the caller then runs Recover, which replays from history
// what came after Since and releases them, so none is missed or given
// twice.
func (h *Hub) Join(ctx context.Context, c Client) (leave func(), err error) {
	js, errs := h.JoinAll(ctx, []Client{c})
	if errs[0] != nil {
		return nil, errs[0]
	}
	return js[0].Leave, nil
}

// Joined is one client's place in one room, as JoinAll made it: Leave it,
// or hand several to LeaveAll, once.
type Joined struct {
	hub    *Hub
	entry  presence.Entry
	member Member
}

// Leave undoes the join: the member gets nothing more of the room, and its
// user's presence there ends unless another connection holds it.
func (j *Joined) Leave() { j.hub.LeaveAll([]*Joined{j}) }

// JoinAll is Join for several rooms at once, with one Joined or error per
// client: presence is written for all of them in one round trip to the
// store, and the rooms new to this node are subscribed together.
func (h *Hub) JoinAll(ctx context.Context, cs []Client) (joins []*Joined, errs []error) {
	joins, errs = make([]*Joined, len(cs)), make([]error, len(cs))
	entries := make([]presence.Entry, len(cs))
	for i, c := range cs {
		entries[i] = presence.Entry{Room: c.Room, User: c.User, Conn: h.ids.Next()}
	}
	edges, err := h.presence.JoinAll(ctx, entries)
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return joins, errs
	}
	h.subscribeAll(ctx, cs)
	for i, c := range cs {
		if edges[i] != presence.NoEdge {
			h.announce.change(c.Room, c.User, true)
		}
		joins[i] = &Joined{hub: h, entry: entries[i], member: c.Member}
	}
	h.recordJoins(entries, edges)
	return joins, errs
}

// subscribeAll makes each client a member of its room. Rooms new to this
// node are subscribed at the same time, so that their subscriptions can
// share round trips to the bus.
func (h *Hub) subscribeAll(ctx context.Context, cs []Client) {
	if len(cs) == 1 {
		h.rooms.join(ctx, cs[0].Room, cs[0].Member, cs[0].Since != "", cs[0].Joined)
		return
	}
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(func() { h.rooms.join(ctx, c.Room, c.Member, c.Since != "", c.Joined) })
	}
	wg.Wait()
}

// LeaveAll leaves every room of js at once: presence in one round trip to
// the store (a socket in many rooms closing), then each membership.
func (h *Hub) LeaveAll(js []*Joined) {
	ctx, cancel := context.WithTimeout(context.Background(), leaveTimeout)
	defer cancel()
	entries := make([]presence.Entry, len(js))
	for i, j := range js {
		entries[i] = j.entry
	}
	edges, err := h.presence.LeaveAll(ctx, entries)
	if err != nil {
		h.log.Warn("presence leave failed; the entries will expire", "entries", len(entries), "err", err)
		edges = make([]presence.Edge, len(js))
	}
	for i, j := range js {
		h.rooms.leave(j.entry.Room, j.member)
		if edges[i] != presence.NoEdge {
			h.announce.change(j.entry.Room, j.entry.User, false)
		}
	}
	h.recordLeaves(entries, edges)
}

// Stop ends the rooms' gap fills and waits for them, then announces the
// presence changes still pending and waits for every announcement in
// flight: all of it uses the bus and history, which stop after the hub.
func (h *Hub) Stop() {
	h.rooms.fills.stop()
	h.announce.stop()
}

// Presence lists the room's users on every node, sorted, each once.
func (h *Hub) Presence(ctx context.Context, room string) ([]string, error) {
	return h.presence.Users(ctx, room)
}
