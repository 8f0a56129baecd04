package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCommandsAgainstTheAPI(t *testing.T) {
	api := newFakeAPI(t)
	getenv := env(api.URL, testKey)
	tests := []struct {
		name   string
		args   []string
		want   seen
		stdout string
	}{
		{"publish", []string{"publish", "lobby", "hello <all>"},
			seen{method: "POST", path: "/api/rooms/lobby/messages", vars: map[string]string{"room": "lobby"},
				body: map[string]any{"user": "system", "text": "hello <all>"}},
			"{\n  \"id\": \"01a2154fa91f0000000000000000\",\n  \"ts\": 1795653871903\n}\n"},
		{"publish as bot", []string{"publish", "lobby", "hi", "-user", "bot"},
			seen{method: "POST", path: "/api/rooms/lobby/messages", vars: map[string]string{"room": "lobby"},
				body: map[string]any{"user": "bot", "text": "hi"}},
			""},
		{"publish with data", []string{"publish", "lobby", "hi", "-data", `{"poll": {"id": 7, "open": true}}`},
			seen{method: "POST", path: "/api/rooms/lobby/messages", vars: map[string]string{"room": "lobby"},
				body: map[string]any{"user": "system", "text": "hi", "data": map[string]any{"poll": map[string]any{"id": 7.0, "open": true}}}},
			`"id": "01a2154fa91f0000000000000000"`},
		{"publish data alone", []string{"publish", "lobby", "", "-data", `["a", 1]`},
			seen{method: "POST", path: "/api/rooms/lobby/messages", vars: map[string]string{"room": "lobby"},
				body: map[string]any{"user": "system", "data": []any{"a", 1.0}}},
			""},
		{"send", []string{"send", "bob smith/2", "your export is ready"},
			seen{method: "POST", path: "/api/users/bob smith/2/messages", rawPath: "/api/users/bob%20smith%2F2/messages",
				vars: map[string]string{"user": "bob smith/2"}, body: map[string]any{"text": "your export is ready"}},
			"{\n  \"user\": \"bob smith/2\",\n  \"id\": \"01a2154fa9200000000000000000\",\n  \"ts\": 1795653871904\n}\n"},
		{"send data alone", []string{"send", "alice", "", "-data", `{"export":"q3.csv"}`},
			seen{method: "POST", path: "/api/users/alice/messages", vars: map[string]string{"user": "alice"},
				body: map[string]any{"data": map[string]any{"export": "q3.csv"}}},
			`"user": "alice"`},
		{"presence", []string{"presence", "lobby"},
			seen{method: "GET", path: "/api/rooms/lobby/presence", vars: map[string]string{"room": "lobby"}},
			"{\n  \"room\": \"lobby\",\n  \"users\": [\n    \"alice\",\n    \"bob\"\n  ]\n}\n"},
		{"history", []string{"history", "lobby", "-limit", "5", "-before", "01a2154fa91f0000000000000001"},
			seen{method: "GET", path: "/api/rooms/lobby/history", query: "before=01a2154fa91f0000000000000001&limit=5",
				vars: map[string]string{"room": "lobby"}},
			`"text": "a \u003cb\u003e"`},
		{"disconnect", []string{"disconnect", "bob smith/2", "-room", "lobby", "-reason", "banned for spam"},
			seen{method: "POST", path: "/api/users/bob smith/2/disconnect", rawPath: "/api/users/bob%20smith%2F2/disconnect",
				vars: map[string]string{"user": "bob smith/2"}, body: map[string]any{"room": "lobby", "reason": "banned for spam"}},
			"{\n  \"user\": \"bob smith/2\",\n  \"room\": \"lobby\"\n}\n"},
		{"disconnect everywhere", []string{"disconnect", "alice"},
			seen{method: "POST", path: "/api/users/alice/disconnect", vars: map[string]string{"user": "alice"},
				body: map[string]any{}},
			`"room": ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(api.requests())
			r := runWith(t, getenv, tt.args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.stdout) {
				t.Errorf("stdout %q, want it to contain %q", r.stdout, tt.stdout)
			}
			if !json.Valid([]byte(r.stdout)) {
				t.Errorf("stdout is not JSON: %q", r.stdout)
			}
			got := api.requests()[before:]
			if len(got) != 1 {
				t.Fatalf("%d requests, want 1", len(got))
			}
			g, w := got[0], tt.want
			if g.method != w.method || g.path != w.path || g.query != w.query {
				t.Errorf("request %s %s ?%s, want %s %s ?%s", g.method, g.path, g.query, w.method, w.path, w.query)
			}
			if w.rawPath != "" && g.rawPath != w.rawPath {
				t.Errorf("escaped path %s, want %s", g.rawPath, w.rawPath)
			}
			if g.auth != "Bearer "+testKey {
				t.Errorf("Authorization %q", g.auth)
			}
			if mustJSON(g.vars) != mustJSON(w.vars) {
				t.Errorf("path variables %v, want %v", g.vars, w.vars)
			}
			if w.method == "POST" {
				if g.contentType != "application/json" {
					t.Errorf("Content-Type %q", g.contentType)
				}
				if mustJSON(g.body) != mustJSON(w.body) {
					t.Errorf("body %v, want %v", g.body, w.body)
				}
			}
		})
	}
}

// The OpenAPI document, served without the key, is fetched without one:
// none is needed, and none is sent.
func TestOpenAPINeedsNoKey(t *testing.T) {
	api := newFakeAPI(t)
	for _, key := range []string{"", testKey} {
		r := runWith(t, env(api.URL, key), "openapi")
		if r.code != 0 || r.stdout != "{\n  \"openapi\": \"3.1.0\"\n}\n" || r.stderr != "" {
			t.Errorf("key %q: exit %d, stdout %q, stderr %q", key, r.code, r.stdout, r.stderr)
		}
		got := api.requests()
		if last := got[len(got)-1]; last.path != "/api/openapi.json" || last.auth != "" {
			t.Errorf("key %q: sent %s with Authorization %q", key, last.path, last.auth)
		}
	}
}

func TestErrorAnswers(t *testing.T) {
	api := newFakeAPI(t)
	tests := []struct {
		name   string
		route  string // "" = no failure injected
		status int
		body   string
		args   []string
		key    string
		stderr string
	}{
		{"wrong key", "", 0, "", []string{"presence", "lobby"}, "not-" + testKey, "rtctl: 401 unauthorized\n"},
		{"bad room", "publish", 400, `{"error":"bad_room"}`, []string{"publish", "no room", "x"}, testKey, "rtctl: 400 bad_room\n"},
		{"bad message", "", 0, "", []string{"publish", "lobby", "x", "-user", ""}, testKey, "rtctl: 400 bad_message\n"},
		{"text too long", "publish", 400, `{"error":"text_too_long"}`, []string{"publish", "lobby", "x"}, testKey, "rtctl: 400 text_too_long\n"},
		{"body too large", "publish", 413, `{"error":"body_too_large"}`, []string{"publish", "lobby", "x"}, testKey, "rtctl: 413 body_too_large\n"},
		{"redis away", "publish", 503, `{"error":"unavailable"}`, []string{"publish", "lobby", "x"}, testKey, "rtctl: 503 unavailable\n"},
		{"message too long", "publish", 400, `{"error":"message_too_long"}`, []string{"publish", "lobby", "x", "-data", "1"}, testKey, "rtctl: 400 message_too_long\n"},
		{"send: bad user", "send", 400, `{"error":"bad_message"}`, []string{"send", "a\x01b", "x"}, testKey, "rtctl: 400 bad_message\n"},
		{"send: message too long", "send", 400, `{"error":"message_too_long"}`, []string{"send", "alice", "x", "-data", "[1]"}, testKey, "rtctl: 400 message_too_long\n"},
		{"send: text too long", "send", 400, `{"error":"text_too_long"}`, []string{"send", "alice", "x"}, testKey, "rtctl: 400 text_too_long\n"},
		{"send: redis away", "send", 503, `{"error":"unavailable"}`, []string{"send", "alice", "x"}, testKey, "rtctl: 503 unavailable\n"},
		{"send: wrong key", "", 0, "", []string{"send", "alice", "x"}, "not-" + testKey, "rtctl: 401 unauthorized\n"},
		{"bad before", "history", 400, `{"error":"bad_message"}`, []string{"history", "lobby", "-before", "x"}, testKey, "rtctl: 400 bad_message\n"},
		{"bad reason", "disconnect", 400, `{"error":"bad_message"}`, []string{"disconnect", "alice", "-reason", strings.Repeat("x", 200)}, testKey, "rtctl: 400 bad_message\n"},
		{"no code in the body", "presence", 502, `<html>bad gateway</html>`, []string{"presence", "lobby"}, testKey, "rtctl: 502 Bad Gateway\n"},
		{"a code with a newline stays one line", "presence", 500, `{"error":"oops\nsecond"}`, []string{"presence", "lobby"}, testKey, "rtctl: 500 oops second\n"},
		{"a success that is not JSON", "presence", 200, `ok`, []string{"presence", "lobby"}, testKey, "rtctl: 200, but the answer is not JSON\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.route != "" {
				api.failWith(tt.route, tt.status, tt.body)
				defer api.clearFail(tt.route)
			}
			r := runWith(t, env(api.URL, tt.key), tt.args...)
			if r.code != 1 || r.stderr != tt.stderr || r.stdout != "" {
				t.Errorf("exit %d, stderr %q, stdout %q; want 1, %q and nothing", r.code, r.stderr, r.stdout, tt.stderr)
			}
		})
	}
}

func TestUnknownPathIsNotFound(t *testing.T) {
	api := newFakeAPI(t)
	r := runWith(t, env(api.URL+"/elsewhere", testKey), "presence", "lobby")
	if r.code != 1 || r.stderr != "rtctl: 404 not_found\n" {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestAddressAndKey(t *testing.T) {
	api := newFakeAPI(t)
	hostPort := strings.TrimPrefix(api.URL, "http://")

	t.Run("host:port as the server writes API_ADDR", func(t *testing.T) {
		if r := runWith(t, env(hostPort, testKey), "presence", "lobby"); r.code != 0 {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
	t.Run("flags override the environment", func(t *testing.T) {
		r := runWith(t, env("127.0.0.1:1", "wrong"), "presence", "lobby", "-addr", hostPort, "-key", testKey)
		if r.code != 0 {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
	t.Run("flags alone", func(t *testing.T) {
		if r := runWith(t, env("", ""), "-addr", api.URL, "-key", testKey, "presence", "lobby"); r.code != 0 {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
	for _, tt := range []struct {
		name, addr, key, want string
	}{
		{"no address", "", testKey, "rtctl: API_ADDR is not set"},
		{"no key", hostPort, "", "rtctl: API_KEY is not set"},
		{"a bad address", "ftp://" + hostPort, testKey, "must be host:port"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := len(api.requests())
			r := runWith(t, env(tt.addr, tt.key), "presence", "lobby")
			if r.code != 2 || !strings.HasPrefix(r.stderr, tt.want) && !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tt.want)
			}
			if len(api.requests()) != before {
				t.Error("a request went out")
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	r := runWith(t, env(addr, testKey), "presence", "lobby")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "rtctl: ") || !strings.Contains(r.stderr, "refused") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	start := time.Now()
	r := runWith(t, env(srv.URL, testKey), "presence", "lobby", "-timeout", "200ms")
	if r.code != 1 || !strings.Contains(r.stderr, "Timeout") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

// A redirect is reported, not followed: the key goes nowhere else.
func TestRedirectNotFollowed(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the redirect was followed (Authorization %q)", r.Header.Get("Authorization"))
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	r := runWith(t, env(srv.URL, testKey), "presence", "lobby")
	if r.code != 1 || r.stderr != "rtctl: 307 Temporary Redirect\n" {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}
