package e2e

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/fx"

	"github.com/rtserver/rt/modules/api"
	"github.com/rtserver/rt/modules/app"
	"github.com/rtserver/rt/modules/debug"
	"github.com/rtserver/rt/modules/demo"
	"github.com/rtserver/rt/modules/health"
	"github.com/rtserver/rt/modules/logging/logtest"
	"github.com/rtserver/rt/modules/metrics"
)

// A message posted to the API on node A reaches a client on node B with
// the id and ts the API answered, and is in history for a client's
// history.get and for the API's history endpoint, on either node, as the
// same page.
func TestAPIPublishAcrossNodes(t *testing.T) {
	_, a, b := twoAPINodes(t)
	bob := dial(t, b.node, "news", "bob")
	bob.ready()
	got := a.ok(t, "POST", "/api/rooms/news/messages", `{"user":"system","text":"hello from the backend"}`, 201)
	id, _ := got["id"].(string)
	ts, _ := got["ts"].(float64)
	if len(got) != 2 || len(id) != 28 || ts == 0 {
		t.Fatalf("published %v", got)
	}
	f := bob.expect("chat.delivery", presenceNoise...)
	delivery := frame{"type": "chat.delivery", "room": "news", "user": "system", "text": "hello from the backend", "id": id, "ts": ts}
	if !reflect.DeepEqual(f, delivery) {
		t.Fatalf("bob got %v, want %v", f, delivery)
	}

	bob.send(map[string]any{"type": "history.get"})
	page := bob.expect("history.page", presenceNoise...)
	for _, n := range []*apiNode{a, b} {
		fromAPI := n.ok(t, "GET", "/api/rooms/news/history", "", 200)
		if !reflect.DeepEqual(frame(fromAPI), page) {
			t.Fatalf("the API's page %v, history.get's %v", fromAPI, page)
		}
	}
	if msgs, _ := histPageFrame(bob, page); len(msgs) != 1 || !reflect.DeepEqual(msgs[0], delivery) {
		t.Fatalf("history holds %v", msgs)
	}

	m := a.scrape(t)
	checkMetrics(t, m, []want{
		{"rt_api_requests_total", []string{"endpoint", "/api/rooms/{room}/messages", "status", "201"}, 1},
		{"rt_api_requests_total", []string{"endpoint", "/api/rooms/{room}/history", "status", "200"}, 1},
		{"rt_messages_published_total", nil, 1},
	})
}

// Presence and history answer the same across nodes; before and limit
// page back like history.get.
func TestAPIPresenceAndHistoryAcrossNodes(t *testing.T) {
	_, a, b := twoAPINodes(t)
	for _, n := range []*apiNode{a, b} {
		if got := n.ok(t, "GET", "/api/rooms/hall/presence", "", 200); !reflect.DeepEqual(got, map[string]any{"room": "hall", "users": []any{}}) {
			t.Fatalf("empty room: %v", got)
		}
	}
	alice := dial(t, a.node, "hall", "alice")
	alice.ready()
	bob := dial(t, b.node, "hall", "bob")
	bob.ready()
	for _, n := range []*apiNode{a, b} {
		got := n.ok(t, "GET", "/api/rooms/hall/presence", "", 200)
		if !reflect.DeepEqual(got, map[string]any{"room": "hall", "users": []any{"alice", "bob"}}) {
			t.Fatalf("presence %v", got)
		}
	}

	var ids []string
	for _, text := range []string{"one", "two", "three"} {
		alice.chat(text)
		ids = append(ids, alice.expect("chat.delivery", presenceNoise...).str("id"))
	}
	pages := map[string][]string{ // query → the ids of the page, then more
		"?limit=2":                  {ids[1], ids[2], "true"},
		"?limit=2&before=" + ids[1]: {ids[0], "false"},
		"?before=" + ids[2]:         {ids[0], ids[1], "false"},
		"":                          {ids[0], ids[1], ids[2], "false"},
	}
	for q, want := range pages {
		for _, n := range []*apiNode{a, b} {
			got := n.ok(t, "GET", "/api/rooms/hall/history"+q, "", 200)
			var gotIDs []string
			for _, m := range got["messages"].([]any) {
				gotIDs = append(gotIDs, m.(map[string]any)["id"].(string))
			}
			if more, _ := got["more"].(bool); !slices.Equal(append(gotIDs, boolStr(more)), want) || got["type"] != "history.page" || got["room"] != "hall" {
				t.Fatalf("history%s: %v, want ids and more %v", q, got, want)
			}
		}
	}
}

