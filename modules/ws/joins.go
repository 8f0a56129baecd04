package ws

import (
	"context"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/rtserver/rt/modules/hub"
	"github.com/rtserver/rt/modules/protocol"
)

// What a room.join is told when the room cannot be joined (a bad name is
// hub.ErrBadRoom, as for the server API).
var (
	errRoomForbidden = &protocol.Error{Code: protocol.CodeRoomForbidden, Message: "the token's rooms claim does not allow this room"}
	errBusy          = &protocol.Error{Code: protocol.CodeUnavailable, Message: "too many requests waiting; try again"}
	errJoinFailed    = &protocol.Error{Code: protocol.CodeUnavailable, Message: joinUnavailable}
)

const joinUnavailable = "the room could not be joined; try again"

// joinRequest is a room.join accepted by the reader, waiting for the runner.
type joinRequest struct {
	mb     *membership
	since  string
	ref    string
	joined []byte         // room.joined with the request's ref
	claims jsontext.Value // the token's payload when asked, for the connect hook; nil without one
}

// roomJoin serves room.join: the checks that need no backend at once, the
// join itself on the request runner, after every frame before it. Joins
// waiting next to each other are joined together (joinAll).
func (h *Handler) roomJoin(c *Conn, in protocol.Inbound) {
	room := in.Room
	switch {
	case !protocol.ValidRoom(room):
		c.answer(in.Ref, hub.ErrBadRoom)
		return
	case !c.claims.MayJoin(room):
		c.answer(in.Ref, errRoomForbidden)
		return
	}
	mb, fresh, err := c.rooms.add(room, c.limits.MaxRooms)
	if err != nil {
		c.answer(in.Ref, err)
		return
	}
	joined := protocol.WithRef(protocol.RoomJoined(room), in.Ref)
	if !fresh { // joined already, or joining: answered in turn, nothing changes
		if !c.requests.submit(func(context.Context) { c.joinedAgain(mb, joined, in.Ref) }) {
			c.answer(in.Ref, errBusy)
		}
		return
	}
	// The claims are read here, on the reader, which is where a refresh
	// changes them.
	if !c.requests.submitJoin(joinRequest{mb: mb, since: in.Since, ref: in.Ref, joined: joined, claims: c.claims.Raw}) {
		c.rooms.forget(mb)
		c.answer(in.Ref, errBusy)
	}
}

// joinedAgain answers a second room.join of a room: room.joined again when
// the first one succeeded.
func (c *Conn) joinedAgain(mb *membership, joined []byte, ref string) {
	if !mb.isJoined() {
		c.answer(ref, errJoinFailed)
		return
	}
	c.Send(joined)
}

// joinAll joins the rooms of the room.join frames taken together, on the
// runner: the connect hook, when there is one, asked about all of them at
// once, then presence for those it allowed in one round trip. Each is
// answered room.joined (queued by the hub before any frame of the room) or
// a system.error; a join with since then recovers on the history lane.
func (h *Handler) joinAll(ctx context.Context, c *Conn, reqs []joinRequest) {
	if h.hook != nil {
		if reqs = h.admitJoins(ctx, c, reqs); len(reqs) == 0 {
			return
		}
	}
	clients := make([]hub.Client, len(reqs))
	for i, r := range reqs {
		clients[i] = hub.Client{Room: r.mb.room, User: c.user, Member: c, Since: r.since, Joined: r.joined}
	}
	joins, errs := h.hub.JoinAll(ctx, clients)
	for i, r := range reqs {
		if errs[i] != nil {
			c.rooms.forget(r.mb)
			h.refused(c, r.ref, "join failed", errs[i], joinUnavailable)
			continue
		}
		r.mb.joined(joins[i])
		if r.since != "" {
			h.recover(c, clients[i])
		}
	}
}

// recover replays what client's room holds after client.Since, on the
// history lane: paced like history pages, and not refused for being one
// of many (a connection may join MAX_ROOMS_PER_CONN rooms with since).
func (h *Handler) recover(c *Conn, client hub.Client) {
	c.pages.submitAlways(func(ctx context.Context) { h.hub.Recover(ctx, client, &historyPacer{c: c}) })
}

// roomLeave serves room.leave: the room leaves the set at once, so later
// frames may not name it, and the hub's leave runs on the runner, after
// every frame before it.
func (h *Handler) roomLeave(c *Conn, in protocol.Inbound) {
	mb := c.rooms.remove(in.Room)
	if mb == nil {
		c.answer(in.Ref, errNotJoined)
		return
	}
	c.leaveLater(mb, protocol.LeftByClient, in.Ref)
}

// leaveLater has the runner leave mb's room and then tell the client
// room.left with reason. Nothing of the room is queued after room.left.
func (c *Conn) leaveLater(mb *membership, reason, ref string) {
	left := protocol.WithRef(protocol.RoomLeft(mb.room, reason), ref)
	ok := c.requests.submitAlways(func(context.Context) {
		mb.end()
		c.Send(left)
	})
	if !ok { // the connection is ending: leave now, there is nobody to tell
		mb.end()
	}
}

// takeRoom takes room away from the connection, with room.left reason, as a
// server-API disconnect of that room does. A connection for which it is the
// only room is closed with 4003 instead, as before connections had several.
// It reports whether the connection was in the room.
func (c *Conn) takeRoom(room, reason, closeReason string) bool {
	if !c.rooms.has(room) {
		return false
	}
	if c.rooms.only(room) {
		c.Close(protocol.CloseDisconnected, closeReason)
		return true
	}
	if mb := c.rooms.remove(room); mb != nil {
		c.leaveLater(mb, reason, "")
	}
	return true
}

// leaveAll leaves every room once the connection has ended and its runner
// has finished: presence for all of them in one batch.
func (h *Handler) leaveAll(c *Conn) {
	var js []*hub.Joined
	for _, mb := range c.rooms.drain() {
		if j, ok := mb.take().(*hub.Joined); ok {
			js = append(js, j)
		}
	}
	if len(js) > 0 {
		h.hub.LeaveAll(js)
	}
}
