package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const testKey = "k3y-0123456789abcdef"

// seen is one request the fake API received.
type seen struct {
	method, path, rawPath, query, auth, contentType string
	vars                                            map[string]string
	body                                            map[string]any
}

// fakeAPI plays rt's server API: the key, the routes, the answers and the
// error bodies of the contract. Every request it gets is recorded.
type fakeAPI struct {
	*httptest.Server
	mu   sync.Mutex
	got  []seen
	fail map[string]func(w http.ResponseWriter) // by route name: answer this instead
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{fail: map[string]func(http.ResponseWriter){}}
	mux := http.NewServeMux()
	route := func(name, pattern string, ok func(w http.ResponseWriter, r *http.Request, s seen)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			s := seen{method: r.Method, path: r.URL.Path, rawPath: r.URL.EscapedPath(), query: r.URL.RawQuery,
				auth: r.Header.Get("Authorization"), contentType: r.Header.Get("Content-Type"), vars: map[string]string{}}
			for _, v := range []string{"room", "user"} {
				if x := r.PathValue(v); x != "" {
					s.vars[v] = x
				}
			}
			if r.Method == "POST" {
				if err := json.NewDecoder(r.Body).Decode(&s.body); err != nil {
					reply(w, 400, `{"error":"bad_json"}`)
					return
				}
			}
			f.mu.Lock()
			f.got = append(f.got, s)
			fail := f.fail[name]
			f.mu.Unlock()
			if s.auth != "Bearer "+testKey {
				reply(w, 401, `{"error":"unauthorized"}`)
				return
			}
			if fail != nil {
				fail(w)
				return
			}
			ok(w, r, s)
		})
	}
	route("publish", "POST /api/rooms/{room}/messages", func(w http.ResponseWriter, r *http.Request, s seen) {
		if u, _ := s.body["user"].(string); u == "" {
			reply(w, 400, `{"error":"bad_message"}`)
			return
		}
		reply(w, 201, `{"id":"01a2154fa91f0000000000000000","ts":1795653871903}`)
	})
	route("presence", "GET /api/rooms/{room}/presence", func(w http.ResponseWriter, r *http.Request, s seen) {
		reply(w, 200, mustJSON(struct {
			Room  string   `json:"room"`
			Users []string `json:"users"`
		}{s.vars["room"], []string{"alice", "bob"}}))
	})
	route("history", "GET /api/rooms/{room}/history", func(w http.ResponseWriter, r *http.Request, s seen) {
		reply(w, 200, `{"type":"history.page","room":"lobby","messages":[{"type":"chat.delivery","room":"lobby","user":"system","text":"a \u003cb\u003e","id":"01a2154fa91f0000000000000000","ts":1795653871903}],"more":false}`)
	})
	route("disconnect", "POST /api/users/{user}/disconnect", func(w http.ResponseWriter, r *http.Request, s seen) {
		room, _ := s.body["room"].(string)
		reply(w, 202, mustJSON(struct {
			User string `json:"user"`
			Room string `json:"room"`
		}{s.vars["user"], room}))
	})
	mux.HandleFunc("GET /api/openapi.json", func(w http.ResponseWriter, r *http.Request) { // served without the key
		f.mu.Lock()
		f.got = append(f.got, seen{method: r.Method, path: r.URL.Path, auth: r.Header.Get("Authorization")})
		f.mu.Unlock()
		reply(w, 200, `{"openapi":"3.1.0"}`)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { reply(w, 404, `{"error":"not_found"}`) })
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func (f *fakeAPI) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.got...)
}

func (f *fakeAPI) clearFail(route string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.fail, route)
}

func (f *fakeAPI) failWith(route string, status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[route] = func(w http.ResponseWriter) { reply(w, status, body) }
}

// env is an environment of API_ADDR and API_KEY only.
func env(addr, key string) func(string) string {
	return func(name string) string {
		switch name {
		case "API_ADDR":
			return addr
		case "API_KEY":
			return key
		}
		return ""
	}
}

type result struct {
	code           int
	stdout, stderr string
}

func runWith(t *testing.T, getenv func(string) string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, getenv, &out, &errOut)
	r := result{code, out.String(), errOut.String()}
	if strings.Contains(r.stdout+r.stderr, testKey) {
		t.Errorf("rtctl %q printed the key:\nstdout: %s\nstderr: %s", args, r.stdout, r.stderr)
	}
	return r
}

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