// Disconnect closes the user's sockets on both nodes with 4003 and the
// reason, in the room named or, without one, everywhere, and nobody else's.
func TestAPIDisconnectAcrossNodes(t *testing.T) {
	_, a, b := twoAPINodes(t)
	aliceA := dial(t, a.node, "r1", "alice")
	aliceB := dial(t, b.node, "r1", "alice")
	aliceR2 := dial(t, b.node, "r2", "alice")
	bobA := dial(t, a.node, "r1", "bob")
	bobB := dial(t, b.node, "r1", "bob")
	for _, c := range []*client{aliceA, aliceB, aliceR2, bobA, bobB} {
		c.ready()
	}

	got := a.ok(t, "POST", "/api/users/alice/disconnect", `{"room":"r1","reason":"moved by a moderator"}`, 202)
	if !reflect.DeepEqual(got, map[string]any{"user": "alice", "room": "r1"}) {
		t.Fatalf("answer %v", got)
	}
	for _, c := range []*client{aliceA, aliceB} {
		if ce := c.closeError(); ce.Code != 4003 || ce.Text != "moved by a moderator" {
			t.Fatalf("alice's r1 socket closed with %d %q", ce.Code, ce.Text)
		}
	}
	// Both nodes have carried the command out (alice's sockets there are
	// closed), so every socket still open was spared.
	for _, c := range []*client{aliceR2, bobA, bobB} {
		c.alive()
	}

	got = b.ok(t, "POST", "/api/users/alice/disconnect", "", 202)
	if !reflect.DeepEqual(got, map[string]any{"user": "alice", "room": ""}) {
		t.Fatalf("answer %v", got)
	}
	if ce := aliceR2.closeError(); ce.Code != 4003 || ce.Text != "" {
		t.Fatalf("alice's r2 socket closed with %d %q", ce.Code, ce.Text)
	}
	for _, c := range []*client{bobA, bobB} {
		c.alive()
	}
	// A user with no socket left is not an error.
	a.ok(t, "POST", "/api/users/alice/disconnect", `{}`, 202)
}

