package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/api/spec"
	"github.com/rtserver/rt/modules/hub"
	"github.com/rtserver/rt/modules/metrics/metricstest"
	"github.com/rtserver/rt/modules/protocol"
	"github.com/rtserver/rt/modules/server"
)

const testKey = "0123456789abcdef-test"

// fake is a Backend that records its calls and answers with err when set.
type fake struct {
	mu    sync.Mutex
	calls []string
	data  [][]byte // the data of each message, as the backend got it
	err   error
}

func (f *fake) record(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	return f.err
}

func (f *fake) Publish(_ context.Context, room, user string, m hub.Content) (hub.Published, error) {
	if err := f.record("publish " + room + " " + user + " " + f.content(m)); err != nil {
		return hub.Published{}, err
	}
	return hub.Published{ID: protocol.FormatID(1, 2), TS: 1}, nil
}

func (f *fake) SendToUser(_ context.Context, user string, m hub.Content) (hub.Published, error) {
	if err := f.record("send " + user + " " + f.content(m)); err != nil {
		return hub.Published{}, err
	}
	return hub.Published{ID: protocol.FormatID(3, 4), TS: 3}, nil
}

// content is how a call records m: its text, then its data when it has
// some; the data itself is kept, to check it is no view of a request.
func (f *fake) content(m hub.Content) string {
	if m.Data == nil {
		return m.Text
	}
	f.mu.Lock()
	f.data = append(f.data, m.Data)
	f.mu.Unlock()
	return m.Text + " " + string(m.Data)
}

func (f *fake) Presence(_ context.Context, room string) ([]string, error) {
	return nil, f.record("presence " + room)
}

func (f *fake) Page(_ context.Context, room, before string, limit int) ([]byte, error) {
	if err := f.record("page " + room + " " + before + " " + fmtInt(limit)); err != nil {
		return nil, err
	}
	return protocol.HistoryPage(room, nil, false), nil
}

func (f *fake) Disconnect(_ context.Context, user, room, reason string) error {
	return f.record("disconnect " + user + " " + room + " " + reason)
}

func fmtInt(n int) string { b, _ := json.Marshal(n); return string(b) }

// testApp is the API's app over fake, with its counter, logging to logs.
func testApp(t *testing.T, f *fake) (*fiber.App, *metrics, *bytes.Buffer) {
	t.Helper()
	logs := &bytes.Buffer{}
	m := newMetrics()
	refused := fxRefusals(t)
	return newApp(testConfigOf(), f, refused, slog.New(slog.NewTextHandler(logs, nil)), m), m, logs
}

func testConfigOf() config.Config {
	return config.Config{APIAddr: "127.0.0.1:0", APIKey: testKey, WriteTimeout: 5 * time.Second}
}

// fxRefusals gets the server module's refusal counter the way the app does.
func fxRefusals(t *testing.T) *server.Refusals {
	t.Helper()
	var r *server.Refusals
	app := fx.New(fx.NopLogger, fx.Supply(config.Config{Host: "127.0.0.1", WriteTimeout: time.Second}, slog.New(slog.DiscardHandler)),
		server.Module, fx.Populate(&r))
	if err := app.Err(); err != nil {
		t.Fatal(err)
	}
	return r
}

type answer struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, app *fiber.App, method, path, auth, body string) answer {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := app.Test(req, 5000)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, strings.TrimSpace(string(b))}
}

const bearer = "Bearer " + testKey

func TestKey(t *testing.T) {
	k := newKey(testKey)
	for _, tt := range []struct {
		header string
		ok     bool
	}{
		{"Bearer " + testKey, true},
		{"bearer " + testKey, true},
		{"BEARER  " + testKey, true},
		{"", false},
		{"Bearer", false},
		{"Bearer ", false},
		{testKey, false},
		{"Basic " + testKey, false},
		{"Token " + testKey, false},
		{"Bearer " + testKey + "x", false},
		{"Bearer " + testKey[:len(testKey)-1], false},
		{"Bearer " + strings.ToUpper(testKey), false},
		{"Bearer " + testKey + " ", false},
		{"Bearer:" + testKey, false},
	} {
		if got := k.allows(tt.header); got != tt.ok {
			t.Errorf("allows(%q) = %v, want %v", tt.header, got, tt.ok)
		}
	}
}

