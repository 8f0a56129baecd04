package hub

import (
	"slices"
	"testing"
)

// Busiest counts each room's local members, most first and ties by name,
// cut to n; a room whose last member left is gone.
func TestBusiestRoomsMostMembersFirst(t *testing.T) {
	mgr := New(newCountingBus())
	for range 3 {
		join(t, mgr, "big", &member{})
	}
	join(t, mgr, "b-small", &member{})
	left := &member{}
	join(t, mgr, "a-small", &member{})
	join(t, mgr, "gone", left)
	mgr.Leave("gone", left)

	want := []RoomSize{{"big", 3}, {"a-small", 1}, {"b-small", 1}}
	if got := mgr.hub.Busiest(10); !slices.Equal(got, want) {
		t.Errorf("Busiest(10) = %v, want %v", got, want)
	}
	if got := mgr.hub.Busiest(1); !slices.Equal(got, want[:1]) {
		t.Errorf("Busiest(1) = %v, want %v", got, want[:1])
	}
}
