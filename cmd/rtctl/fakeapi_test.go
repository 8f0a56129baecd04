package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
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
	route("send", "POST /api/users/{user}/messages", func(w http.ResponseWriter, r *http.Request, s seen) {
		if text, _ := s.body["text"].(string); text == "" && s.body["data"] == nil {
			reply(w, 400, `{"error":"bad_message"}`)
			return
		}
		reply(w, 202, mustJSON(struct {
			User string `json:"user"`
			ID   string `json:"id"`
			TS   int64  `json:"ts"`
		}{s.vars["user"], "01a2154fa9200000000000000000", 1795653871904}))
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