// The app answers each kind of request with its status and code, calls
// the backend only for what it accepted, and counts every request by
// endpoint and status.
func TestRequests(t *testing.T) {
	f := &fake{}
	app, m, logs := testApp(t, f)
	for _, tt := range []struct {
		method, path, auth, body string
		status                   int
		want                     string // the body, or the error code
		call                     string // the backend call, "" for none
	}{
		{"POST", "/api/rooms/lobby/messages", bearer, `{"user":"bot","text":"hi"}`, 201, `{"id":"0000000000010000000000000002","ts":1}`, "publish lobby bot hi"},
		{"POST", "/api/rooms/lobby/messages", "", `{"user":"bot","text":"hi"}`, 401, "unauthorized", ""},
		{"POST", "/api/rooms/lobby/messages", "Bearer wrong-key-0123456789", `{"user":"bot","text":"hi"}`, 401, "unauthorized", ""},
		{"POST", "/api/rooms/lobby/messages", "Basic " + testKey, `{"user":"bot","text":"hi"}`, 401, "unauthorized", ""},
		{"POST", "/api/rooms/bad%20room/messages", bearer, `{"user":"bot","text":"hi"}`, 400, "bad_room", ""},
		{"POST", "/api/rooms/-x/messages", bearer, `{"user":"bot","text":"hi"}`, 400, "bad_room", ""},
		{"POST", "/api/rooms/lobby/messages", bearer, `not json`, 400, "bad_json", ""},
		{"POST", "/api/rooms/lobby/messages", bearer, `{"user":5,"text":"hi"}`, 400, "bad_message", ""},
		{"POST", "/api/rooms/a.b:c-d_e/messages", bearer, `{"user":"bot","text":"hi"}`, 201, `{"id":"0000000000010000000000000002","ts":1}`, "publish a.b:c-d_e bot hi"},
		{"GET", "/api/rooms/lobby/presence", bearer, "", 200, `{"room":"lobby","users":[]}`, "presence lobby"},
		{"GET", "/api/rooms/lobby/presence", "", "", 401, "unauthorized", ""},
		{"GET", "/api/rooms/Lobby.A/presence", bearer, "", 200, `{"room":"Lobby.A","users":[]}`, "presence Lobby.A"},
		{"GET", "/api/rooms/lobby/history", bearer, "", 200, `{"type":"history.page","room":"lobby","messages":[],"more":false}`, "page lobby  50"},
		{"GET", "/api/rooms/lobby/history?before=0000000000010000000000000002&limit=7", bearer, "", 200, `{"type":"history.page","room":"lobby","messages":[],"more":false}`, "page lobby 0000000000010000000000000002 7"},
		{"GET", "/api/rooms/lobby/history?before=&limit=", bearer, "", 200, `{"type":"history.page","room":"lobby","messages":[],"more":false}`, "page lobby  50"},
		{"GET", "/api/rooms/lobby/history?limit=100", bearer, "", 200, `{"type":"history.page","room":"lobby","messages":[],"more":false}`, "page lobby  100"},
		{"GET", "/api/rooms/lobby/history?limit=0", bearer, "", 400, "bad_message", ""},
		{"GET", "/api/rooms/lobby/history?limit=101", bearer, "", 400, "bad_message", ""},
		{"GET", "/api/rooms/lobby/history?limit=07", bearer, "", 400, "bad_message", ""},
		{"GET", "/api/rooms/lobby/history?limit=-1", bearer, "", 400, "bad_message", ""},
		{"GET", "/api/rooms/lobby/history?limit=%2B5", bearer, "", 400, "bad_message", ""},
		{"GET", "/api/rooms/lobby/history?limit=five", bearer, "", 400, "bad_message", ""},
		{"GET", "/api/rooms/lobby/history?limit=5&limit=6", bearer, "", 400, "bad_message", ""},
		{"GET", "/api/rooms/lobby/history?before=nope", bearer, "", 400, "bad_message", ""},
		{"GET", "/api/rooms/lobby/history?before=0000000000010000000000000002&before=0000000000010000000000000003", bearer, "", 400, "bad_message", ""},
		{"GET", "/api/rooms/lob%2Fby/history", bearer, "", 400, "bad_room", ""},
		{"POST", "/api/users/alice/disconnect", bearer, "", 202, `{"user":"alice","room":""}`, "disconnect alice  "},
		{"POST", "/api/users/a%2Fb%20c/disconnect", bearer, `{"room":"lobby","reason":"bye"}`, 202, `{"user":"a/b c","room":"lobby"}`, "disconnect a/b c lobby bye"},
		{"POST", "/api/users/al%00ice/disconnect", bearer, "", 400, "bad_message", ""},
		{"POST", "/api/users/alice/disconnect", bearer, `{"room":7}`, 400, "bad_message", ""},
		{"POST", "/api/users/alice/disconnect", bearer, `[]`, 400, "bad_json", ""},
		{"POST", "/api/users/alice/disconnect", "", "", 401, "unauthorized", ""},
		{"GET", "/api/openapi.json", "", "", 200, string(bytes.TrimSpace(spec.Document())), ""},
		{"GET", "/api/nothing", bearer, "", 404, "not_found", ""},
		{"GET", "/", "", "", 404, "not_found", ""},
		{"GET", "/api/rooms/lobby/messages", bearer, "", 405, "method_not_allowed", ""},
		{"HEAD", "/api/rooms/lobby/presence", bearer, "", 405, "", ""},
		{"DELETE", "/api/openapi.json", "", "", 405, "method_not_allowed", ""},
	} {
		f.calls = nil
		got := do(t, app, tt.method, tt.path, tt.auth, tt.body)
		want := tt.want
		if tt.status >= 400 && want != "" {
			want = `{"error":"` + want + `"}`
		}
		if got.status != tt.status || got.body != want {
			t.Errorf("%s %s: %d %s, want %d %s", tt.method, tt.path, got.status, got.body, tt.status, want)
		}
		if ct := got.header.Get("Content-Type"); tt.method != "HEAD" && ct != "application/json" && !strings.HasPrefix(ct, "application/json;") {
			t.Errorf("%s %s: Content-Type %q", tt.method, tt.path, ct)
		}
		var call string
		if len(f.calls) > 0 {
			call = f.calls[0]
		}
		if call != tt.call || len(f.calls) > 1 {
			t.Errorf("%s %s: backend calls %q, want %q", tt.method, tt.path, f.calls, tt.call)
		}
		if tt.status == 401 && got.header.Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("%s %s: WWW-Authenticate %q", tt.method, tt.path, got.header.Get("WWW-Authenticate"))
		}
		if tt.status == 405 {
			if allow := got.header.Get("Allow"); allow == "" || allow == tt.method || allow != allowedOn(t, tt.path) {
				t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, allow, allowedOn(t, tt.path))
			}
		}
		checkListed(t, tt.method, tt.path, got)
	}

	got := metricstest.Gather(t, m.requests)
	for _, w := range []struct {
		endpoint, status string
		n                float64
	}{
		{"/api/rooms/{room}/messages", "201", 2},
		{"/api/rooms/{room}/messages", "401", 3},
		{"/api/rooms/{room}/messages", "400", 4},
		{"/api/rooms/{room}/messages", "405", 1},
		{"/api/rooms/{room}/presence", "200", 2},
		{"/api/rooms/{room}/presence", "401", 1},
		{"/api/rooms/{room}/presence", "405", 1},
		{"/api/rooms/{room}/history", "200", 4},
		{"/api/rooms/{room}/history", "400", 10},
		{"/api/users/{user}/disconnect", "202", 2},
		{"/api/users/{user}/disconnect", "400", 3},
		{"/api/users/{user}/disconnect", "401", 1},
		{"/api/openapi.json", "200", 1},
		{"/api/openapi.json", "405", 1},
		{"other", "404", 2},
	} {
		if v := got.Value("rt_api_requests_total", "endpoint", w.endpoint, "status", w.status); v != w.n {
			t.Errorf("rt_api_requests_total{endpoint=%q,status=%q} = %v, want %v", w.endpoint, w.status, v, w.n)
		}
	}
	if strings.Contains(logs.String(), testKey) {
		t.Errorf("the log holds the key:\n%s", logs)
	}
}

