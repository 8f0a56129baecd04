package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fasthttp/websocket"
)

// fuzzTarget is one node and one socket shared by every input of a fuzz run
// (a fresh node per input would be far too slow); TestMain stops it.
var fuzzTarget struct {
	once sync.Once
	node *node
	conn *websocket.Conn
	err  error
}

func fuzzConn(t *testing.T) *websocket.Conn {
	fuzzTarget.once.Do(func() {
		cfg := testConfig()
		// auth.refresh has a fixed bucket of its own (one a second): past
		// it the fuzzer's refreshes are answered rate_limited, and must not
		// add up to a 1008 that would end the shared socket.
		cfg.RateWarnings = 1 << 30
		if fuzzTarget.node, fuzzTarget.err = tryStartNode(cfg); fuzzTarget.err != nil {
			return
		}
		url := fuzzTarget.node.wsURL("fuzz") + "?token=" + token(t, "fuzzer")
		fuzzTarget.conn, _, fuzzTarget.err = dialRaw(url, http.Header{"Origin": {origin}})
	})
	if fuzzTarget.err != nil {
		t.Fatal(fuzzTarget.err)
	}
	return fuzzTarget.conn
}

func stopFuzzTarget() {
	if fuzzTarget.conn != nil {
		fuzzTarget.conn.Close()
	}
	if n := fuzzTarget.node; n != nil && n.app != nil {
		ctx, cancel := context.WithTimeout(context.Background(), readWait)
		defer cancel()
		_ = n.app.Stop(ctx)
	}
}

// FuzzDispatch sends any text frame to a real server: whatever it is, the
// server answers only with well-formed frames and keeps the socket open
// (it still answers a ping afterwards).
func FuzzDispatch(f *testing.F) {
	for _, seed := range []string{
		`{"type":"chat.message","text":"hi"}`, `{"type":"presence.list"}`, `{"type":"system.ping"}`,
		`{"type":"auth.refresh","token":"x.y.z"}`, `{"type":"chat.message","room":"other","text":"x"}`,
		`[]`, `{"type":{"a":1}}`, `{"type":"chat.message","text":"x","text":"y"}`, ``, `null`,
		`{"type":"history.get","limit":5}`, `{"type":"history.get","before":"00000000000000000000000000ff"}`,
		`{"type":"history.get","limit":-1}`,
		`{"type":"room.join","room":"fuzz2","ref":"1"}`, `{"type":"room.join","room":"x","since":"00000000000000000000000000ff"}`,
		`{"type":"room.join"}`, `{"type":"room.leave","room":"fuzz2","ref":"2"}`, `{"type":"room.leave","room":"nope"}`,
		`{"type":"room.signal","data":{"typing":true}}`, `{"type":"room.signal","room":"fuzz2","data":null}`,
		`{"type":"chat.message","data":[1,{"a":"b"}],"ref":"r"}`, `{"type":"chat.message","text":"x","ref":"` + "\u0001" + `"}`,
		`{"type":"chat.message","data":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, frame string) {
		if !utf8.ValidString(frame) || len(frame) > 32<<10 {
			t.Skip("invalid UTF-8 closes the socket (1007) and large frames 1009; both have their own tests")
		}
		conn := fuzzConn(t)
		_ = conn.SetWriteDeadline(time.Now().Add(readWait))
		if err := conn.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
			t.Fatalf("write: %v", err)
		}
		if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"system.ping"}`)); err != nil {
			t.Fatalf("write ping: %v", err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(readWait))
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				t.Fatalf("socket closed after %q: %v", frame, err)
			}
			var f struct{ Type string }
			if err := json.Unmarshal(data, &f); err != nil || f.Type == "" {
				t.Fatalf("malformed answer %q to %q", data, frame)
			}
			if f.Type == "system.pong" {
				return
			}
		}
	})
}
