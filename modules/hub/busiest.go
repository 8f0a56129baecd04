package hub

import (
	"cmp"
	"slices"
)

// RoomSize is a room with local members and how many there are (each
// socket counts once).
type RoomSize struct {
	Room    string `json:"room"`
	Members int    `json:"members"`
}

// Busiest lists at most n of this node's rooms, most local members first
// (ties by name), for the admin page. It holds the rooms' lock only to copy
// the list, so joins and leaves wait for no count.
func (h *Hub) Busiest(n int) []RoomSize {
	h.rooms.mu.Lock()
	held := make([]*room, 0, len(h.rooms.byName))
	names := make([]string, 0, len(h.rooms.byName))
	for name, r := range h.rooms.byName {
		held, names = append(held, r), append(names, name)
	}
	h.rooms.mu.Unlock()
	sizes := make([]RoomSize, 0, len(held))
	for i, r := range held {
		if m := r.size(); m > 0 {
			sizes = append(sizes, RoomSize{Room: names[i], Members: m})
		}
	}
	slices.SortFunc(sizes, func(a, b RoomSize) int {
		return cmp.Or(cmp.Compare(b.Members, a.Members), cmp.Compare(a.Room, b.Room))
	})
	return sizes[:min(n, len(sizes))]
}
