package e2e

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// readWait bounds every wait for a frame; it is a hang guard, not a timing assertion.
const readWait = 10 * time.Second

// client is a real WebSocket client over a real socket. A background reader
// feeds frames into a channel so tests can wait with a bound.
type client struct {
	t      *testing.T
	ws     *websocket.Conn
	frames chan []byte
	err    error // the read error that ended the reader; valid once frames is closed
}

// dial connects with the allowed Origin and a token for sub.
func dial(t *testing.T, n *node, room, sub string) *client {
	t.Helper()
	return dialWith(t, n.wsURL(room)+"?token="+token(t, sub), http.Header{"Origin": {origin}})
}

// dialRaw dials without failing the test, for handshakes meant to be refused.
func dialRaw(url string, h http.Header) (*websocket.Conn, *http.Response, error) {
	return websocket.DefaultDialer.Dial(url, h)
}

func dialWith(t *testing.T, url string, h http.Header) *client {
	t.Helper()
	conn, resp, err := dialRaw(url, h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", url, err, status)
	}
	c := &client{t: t, ws: conn, frames: make(chan []byte, 1024)}
	go c.readAll()
	t.Cleanup(func() { conn.Close() })
	return c
}

func (c *client) readAll() {
	defer close(c.frames)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			c.err = err
			return
		}
		c.frames <- data
	}
}

func (c *client) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(string(b))
}

func (c *client) sendRaw(s string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// ready returns once the server has finished this client's join: the server
// reads frames only after joining, so a pong proves it.
func (c *client) ready() {
	c.t.Helper()
	c.send(map[string]string{"type": "system.ping"})
	c.expect("system.pong", "presence.join", "presence.leave", "presence.diff")
}

func (c *client) chat(text string) {
	c.t.Helper()
	c.send(map[string]string{"type": "chat.message", "text": text})
}

type frame map[string]any

func (f frame) str(k string) string { s, _ := f[k].(string); return s }

// next reads the next application frame, skipping heartbeats.
func (c *client) next() frame {
	c.t.Helper()
	for {
		f := c.read()
		if f.str("type") != "system.ping" {
			return f
		}
	}
}

// read reads the next frame, heartbeats included.
func (c *client) read() frame {
	c.t.Helper()
	f, ok := c.poll(readWait)
	if !ok {
		c.t.Fatalf("no frame within %s (reader: %v)", readWait, c.err)
	}
	return f
}

// poll waits up to d for a frame; false on timeout or a closed socket.
func (c *client) poll(d time.Duration) (frame, bool) {
	c.t.Helper()
	select {
	case data, ok := <-c.frames:
		if !ok {
			return nil, false
		}
		var f frame
		if err := json.Unmarshal(data, &f); err != nil {
			c.t.Fatalf("frame %q is not a JSON object: %v", data, err)
		}
		return f, true
	case <-time.After(d):
		return nil, false
	}
}

// expect reads frames until one of type typ arrives, failing on anything
// else but heartbeats and presence noise listed in skip.
func (c *client) expect(typ string, skip ...string) frame {
	c.t.Helper()
	for {
		f := c.next()
		if f.str("type") == typ {
			return f
		}
		if !containsStr(skip, f.str("type")) {
			c.t.Fatalf("want %s, got %v", typ, f)
		}
	}
}

// closeCode waits until the server closes and returns its close code.
func (c *client) closeCode() int {
	c.t.Helper()
	return c.closeError().Code
}

// closeError waits until the server closes and returns its close frame.
func (c *client) closeError() *websocket.CloseError {
	c.t.Helper()
	timeout := time.After(readWait)
	for {
		select {
		case _, ok := <-c.frames:
			if ok {
				continue
			}
			var ce *websocket.CloseError
			if errors.As(c.err, &ce) {
				return ce
			}
			c.t.Fatalf("want a close frame, got %v", c.err)
		case <-timeout:
			c.t.Fatalf("not closed within %s", readWait)
		}
	}
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
