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
		for _, u := range f["users"].([]any) {
			p[u.(string)] = true
		}
	case "presence.join":
		p[f.str("user")] = true
	case "presence.leave":
		delete(p, f.str("user"))
	case "presence.diff":
		for _, u := range f["leaves"].([]any) {
			delete(p, u.(string))
		}
		for _, u := range f["joins"].([]any) {
			p[u.(string)] = true
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

	const crowd = 40
	for i := range crowd { // joins in a burst while the watcher reads nothing
		c := dial(t, n, "storm", fmt.Sprintf("u%02d", i))
		c.ready() // joined: in the room's presence
		defer c.ws.Close()
	}

	pic := picture{}
	frames := 0
	_ = watcher.WriteMessage(websocket.TextMessage, []byte(`{"type":"presence.list"}`))
	for seenList := false; !seenList; {
		_ = watcher.SetReadDeadline(time.Now().Add(readWait))
		_, data, err := watcher.ReadMessage()
		if err != nil {
			t.Fatalf("watcher: %v after %d frames (closed for presence it did not read?)", err, frames)
		}
		var f frame
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatal(err)
		}
		frames++
		pic.apply(f)
		seenList = f.str("type") == "presence.state" && frames > 1
	}
	want := []string{"watcher"}
	for i := range crowd {
		want = append(want, fmt.Sprintf("u%02d", i))
	}
	slices.Sort(want)
	if got := pic.users(); !slices.Equal(got, want) {
		t.Fatalf("watcher's picture %v, want %v", got, want)
	}
	if frames > crowd {
		t.Errorf("%d frames for %d joins: announcements were not coalesced", frames, crowd)
	}
}
