package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/redis/redistest"
)

// twoNodes starts two rt processes' worth of apps sharing one real Redis.
func twoNodes(t *testing.T) (*redistest.Server, *node, *node) {
	t.Helper()
	srv := redistest.Start(t)
	cfg := testConfig()
	cfg.RedisURL = srv.URL()
	return srv, startNode(t, cfg), startNode(t, cfg)
}

// observer is a Redis client of the test's own, closed when the test ends.
func observer(t *testing.T, srv *redistest.Server) rueidis.Client {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr()}, DisableCache: true, ForceSingleClient: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// numsub reports how many connections subscribe to the room's channel.
func numsub(t *testing.T, srv *redistest.Server, room string) int64 {
	t.Helper()
	c := observer(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := c.Do(ctx, c.B().PubsubNumsub().Channel("rt:room:"+room).Build()).AsIntMap()
	if err != nil {
		t.Fatal(err)
	}
	return m["rt:room:"+room]
}

// eventually retries cond until it holds; the bound is a hang guard only.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(readWait); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("never happened: %s", what)
}

func TestCrossNodeDeliveryAndPresence(t *testing.T) {
	_, n1, n2 := twoNodes(t)
	a := dial(t, n1, "test", "alice")
	a.expect("presence.join")
	b := dial(t, n2, "test", "bob")
	b.expect("presence.join")
	if f := a.expect("presence.join"); f.str("user") != "bob" {
		t.Fatalf("alice saw %v", f)
	}
	a.chat("from node 1")
	for _, c := range []*client{a, b} {
		if f := c.expect("chat.delivery"); f.str("text") != "from node 1" || f.str("user") != "alice" {
			t.Fatalf("delivery %v", f)
		}
	}
	b.send(map[string]string{"type": "presence.list"})
	if got := b.expect("presence.state"); strings.Join(toStrings(got["users"]), ",") != "alice,bob" {
		t.Fatalf("presence %v", got)
	}
	b.ws.Close()
	if f := a.expect("presence.leave"); f.str("user") != "bob" {
		t.Fatalf("alice saw %v", f)
	}
}

func TestSubscriptionFollowsLocalMembers(t *testing.T) {
	srv, n1, n2 := twoNodes(t)
	if got := numsub(t, srv, "room1"); got != 0 {
		t.Fatalf("numsub before anyone joined = %d", got)
	}
	a1 := dial(t, n1, "room1", "alice")
	a1.ready()
	a2 := dial(t, n1, "room1", "alice") // a second tab: still one subscription
	a2.ready()
	b := dial(t, n2, "room1", "bob")
	b.ready()
	eventually(t, "two nodes subscribed", func() bool { return numsub(t, srv, "room1") == 2 })
	a1.ws.Close()
	a2.send(map[string]string{"type": "system.ping"})
	a2.expect("system.pong", "presence.join") // no presence.leave: alice is still here
	if got := numsub(t, srv, "room1"); got != 2 {
		t.Fatalf("node 1 unsubscribed while a member remained: numsub %d", got)
	}
	a2.ws.Close()
	eventually(t, "node 1 unsubscribed after its last member left", func() bool { return numsub(t, srv, "room1") == 1 })
	b.ws.Close()
	eventually(t, "no subscription left", func() bool { return numsub(t, srv, "room1") == 0 })
}

func TestTwoTabsCountOnce(t *testing.T) {
	_, n1, n2 := twoNodes(t)
	watcher := dial(t, n1, "test", "watcher")
	watcher.expect("presence.join")
	tab1 := dial(t, n1, "test", "alice")
	watcher.expect("presence.join")
	tab2 := dial(t, n2, "test", "alice") // the same user on the other node: no second join
	tab2.ready()
	tab2.send(map[string]string{"type": "presence.list"})
	if got := tab2.expect("presence.state"); strings.Join(toStrings(got["users"]), ",") != "alice,watcher" {
		t.Fatalf("presence %v", got)
	}
	tab1.ws.Close()
	tab2.ws.Close()
	// exactly one leave for alice, and no second join before it
	if f := watcher.expect("presence.leave"); f.str("user") != "alice" {
		t.Fatalf("watcher saw %v", f)
	}
	watcher.send(map[string]string{"type": "presence.list"})
	if got := watcher.expect("presence.state"); strings.Join(toStrings(got["users"]), ",") != "watcher" {
		t.Fatalf("presence %v", got)
	}
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
