package ws

import (
	"testing"

	"github.com/rtserver/rt/modules/protocol"
)

// resolve picks the room a frame is about, and refuses one the connection
// is not in with the code its kind of connection has always given.
func TestResolveRoom(t *testing.T) {
	withHome := roomSet{home: "lobby"}
	withHome.add("lobby", 10)
	withHome.add("news", 10)
	without := roomSet{}
	without.add("news", 10)
	left := roomSet{home: "lobby"} // the room of the URL was left
	left.add("news", 10)
	for _, tc := range []struct {
		name  string
		set   *roomSet
		named string
		room  string
		code  protocol.ErrorCode
	}{
		{"home omitted", &withHome, "", "lobby", ""},
		{"home named", &withHome, "lobby", "lobby", ""},
		{"joined named", &withHome, "news", "news", ""},
		{"home: another room", &withHome, "other", "", protocol.CodeRoomMismatch},
		{"no home: omitted", &without, "", "", protocol.CodeBadMessage},
		{"no home: joined", &without, "news", "news", ""},
		{"no home: another room", &without, "other", "", protocol.CodeNotJoined},
		{"home left: omitted", &left, "", "", protocol.CodeNotJoined},
		{"home left: named", &left, "lobby", "", protocol.CodeNotJoined},
	} {
		room, err := tc.set.resolve(tc.named)
		var code protocol.ErrorCode
		if err != nil {
			code = err.Code
		}
		if room != tc.room || code != tc.code {
			t.Errorf("%s: resolve(%q) = %q, %q; want %q, %q", tc.name, tc.named, room, code, tc.room, tc.code)
		}
	}
}

// add counts a room once, however often it is joined, and refuses one more
// than the limit.
func TestRoomSetLimit(t *testing.T) {
	var s roomSet
	first, fresh, err := s.add("a", 2)
	if !fresh || err != nil {
		t.Fatalf("first add: fresh %v, err %v", fresh, err)
	}
	if again, fresh, err := s.add("a", 2); fresh || err != nil || again != first {
		t.Fatalf("second add of a: fresh %v, err %v, same membership %v", fresh, err, again == first)
	}
	if _, _, err := s.add("b", 2); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.add("c", 2); err == nil || err.Code != protocol.CodeTooManyRooms {
		t.Fatalf("third room: %v, want too_many_rooms", err)
	}
	if mb := s.remove("a"); mb != first || s.has("a") {
		t.Fatal("remove did not take a out")
	}
	if _, fresh, err := s.add("c", 2); !fresh || err != nil {
		t.Fatalf("c after a left: fresh %v, err %v", fresh, err)
	}
	if s.only("b") || s.only("c") {
		t.Fatal("only reports a room alone while two are in the set")
	}
}

// A room left while its join is still on its way is left as soon as the
// join finishes, so the hub never keeps a member the connection gave up.
func TestMembershipLeftBeforeJoined(t *testing.T) {
	var left int
	leave := leaveFunc(func() { left++ })
	early := &membership{room: "a"}
	early.end()
	early.joined(leave)
	if left != 1 || early.isJoined() {
		t.Fatalf("left %d times, joined %v; want the late join undone at once", left, early.isJoined())
	}
	late := &membership{room: "b"}
	late.joined(leave)
	if !late.isJoined() {
		t.Fatal("a join that finished is not joined")
	}
	late.end()
	late.end()
	if left != 2 || late.isJoined() {
		t.Fatalf("left %d times after two ends, want 2 in all", left)
	}
}

// leaveFunc is a leaver that calls itself.
type leaveFunc func()

func (f leaveFunc) Leave() { f() }