// Every kind of bad input gets its status and code, and nothing is
// published for it.
func TestAPIBadInput(t *testing.T) {
	n := startAPINode(t, testConfig())
	watcher := dial(t, n.node, "lobby", "watcher")
	watcher.ready()
	long := strings.Repeat("x", 4097)
	for _, tt := range []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"POST", "/api/rooms/-bad/messages", `{"user":"bot","text":"hi"}`, 400, "bad_room"},
		{"POST", "/api/rooms/" + strings.Repeat("r", 65) + "/messages", `{"user":"bot","text":"hi"}`, 400, "bad_room"},
		{"POST", "/api/rooms/a%2Fb/messages", `{"user":"bot","text":"hi"}`, 400, "bad_room"},
		{"POST", "/api/rooms/lobby/messages", `{"user":"bot"}`, 400, "bad_message"},
		{"POST", "/api/rooms/lobby/messages", `{"user":"bot","text":""}`, 400, "bad_message"},
		{"POST", "/api/rooms/lobby/messages", `{"user":"bot","text":null}`, 400, "bad_message"},
		{"POST", "/api/rooms/lobby/messages", `{"user":"bot","text":7}`, 400, "bad_message"},
		{"POST", "/api/rooms/lobby/messages", `{"user":"bot","text":"` + long + `"}`, 400, "text_too_long"},
		{"POST", "/api/rooms/lobby/messages", `{"text":"hi"}`, 400, "bad_message"},
		{"POST", "/api/rooms/lobby/messages", `{"user":"","text":"hi"}`, 400, "bad_message"},
		{"POST", "/api/rooms/lobby/messages", `{"user":"bo\u0000t","text":"hi"}`, 400, "bad_message"},
		{"POST", "/api/rooms/lobby/messages", `{"user":"` + strings.Repeat("u", 257) + `","text":"hi"}`, 400, "bad_message"},
		{"POST", "/api/rooms/lobby/messages", `{"user":["bot"],"text":"hi"}`, 400, "bad_message"},
		{"POST", "/api/rooms/lobby/messages", `{"user":"bot","user":"eve","text":"hi"}`, 400, "bad_message"},
		{"POST", "/api/rooms/lobby/messages", ``, 400, "bad_json"},
		{"POST", "/api/rooms/lobby/messages", `user=bot&text=hi`, 400, "bad_json"},
		{"POST", "/api/rooms/lobby/messages", `[{"user":"bot","text":"hi"}]`, 400, "bad_json"},
		{"POST", "/api/rooms/lobby/messages", `{"user":"bot","text":"hi"}{}`, 400, "bad_json"},
		{"POST", "/api/rooms/lobby/messages", padded(`{"user":"bot","text":"`+long+`"}`, api.MaxBodyBytes), 400, "text_too_long"}, // 64 KiB is read
		{"GET", "/api/rooms/-bad/presence", "", 400, "bad_room"},
		{"GET", "/api/rooms/-bad/history", "", 400, "bad_room"},
		{"GET", "/api/rooms/lobby/history?before=xyz", "", 400, "bad_message"},
		{"GET", "/api/rooms/lobby/history?limit=0", "", 400, "bad_message"},
		{"GET", "/api/rooms/lobby/history?limit=101", "", 400, "bad_message"},
		{"GET", "/api/rooms/lobby/history?limit=ten", "", 400, "bad_message"},
		{"POST", "/api/users/alice/disconnect", `{"room":"-bad"}`, 400, "bad_room"},
		{"POST", "/api/users/alice/disconnect", `{"reason":"` + strings.Repeat("r", 124) + `"}`, 400, "bad_message"},
		{"POST", "/api/users/alice/disconnect", `{"room":1}`, 400, "bad_message"},
		{"POST", "/api/users/alice/disconnect", `"lobby"`, 400, "bad_json"},
		{"POST", "/api/users/" + strings.Repeat("u", 257) + "/disconnect", ``, 400, "bad_message"},
		{"POST", "/api/users/a%0Ab/disconnect", ``, 400, "bad_message"},
		{"GET", "/api/nothing", "", 404, "not_found"},
		{"GET", "/ws/lobby", "", 404, "not_found"},
		{"DELETE", "/api/rooms/lobby/messages", "", 405, "method_not_allowed"},
	} {
		status, body := n.call(t, tt.method, tt.path, "Bearer "+apiKey, tt.body)
		if want := `{"error":"` + tt.code + `"}`; status != tt.status || string(body) != want {
			t.Errorf("%s %s %.40q: %d %s, want %d %s", tt.method, tt.path, tt.body, status, body, tt.status, want)
		}
	}
	// A body announced over 64 KiB is refused before it is read (and before
	// the key is looked at).
	req := "POST /api/rooms/lobby/messages HTTP/1.1\r\nHost: rt\r\nAuthorization: Bearer " + apiKey +
		"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(api.MaxBodyBytes+1) + "\r\n\r\n"
	if status, body := ampExchange(t, strings.TrimPrefix(n.api, "http://"), req); status != 413 || body != `{"error":"body_too_large"}` {
		t.Errorf("announced %d bytes: %d %s", api.MaxBodyBytes+1, status, body)
	}
	watcher.send(map[string]string{"type": "system.ping"})
	watcher.expect("system.pong", presenceNoise...) // and no chat.delivery before it
	checkMetrics(t, n.scrape(t), []want{
		{"rt_messages_published_total", nil, 0},
		{"rt_http_refused_total", []string{"status", "413", "reason", "body_too_large"}, 1},
		{"rt_api_requests_total", []string{"endpoint", "/api/rooms/{room}/messages", "status", "400"}, 19},
		{"rt_api_requests_total", []string{"endpoint", "other", "status", "404"}, 2},
	})
}

// A missing key, a wrong one and one in another scheme or place are all
// the same 401, on every endpoint but the OpenAPI document.
func TestAPIUnauthorized(t *testing.T) {
	n := startAPINode(t, testConfig())
	for _, r := range []struct{ method, path, body string }{
		{"POST", "/api/rooms/lobby/messages", `{"user":"bot","text":"hi"}`},
		{"GET", "/api/rooms/lobby/presence", ""},
		{"GET", "/api/rooms/lobby/history", ""},
		{"POST", "/api/users/alice/disconnect", ""},
	} {
		for _, auth := range []string{
			"", "Bearer", "Bearer wrong-key-0123456789abc", "Bearer " + apiKey + "x", "Bearer " + apiKey[1:],
			"Basic " + apiKey, "Token " + apiKey, apiKey,
		} {
			status, body := n.call(t, r.method, r.path, auth, r.body)
			if status != 401 || string(body) != `{"error":"unauthorized"}` {
				t.Errorf("%s %s with %q: %d %s", r.method, r.path, auth, status, body)
			}
		}
		if status, _ := n.call(t, r.method, r.path+"?key="+apiKey, "", r.body); status != 401 {
			t.Errorf("%s %s with the key in the query: %d", r.method, r.path, status)
		}
	}
	checkMetrics(t, n.scrape(t), []want{{"rt_messages_published_total", nil, 0}})
}

