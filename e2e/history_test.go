package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"rt/config"
	"rt/modules/protocol"
	"rt/modules/redis/redistest"
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

func TestHistoryBadSince(t *testing.T) {
	n := startNode(t, testConfig())
	good := protocol.FormatID(0x193abcdef01, 0xa)
	tok := token(t, "u1")
	tests := []struct {
		name  string
		query string
		hdr   func(h http.Header)
	}{
		{"not hex", "since=x", nil},
		{"uppercase hex", "since=" + strings.ToUpper(good), nil},
		{"27 chars", "since=" + good[:27], nil},
		{"29 chars", "since=" + good + "0", nil},
		{"hex with a dash", "since=" + good[:12] + "-" + good[13:], nil},
		{"two since parameters", "since=" + good + "&since=" + good, nil},
		{"a good and an empty since", "since=" + good + "&since=", nil},
		{"checked before the origin", "since=x", func(h http.Header) { h.Set("Origin", "http://evil.example") }},
		{"checked before the token", "since=x", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.query
			if tt.name != "checked before the token" {
				q = "token=" + tok + "&" + q
			}
			req, _ := http.NewRequest(http.MethodGet, "http://"+n.addr+"/ws/test?"+q, nil)
			req.Header = upgradeHeaders()
			if tt.hdr != nil {
				tt.hdr(req.Header)
			}
			resp, err := oneWrite.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400 (body %s)", resp.StatusCode, body)
			}
			var got struct{ Error string }
			if err := json.Unmarshal(body, &got); err != nil || got.Error != "bad_since" {
				t.Fatalf("body %s, want {\"error\":\"bad_since\"}", body)
			}
		})
	}
	t.Run("bad room is checked first", func(t *testing.T) {
		_, resp, err := dialRaw(n.wsURL("a%20b")+"?token="+tok+"&since=x", http.Header{"Origin": {origin}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("dial: %v, %v; want 400", err, resp)
		}
		body, _ := io.ReadAll(resp.Body)
		if !contains(body, "bad_room") {
			t.Fatalf("body %s, want bad_room", body)
		}
	})
	t.Run("empty since is no since", func(t *testing.T) {
		c := histDial(t, n, "test", "u2", "")
		c.ready() // a history.recovered before the pong would fail here
		histQuiet(c)
	})
	t.Run("well formed since is accepted", func(t *testing.T) {
		c := histDial(t, n, "test", "u3", good)
		_, rec := histRecovery(c)
		checkRecovered(t, rec, "test", 0, false)
	})
}

func TestHistoryRecoveryComplete(t *testing.T) {
	for _, mode := range histModes {
		t.Run(mode.name, func(t *testing.T) {
			_, na, nb := histNodes(t, mode, testConfig())
			alice := dial(t, na, "rec", "alice")
			alice.ready()
			sent := sendCounted(alice, "m", 5)
			got := ids(sent)
			checkIncreasing(t, "alice's deliveries", got, "")

			bob := histDial(t, nb, "rec", "bob", got[1])
			replay, rec := histRecovery(bob)
			if !sameList(ids(replay), got[2:]) {
				t.Fatalf("replay %v, want %v", ids(replay), got[2:])
			}
			if !sameList(texts(replay), []string{"m2", "m3", "m4"}) {
				t.Fatalf("replay texts %v", texts(replay))
			}
			checkRecovered(t, rec, "rec", 3, true)

			alice.chat("live")
			live := histChat(bob)
			if live.str("text") != "live" || live.str("id") <= got[4] {
				t.Fatalf("live after the replay: %v (last replayed %s)", live, got[4])
			}
			if f := histChat(alice); f.str("id") != live.str("id") {
				t.Fatalf("alice got %v, bob %v", f, live)
			}
			histQuiet(bob) // nothing given twice
		})
	}
}

