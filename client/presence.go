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
	if r == nil || !r.wanted || c.cfg.NoPresence {
		return
	}
	if r.users == nil {
		r.users = map[string]struct{}{}
	}
	var joins, leaves []string
	switch f.Type {
	case "presence.state":
		next := make(map[string]struct{}, len(f.Users))
		for _, u := range f.Users {
			next[u] = struct{}{}
		}
		joins, leaves = missing(next, r.users), missing(r.users, next)
		r.users = next
	case "presence.join":
		joins = r.add(nil, f.User)
	case "presence.leave":
		leaves = r.remove(nil, f.User)
	case "presence.diff":
		for _, u := range f.Leaves {
			leaves = r.remove(leaves, u)
		}
		for _, u := range f.Joins {
			if i := slices.Index(leaves, u); i >= 0 {
				leaves = slices.Delete(leaves, i, i+1) // left and came back: no change
				r.add(nil, u)
				continue
			}
			joins = r.add(joins, u)
		}
	}
	listed := f.Type == "presence.state"
	// A list is told even when it changes nothing: the app learns the
	// list has come. The sorted copy is paid only when a handler reads it.
	if c.cfg.Handlers.OnPresence != nil && (listed || len(joins) > 0 || len(leaves) > 0) {
		slices.Sort(joins)
		slices.Sort(leaves)
		c.emitPresence(Presence{Room: r.name, Users: r.sortedUsers(), Joins: joins, Leaves: leaves, Listed: listed})
	}
}

// add puts u in the set and appends it to joins when it was not there.
func (r *Room) add(joins []string, u string) []string {
	if _, ok := r.users[u]; ok {
		return joins
	}
	r.users[u] = struct{}{}
	return append(joins, u)
}

// remove takes u out of the set and appends it to leaves when it was there.
func (r *Room) remove(leaves []string, u string) []string {
	if _, ok := r.users[u]; !ok {
		return leaves
	}
	delete(r.users, u)
	return append(leaves, u)
}

// missing is the users of a that b lacks.
func missing(a, b map[string]struct{}) []string {
	var out []string
	for u := range a {
		if _, ok := b[u]; !ok {
			out = append(out, u)
		}
	}
	return out
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
