package hub

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/protocol"
)

// announceWindow is the shortest time between two presence announcements of
// one room from this node. A change in a quiet room is announced at once;
// the changes that follow within the window wait for its end and go out
// together, as one presence.diff. So 1,000 clients joining a room within a
// second cost each member about 5 frames, not 1,000: each frame is a write
// to every member's socket, and under a storm the writes are the cost.
const announceWindow = 200 * time.Millisecond

// publishTimeout bounds one announcement's publish.
const publishTimeout = 5 * time.Second

// announcer coalesces this node's presence changes per room. Presence is
// state, not a stream of events: a newer picture supersedes an older one,
// so a user who joins and leaves within one window is not announced at all.
type announcer struct {
	publish func(context.Context, bus.Message) error
	failed  func(room string, err error)
	mu      sync.Mutex
	rooms   map[string]*pending
	stopped bool
	// timed counts the scheduled flushes that have not returned: stop
	// waits for them, so no publish outlives the hub. Added to under mu
	// while not stopped, so never once stop waits.
	timed sync.WaitGroup
}

// pending is one room's changes not yet announced.
type pending struct {
	changes map[string]bool // user → joined (true) or left (false)
	last    time.Time       // when the room was last announced
	timer   *time.Timer     // set while a flush is scheduled
}

func newAnnouncer(publish func(context.Context, bus.Message) error, failed func(string, error)) *announcer {
	return &announcer{publish: publish, failed: failed, rooms: make(map[string]*pending)}
}

// change records that user joined (or left) room, and announces it now or
// at the end of the room's window.
func (a *announcer) change(room, user string, joined bool) {
	a.mu.Lock()
	p := a.rooms[room]
	if p == nil {
		p = &pending{changes: make(map[string]bool)}
		a.rooms[room] = p
	}
	if was, ok := p.changes[user]; ok && was != joined {
		delete(p.changes, user) // joined and left (or left and came back): nothing to say
	} else {
		p.changes[user] = joined
	}
	if p.timer != nil {
		a.mu.Unlock()
		return
	}
	wait := time.Until(p.last.Add(announceWindow))
	if wait > 0 && !a.stopped {
		a.timed.Add(1)
		p.timer = time.AfterFunc(wait, func() {
			defer a.timed.Done()
			a.flush(room)
		})
		a.mu.Unlock()
		return
	}
	a.mu.Unlock()
	a.flush(room)
}

// flush announces room's pending changes, if any.
func (a *announcer) flush(room string) {
	a.mu.Lock()
	p := a.rooms[room]
	if p == nil {
		a.mu.Unlock()
		return
	}
	p.timer = nil
	joins, leaves := split(p.changes)
	clear(p.changes)
	p.last = time.Now()
	if len(joins)+len(leaves) == 0 {
		delete(a.rooms, room) // nothing pending and nothing scheduled
	}
	a.mu.Unlock()
	if len(joins)+len(leaves) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	now := protocol.Now()
	if err := a.publish(ctx, bus.Message{Room: room, At: now, Frame: presenceFrame(room, joins, leaves, now)}); err != nil {
		a.failed(room, err)
	}
}

// stop announces whatever is pending at once, and from then on every change
// goes out at once: the node is shutting down, and its last leaves must go
// out before the bus stops. It returns once a scheduled flush that had
// already fired has returned too.
func (a *announcer) stop() {
	a.mu.Lock()
	a.stopped = true
	rooms := make([]string, 0, len(a.rooms))
	for room, p := range a.rooms {
		if p.timer != nil && p.timer.Stop() {
			a.timed.Done() // stopped before it fired: its flush never runs
		}
		p.timer = nil
		rooms = append(rooms, room)
	}
	a.mu.Unlock()
	for _, room := range rooms {
		a.flush(room)
	}
	a.timed.Wait()
}

// split sorts changes into joins and leaves, each sorted.
func split(changes map[string]bool) (joins, leaves []string) {
	for user, joined := range changes {
		if joined {
			joins = append(joins, user)
		} else {
			leaves = append(leaves, user)
		}
	}
	slices.Sort(joins)
	slices.Sort(leaves)
	return joins, leaves
}

// presenceFrame is the frame for one room's changes: SPEC's presence.join or
// presence.leave for a single change, a presence.diff for several.
func presenceFrame(room string, joins, leaves []string, ts int64) []byte {
	switch {
	case len(joins) == 1 && len(leaves) == 0:
		return protocol.PresenceJoin(room, joins[0], ts)
	case len(joins) == 0 && len(leaves) == 1:
		return protocol.PresenceLeave(room, leaves[0], ts)
	}
	return protocol.PresenceDiff(room, joins, leaves, ts)
}