func TestHistoryRecoveryIncomplete(t *testing.T) {
	for _, mode := range histModes {
		t.Run(mode.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.HistorySize = 5
			_, na, nb := histNodes(t, mode, cfg)
			alice := dial(t, na, "trim", "alice")
			alice.ready()
			got := ids(sendCounted(alice, "m", 12))

			t.Run("trimmed", func(t *testing.T) {
				bob := histDial(t, nb, "trim", "bob", got[0])
				replay, rec := histRecovery(bob)
				if !sameList(ids(replay), got[7:]) {
					t.Fatalf("replay %v, want the newest 5 %v", ids(replay), got[7:])
				}
				checkRecovered(t, rec, "trim", 5, false)
				histQuiet(bob)
			})

			t.Run("since from the future", func(t *testing.T) {
				future := protocol.FormatID(1<<47, 0)
				carol := histDial(t, nb, "trim", "carol", future)
				replay, rec := histRecovery(carol)
				if len(replay) != 0 {
					t.Fatalf("replayed %v for a since from the future", ids(replay))
				}
				checkRecovered(t, rec, "trim", 0, false)
				// A bogus since must not hold back live delivery.
				for i := range 3 {
					text := "after the future " + strconv.Itoa(i)
					alice.chat(text)
					if f := histChat(alice); f.str("text") != text {
						t.Fatalf("alice got %v", f)
					}
					if f := histChat(carol); f.str("text") != text || f.str("id") <= got[11] {
						t.Fatalf("carol got %v, want %q after %s", f, text, got[11])
					}
				}
				histQuiet(carol)
			})

			t.Run("since from another room", func(t *testing.T) {
				cfg := testConfig() // history big enough to hold every message here
				_, na, nb := histNodes(t, mode, cfg)
				mine := dial(t, na, "mine", "alice")
				mine.ready()
				other := dial(t, na, "other", "eve")
				other.ready()
				// Rooms number their messages apart, so two rooms may give
				// the same id in one millisecond: a pause between rooms
				// makes the ids of the two interleave.
				tick := func() { time.Sleep(3 * time.Millisecond) }
				o1 := ids(sendCounted(other, "secret-a", 1))[0]
				tick()
				r := ids(sendCounted(mine, "mine-a", 2))
				tick()
				o2 := ids(sendCounted(other, "secret-b", 1))[0]
				tick()
				r = append(r, ids(sendCounted(mine, "mine-b", 1))...)
				if !(o1 < r[0] && r[1] < o2 && o2 < r[2]) {
					t.Fatalf("ids out of publish order: other %s %s, mine %v", o1, o2, r)
				}
				for _, tc := range []struct {
					since string
					want  []string
				}{{o1, r}, {o2, r[2:]}} {
					bob := histDial(t, nb, "mine", "bob", tc.since)
					replay, rec := histRecovery(bob)
					for _, f := range replay {
						if f.str("room") != "mine" || strings.HasPrefix(f.str("text"), "secret") {
							t.Fatalf("another room's message leaked: %v", f)
						}
					}
					if !sameList(ids(replay), tc.want) {
						t.Fatalf("since %s: replay %v, want %v", tc.since, ids(replay), tc.want)
					}
					checkRecovered(t, rec, "mine", len(tc.want), false)
					histQuiet(bob)
				}
			})
		})
	}
}

