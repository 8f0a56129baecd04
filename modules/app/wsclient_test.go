package app

import (
	"net/http"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/go-json-experiment/json"
	"github.com/golang-jwt/jwt/v5"
)

const (
	leakSecret = "leak-test-secret"
	leakOrigin = "http://localhost:8000"
	// frameWait bounds every wait for a frame: a hang guard, not a timing.
	frameWait = 10 * time.Second
)

// wsClient is a WebSocket client that reads on the test's goroutine, so it
// starts no goroutine of its own that the leak check would have to skip.
type wsClient struct {
	t  *testing.T
	ws *websocket.Conn
}

// dialRoom joins room as user, with a token signed by the test secret; room
// "" opens a socket in no room (/ws).
func dialRoom(t *testing.T, addr, room, user string) *wsClient {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": user, "iat": time.Now().Unix()}).SignedString([]byte(leakSecret))
	if err != nil {
		t.Fatal(err)
	}
	url := "ws://" + addr + "/ws/" + room + "?token=" + tok
	if room == "" {
		url = "ws://" + addr + "/ws?token=" + tok
	}
	conn, resp, err := websocket.DefaultDialer.Dial(url, http.Header{"Origin": {leakOrigin}})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", room, err, status)
	}
	c := &wsClient{t: t, ws: conn}
	t.Cleanup(c.close)
	return c
}

func (c *wsClient) chat(text string) {
	c.t.Helper()
	c.send(map[string]string{"type": "chat.message", "text": text})
}

// send writes v as one JSON text frame.
func (c *wsClient) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// expect reads frames until one of type typ, skipping presence and
// heartbeats, which may come in any order around it.
func (c *wsClient) expect(typ string) {
	c.t.Helper()
	if err := c.ws.SetReadDeadline(time.Now().Add(frameWait)); err != nil {
		c.t.Fatal(err)
	}
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", typ, err)
		}
		var f struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(data, &f, json.RejectUnknownMembers(false)); err != nil {
			c.t.Fatalf("frame %s: %v", data, err)
		}
		if f.Type == typ {
			return
		}
	}
}

// close closes the socket; closing it twice is harmless.
func (c *wsClient) close() { _ = c.ws.Close() }
