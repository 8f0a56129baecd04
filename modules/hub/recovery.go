package hub

import (
	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/protocol"
)

// releaseBatch is the most held live messages a recovery hands over at once
// when it ends; while more are held it goes on reading them from history in
// pages, which wait for the client to read, so a reconnect into a busy room
// is paced like its replay instead of landing in the queue all together.
const releaseBatch = 64

// maxReplay bounds one recovery's replay: a client that reads more slowly
// than its room publishes never catches up, and is handed what it holds
// after this many (its queue then decides whether it keeps up or is
// closed with 4002, to come back with a later since).
const maxReplay = 2 * holdLimit

// recovery is a member that joined with since, catching up from history.
// Until released it holds its live chat messages; after, it gets only what
// its replay did not give.
type recovery struct {
	held []bus.Message // live messages not yet given, in id order
	// first is the id of the first live message held: from it on every
	// message was held (or dropped), so a replay that reached it has no gap
	// behind what is held.
	first string
	// dropped is the greatest id dropped because holdLimit were held: the
	// recovery is whole only if its replay reads past it.
	dropped  string
	floor    string // the greatest id given so far (or since, when history held it)
	replayed int    // messages the replay gave so far
	released bool   // the replay is over; now only after applies
	after    string // released: the greatest id given before release
}

// take says whether a recovering member gets msg now: before release it
// holds it instead (unless the replay gave it already); after, it gets only
// what it was not given.
func (rec *recovery) take(msg bus.Message) bool {
	if rec.released {
		return msg.ID > rec.after
	}
	if msg.ID <= rec.floor {
		return false
	}
	if rec.first == "" {
		rec.first = msg.ID
	}
	if len(rec.held) < holdLimit {
		rec.held = append(rec.held, msg)
	} else {
		rec.dropped = msg.ID
	}
	return false
}

// caughtUp says the replay has reached the held messages with no gap in
// between and few enough of them are held to hand over at once.
func (rec *recovery) caughtUp() bool {
	return rec.first != "" && rec.floor >= rec.first && rec.floor >= rec.dropped && len(rec.held) <= releaseBatch
}

// gave records that the replay gave everything up to id, and forgets the
// held messages it covered.
func (rec *recovery) gave(id string) {
	rec.floor = id
	i := 0
	for i < len(rec.held) && rec.held[i].ID <= id {
		i++
	}
	clear(rec.held[:i]) // the frames they hold can go
	rec.held = rec.held[i:]
}

// startAt makes since the floor of m's recovery: history holds it, so a
// held live message at or below it was given to the client before.
func (r *room) startAt(m Member, since string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rec := r.members[m]; rec != nil && !rec.released && rec.floor == "" {
		rec.gave(since)
	}
}

// replayPage queues to a recovering m the entries of one page read from
// history that go past what it was given; full says the page held as many
// as were asked for. more says another page is worth reading: the history
// read has not reached its end, and the replay has not caught up with the
// live messages m holds. ok is false when m left or cannot take the replay
// (closing).
func (r *room) replayPage(m Member, entries []bus.Entry, full bool) (more, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := r.members[m]
	if rec == nil || rec.released {
		return false, false
	}
	for _, e := range entries {
		if e.ID <= rec.floor {
			continue
		}
		if !m.Replay(e.Frame) {
			return false, false
		}
		rec.gave(e.ID)
		rec.replayed++
	}
	return full && !rec.caughtUp() && rec.replayed < maxReplay, true
}

// release ends m's recovery: it queues history.recovered, then the live
// messages m holds that the replay did not give, and returns the count
// replayed and whether the recovery was complete: as the caller found
// history, and nothing dropped from what was held that the replay did not
// read past.
func (r *room) release(m Member, complete bool) (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := r.members[m]
	if rec == nil || rec.released {
		return 0, false // left meanwhile
	}
	complete = complete && rec.floor >= rec.dropped
	m.Replay(protocol.Recovered(r.name, rec.replayed, complete))
	floor := rec.floor
	for _, msg := range rec.held { // a backlog, like the replay: not counted as live
		if msg.ID > floor {
			m.Replay(msg.Frame)
			floor = msg.ID
		}
	}
	if floor > r.lastID { // the replay ran ahead of the live stream
		r.members[m] = &recovery{released: true, after: floor}
	} else {
		r.members[m] = nil
	}
	return rec.replayed, complete
}