func TestHistoryFlushedRedis(t *testing.T) {
	srv := redistest.Start(t)
	cfg := testConfig()
	cfg.RedisURL = srv.URL()
	n := startNode(t, cfg)
	alice := dial(t, n, "flushed", "alice")
	alice.ready()
	old := ids(sendCounted(alice, "old", 3))

	obs := observer(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := obs.Do(ctx, obs.B().Flushall().Build()).Error(); err != nil {
		t.Fatal(err)
	}

	bob := histDial(t, n, "flushed", "bob", old[2])
	replay, rec := histRecovery(bob)
	if len(replay) != 0 {
		t.Fatalf("replayed %v from a flushed history", ids(replay))
	}
	checkRecovered(t, rec, "flushed", 0, false)

	for i := range 3 {
		text := "new" + strconv.Itoa(i)
		alice.chat(text)
		a, b := histChat(alice), histChat(bob)
		if a.str("text") != text || b.str("text") != text || a.str("id") != b.str("id") {
			t.Fatalf("after the flush: alice %v, bob %v", a, b)
		}
		if a.str("id") <= old[2] {
			t.Fatalf("id %s after the flush is not greater than %s before it", a.str("id"), old[2])
		}
	}
	page, more := histPage(bob, "", 50)
	if more || !sameList(texts(page), []string{"new0", "new1", "new2"}) {
		t.Fatalf("history after the flush: %v more %v", texts(page), more)
	}
}

// TestHistoryTotalOrderAcrossNodes has senders on both nodes publish at
// once: both nodes deliver one and the same order, and history pages it.
func TestHistoryTotalOrderAcrossNodes(t *testing.T) {
	_, n1, n2 := twoNodes(t)
	const senders, each = 4, 50
	o1 := dial(t, n1, "order", "obs1")
	o1.ready()
	o2 := dial(t, n2, "order", "obs2")
	o2.ready()
	var ss []*client
	for i := range senders {
		n := n1
		if i%2 == 1 {
			n = n2
		}
		s := dial(t, n, "order", "s"+strconv.Itoa(i))
		s.ready()
		ss = append(ss, s)
	}
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for k, s := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := sendAndWait(s, fmt.Sprintf("s%d-%03d", k, i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	seq1 := histChats(o1, senders*each)
	seq2 := histChats(o2, senders*each)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkIncreasing(t, "node 1", ids(seq1), "")
	if !sameList(ids(seq1), ids(seq2)) {
		t.Fatalf("the nodes delivered different orders:\n%v\n%v", ids(seq1), ids(seq2))
	}
	if !sameList(texts(seq1), texts(seq2)) {
		t.Fatal("the same ids carry different texts on the two nodes")
	}
	// Every message once; each sender's own in the order it sent them.
	last := map[string]string{}
	for _, f := range seq1 {
		k, _, _ := strings.Cut(f.str("text"), "-")
		if f.str("text") <= last[k] {
			t.Fatalf("%q after %q", f.str("text"), last[k])
		}
		last[k] = f.str("text")
	}
	for k := range senders {
		if want := fmt.Sprintf("s%d-%03d", k, each-1); last["s"+strconv.Itoa(k)] != want {
			t.Fatalf("sender %d: last %q, want %q", k, last["s"+strconv.Itoa(k)], want)
		}
	}
	for _, o := range []*client{o1, o2} {
		if got := histAll(o); !sameList(ids(got), ids(seq1)) {
			t.Fatalf("history pages %v\nwant %v", ids(got), ids(seq1))
		}
		histQuiet(o)
	}
}

// TestHistoryReplayRacesLive reconnects with since over and over while a
// sender publishes without pause: each connection gets every message after
// its since once, in order, with nothing missing.
func TestHistoryReplayRacesLive(t *testing.T) {
	for _, mode := range histModes {
		t.Run(mode.name, func(t *testing.T) {
			_, na, nb := histNodes(t, mode, testConfig())
			sender := dial(t, na, "race", "sender")
			sender.ready()
			stop := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						done <- nil
						return
					default:
					}
					if _, err := sendAndWait(sender, "c"+strconv.Itoa(i)); err != nil {
						done <- err
						return
					}
				}
			}()
			stopped := false
			defer func() {
				if !stopped {
					close(stop)
					<-done
				}
			}()

			counter := func(f frame) int {
				n, err := strconv.Atoi(strings.TrimPrefix(f.str("text"), "c"))
				if err != nil || f.str("user") != "sender" {
					t.Fatalf("unexpected delivery %v", f)
				}
				return n
			}
			first := dial(t, nb, "race", "reader")
			last := histChat(first)
			first.ws.Close()
			lastID, lastN := last.str("id"), counter(last)
			for round := range 20 {
				n := na
				if round%2 == 1 {
					n = nb
				}
				c := histDial(t, n, "race", "reader", lastID)
				replay, rec := histRecovery(c)
				checkRecovered(t, rec, "race", len(replay), true)
				for _, f := range append(replay, histChats(c, 3)...) {
					if got := counter(f); got != lastN+1 || f.str("id") <= lastID {
						t.Fatalf("round %d: %q (%s) after c%d (%s)", round, f.str("text"), f.str("id"), lastN, lastID)
					}
					lastID, lastN = f.str("id"), lastN+1
				}
				c.ws.Close()
			}
			close(stop)
			stopped = true
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestHistoryScrollback(t *testing.T) {
	for _, mode := range histModes {
		t.Run(mode.name, func(t *testing.T) {
			_, na, nb := histNodes(t, mode, testConfig())
			alice := dial(t, na, "scroll", "alice")
			alice.ready()
			all := ids(sendCounted(alice, "m", 120))
			reader := dial(t, nb, "scroll", "reader")
			reader.ready()

			var union []string
			before := ""
			for i, want := range []struct {
				n    int
				more bool
			}{{50, true}, {50, true}, {20, false}} {
				page, more := histPage(reader, before, 50)
				if len(page) != want.n || more != want.more {
					t.Fatalf("page %d: %d messages, more %v; want %d, %v", i, len(page), more, want.n, want.more)
				}
				checkIncreasing(t, "page "+strconv.Itoa(i), ids(page), "")
				union = append(ids(page), union...)
				before = page[0].str("id")
			}
			if !sameList(union, all) {
				t.Fatalf("pages %v\nwant %v", union, all)
			}
			reader.send(map[string]string{"type": "history.get"}) // limit defaults to 50, before to the newest
			if page, more := histPageFrame(reader, reader.expect("history.page", presenceNoise...)); !sameList(ids(page), all[70:]) || !more {
				t.Fatalf("default page %v more %v", ids(page), more)
			}
			if page, more := histPage(reader, all[0], 50); len(page) != 0 || more {
				t.Fatalf("before the oldest: %v more %v", ids(page), more)
			}

			bad := []string{
				`{"type":"history.get","limit":0}`,
				`{"type":"history.get","limit":101}`,
				`{"type":"history.get","limit":"5"}`,
				`{"type":"history.get","limit":-1}`,
				`{"type":"history.get","limit":5.5}`,
				`{"type":"history.get","before":"x"}`,
				`{"type":"history.get","before":"` + strings.ToUpper(all[0]) + `"}`,
				`{"type":"history.get","before":"` + all[0][:27] + `"}`,
				`{"type":"history.get","before":"` + all[0] + `0"}`,
				`{"type":"history.get","before":5}`,
			}
			for _, frameText := range bad {
				reader.sendRaw(frameText)
				if f := reader.expect("system.error", presenceNoise...); f.str("code") != "bad_message" {
					t.Fatalf("%s: %v, want bad_message", frameText, f)
				}
				histQuiet(reader) // still open
			}
		})
	}
}

// A replay longer than SEND_QUEUE does not close the client with 4002: it
// does not count toward the queue, so a client that missed a lot recovers
// instead of being closed on every reconnect.
func TestHistoryReplayLongerThanTheQueue(t *testing.T) {
	cfg := testConfig()
	cfg.SendQueue, cfg.HistorySize = 4, 40
	n := startNode(t, cfg)
	alice := dial(t, n, "long", "alice")
	alice.ready()
	got := ids(sendCounted(alice, "m", 30))
	bob := histDial(t, n, "long", "bob", got[0])
	replay, rec := histRecovery(bob)
	if !sameList(ids(replay), got[1:]) {
		t.Fatalf("replay %v, want %v", ids(replay), got[1:])
	}
	checkRecovered(t, rec, "long", 29, true)
	alice.chat("live")
	if f := histChat(bob); f.str("text") != "live" {
		t.Fatalf("after the replay: %v", f)
	}
}
