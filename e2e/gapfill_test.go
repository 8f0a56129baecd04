package e2e

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/protocol"
)

// killPubSub drops every Pub/Sub connection Redis has, as a network blip
// or a proxy restart would, and returns how many there were.
func killPubSub(t *testing.T, obs rueidis.Client) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := obs.Do(ctx, obs.B().Arbitrary("CLIENT", "KILL").Args("TYPE", "pubsub").Build()).AsInt64()
	if err != nil {
		t.Fatalf("CLIENT KILL TYPE pubsub: %v", err)
	}
	return n
}

// gapSender sends a numbered chat message on c every interval until stop
// is closed; it only writes, so c's frames stay for the test to read.
func gapSender(c *client, prefix string, interval time.Duration, stop <-chan struct{}, errs chan<- error) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			errs <- nil
			return
		case <-time.After(interval):
		}
		b, _ := json.Marshal(map[string]string{"type": "chat.message", "text": prefix + strconv.Itoa(i)})
		if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
			errs <- err
			return
		}
	}
}

// gapTruth ends a room's sending with a last message from sender and,
// once a new member has it (so history holds it), returns the ids history
// holds, paged by that member: what every member must have got. The new
// member may join while its node is still reading back a gap, and then be
// given messages from before it joined too; it ignores them.
func gapTruth(t *testing.T, n *node, room string, sender *client) []string {
	t.Helper()
	auditor := dial(t, n, room, "auditor")
	auditor.send(map[string]string{"type": "system.ping"})
	auditor.expect("system.pong", append([]string{"chat.delivery"}, presenceNoise...)...)
	sender.chat(room + "-end")
	for auditor.expect("chat.delivery", presenceNoise...).str("text") != room+"-end" {
	}
	truth := ids(histAll(auditor))
	auditor.ws.Close()
	return truth
}

// TestGapFillAfterPubSubLoss kills both nodes' Pub/Sub connections several
// times while a sender on node 1 chats steadily in two rooms. Every member
// on both nodes ends up with every message exactly once, in order: what
// the link missed is read back from history.
func TestGapFillAfterPubSubLoss(t *testing.T) {
	checkGapFill(t, 4, 300*time.Millisecond)
}

// TestGapFillAcrossRapidLosses kills the Pub/Sub connections again while
// the nodes are still reconnecting or reading back what they missed.
func TestGapFillAcrossRapidLosses(t *testing.T) {
	checkGapFill(t, 8, 40*time.Millisecond)
}

// checkGapFill kills the nodes' Pub/Sub connections kills times, pause
// apart, while a sender chats in two rooms, and checks what every member
// got against history.
func checkGapFill(t *testing.T, kills int, pause time.Duration) {
	srv, n1, n2 := twoNodes(t)
	obs := observer(t, srv)
	rooms := []string{"gap1", "gap2"}
	type member struct {
		name   string
		c      *client
		sender bool
	}
	members := map[string][]member{}
	senders := map[string]*client{}
	for _, room := range rooms {
		s := dial(t, n1, room, "sender")
		s.ready()
		senders[room] = s
		members[room] = append(members[room], member{"sender on node 1", s, true})
		for _, w := range []struct {
			name, user string
			n          *node
		}{{"watcher on node 1", "w1", n1}, {"watcher on node 2", "w2", n2}, {"second watcher on node 2", "w3", n2}} {
			c := dial(t, w.n, room, w.user)
			c.ready()
			members[room] = append(members[room], member{w.name, c, false})
		}
	}
	for _, room := range rooms {
		eventually(t, "both nodes subscribed to "+room, func() bool { return numsub(t, srv, room) == 2 })
	}

	stop := make(chan struct{})
	errs := make(chan error, len(rooms))
	var wg sync.WaitGroup
	for _, room := range rooms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gapSender(senders[room], room+"-", 20*time.Millisecond, stop, errs)
		}()
	}
	stopped := false
	defer func() {
		if !stopped {
			close(stop)
			wg.Wait()
		}
	}()

	time.Sleep(300 * time.Millisecond) // some messages delivered before the first loss
	killed := int64(0)
	for range kills {
		killed += killPubSub(t, obs)
		time.Sleep(pause)
	}
	time.Sleep(300 * time.Millisecond) // and some after the last
	close(stop)
	stopped = true
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("sender: %v", err)
		}
	}
	if killed < 2 {
		t.Fatalf("killed %d Pub/Sub connections in all, want both nodes' at least", killed)
	}

	for _, room := range rooms {
		truth := gapTruth(t, n2, room, senders[room])
		if len(truth) < 10 {
			t.Fatalf("%s: only %d messages in history", room, len(truth))
		}
		checkIncreasing(t, room+" history", truth, "")
		for _, m := range members[room] {
			var got []string
			for len(got) < len(truth) {
				skip := presenceNoise
				if m.sender {
					skip = append([]string{"system.error"}, presenceNoise...) // a refused send is not in history either
				}
				f := m.c.expect("chat.delivery", skip...)
				got = append(got, f.str("id"))
				if f.str("id") == truth[len(truth)-1] {
					break
				}
			}
			if !sameList(got, truth) {
				t.Fatalf("%s, %s: got %d deliveries %v\nhistory holds %d %v", room, m.name, len(got), got, len(truth), truth)
			}
			histQuiet(m.c) // and nothing twice after the last
		}
	}

	recovered := 0.0
	for i, n := range []*node{n1, n2} {
		eventually(t, "node "+strconv.Itoa(i+1)+" counted complete gap fills", func() bool {
			return n.scrape(t).Value("rt_history_gap_fills_total", "result", "complete") > 0
		})
		m := n.scrape(t)
		if bad := m.Value("rt_history_gap_fills_total", "result", "incomplete") + m.Value("rt_history_gap_fills_total", "result", "failed"); bad != 0 {
			t.Errorf("node %d: %v gap fills incomplete or failed while Redis kept every message", i+1, bad)
		}
		recovered += m.Value("rt_history_gap_recovered_total")
	}
	// A message is sent every 20 ms and a node is away at least 100 ms
	// (its first reconnect backoff) per kill: some must have been missed.
	if recovered == 0 {
		t.Error("no message was read back from history: the Pub/Sub losses missed nothing, so the test proved nothing")
	}
}