// With Redis stopped every endpoint that needs it answers 503 unavailable.
func TestAPIUnavailableWithoutRedis(t *testing.T) {
	srv, a, _ := twoAPINodes(t)
	srv.Stop()
	for _, r := range []struct{ method, path, body string }{
		{"POST", "/api/rooms/lobby/messages", `{"user":"bot","text":"hi"}`},
		{"GET", "/api/rooms/lobby/presence", ""},
		{"GET", "/api/rooms/lobby/history", ""},
		{"POST", "/api/users/alice/disconnect", ""},
	} {
		status, body := a.call(t, r.method, r.path, "Bearer "+apiKey, r.body)
		if status != 503 || string(body) != `{"error":"unavailable"}` {
			t.Errorf("%s %s: %d %s", r.method, r.path, status, body)
		}
	}
	// The document needs no backend.
	if status, _ := a.call(t, "GET", "/api/openapi.json", "", ""); status != 200 {
		t.Errorf("openapi.json: %d", status)
	}
}

// The OpenAPI document is served without the key, lists every route the
// API app serves and nothing it does not, and each documented operation
// is served (not 404 or 405) with the key.
func TestAPIOpenAPIMatchesTheRoutes(t *testing.T) {
	var s *api.Server
	n := startNode(t, withAPI(testConfig()), fx.Populate(&s))
	an := &apiNode{node: n, api: "http://" + s.Addr().String()}
	status, doc := an.call(t, "GET", "/api/openapi.json", "", "")
	if status != 200 {
		t.Fatalf("openapi.json: %d %s", status, doc)
	}
	var d struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil || !strings.HasPrefix(d.OpenAPI, "3.") {
		t.Fatalf("openapi.json: %v, openapi %q", err, d.OpenAPI)
	}
	var documented, served []string
	for path, ops := range d.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	for _, r := range s.Routes() {
		served = append(served, r.Method+" "+r.Path)
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) || len(served) == 0 {
		t.Fatalf("documented %q\nserved %q", documented, served)
	}
	for _, op := range documented {
		method, path, _ := strings.Cut(op, " ")
		path = strings.NewReplacer("{room}", "lobby", "{user}", "alice").Replace(path)
		if status, body := an.call(t, method, path, "Bearer "+apiKey, ""); status == 404 || status == 405 {
			t.Errorf("%s: %d %s", op, status, body)
		}
	}
}

// The access line of an API request names it like the public port's, and
// holds neither the key nor any header.
func TestAPIAccessLogHasNoKey(t *testing.T) {
	logs := &logtest.Buffer{}
	n := startAPINode(t, testConfig(), logTo(logs))
	n.ok(t, "POST", "/api/rooms/logged/messages", `{"user":"bot","text":"hi"}`, 201)
	n.call(t, "GET", "/api/rooms/logged/presence", "Bearer wrong-"+apiKey, "")
	n.call(t, "GET", "/api/rooms/logged/presence", "Basic "+apiKey, "")
	out := logs.String()
	for _, secret := range []string{apiKey, apiKey[len(apiKey)/2:], "Bearer", "Basic", "Authorization"} {
		if strings.Contains(out, secret) {
			t.Fatalf("log holds %q:\n%s", secret, out)
		}
	}
	for _, line := range []string{
		"msg=access method=POST path=/api/rooms/logged/messages status=201",
		"room=logged user=bot",
		"msg=access method=GET path=/api/rooms/logged/presence status=401",
		"reason=unauthorized",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("log lacks %q:\n%s", line, out)
		}
	}
}

// The API is served on API_ADDR only: the public port does not know its
// paths, and the API's port serves nothing of the public one.
func TestAPINotOnThePublicPort(t *testing.T) {
	n := startAPINode(t, testConfig())
	for _, path := range []string{"/api/openapi.json", "/api/rooms/lobby/presence"} {
		if r := n.get(t, path); r.StatusCode != 404 {
			t.Errorf("public port %s: %d", path, r.StatusCode)
		}
	}
	for _, path := range []string{"/healthz", "/metrics", "/ws/lobby", "/"} {
		if status, _ := n.call(t, "GET", path, "Bearer "+apiKey, ""); status != 404 {
			t.Errorf("API port %s: %d", path, status)
		}
	}
}

// The API module can be left out like any extra: with API_ADDR set the
// node still starts and chats, and nothing serves the API.
func TestAPICanBeLeftOut(t *testing.T) {
	cfg := withAPI(testConfig())
	n, err := launch(cfg, fx.Options(app.Embedded, health.Module, metrics.Module, demo.Module, debug.Module))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.stop(t) })
	chats(t, n)
	err = fx.ValidateApp(fx.Supply(cfg), app.Core, app.Embedded, health.Module, metrics.Module, demo.Module, debug.Module,
		fx.NopLogger, fx.Invoke(func(*api.Server) {}))
	if err == nil {
		t.Fatal("an app without the API module provides *api.Server")
	}
}
