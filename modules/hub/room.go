package hub

import (
	"context"
	"sync"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/protocol"
)

// room is one room's local members and its bus subscription.
type room struct {
	name  string
	stats stats
	// fill starts reading, on a goroutine of its own, the history a gap
	// missed, and calls filled; after the hub stops it starts nothing.
	fill func(g *gap)

	// lifeMu orders subscription changes: join holds it while subscribing,
	// so a second member never returns before the room is receiving.
	lifeMu sync.Mutex
	cancel func() // set while subscribed
	done   bool   // the last member left; this room value is finished

	// mu guards the members and the delivery state; every delivery holds
	// it, the bus's, a gap fill's and a recovering member's release, so a
	// room's chat messages reach each member once and in id order.
	mu sync.Mutex
	// members maps each member to its recovery while it catches up from
	// history (nil once live).
	members map[Member]*recovery
	// lastID is the greatest chat id delivered; a message at or below it
	// is a duplicate (a gap fill and the live stream overlap).
	lastID string
	// since is where a gap fill starts when nothing was delivered yet:
	// just before the room was subscribed.
	since string
	// gap is set from LinkLost until the messages missed are delivered.
	gap *gap
}

// gap is a stretch of the room's stream this node may have missed.
type gap struct {
	from string // the greatest id delivered before it
	// fromFloor: nothing was delivered before it, so from is the room's
	// since, not a message history could still hold.
	fromFloor bool
	filling   bool          // a history read is on its way
	held      []bus.Message // live chat messages that arrived meanwhile
	dropped   int           // live chat messages beyond holdLimit, not held
	// lostAgain: the link broke again while filling; backAgain: and came
	// back. The fill then starts over from where it got to.
	lostAgain, backAgain bool
}

// holdLimit bounds the live messages held for one member while its
// recovery reads history, or for a room while a gap is filled.
const holdLimit = 4096

func newRoom(name string, s stats, fill func(*room, *gap)) *room {
	r := &room{name: name, stats: s, members: make(map[Member]*recovery)}
	r.since = bus.FloorID(protocol.Now() - clockSkew.Milliseconds())
	r.fill = func(g *gap) { fill(r, g) }
	return r
}

// join reports false when the room has already finished. A recovering
// member holds its chat messages until recovered. The room is received
// (subscribed, or told LinkLost) before m becomes a member, and joined is
// queued to m as it does, under mu: so joined comes before any frame of
// the room, and every message published after it reaches m. What came
// between the subscription and m is history's, for a recovery to read.
func (r *room) join(ctx context.Context, b bus.Bus, m Member, recovering bool, joined []byte) bool {
	r.lifeMu.Lock()
	defer r.lifeMu.Unlock()
	if r.done {
		return false
	}
	if r.cancel == nil {
		r.cancel = b.Subscribe(ctx, r.name, r.deliver)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if recovering {
		r.members[m] = &recovery{}
	} else {
		r.members[m] = nil
	}
	if joined != nil {
		m.Send(joined)
	}
	return true
}

// leave reports whether m was the last member.
func (r *room) leave(m Member) bool {
	r.lifeMu.Lock()
	defer r.lifeMu.Unlock()
	r.mu.Lock()
	delete(r.members, m)
	empty := len(r.members) == 0
	r.mu.Unlock()
	if !empty || r.done {
		return false
	}
	r.done = true
	if r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
	return true
}

// deliver takes one message from the bus.
func (r *room) deliver(msg bus.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case msg.Link == bus.LinkLost:
		r.lost()
	case msg.Link == bus.LinkBack:
		r.back()
	case msg.From != "":
		r.signal(msg)
	case r.gap != nil && msg.ID != "":
		r.gap.hold(msg)
	default:
		r.fanOut(msg, Member.Send)
	}
}

// fanOut queues msg to every member with send (Member.Send, or
// Member.Replay for what a gap fill read from history, a burst as long as
// history that must not count toward the members' queues); r.mu is held. A
// chat message at or below lastID was delivered already and is dropped.
func (r *room) fanOut(msg bus.Message, send func(Member, []byte) bool) {
	if msg.ID == "" { // only chat messages have ids: this is a presence announcement
		queued := 0
		for m := range r.members {
			if m.SendState(msg.Frame) {
				queued++
			}
		}
		r.stats.observe(msg, queued)
		return
	}
	if msg.ID <= r.lastID {
		r.stats.duplicates.Inc()
		return
	}
	r.lastID = msg.ID
	queued := 0
	for m, rec := range r.members {
		if rec != nil && !rec.take(msg) {
			continue
		}
		if rec != nil {
			r.members[m] = nil // past what its replay gave: live from here
		}
		if send(m, msg.Frame) {
			queued++
		}
	}
	r.stats.observe(msg, queued)
}

// signal queues a room.signal to every member that takes it (not the
// sender's own sockets, not a member whose queue is full); r.mu is held.
// A signal is not stored, so a gap or a recovery does not hold it.
func (r *room) signal(msg bus.Message) {
	for m := range r.members {
		m.Signal(msg.Frame, msg.From)
	}
}

// lost starts a gap, or marks the one being filled to start over; r.mu is
// held.
func (r *room) lost() {
	switch {
	case r.gap == nil:
		r.gap = &gap{from: r.lastID}
		if r.lastID == "" {
			r.gap.from, r.gap.fromFloor = r.since, true
		}
	case r.gap.filling:
		r.gap.lostAgain, r.gap.backAgain = true, false
	}
}

// back starts filling the gap, if there is one; r.mu is held.
func (r *room) back() {
	switch {
	case r.gap == nil:
	case r.gap.filling:
		if r.gap.lostAgain {
			r.gap.backAgain = true
		}
	default:
		r.gap.filling = true
		r.fill(r.gap)
	}
}

// filled delivers what a gap fill read, in order, then the messages held
// meanwhile, and ends the gap; r.mu is held. If the link broke again while
// filling, a new gap starts from where this fill got to, keeping what is
// held.
func (r *room) filled(g *gap, entries []bus.Entry) int {
	n := 0
	for _, e := range entries {
		if e.ID > r.lastID {
			ms, _, _ := protocol.ParseID(e.ID) // when it was published, for the latency
			r.fanOut(bus.Message{Room: r.name, ID: e.ID, At: int64(ms), Frame: e.Frame}, Member.Replay)
			n++
		}
	}
	if g.lostAgain {
		r.gap = &gap{from: r.lastID, held: g.held}
		if r.lastID == "" {
			r.gap.from, r.gap.fromFloor = g.from, g.fromFloor
		}
		if g.backAgain {
			r.gap.filling = true
			r.fill(r.gap)
		}
		return n
	}
	r.gap = nil
	for _, msg := range g.held {
		r.fanOut(msg, Member.Send)
	}
	return n
}

// hold keeps a live chat message until the gap before it is filled.
func (g *gap) hold(msg bus.Message) {
	if len(g.held) < holdLimit {
		g.held = append(g.held, msg)
	} else {
		g.dropped++
	}
}

func (r *room) size() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.members)
}

func (r *room) closed() bool {
	r.lifeMu.Lock()
	defer r.lifeMu.Unlock()
	return r.done
}
