package hub

import (
	"context"
	"sync"

	"rt/modules/bus"
)

// room is one room's local members and its bus subscription.
type room struct {
	name  string
	stats stats

	// lifeMu orders subscription changes: join holds it while subscribing,
	// so a second member never returns before the room is receiving.
	lifeMu sync.Mutex
	cancel func() // set while subscribed
	done   bool   // the last member left; this room value is finished

	// membersMu guards only the member set, so delivery (which runs on the
	// bus goroutine) never waits for a subscription round trip.
	membersMu sync.RWMutex
	members   map[Member]struct{}
}

func newRoom(name string, s stats) *room {
	return &room{name: name, stats: s, members: make(map[Member]struct{})}
}

// join reports false when the room has already finished.
func (r *room) join(ctx context.Context, b bus.Bus, m Member) bool {
	r.lifeMu.Lock()
	defer r.lifeMu.Unlock()
	if r.done {
		return false
	}
	if r.cancel == nil {
		r.cancel = b.Subscribe(ctx, r.name, r.deliver)
	}
	r.membersMu.Lock()
	r.members[m] = struct{}{}
	r.membersMu.Unlock()
	return true
}

// leave reports whether m was the last member.
func (r *room) leave(m Member) bool {
	r.lifeMu.Lock()
	defer r.lifeMu.Unlock()
	r.membersMu.Lock()
	delete(r.members, m)
	empty := len(r.members) == 0
	r.membersMu.Unlock()
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

func (r *room) deliver(msg bus.Message) {
	r.membersMu.RLock()
	defer r.membersMu.RUnlock()
	send := Member.Send
	if msg.ID == "" { // only chat messages have ids: this is a presence announcement
		send = Member.SendState
	}
	queued := 0
	for m := range r.members {
		if send(m, msg.Frame) {
			queued++
		}
	}
	r.stats.observe(msg, queued)
}

func (r *room) size() int {
	r.membersMu.RLock()
	defer r.membersMu.RUnlock()
	return len(r.members)
}

func (r *room) closed() bool {
	r.lifeMu.Lock()
	defer r.lifeMu.Unlock()
	return r.done
}
