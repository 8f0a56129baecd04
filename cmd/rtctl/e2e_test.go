package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/rtserver/rt/cmd/internal/rtnode"
	"github.com/rtserver/rt/modules/api/spec"
	"github.com/rtserver/rt/modules/redis/redistest"
)

// TestAgainstRT runs every command against a freshly built rt: two nodes on
// one Redis, the first serving the server API, clients on both. It needs
// redis-server (skipped without it, a failure with REQUIRE_REDIS=1).
func TestAgainstRT(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts rt: not with -short")
	}
	redis := redistest.Start(t)
	bin, err := rtnode.Build(t.Context(), t.TempDir(), t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	apiPort, err := rtnode.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	apiAddr := rtnode.Loopback + ":" + strconv.Itoa(apiPort)
	node1, err := rtnode.Start(t.Context(), bin, rtnode.Options{RedisURL: redis.URL(), Name: "node 1", Logf: t.Logf,
		Env: map[string]string{"API_ADDR": apiAddr, "API_KEY": testKey}})
	if err != nil {
		t.Fatal(err)
	}
	defer node1.Stop()
	node2, err := rtnode.Start(t.Context(), bin, rtnode.Options{RedisURL: redis.URL(), Name: "node 2", Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer node2.Stop()

	getenv := env(apiAddr, testKey)
	rtctl := func(args ...string) result {
		t.Helper()
		return runWith(t, getenv, args...)
	}
	ok := func(into any, args ...string) {
		t.Helper()
		r := rtctl(args...)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("rtctl %q: exit %d, stderr %q", args, r.code, r.stderr)
		}
		if into == nil {
			return
		}
		if err := json.Unmarshal([]byte(r.stdout), into); err != nil {
			t.Fatalf("rtctl %q: %v: %q", args, err, r.stdout)
		}
	}
	fails := func(want string, args ...string) {
		t.Helper()
		if r := rtctl(args...); r.code != 1 || r.stderr != want+"\n" || r.stdout != "" {
			t.Errorf("rtctl %q: exit %d, stderr %q, stdout %q; want 1 and %q", args, r.code, r.stderr, r.stdout, want)
		}
	}

	alice := dialRT(t, node2.Port, "alice", "lobby") // on the node without the API
	bob := dialRT(t, node1.Port, "bob", "lobby")
	carol := dialRT(t, node2.Port, "carol smith/2", "side") // a user id that needs escaping

	// publish: delivered on both nodes, exactly like a client's message.
	var pub struct {
		ID string `json:"id"`
		TS int64  `json:"ts"`
	}
	ok(&pub, "publish", "lobby", "hello <all>", "-user", "bot")
	if len(pub.ID) != 28 || pub.TS == 0 {
		t.Fatalf("publish answered %+v", pub)
	}
	for _, c := range []*rtClient{alice, bob} {
		d := c.await(t, "the published message", func(f frame) bool { return f.Type == "chat.delivery" })
		if d.User != "bot" || d.Text != "hello <all>" || d.ID != pub.ID || d.TS != pub.TS || d.Room != "lobby" {
			t.Errorf("%s got %+v, want bot's message %+v", c.user, d, pub)
		}
	}

	// presence: every node's users.
	var pres struct {
		Room  string   `json:"room"`
		Users []string `json:"users"`
	}
	ok(&pres, "presence", "lobby")
	if pres.Room != "lobby" || strings.Join(pres.Users, ",") != "alice,bob" {
		t.Errorf("presence %+v", pres)
	}

	// history: the history.page a client gets.
	ok(nil, "publish", "lobby", "second")
	var page struct {
		Type     string  `json:"type"`
		Room     string  `json:"room"`
		Messages []frame `json:"messages"`
		More     bool    `json:"more"`
	}
	ok(&page, "history", "lobby", "-limit", "1")
	if page.Type != "history.page" || page.Room != "lobby" || len(page.Messages) != 1 || page.Messages[0].Text != "second" || !page.More {
		t.Errorf("history -limit 1: %+v", page)
	}
	ok(&page, "history", "lobby", "-before", page.Messages[0].ID)
	if len(page.Messages) != 1 || page.Messages[0].ID != pub.ID || page.More {
		t.Errorf("history -before: %+v", page)
	}

	checkPublishData(t, rtctl, alice, bob)
	checkSend(t, rtctl, bob, carol) // bob on the API's node, carol on the other

	// openapi: the document generated from the route table, with no key.
	if r := runWith(t, env(apiAddr, ""), "openapi"); r.code != 0 || !sameJSON(t, r.stdout, string(spec.Document())) {
		t.Errorf("openapi: exit %d, stderr %q, stdout %.200q", r.code, r.stderr, r.stdout)
	}

	// Errors, as the API names them.
	fails("rtctl: 400 bad_message", "history", "lobby", "-limit", "0")
	fails("rtctl: 400 bad_message", "history", "lobby", "-before", "not-an-id")
	fails("rtctl: 400 bad_room", "publish", "no room!", "x")
	fails("rtctl: 400 bad_room", "presence", "a/b")
	fails("rtctl: 400 text_too_long", "publish", "lobby", strings.Repeat("x", 4097))
	fails("rtctl: 400 bad_message", "disconnect", "alice", "-reason", strings.Repeat("x", 124))
	if r := runWith(t, env(apiAddr, "not-"+testKey), "presence", "lobby"); r.code != 1 || r.stderr != "rtctl: 401 unauthorized\n" {
		t.Errorf("a wrong key: exit %d, stderr %q", r.code, r.stderr)
	}

	// disconnect in one room: alice, on the other node, is closed with 4003
	// and the reason; bob sees her leave.
	var disc struct {
		User string `json:"user"`
		Room string `json:"room"`
	}
	ok(&disc, "disconnect", "alice", "-room", "lobby", "-reason", "spamming the room")
	if disc.User != "alice" || disc.Room != "lobby" {
		t.Errorf("disconnect answered %+v", disc)
	}
	alice.closedWith(t, 4003, "spamming the room")
	bob.await(t, "alice's leave", func(f frame) bool {
		return f.Type == "presence.leave" && f.User == "alice" || f.Type == "presence.diff" && slices.Contains(f.Leaves, "alice")
	})

	// disconnect everywhere, without a reason, a user id with a space and a slash.
	ok(&disc, "disconnect", "carol smith/2")
	if disc.User != "carol smith/2" || disc.Room != "" {
		t.Errorf("disconnect answered %+v", disc)
	}
	carol.closedWith(t, 4003, "")
	ok(&pres, "presence", "lobby")
	if strings.Join(pres.Users, ",") != "bob" {
		t.Errorf("presence after the disconnects: %+v", pres)
	}
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal([]byte(a), &va); err != nil {
		t.Errorf("%v: %.200q", err, a)
		return false
	}
	if err := json.Unmarshal([]byte(b), &vb); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(va, vb)
}

// frame is what the test reads of a server frame.
type frame struct {
	Type string          `json:"type"`
	Room string          `json:"room"`
	User string          `json:"user"`
	Text string          `json:"text"`
	Data json.RawMessage `json:"data"`
	ID   string          `json:"id"`
	TS   int64           `json:"ts"`
	// presence.diff
	Leaves []string `json:"leaves"`
}

type rtClient struct {
	user string
	ws   *websocket.Conn
}

func dialRT(t *testing.T, port int, user, room string) *rtClient {
	t.Helper()
	tok, err := rtnode.Token(user)
	if err != nil {
		t.Fatal(err)
	}
	d := websocket.Dialer{NetDialContext: rtnode.DialLoopback, HandshakeTimeout: 5 * time.Second}
	ws, resp, err := d.DialContext(t.Context(), rtnode.WSURL(port, room, tok, ""), http.Header{"Origin": {rtnode.Origin}})
	if err != nil {
		t.Fatalf("dial %s as %q: %v (%v)", room, user, err, resp)
	}
	t.Cleanup(func() { ws.Close() })
	c := &rtClient{user: user, ws: ws}
	c.await(t, "its own join", func(f frame) bool { return f.Type == "presence.join" || f.Type == "presence.diff" })
	return c
}

// await reads frames until one satisfies ok, for at most 10 s.
func (c *rtClient) await(t *testing.T, what string, ok func(frame) bool) frame {
	t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			t.Fatalf("%s waiting for %s: %v", c.user, what, err)
		}
		var f frame
		if json.Unmarshal(data, &f) == nil && ok(f) {
			return f
		}
	}
}

// closedWith reads until the socket closes and checks its code and reason.
func (c *rtClient) closedWith(t *testing.T, code int, reason string) {
	t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := c.ws.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != code || ce.Text != reason {
			t.Errorf("%s: closed with %v, want %d %q", c.user, err, code, reason)
		}
		return
	}
}
