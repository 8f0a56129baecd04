package hub

import (
	"github.com/go-json-experiment/json/jsontext"

	"github.com/rtserver/rt/modules/presence"
	"github.com/rtserver/rt/modules/protocol"
	"github.com/rtserver/rt/modules/webhook"
)

// The hub's webhook events (SPEC §11), handed to the Recorder as they
// happen: one Record call per batch, never coalesced like the presence
// frames are, since the backend wants each change. Without a Recorder
// (WEBHOOK_URL unset) nothing is built. The Recorder gives each event its
// id.

// recordJoins records what a JoinAll's presence edges changed: a room's
// first user makes it occupied, then that user joins; a user's first
// connection is a join.
func (h *Hub) recordJoins(entries []presence.Entry, edges []presence.Edge) {
	if h.webhooks == nil {
		return
	}
	var events []webhook.Event
	now := protocol.Now()
	for i, e := range entries {
		if edges[i] == presence.RoomEdge {
			events = append(events, webhook.Event{Type: webhook.RoomOccupied, Room: e.Room, TS: now})
		}
		if edges[i] != presence.NoEdge {
			events = append(events, webhook.Event{Type: webhook.PresenceJoin, Room: e.Room, User: e.User, TS: now})
		}
	}
	h.record(events)
}

// recordLeaves records what a LeaveAll's presence edges changed: a user's
// last connection gone is a leave, then, when no user is left on any
// node, the room is vacated.
func (h *Hub) recordLeaves(entries []presence.Entry, edges []presence.Edge) {
	if h.webhooks == nil {
		return
	}
	var events []webhook.Event
	now := protocol.Now()
	for i, e := range entries {
		if edges[i] != presence.NoEdge {
			events = append(events, webhook.Event{Type: webhook.PresenceLeave, Room: e.Room, User: e.User, TS: now})
		}
		if edges[i] == presence.RoomEdge {
			events = append(events, webhook.Event{Type: webhook.RoomVacated, Room: e.Room, TS: now})
		}
	}
	h.record(events)
}

// recordSaid records a message.published for each message of a SayAll
// that history stored and published (no error), with the id and ts its
// chat.delivery carries. Only the node that published records it, once.
func (h *Hub) recordSaid(user string, said []Said, ps []Published, errs []error) {
	if h.webhooks == nil {
		return
	}
	var events []webhook.Event
	for i, s := range said {
		if errs[i] != nil {
			continue
		}
		events = append(events, webhook.Event{
			Type: webhook.MessagePublished, Room: s.Room, User: user, TS: ps[i].TS,
			// Data is shared, not copied: nothing writes a message's data
			// once it has been said.
			Message: &webhook.Message{ID: ps[i].ID, Text: s.Text, Data: jsontext.Value(s.Data)},
		})
	}
	h.record(events)
}

func (h *Hub) record(events []webhook.Event) {
	if len(events) > 0 {
		h.webhooks.Record(events...)
	}
}
