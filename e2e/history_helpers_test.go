package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/protocol"
	"github.com/rtserver/rt/modules/redis/redistest"
)

// presenceNoise are the frames that may interleave anywhere with a room's
// chat stream and the answers to history requests.
var presenceNoise = []string{"presence.join", "presence.leave", "presence.diff", "presence.state"}

// histMode is a way to run the history tests: in memory on one node, or
// in Redis with the second node of a pair as b.
type histMode struct {
	name  string
	redis bool
}

var histModes = []histMode{{"embedded", false}, {"redis", true}}

// histNodes starts the nodes of mode with cfg: embedded, a single node
// returned twice; redis, two nodes on one real Redis.
func histNodes(t *testing.T, mode histMode, cfg config.Config) (srv *redistest.Server, a, b *node) {
	t.Helper()
	if !mode.redis {
		n := startNode(t, cfg)
		return nil, n, n
	}
	srv = redistest.Start(t)
	cfg.RedisURL = srv.URL()
	return srv, startNode(t, cfg), startNode(t, cfg)
}

// histDial connects sub to room with ?since= (as given, not escaped).
func histDial(t *testing.T, n *node, room, sub, since string) *client {
	t.Helper()
	return dialWith(t, n.wsURL(room)+"?token="+token(t, sub)+"&since="+since, http.Header{"Origin": {origin}})
}

// histChat reads the next chat.delivery, allowing only presence frames
// before it.
func histChat(c *client) frame {
	c.t.Helper()
	return c.expect("chat.delivery", presenceNoise...)
}

// histChats reads the next n chat deliveries.
func histChats(c *client, n int) []frame {
	c.t.Helper()
	out := make([]frame, n)
	for i := range out {
		out[i] = histChat(c)
	}
	return out
}

// histRecovery reads a recovering client's replay: the chat deliveries up
// to history.recovered, which it returns too.
func histRecovery(c *client) (replay []frame, recovered frame) {
	c.t.Helper()
	for {
		f := c.next()
		switch f.str("type") {
		case "chat.delivery":
			replay = append(replay, f)
		case "history.recovered":
			return replay, f
		default:
			if !containsStr(presenceNoise, f.str("type")) {
				c.t.Fatalf("during the replay: %v", f)
			}
		}
	}
}

// checkRecovered checks a history.recovered frame.
func checkRecovered(t *testing.T, f frame, room string, count int, complete bool) {
	t.Helper()
	got, _ := f["count"].(float64)
	done, ok := f["complete"].(bool)
	if f.str("room") != room || got != float64(count) || !ok || done != complete {
		t.Fatalf("recovered %v, want room %s count %d complete %v", f, room, count, complete)
	}
}

// histQuiet proves no chat frame is pending: a ping is answered before
// anything but presence.
func histQuiet(c *client) {
	c.t.Helper()
	c.send(map[string]string{"type": "system.ping"})
	c.expect("system.pong", presenceNoise...)
}

func ids(frames []frame) []string {
	out := make([]string, len(frames))
	for i, f := range frames {
		out[i] = f.str("id")
	}
	return out
}

func texts(frames []frame) []string {
	out := make([]string, len(frames))
	for i, f := range frames {
		out[i] = f.str("text")
	}
	return out
}

// checkIncreasing fails unless every id is well formed and greater than
// the one before it (and than after, when given).
func checkIncreasing(t *testing.T, what string, list []string, after string) {
	t.Helper()
	prev := after
	for i, id := range list {
		if !protocol.ValidID(id) {
			t.Fatalf("%s: id %d %q is not a message id", what, i, id)
		}
		if id <= prev {
			t.Fatalf("%s: id %d %s is not greater than %s before it", what, i, id, prev)
		}
		prev = id
	}
}

func sameList(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// histPage asks for one history page and returns its messages and more.
func histPage(c *client, before string, limit int) ([]frame, bool) {
	c.t.Helper()
	req := map[string]any{"type": "history.get", "limit": limit}
	if before != "" {
		req["before"] = before
	}
	c.send(req)
	return histPageFrame(c, c.expect("history.page", presenceNoise...))
}

// histPageFrame checks a history.page frame and returns its messages and more.
func histPageFrame(c *client, f frame) ([]frame, bool) {
	c.t.Helper()
	more, ok := f["more"].(bool)
	list, isList := f["messages"].([]any)
	if !ok || !isList {
		c.t.Fatalf("history.page %v: want messages and more", f)
	}
	out := make([]frame, len(list))
	for i, m := range list {
		obj, _ := m.(map[string]any)
		out[i] = frame(obj)
		if out[i].str("type") != "chat.delivery" || out[i].str("room") != f.str("room") {
			c.t.Fatalf("page message %v in page of %s", m, f.str("room"))
		}
	}
	return out, more
}

// histAll pages back from the newest to the oldest message history holds
// and returns them oldest first.
func histAll(c *client) []frame {
	c.t.Helper()
	var all []frame
	before := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			c.t.Fatal("history pages never end")
		}
		page, more := histPage(c, before, 100)
		all = append(page, all...)
		if !more {
			return all
		}
		if len(page) == 0 {
			c.t.Fatal("an empty page says more")
		}
		before = page[0].str("id")
	}
}

// sendAndWait sends a chat message on c and reads c's frames until its own
// delivery. It runs off the test goroutine, so it reports instead of
// failing; c's frames are its own until it returns.
func sendAndWait(c *client, text string) (string, error) {
	b, _ := json.Marshal(map[string]string{"type": "chat.message", "text": text})
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		return "", err
	}
	timeout := time.After(readWait)
	for {
		select {
		case data, ok := <-c.frames:
			if !ok {
				return "", fmt.Errorf("closed before the delivery of %q: %v", text, c.err)
			}
			var f frame
			if err := json.Unmarshal(data, &f); err != nil {
				return "", err
			}
			switch {
			case f.str("type") == "system.error":
				return "", fmt.Errorf("sending %q: %s", text, data)
			case f.str("type") == "chat.delivery" && f.str("text") == text:
				return f.str("id"), nil
			}
		case <-timeout:
			return "", fmt.Errorf("no delivery of %q within %s", text, readWait)
		}
	}
}

// sendCounted sends n chat messages "<prefix><i>" and returns their
// deliveries to c, in order. Each waits for the one before it to be
// delivered: a connection may have only a few messages pending.
func sendCounted(c *client, prefix string, n int) []frame {
	c.t.Helper()
	got := make([]frame, n)
	for i := range n {
		c.chat(prefix + strconv.Itoa(i))
		if got[i] = histChat(c); got[i].str("text") != prefix+strconv.Itoa(i) {
			c.t.Fatalf("delivery %d: %v, want text %s%d", i, got[i], prefix, i)
		}
	}
	return got
}