// acl runs ACL SETUSER default with rules, to deny or allow the nodes'
// SUBSCRIBE: with it denied, a Pub/Sub connection that is killed comes back
// but cannot receive its rooms until it is allowed again.
func acl(t *testing.T, obs rueidis.Client, rules ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := obs.Do(ctx, obs.B().Arbitrary("ACL", "SETUSER").Args(append([]string{"default"}, rules...)...).Build()).Error(); err != nil {
		t.Fatalf("ACL SETUSER default %v: %v", rules, err)
	}
}

// TestGapFillJoinsDuringOutage keeps the nodes from receiving their rooms
// for a while (Pub/Sub killed, SUBSCRIBE denied) and joins members on node
// 2 meanwhile: one in a room node 2 already serves, one recovering with
// since, and the first member of a room new to node 2. Once the rooms are
// received again, the members there before have every message, the one
// that recovered every message after its since, and those that joined
// without since every message published after they joined; each exactly
// once, in order, with no hole.
func TestGapFillJoinsDuringOutage(t *testing.T) {
	srv, n1, n2 := twoNodes(t)
	obs := observer(t, srv)
	defer acl(t, obs, "+subscribe") // never leave the nodes denied
	type member struct {
		name string
		c    *client
		// after: the member gets exactly every id after it ("" for all).
		after string
		// joinedAt, for a member that joined without since: Unix ms once
		// joined. Its deliveries are a run of history to the newest that
		// holds every message published after then.
		joinedAt int64
		replay   []string // a recovering member's replay
	}
	members := map[string][]*member{}
	senders := map[string]*client{}
	for _, room := range []string{"old", "new"} {
		s := dial(t, n1, room, "sender")
		s.ready()
		senders[room] = s
		members[room] = append(members[room], &member{name: "sender on node 1", c: s})
	}
	w := dial(t, n2, "old", "watcher")
	w.ready()

	stop := make(chan struct{})
	errs := make(chan error, len(senders))
	var wg sync.WaitGroup
	for room, s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gapSender(s, room+"-", 20*time.Millisecond, stop, errs)
		}()
	}
	stopped := false
	defer func() {
		if !stopped {
			close(stop)
			wg.Wait()
		}
	}()

	// The watcher's last message before the outage is where it goes on
	// from, and where the recovering member starts.
	var since string
	for range 5 {
		since = histChat(w).str("id")
	}
	members["old"] = append(members["old"], &member{name: "watcher on node 2", c: w, after: since})

	acl(t, obs, "-subscribe")
	killPubSub(t, obs)
	time.Sleep(100 * time.Millisecond) // the nodes are back, their SUBSCRIBEs denied

	late := dial(t, n2, "old", "late")
	late.ready()
	members["old"] = append(members["old"], &member{name: "joined node 2 during the outage", c: late, joinedAt: time.Now().UnixMilli()})
	back := histDial(t, n2, "old", "back", since)
	replay, rec := histRecovery(back)
	checkRecovered(t, rec, "old", len(replay), true)
	members["old"] = append(members["old"], &member{name: "recovered on node 2 during the outage", c: back, after: since, replay: ids(replay)})
	first := dial(t, n2, "new", "first")
	first.ready()
	members["new"] = append(members["new"], &member{name: "first on node 2 during the outage", c: first, joinedAt: time.Now().UnixMilli()})

	time.Sleep(300 * time.Millisecond)
	acl(t, obs, "+subscribe")
	time.Sleep(500 * time.Millisecond) // the nodes subscribe again on their retry schedule
	close(stop)
	stopped = true
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("sender: %v", err)
		}
	}

	for room, list := range members {
		truth := gapTruth(t, n1, room, senders[room])
		newest := truth[len(truth)-1]
		for _, m := range list {
			got := m.replay
			for len(got) == 0 || got[len(got)-1] != newest {
				if len(got) > len(truth) {
					t.Fatalf("%s, %s: more deliveries than history holds: %v", room, m.name, got)
				}
				got = append(got, histChat(m.c).str("id"))
			}
			histQuiet(m.c)
			checkIncreasing(t, room+", "+m.name, got, "")
			if m.joinedAt == 0 {
				if want := truth[indexOf(truth, m.after)+1:]; !sameList(got, want) {
					t.Fatalf("%s, %s: got %v\nwant %v", room, m.name, got, want)
				}
				continue
			}
			at := indexOf(truth, got[0])
			if at < 0 || !sameList(got, truth[at:]) {
				t.Fatalf("%s, %s: got %v\nnot a run of history %v", room, m.name, got, truth)
			}
			for _, id := range truth[:at] {
				if ms, _, _ := protocol.ParseID(id); int64(ms) > m.joinedAt {
					t.Fatalf("%s, %s: missed %s, published after it joined at %d", room, m.name, id, m.joinedAt)
				}
			}
		}
	}
}

// indexOf is the index of s in list, -1 when absent.
func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