// A refusal by the hub is a 400 with its code; any other error is 503
// unavailable.
func TestBackendErrors(t *testing.T) {
	for _, tt := range []struct {
		err    error
		status int
		code   string
	}{
		{hub.ErrTextTooLong, 400, "text_too_long"},
		{hub.ErrNoText, 400, "bad_message"},
		{hub.ErrBadUser, 400, "bad_message"},
		{hub.ErrBadRoom, 400, "bad_room"},
		{hub.ErrBadReason, 400, "bad_message"},
		{errors.New("redis: connection refused"), 503, "unavailable"},
		{context.DeadlineExceeded, 503, "unavailable"},
	} {
		app, _, _ := testApp(t, &fake{err: tt.err})
		for _, r := range []struct{ method, path, body string }{
			{"POST", "/api/rooms/lobby/messages", `{"user":"bot","text":"hi"}`},
			{"GET", "/api/rooms/lobby/presence", ""},
			{"GET", "/api/rooms/lobby/history", ""},
			{"POST", "/api/users/alice/disconnect", ""},
		} {
			got := do(t, app, r.method, r.path, bearer, r.body)
			if want := `{"error":"` + tt.code + `"}`; got.status != tt.status || got.body != want {
				t.Errorf("%v: %s %s: %d %s, want %d %s", tt.err, r.method, r.path, got.status, got.body, tt.status, want)
			}
			if tt.status == 503 { // the fake refuses every route alike; only a backend away is real on each
				checkListed(t, r.method, r.path, got)
			}
		}
	}
}

