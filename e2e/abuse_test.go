package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"go.uber.org/goleak"
)

// TestAbuseSuite throws the hostile inputs at one server in a row: every bad
// handshake, every bad frame, a frame of 1 MiB. Afterwards the server still
// serves a normal client, and once it stops no goroutine is left. (The slow
// reader in a busy room has its own test, which needs a tiny send queue.)
func TestAbuseSuite(t *testing.T) {
	before := goleak.IgnoreCurrent()
	cfg := testConfig()
	cfg.RateLimit, cfg.RateBurst = 20, 40 // the defaults: floods must meet the real limits
	n, err := tryStartNode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		n.stop(t)
		if err := goleak.Find(append(leakOptions, before)...); err != nil {
			t.Errorf("goroutines left after the abuse suite: %v", err)
		}
	}()

	t.Run("bad handshakes", func(t *testing.T) { checkBadHandshakes(t, n) })
	t.Run("bad frames", func(t *testing.T) {
		c := dial(t, n, "abuse", "mallory")
		c.ready()
		for _, frame := range []string{
			`not json`, `[]`, `[{"type":"chat.message","text":"x"}]`, `42`, `"str"`, `null`, `{}`,
			`{"type":["chat.message"]}`, `{"type":null}`, `{"type":"chat.message","text":{"a":[1,{"b":null}]}}`,
			`{"type":"chat.message","room":"elsewhere","text":"claims another room"}`,
			`{"type":"chat.message","text":"` + strings.Repeat("x", 5000) + `"}`,
			`{"type":"presence.join","user":"admin"}`, `{"type":"chat.delivery","user":"admin","text":"forged"}`,
		} {
			c.sendRaw(frame)
			if f := c.expect("system.error"); f.str("code") == "" {
				t.Fatalf("%.40s: %v", frame, f)
			}
		}
		// A forged user is dropped: the delivery carries the token's sub.
		c.sendRaw(`{"type":"chat.message","text":"hi","user":"admin"}`)
		if f := c.expect("chat.delivery"); f.str("user") != "mallory" {
			t.Fatalf("delivery %v", f)
		}
	})
	t.Run("1 MiB frame", func(t *testing.T) {
		c := dial(t, n, "abuse", "mallory")
		c.ready()
		big := `{"type":"chat.message","text":"` + strings.Repeat("x", 1<<20) + `"}`
		// The write may fail: the server closes before it has read it all.
		_ = c.ws.WriteMessage(websocket.TextMessage, []byte(big))
		if code := c.closeCode(); code != 1009 {
			t.Fatalf("close code %d, want 1009", code)
		}
	})
	t.Run("announced 4 MiB body", func(t *testing.T) {
		for _, req := range []string{
			"POST /demo/origin HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n",
			"GET /ws/abuse HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n",
		} {
			if status, body := ampExchange(t, n.addr, req); status != 413 || body != `{"error":"body_too_large"}` {
				t.Fatalf("%q: %d %s", req, status, body)
			}
		}
	})
	t.Run("ping flood", func(t *testing.T) {
		c := dial(t, n, "abuse", "pinger")
		c.ready()
		for i := 0; i < 1000; i++ { // far past the burst and the warnings
			if c.ws.WriteControl(websocket.PingMessage, make([]byte, 125), time.Now().Add(time.Second)) != nil {
				break // closed by the server
			}
		}
		if code := c.closeCode(); code != 1008 {
			t.Fatalf("close code %d, want 1008", code)
		}
	})
	t.Run("reserved opcode", func(t *testing.T) {
		c := dial(t, n, "abuse", "mallory")
		c.ready()
		if _, err := c.ws.UnderlyingConn().Write(maskedFrame(0x83, nil)); err != nil {
			t.Fatal(err)
		}
		if code := c.closeCode(); code != 1002 {
			t.Fatalf("close code %d, want 1002", code)
		}
	})
	t.Run("a normal client is still served", func(t *testing.T) {
		a := dialWith(t, n.wsURL("calm")+"?token="+token(t, "alice"), http.Header{"Origin": {origin}})
		a.expect("presence.join")
		a.chat("all good")
		if f := a.expect("chat.delivery"); f.str("text") != "all good" {
			t.Fatalf("delivery %v", f)
		}
		a.ws.Close()
	})
}
