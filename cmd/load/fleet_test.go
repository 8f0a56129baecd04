package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/golang-jwt/jwt/v5"
)

// fakeServer is a small stand-in for rt: rooms, chat fan-out, presence as
// presence.join/leave or as presence.diff, presence.list. It lets the
// fleet's logic be tested without building rt.
type fakeServer struct {
	diff     bool          // announce presence as presence.diff
	refuse   string        // answer a chat message whose text starts with this with system.error unavailable
	closeAs  int           // close the user closeWho with this code right after its join
	closeWho string        //
	ping     time.Duration // send every socket a system.ping this often (0: never)
	pongs    atomic.Int64  // system.pong frames received
	mu       sync.Mutex
	rooms    map[string]map[*fakeConn]bool
	peers    map[string]int // connections by the client's IP address
}

type fakeConn struct {
	ws   *websocket.Conn
	user string
	mu   sync.Mutex
}

func (c *fakeConn) send(frame string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.ws.WriteMessage(websocket.TextMessage, []byte(frame))
}

func (s *fakeServer) broadcast(room, frame string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.rooms[room] {
		c.send(frame)
	}
}

func (s *fakeServer) announce(room, user string, joined bool) {
	frame := fmt.Sprintf(`{"type":"presence.join","room":%q,"user":%q,"ts":1}`, room, user)
	switch {
	case s.diff && joined:
		frame = fmt.Sprintf(`{"type":"presence.diff","room":%q,"joins":[%q],"leaves":[],"ts":1}`, room, user)
	case s.diff:
		frame = fmt.Sprintf(`{"type":"presence.diff","room":%q,"joins":[],"leaves":[%q],"ts":1}`, room, user)
	case !joined:
		frame = fmt.Sprintf(`{"type":"presence.leave","room":%q,"user":%q,"ts":1}`, room, user)
	}
	s.broadcast(room, frame)
}

// upgrade checks the request's token as rt does (401 token_invalid) and
// upgrades it; nil when it answered with an error.
func upgrade(w http.ResponseWriter, r *http.Request) *fakeConn {
	tok, err := jwt.Parse(r.URL.Query().Get("token"), func(*jwt.Token) (any, error) { return []byte(jwtSecret), nil })
	if err != nil {
		http.Error(w, `{"error":"token_invalid"}`, http.StatusUnauthorized)
		return nil
	}
	user, _ := tok.Claims.GetSubject()
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return nil
	}
	return &fakeConn{ws: ws, user: user}
}

func (s *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	room := strings.TrimPrefix(r.URL.Path, "/ws/")
	c := upgrade(w, r)
	if c == nil {
		return
	}
	user, ws := c.user, c.ws
	s.mu.Lock()
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		s.peers[host]++
	}
	if s.rooms[room] == nil {
		s.rooms[room] = map[*fakeConn]bool{}
	}
	s.rooms[room][c] = true
	s.mu.Unlock()
	s.announce(room, user, true)
	defer func() {
		s.mu.Lock()
		delete(s.rooms[room], c)
		s.mu.Unlock()
		ws.Close()
		s.announce(room, user, false)
	}()
	if s.ping > 0 {
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			t := time.NewTicker(s.ping)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					c.send(`{"type":"system.ping","ts":1}`)
				}
			}
		}()
	}
	if user == s.closeWho {
		c.mu.Lock()
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(s.closeAs, "too slow to keep up"), time.Now().Add(time.Second))
		c.mu.Unlock()
		return
	}
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var in struct{ Type, Text string }
		_ = json.Unmarshal(data, &in)
		switch in.Type {
		case "system.pong":
			s.pongs.Add(1)
		case "chat.message":
			if s.refuse != "" && strings.HasPrefix(in.Text, s.refuse) {
				c.send(`{"type":"system.error","code":"unavailable","message":"message not delivered; try again"}`)
				continue
			}
			s.broadcast(room, fmt.Sprintf(`{"type":"chat.delivery","room":%q,"user":%q,"text":%q,"id":"x","ts":1}`, room, user, in.Text))
		case "presence.list":
			s.mu.Lock()
			var users []string
			for m := range s.rooms[room] {
				users = append(users, m.user)
			}
			s.mu.Unlock()
			slices.Sort(users)
			b, _ := json.Marshal(users)
			c.send(fmt.Sprintf(`{"type":"presence.state","room":%q,"users":%s}`, room, b))
		}
	}
}