// The publish hook's answers: a refusal is 403 rejected, no answer 503
// unavailable; both listed in the route table.
func TestPublishHookErrors(t *testing.T) {
	for _, tt := range []struct {
		err    error
		status int
		code   string
	}{
		{hub.ErrRejected, 403, "rejected"},
		{&protocol.Error{Code: protocol.CodeRejected, Message: "no links, please"}, 403, "rejected"},
		{hub.ErrNotModerated, 503, "unavailable"},
	} {
		app, _, _ := testApp(t, &fake{err: tt.err})
		got := do(t, app, "POST", "/api/rooms/lobby/messages", bearer, `{"user":"bot","text":"hi"}`)
		if want := `{"error":"` + tt.code + `"}`; got.status != tt.status || got.body != want {
			t.Errorf("%v: %d %s, want %d %s", tt.err, got.status, got.body, tt.status, want)
		}
		checkListed(t, "POST", "/api/rooms/lobby/messages", got)
	}
}

// Without API_ADDR the module builds nothing and listens nowhere; its
// counter is still offered (with no series).
func TestModuleOff(t *testing.T) {
	var s *Server
	var reg struct {
		fx.In
		Collectors []prometheus.Collector `group:"metrics"`
	}
	app := fx.New(fx.NopLogger,
		fx.Supply(config.Config{Host: "127.0.0.1", WriteTimeout: time.Second}, slog.New(slog.DiscardHandler)),
		fx.Supply(&hub.Hub{}), server.Module, Module, fx.Populate(&s, &reg))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer app.Stop(ctx)
	if s.Addr() != nil || s.Routes() != nil {
		t.Errorf("the API is served at %v: %v", s.Addr(), s.Routes())
	}
	var names []string
	for _, c := range reg.Collectors {
		ch := make(chan *prometheus.Desc, 8)
		c.Describe(ch)
		close(ch)
		for d := range ch {
			names = append(names, d.String())
		}
	}
	if len(names) != 2 || !strings.Contains(strings.Join(names, " "), `"rt_api_requests_total"`) {
		t.Errorf("offered %q, want rt_api_requests_total beside the server's counter", names)
	}
}

// A compressed body is read as it came, never inflated: it is not JSON.
func TestCompressedBodyIsNotDecoded(t *testing.T) {
	f := &fake{}
	app, _, _ := testApp(t, f)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write([]byte(`{"user":"bot","text":"hi"}`))
	_ = w.Close()
	req := httptest.NewRequest("POST", "/api/rooms/lobby/messages", &gz)
	req.Header.Set("Authorization", bearer)
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := app.Test(req, 5000)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || string(b) != `{"error":"bad_json"}` || len(f.calls) != 0 {
		t.Errorf("gzip body: %d %s, backend calls %q", resp.StatusCode, b, f.calls)
	}
}
