package hub

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/presence"
	"github.com/rtserver/rt/modules/protocol"
)

// JoinAll puts one member in several rooms at once; each room's Joined
// frame reaches it before anything of that room, its own presence.join
// included, and each room's frames name that room.
func TestJoinAllJoinedComesFirst(t *testing.T) {
	h := newHistoryHub(newMemory())
	m := &member{}
	rooms := []string{"a", "b", "c"}
	var cs []Client
	for _, room := range rooms {
		cs = append(cs, Client{Room: room, User: "alice", Member: m, Joined: protocol.RoomJoined(room)})
	}
	leaves, errs := h.JoinAll(t.Context(), cs)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("join %s: %v", rooms[i], err)
		}
	}
	waitFrames(t, m, 6) // a joined and a presence.join per room
	seen := map[string]bool{}
	for _, f := range frames(m) {
		for _, room := range rooms {
			if !strings.Contains(f, `"room":"`+room+`"`) {
				continue
			}
			joined := strings.HasPrefix(f, `{"type":"room.joined"`)
			if !seen[room] && !joined {
				t.Fatalf("room %s: %s came before room.joined", room, f)
			}
			seen[room] = true
		}
	}
	if n := h.rooms.count(); n != 3 {
		t.Fatalf("%d rooms, want 3", n)
	}
	h.LeaveAll(leaves)
	if n := h.rooms.count(); n != 0 {
		t.Fatalf("%d rooms after leaving them all", n)
	}
	for _, room := range rooms {
		if users, err := h.Presence(t.Context(), room); err != nil || len(users) != 0 {
			t.Fatalf("room %s after LeaveAll: users %v, err %v", room, users, err)
		}
	}
}

// signalMember records the signals it is offered, with their sender.
type signalMember struct {
	member
	mu   sync.Mutex
	from []string
}

func (s *signalMember) Signal(frame []byte, from string) bool {
	s.mu.Lock()
	s.from = append(s.from, from)
	s.mu.Unlock()
	return s.Send(frame)
}

// A signal is offered to every member with its sender (the member leaves
// out its own user's), and history does not keep it.
func TestSignalReachesMembersAndIsNotStored(t *testing.T) {
	b := newMemory()
	h := newHistoryHub(b)
	alice, bob := &signalMember{}, &signalMember{}
	for _, c := range []Client{{Room: "r", User: "alice", Member: alice}, {Room: "r", User: "bob", Member: bob}} {
		if _, err := h.Join(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Signal(t.Context(), "r", "alice", []byte(`{"typing":true}`)); err != nil {
		t.Fatal(err)
	}
	want := `{"type":"room.signal","room":"r","user":"alice","data":{"typing":true},"ts":`
	for name, m := range map[string]*signalMember{"alice": alice, "bob": bob} {
		m.mu.Lock()
		from := m.from
		m.mu.Unlock()
		if len(from) != 1 || from[0] != "alice" {
			t.Errorf("%s was offered signals from %q, want one from alice", name, from)
		}
		got := frames(&m.member)
		if !strings.HasPrefix(got[len(got)-1], want) {
			t.Errorf("%s got %s, want %s…", name, got[len(got)-1], want)
		}
	}
	if entries, _, err := b.After(t.Context(), "r", ""); err != nil || len(entries) != 0 {
		t.Fatalf("history holds %d entries (err %v) after a signal", len(entries), err)
	}
	if err := h.Signal(t.Context(), "r", "alice", []byte(`"`+strings.Repeat("x", 4096)+`"`)); err != ErrMessageTooLong {
		t.Fatalf("an oversized signal: %v, want %v", err, ErrMessageTooLong)
	}
}

// A personal message goes through the control room to whatever delivers
// it on each node, as a user.message with the id and ts SendToUser gave.
func TestSendToUserThroughTheControlRoom(t *testing.T) {
	h := newHistoryHub(newMemory())
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	h.listen(ctx)
	defer h.stopListening()
	got := make(chan string, 1)
	h.OnUserMessage(func(user string, frame []byte) int {
		got <- user + " " + string(frame)
		return 1
	})
	p, err := h.SendToUser(t.Context(), "bob", Content{Text: "hi", Data: []byte(`{"n":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	want := `bob {"type":"user.message","user":"bob","text":"hi","data":{"n":1},"id":"` + p.ID + `","ts":`
	if s := <-got; !strings.HasPrefix(s, want) || !protocol.ValidID(p.ID) {
		t.Fatalf("delivered %s, want %s…", s, want)
	}
	for _, tc := range []struct {
		user string
		m    Content
		want error
	}{
		{"", Content{Text: "x"}, ErrBadUser},
		{"bob", Content{}, ErrNoText},
		{"bob", Content{Text: strings.Repeat("x", 4097)}, ErrTextTooLong},
	} {
		if _, err := h.SendToUser(t.Context(), tc.user, tc.m); err != tc.want {
			t.Errorf("SendToUser(%q, %+v) = %v, want %v", tc.user, tc.m, err, tc.want)
		}
	}
}

// countingStore counts the presence writes that join.
type countingStore struct {
	*presence.Memory
	mu            sync.Mutex
	joins, joined int // JoinAll and Join calls; entries in them
	leaves        int // LeaveAll and Leave calls
}

func (s *countingStore) Leave(ctx context.Context, e presence.Entry) (presence.Edge, error) {
	s.mu.Lock()
	s.leaves++
	s.mu.Unlock()
	return s.Memory.Leave(ctx, e)
}

func (s *countingStore) LeaveAll(ctx context.Context, es []presence.Entry) ([]presence.Edge, error) {
	s.mu.Lock()
	s.leaves++
	s.mu.Unlock()
	return s.Memory.LeaveAll(ctx, es)
}

func (s *countingStore) Join(ctx context.Context, e presence.Entry) (presence.Edge, error) {
	s.mu.Lock()
	s.joins, s.joined = s.joins+1, s.joined+1
	s.mu.Unlock()
	return s.Memory.Join(ctx, e)
}

func (s *countingStore) JoinAll(ctx context.Context, es []presence.Entry) ([]presence.Edge, error) {
	s.mu.Lock()
	s.joins, s.joined = s.joins+1, s.joined+len(es)
	s.mu.Unlock()
	return s.Memory.JoinAll(ctx, es)
}

// JoinAll writes the presence of every room it joins in one call to the
// store, and LeaveAll removes it in one: in redis mode, one pipelined
// round trip each.
func TestJoinAllWritesPresenceOnce(t *testing.T) {
	store := &countingStore{Memory: presence.NewMemory(time.Minute)}
	h := newHub(newMemory(), presence.NewTracker(store, time.Minute, discard), NewULIDs(), Limits{MaxMessageBytes: 8}, discard)
	m := &member{}
	var cs []Client
	for i := range 20 {
		cs = append(cs, Client{Room: fmt.Sprint("r", i), User: "u", Member: m})
	}
	js, errs := h.JoinAll(t.Context(), cs)
	if slices.ContainsFunc(errs, func(err error) bool { return err != nil }) {
		t.Fatal(errs)
	}
	if store.joins != 1 || store.joined != 20 {
		t.Fatalf("%d presence calls for %d entries, want 1 for 20", store.joins, store.joined)
	}
	h.LeaveAll(js)
	if store.leaves != 1 {
		t.Fatalf("%d presence calls to leave 20 rooms, want 1", store.leaves)
	}
}
