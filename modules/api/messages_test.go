package api

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/hub"
	"github.com/rtserver/rt/modules/protocol"
)

// The two message routes over HTTP: what each body rule answers, what the
// backend is called with (data compacted), and that every error answer is
// in the route table.
func TestMessageRequests(t *testing.T) {
	const published = `{"id":"0000000000010000000000000002","ts":1}`
	const sent = `"id":"0000000000030000000000000004","ts":3}`
	deep := func(levels int) string { return strings.Repeat("[", levels-1) + strings.Repeat("]", levels-1) }
	f := &fake{}
	app, _, _ := testApp(t, f)
	for _, tt := range []struct {
		path, body string
		status     int
		want       string // the body, or the error code
		call       string // the backend call, "" for none
	}{
		// A room message with data.
		{"/api/rooms/lobby/messages", `{"user":"bot","data":{"a": 1}}`, 201, published, `publish lobby bot  {"a":1}`},
		{"/api/rooms/lobby/messages", `{"user":"bot","data":[1, 2]}`, 201, published, "publish lobby bot  [1,2]"},
		{"/api/rooms/lobby/messages", `{"user":"bot","data":"s"}`, 201, published, `publish lobby bot  "s"`},
		{"/api/rooms/lobby/messages", `{"user":"bot","data":12.50}`, 201, published, "publish lobby bot  12.50"},
		{"/api/rooms/lobby/messages", `{"user":"bot","data":true}`, 201, published, "publish lobby bot  true"},
		{"/api/rooms/lobby/messages", `{"user":"bot","text":"hi","data":{"k":[]}}`, 201, published, `publish lobby bot hi {"k":[]}`},
		{"/api/rooms/lobby/messages", `{"user":"bot","text":"","data":{"k":1}}`, 201, published, `publish lobby bot  {"k":1}`},
		{"/api/rooms/lobby/messages", `{"user":"bot","text":"hi","data":null}`, 201, published, "publish lobby bot hi"},
		{"/api/rooms/lobby/messages", `{"user":"bot","data":` + deep(32) + `}`, 201, published, "publish lobby bot  " + deep(32)},
		{"/api/rooms/lobby/messages", `{"user":"bot","data":null}`, 400, "bad_message", ""},
		{"/api/rooms/lobby/messages", `{"user":"bot"}`, 400, "bad_message", ""},
		{"/api/rooms/lobby/messages", `{"user":"bot","text":""}`, 400, "bad_message", ""},
		{"/api/rooms/lobby/messages", `{"user":"bot","text":"","data":null}`, 400, "bad_message", ""},
		{"/api/rooms/lobby/messages", `{"user":"bot","data":1,"data":2}`, 400, "bad_message", ""},
		{"/api/rooms/lobby/messages", `{"user":"bot","data":{"k":1,"k":2}}`, 400, "bad_message", ""},
		{"/api/rooms/lobby/messages", `{"user":"bot","text":5,"data":1}`, 400, "bad_message", ""},
		{"/api/rooms/lobby/messages", `{"user":"bot","data":` + deep(33) + `}`, 400, "bad_json", ""},
		{"/api/rooms/lobby/messages", `{"user":"bot","data":{"k":1}`, 400, "bad_json", ""},
		{"/api/rooms/lobby/messages", `[{"user":"bot","data":1}]`, 400, "bad_json", ""},
		{"/api/rooms/bad%20room/messages", `{"user":"bot","data":1}`, 400, "bad_room", ""},

		// A user message.
		{"/api/users/alice/messages", `{"text":"hi"}`, 202, `{"user":"alice",` + sent, "send alice hi"},
		{"/api/users/alice/messages", `{"data":{"k": "v"}}`, 202, `{"user":"alice",` + sent, `send alice  {"k":"v"}`},
		{"/api/users/alice/messages", `{"text":"hi","data":[true]}`, 202, `{"user":"alice",` + sent, "send alice hi [true]"},
		{"/api/users/a%2Fb%20c/messages", `{"text":"hi"}`, 202, `{"user":"a/b c",` + sent, "send a/b c hi"},
		{"/api/users/alice/messages", `{"user":"eve","text":"hi"}`, 202, `{"user":"alice",` + sent, "send alice hi"},
		{"/api/users/alice/messages", `{}`, 400, "bad_message", ""},
		{"/api/users/alice/messages", ``, 400, "bad_json", ""},
		{"/api/users/alice/messages", `{"text":""}`, 400, "bad_message", ""},
		{"/api/users/alice/messages", `{"data":null}`, 400, "bad_message", ""},
		{"/api/users/alice/messages", `{"text":["hi"]}`, 400, "bad_message", ""},
		{"/api/users/alice/messages", `{"text":"a","text":"b"}`, 400, "bad_message", ""},
		{"/api/users/alice/messages", `{"data":` + deep(33) + `}`, 400, "bad_json", ""},
		{"/api/users/alice/messages", `"hi"`, 400, "bad_json", ""},
		{"/api/users/al%00ice/messages", `{"text":"hi"}`, 400, "bad_message", ""},
		{"/api/users/" + strings.Repeat("u", protocol.MaxUserBytes+1) + "/messages", `{"text":"hi"}`, 400, "bad_message", ""},
	} {
		f.calls = nil
		got := do(t, app, "POST", tt.path, bearer, tt.body)
		want := tt.want
		if tt.status >= 400 {
			want = `{"error":"` + want + `"}`
		}
		if got.status != tt.status || got.body != want {
			t.Errorf("POST %s %.80s: %d %s, want %d %s", tt.path, tt.body, got.status, got.body, tt.status, want)
		}
		if len(f.calls) > 1 || (len(f.calls) == 1) != (tt.call != "") || len(f.calls) == 1 && f.calls[0] != tt.call {
			t.Errorf("POST %s %.80s: backend calls %q, want %q", tt.path, tt.body, f.calls, tt.call)
		}
		checkListed(t, "POST", tt.path, got)
	}
	for _, op := range []struct{ method, path, body string }{
		{"POST", "/api/users/alice/messages", `{"text":"hi"}`},
		{"GET", "/api/users/alice/messages", ""},
	} {
		got := do(t, app, op.method, op.path, "", op.body)
		if got.status != 401 && op.method == "POST" || got.status != 405 && op.method == "GET" {
			t.Errorf("%s %s without the key: %d %s", op.method, op.path, got.status, got.body)
		}
		checkListed(t, op.method, op.path, got)
	}
}

