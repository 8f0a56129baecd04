package client

import (
	"maps"
	"slices"
)

// onPresence folds a presence frame into the room's user set:
// presence.state replaces it, join adds, leave removes, diff applies its
// leaves then its joins (docs/protocol.md). The server coalesces and may
// drop change frames under load but then sends a fresh presence.state, so
// folding this way always ends with the right set.
func (c *Client) onPresence(f *inFrame) {
	r := c.rooms[f.Room]
	if r == nil || !r.wanted {
		return
	}
	switch f.Type {
	case "presence.state":
		r.users = make(map[string]struct{}, len(f.Users))
		addUsers(r, f.Users)
	case "presence.join":
		addUsers(r, []string{f.User})
	case "presence.leave":
		delete(r.users, f.User)
	case "presence.diff":
		for _, u := range f.Leaves {
			delete(r.users, u)
		}
		addUsers(r, f.Joins)
	}
	c.emitPresence(r.name, r.sortedUsers())
}

func addUsers(r *Room, users []string) {
	if r.users == nil {
		r.users = map[string]struct{}{}
	}
	for _, u := range users {
		r.users[u] = struct{}{}
	}
}

// sortedUsers is a copy of the set, sorted; c.mu is held.
func (r *Room) sortedUsers() []string {
	return slices.Sorted(maps.Keys(r.users))
}

// Users is who is in the room now, sorted, as last folded.
func (r *Room) Users() []string {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	return r.sortedUsers()
}
