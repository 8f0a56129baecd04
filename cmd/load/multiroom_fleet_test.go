package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeRooms is a small stand-in for rt's protocol 2, enough for the client
// library: GET /ws opens a socket in no room, room.join answers room.joined
// (or too_many_rooms past maxRooms), chat.message fans out to the room's
// members with the room's next id and is answered chat.ack; presence.list
// is not answered. It can drop one delivery, to see it counted missing.
type fakeRooms struct {
	maxRooms  int
	protocol1 bool   // answer room.join unknown_type, without the ref, as a server before protocol 2
	dropTo    string // user that never gets…
	dropText  string // …the delivery with this text
	mu        sync.Mutex
	rooms     map[string]map[*fakeConn]bool
	seq       map[string]int // the last id given in each room
}

func (s *fakeRooms) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/ws" {
		http.NotFound(w, r)
		return
	}
	c := upgrade(w, r)
	if c == nil {
		return
	}
	user, ws := c.user, c.ws
	joined := map[string]bool{}
	defer func() {
		s.mu.Lock()
		for room := range joined {
			delete(s.rooms[room], c)
		}
		s.mu.Unlock()
		ws.Close()
	}()
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var in struct{ Type, Room, Text, Ref string }
		_ = json.Unmarshal(data, &in)
		switch in.Type {
		case "room.join":
			if s.protocol1 {
				c.send(`{"type":"system.error","code":"unknown_type","message":"unknown frame type"}`)
				continue
			}
			if len(joined) >= s.maxRooms {
				c.send(fmt.Sprintf(`{"type":"system.error","code":"too_many_rooms","message":"m","ref":%q}`, in.Ref))
				continue
			}
			joined[in.Room] = true
			s.mu.Lock()
			if s.rooms[in.Room] == nil {
				s.rooms[in.Room] = map[*fakeConn]bool{}
			}
			s.rooms[in.Room][c] = true
			s.mu.Unlock()
			c.send(fmt.Sprintf(`{"type":"room.joined","room":%q,"ref":%q}`, in.Room, in.Ref))
		case "chat.message":
			id := s.fanout(in.Room, user, in.Text)
			c.send(fmt.Sprintf(`{"type":"chat.ack","room":%q,"ref":%q,"id":%q,"ts":1}`, in.Room, in.Ref, id))
		}
	}
}

// fanout delivers a message with the room's next id (increasing, as rt's:
// the library drops an id not past the room's position) and returns it.
func (s *fakeRooms) fanout(room, user, text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq[room]++
	id := fmt.Sprintf("%028x", s.seq[room])
	frame := fmt.Sprintf(`{"type":"chat.delivery","room":%q,"user":%q,"text":%q,"id":%q,"ts":1}`, room, user, text, id)
	for m := range s.rooms[room] {
		if m.user == s.dropTo && strings.HasPrefix(text, s.dropText) {
			continue
		}
		m.send(frame)
	}
	return id
}

func startFakeRooms(t *testing.T, s *fakeRooms) int {
	t.Helper()
	s.rooms, s.seq = map[string]map[*fakeConn]bool{}, map[string]int{}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(ts.URL, "http://"))
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// runFake joins conns sockets to perConn of rooms rooms each, sends msgs
// messages and returns the figures.
func runFake(t *testing.T, s *fakeRooms, conns, rooms, perConn, msgs int) (*multiroomFigures, *mrFleet) {
	t.Helper()
	port := startFakeRooms(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l := layout{rooms: rooms, perConn: perConn}
	f, err := newMRFleet(port, conns, l, "t", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.close)
	f.openAll(ctx, 4)
	fig := &multiroomFigures{}
	for _, c := range f.clients {
		if c.joinDone > 0 {
			fig.Joined++
		}
	}
	fig.JoinRefusals = f.snapshot(f.refusals)
	if fig.Joined < conns {
		f.close()
		return fig, f
	}
	done := make(chan struct{})
	var sendErr error
	go func() { sendErr = f.sendSteady(ctx, 1000, msgs); close(done) }()
	f.waitAll(ctx, l.members(conns), time.Now().Add(10*time.Second), done)
	<-done
	f.close()
	if sendErr != nil {
		t.Fatal(sendErr)
	}
	fig.fill(f, time.Now().Add(-time.Second))
	return fig, f
}

func TestMultiroomFleet(t *testing.T) {
	const conns, rooms, perConn, msgs = 24, 6, 3, 30 // 12 members per room, 5 messages each
	fig, f := runFake(t, &fakeRooms{maxRooms: 100}, conns, rooms, perConn, msgs)
	if fig.Joined != conns || f.joinedSockets.Load() != conns {
		t.Fatalf("%d of %d joined (refusals %v)", fig.Joined, conns, fig.JoinRefusals)
	}
	want := tally{Expected: msgs * conns * perConn / rooms, Received: msgs * conns * perConn / rooms}
	if fig.tally != want || fig.Stray != 0 {
		t.Errorf("tally %+v, stray %d; want %+v", fig.tally, fig.Stray, want)
	}
	if fig.Sent != msgs || fig.Acked != msgs || fig.Refused != 0 {
		t.Errorf("sent %d, acked %d, refused %d; want %d acked", fig.Sent, fig.Acked, fig.Refused, msgs)
	}
	for r := range rooms {
		if got := f.sent[r].Load(); got != msgs/rooms {
			t.Errorf("room %d sent %d, want %d", r, got, msgs/rooms)
		}
	}
	if fig.Latency.Max <= 0 || len(fig.ClosedByServer) != 0 {
		t.Errorf("latency %+v, closed %v", fig.Latency, fig.ClosedByServer)
	}
}

func TestMultiroomFleetCountsMissing(t *testing.T) {
	// m5 is in rooms 5, 1 and 3 (of 6, 3 each): it never gets message 0 of room 5.
	fig, _ := runFake(t, &fakeRooms{maxRooms: 100, dropTo: "m5", dropText: "0:"}, 12, 6, 3, 12)
	if fig.Missing != 3 || fig.Short != 1 || fig.Received != fig.Expected-3 {
		t.Errorf("tally %+v, want 3 missing (message 0 of each of m5's rooms) at 1 socket", fig.tally)
	}
}

func TestMultiroomFleetCountsRefusedJoins(t *testing.T) {
	fig, f := runFake(t, &fakeRooms{maxRooms: 2}, 5, 6, 3, 6)
	if fig.Joined != 0 || fig.JoinRefusals["too_many_rooms"] != 5 {
		t.Errorf("joined %d, refusals %v; want 0 and too_many_rooms ×5", fig.Joined, fig.JoinRefusals)
	}
	for _, c := range f.clients {
		if c.nJoined != 2 || c.refusal != "too_many_rooms" {
			t.Errorf("%s: %d joined, refusal %q", c.user, c.nJoined, c.refusal)
		}
	}
}

func TestMultiroomFleetStopsOnAServerWithoutRooms(t *testing.T) {
	start := time.Now()
	fig, _ := runFake(t, &fakeRooms{protocol1: true}, 8, 6, 3, 6)
	if fig.Joined != 0 || fig.JoinRefusals["unknown_type"] != 8 || time.Since(start) > socketJoinMax/2 {
		t.Errorf("joined %d, refusals %v in %s; want 0 and unknown_type ×8 at once", fig.Joined, fig.JoinRefusals, time.Since(start))
	}
}