func startFake(t *testing.T, s *fakeServer) int {
	t.Helper()
	s.rooms = map[string]map[*fakeConn]bool{}
	s.peers = map[string]int{}
	ts := httptest.NewServer(s) // listens on 127.0.0.1
	t.Cleanup(ts.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(ts.URL, "http://"))
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFleetFanoutWindowed(t *testing.T) {
	port := startFake(t, &fakeServer{refuse: "1"}) // messages 1, 10-19: refused
	const refused = 11
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const conns, rooms, msgs = 24, 3, 40
	f, err := newFleet(fleetConfig{ports: []int{port}, conns: conns, rooms: rooms, prefix: "t", msgs: msgs})
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	if failed := f.dialAll(ctx, 4, 1); failed > 0 {
		t.Fatalf("%d dials failed: %v", failed, f.failsSnapshot())
	}
	if err := f.waitJoined(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	expected := f.expectedDeliveries(msgs)
	if expected != conns*msgs {
		t.Fatalf("expected deliveries = %d, want %d", expected, conns*msgs)
	}
	sent := f.sendAll(ctx, sendPlan{msgs: msgs, window: 4, senders: 2})
	f.waitDeliveries(ctx, expected, time.Now().Add(20*time.Second), sent)
	<-sent
	f.close()
	if err := f.sendErr(); err != nil {
		t.Fatal(err)
	}
	fig := &fanoutFigures{Expected: expected}
	fig.fill(f, time.Now().Add(-time.Second))
	// A refused message must not hold up the window: every other one arrives.
	if want := expected - refused*conns; fig.Received != want || fig.Lost != refused*conns || len(fig.ClosedByServer) != 0 {
		t.Errorf("received %d of %d, lost %d, closed %v; want %d received", fig.Received, expected, fig.Lost, fig.ClosedByServer, want)
	}
	if got := fig.Errors["unavailable"]; got != refused*rooms {
		t.Errorf("system.error unavailable ×%d, want %d", got, refused*rooms)
	}
	for _, r := range f.rooms {
		for seq := range msgs {
			want := int32(len(r.members))
			if strings.HasPrefix(strconv.Itoa(seq), "1") {
				want = 0
			}
			if got := r.counts[seq].Load(); got != want {
				t.Fatalf("room %s message %d reached %d of %d members", r.name, seq, got, want)
			}
		}
		if got := r.refused.Load(); got != refused {
			t.Errorf("room %s: %d refused, want %d", r.name, got, refused)
		}
		if r.next.Load() < msgs {
			t.Errorf("room %s sent %d of %d", r.name, r.next.Load(), msgs)
		}
	}
}

func TestFleetPresenceTracking(t *testing.T) {
	for _, diff := range []bool{false, true} {
		t.Run(fmt.Sprintf("diff=%v", diff), func(t *testing.T) {
			port := startFake(t, &fakeServer{diff: diff, closeAs: 4002, closeWho: "u7"})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			const conns = 30
			f, err := newFleet(fleetConfig{ports: []int{port}, conns: conns, rooms: 1, prefix: "p", listFirst: true, readDelay: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer f.close()
			if failed := f.dialSpread(ctx, 200*time.Millisecond); failed > 0 {
				t.Fatalf("%d dials failed: %v", failed, f.failsSnapshot())
			}
			waitUntil(ctx, time.Now().Add(10*time.Second), func() bool { return f.states.Load()+f.dropped.Load() >= conns })
			if !f.waitQuiet(ctx, 300*time.Millisecond, 10*time.Second) {
				t.Fatal("never quiet")
			}
			asked := f.askFinal()
			waitUntil(ctx, time.Now().Add(10*time.Second), func() bool { return f.finals.Load()+f.dropped.Load() >= conns })
			f.close()
			fig := &stormFigures{Connected: f.connected(), Asked: asked, ClosedByServer: f.endsSnapshot()}
			fig.judge(f)
			if want := map[string]int{"4002": 1}; fmt.Sprint(fig.ClosedByServer) != fmt.Sprint(want) {
				t.Errorf("closed by server = %v, want %v", fig.ClosedByServer, want)
			}
			if fig.Correct != conns-1 || fig.Answered != conns-1 || fig.Disagree != 0 || fig.Extra+fig.Missing != 0 {
				t.Errorf("correct %d, answered %d of %d, disagree %d, extra %d, missing %d", fig.Correct, fig.Answered, conns-1, fig.Disagree, fig.Extra, fig.Missing)
			}
			if got := f.joined.Load(); got != conns {
				t.Errorf("%d clients saw their own join, want %d", got, conns)
			}
		})
	}
}

func TestFleetCountsRefusals(t *testing.T) {
	port := startFake(t, &fakeServer{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, err := newFleet(fleetConfig{ports: []int{port}, conns: 3, rooms: 1, prefix: "r"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	f.clients[1].tok = "not-a-token"
	if failed := f.dialAll(ctx, 2, 3); failed != 1 {
		t.Errorf("failed = %d, want 1", failed)
	}
	if got := f.failsSnapshot(); fmt.Sprint(got) != "map[HTTP 401:1]" {
		t.Errorf("fails = %v, want one HTTP 401 (not retried)", got)
	}
	if n := len(f.rooms[0].members); n != 2 {
		t.Errorf("room has %d members, want 2", n)
	}
}