// A body of 1 MB of data is refused whole, before it is read: bodies are
// at most 64 KiB. (Fiber's Test reports the refusal as its own error, so
// this goes over a socket.)
func TestMessageDataOverTheBodyLimit(t *testing.T) {
	f := &fake{}
	app, _, _ := testApp(t, f)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	data := `"` + strings.Repeat("x", 1<<20) + `"`
	for _, r := range []struct{ path, body string }{
		{"/api/rooms/lobby/messages", `{"user":"bot","data":` + data + `}`},
		{"/api/users/alice/messages", `{"data":` + data + `}`},
	} {
		status, body := post(t, ln.Addr().String(), r.path, r.body)
		if status != 413 || body != `{"error":"body_too_large"}` || len(f.calls) != 0 {
			t.Errorf("POST %s with 1 MB of data: %d %s, backend calls %q", r.path, status, body, f.calls)
		}
		checkListed(t, "POST", r.path, answer{status: status, body: body})
	}
}

// post sends body to path on addr over a fresh connection and reads the
// answer, which may come before the body is all sent.
func post(t *testing.T, addr, path, body string) (int, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { // its error is the server closing early, as it should
		_, _ = io.WriteString(c, "POST "+path+" HTTP/1.1\r\nHost: rt\r\nAuthorization: "+bearer+
			"\r\nContent-Type: application/json\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
	}()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// The data the backend gets is its own: sending more requests, which
// reuse Fiber's buffers, does not change what it got before.
func TestMessageDataOutlivesTheRequest(t *testing.T) {
	f := &fake{}
	app, _, _ := testApp(t, f)
	do(t, app, "POST", "/api/rooms/lobby/messages", bearer, `{"user":"bot","data":{"first":1}}`)
	do(t, app, "POST", "/api/users/alice/messages", bearer, `{"data":{"other":22}}`)
	for range 10 {
		do(t, app, "POST", "/api/rooms/lobby/messages", bearer, `{"user":"bot","data":{"XXXXX":0}}`)
	}
	if len(f.data) != 12 || !bytes.Equal(f.data[0], []byte(`{"first":1}`)) || !bytes.Equal(f.data[1], []byte(`{"other":22}`)) {
		t.Errorf("the backend's data: %q", f.data[:min(2, len(f.data))])
	}
}

// The hub's refusals of a message answer 400 with its code, on both
// routes; anything else is 503 unavailable.
func TestMessageBackendErrors(t *testing.T) {
	tooLong := &protocol.Error{Code: protocol.CodeMessageTooLong, Message: "text and data are longer than the limit"}
	for _, tt := range []struct {
		err    error
		status int
		code   string
	}{
		{hub.ErrTextTooLong, 400, "text_too_long"},
		{tooLong, 400, "message_too_long"},
		{hub.ErrNoText, 400, "bad_message"},
		{hub.ErrBadUser, 400, "bad_message"},
		{errors.New("redis: connection refused"), 503, "unavailable"},
	} {
		app, _, _ := testApp(t, &fake{err: tt.err})
		for _, r := range []struct{ path, body string }{
			{"/api/rooms/lobby/messages", `{"user":"bot","text":"hi","data":{"k":1}}`},
			{"/api/users/alice/messages", `{"text":"hi","data":{"k":1}}`},
		} {
			got := do(t, app, "POST", r.path, bearer, r.body)
			if want := `{"error":"` + tt.code + `"}`; got.status != tt.status || got.body != want {
				t.Errorf("%v: POST %s: %d %s, want %d %s", tt.err, r.path, got.status, got.body, tt.status, want)
			}
			checkListed(t, "POST", r.path, got)
		}
	}
}
