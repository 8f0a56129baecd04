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
	before := maps.Clone(r.users)
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
	p := Presence{Room: r.name, Users: r.sortedUsers(), Listed: f.Type == "presence.state"}
	p.Joins, p.Leaves = missing(r.users, before), missing(before, r.users)
	// A list is told even when it changes nothing: the app learns the
	// list has come.
	if p.Listed || len(p.Joins) > 0 || len(p.Leaves) > 0 {
		c.emitPresence(p)
	}
}

// missing is the users of a that b lacks, sorted.
func missing(a, b map[string]struct{}) []string {
	var out []string
	for u := range a {
		if _, ok := b[u]; !ok {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out
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
