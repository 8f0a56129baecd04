package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// picture is a client's view of a room's presence, kept from the frames it
// receives: presence.state replaces it, the other presence frames change it.
type picture map[string]bool

func (p picture) apply(f frame) {
	switch f.str("type") {
	case "presence.state":
		clear(p)
		for _, u := range toStrings(f["users"]) {
			p[u] = true
		}
	case "presence.join":
		p[f.str("user")] = true
	case "presence.leave":
		delete(p, f.str("user"))
	case "presence.diff":
		for _, u := range toStrings(f["leaves"]) {
			delete(p, u)
		}
		for _, u := range toStrings(f["joins"]) {
			p[u] = true
		}
	}
}

func (p picture) users() []string { return slices.Sorted(maps.Keys(p)) }

// TestJoinStormNeverClosesAReader: a member that does not read while a
// crowd joins its room is not closed for the announcements (presence is
// state, not a stream it must keep up with, even with a tiny send queue);
// once it reads, its picture of the room is exactly the room's presence.
func TestJoinStormNeverClosesAReader(t *testing.T) {
	cfg := testConfig()
	cfg.SendQueue = 4
	n := startNode(t, cfg)
	watcher, _, err := websocket.DefaultDialer.Dial(n.wsURL("storm")+"?token="+token(t, "watcher"), http.Header{"Origin": {origin}})
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()

	// The watcher is in the room before the crowd comes (its join runs
	// after the upgrade, so ask someone who can read).
	probe := dial(t, n, "storm", "probe")
	eventually(t, "the watcher in the room", func() bool {
		probe.send(map[string]string{"type": "presence.list"})
		f := probe.expect("presence.state", "presence.join", "presence.leave", "presence.diff")
		return slices.Contains(toStrings(f["users"]), "watcher")
	})

	const crowd = 40
	want := []string{"probe", "watcher"}
	for i := range crowd { // joins in a burst while the watcher reads nothing
		user := fmt.Sprintf("u%02d", i)
		want = append(want, user)
		c := dial(t, n, "storm", user)
		c.ready() // joined: in the room's presence
		defer c.ws.Close()
	}
	slices.Sort(want)

	// Now the watcher reads: it was not closed, and what it reads converges
	// on the room's presence.
	pic := picture{}
	frames := 0
	_ = watcher.WriteMessage(websocket.TextMessage, []byte(`{"type":"presence.list"}`))
	for !slices.Equal(pic.users(), want) {
		_ = watcher.SetReadDeadline(time.Now().Add(readWait))
		_, data, err := watcher.ReadMessage()
		if err != nil {
			t.Fatalf("watcher: %v after %d frames, picture %v (closed for presence it did not read?)", err, frames, pic.users())
		}
		var f frame
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatal(err)
		}
		frames++
		pic.apply(f)
	}
	if frames > crowd {
		t.Errorf("%d frames for %d joins: announcements were not coalesced", frames, crowd)
	}
}
