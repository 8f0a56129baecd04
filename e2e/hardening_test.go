package e2e

import (
	"crypto/rand"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/rtserver/rt/modules/redis/redistest"
)

// TestRedisStallKeepsTheSocketReading stops Redis while a client chats well
// under its rate limit. The reader must not wait for Redis: pings are
// answered while Redis is stopped, messages beyond the bounded backlog are
// answered unavailable at once, and when Redis is back the client is not
// mistaken for a flooder (frames piled up in TCP would reach the rate limit
// as one burst).
func TestRedisStallKeepsTheSocketReading(t *testing.T) {
	srv := redistest.Start(t)
	cfg := testConfig()
	cfg.RedisURL = srv.URL()
	cfg.RateLimit, cfg.RateBurst, cfg.RateWarnings = 20, 5, 3
	n := startNode(t, cfg)
	c := dial(t, n, "stall", "alice")
	c.expect("presence.join")

	srv.Pause(t)
	paused := true
	defer func() {
		if paused {
			srv.Resume(t)
		}
	}()
	const sent = 30 // 10 a second (half the limit) for 3 s: more than the burst and the backlog
	for i := 0; i < sent; i++ {
		c.chat("hello")
		time.Sleep(time.Second / 10)
	}
	c.send(map[string]string{"type": "system.ping"})
	unavailable := 0
	for f := c.next(); f.str("type") != "system.pong"; f = c.next() {
		if f.str("code") != "unavailable" {
			t.Fatalf("during the stall: %v", f)
		}
		unavailable++
	}
	srv.Resume(t)
	paused = false

	// A publish that waited past its timeout is answered unavailable, yet
	// Redis may still run it once it resumes: count answers, not messages.
	delivered := 0
	for delivered+unavailable < sent {
		f := c.next()
		if f.str("type") != "chat.delivery" && f.str("code") != "unavailable" {
			t.Fatalf("after the stall: %v", f)
		}
		if f.str("type") == "chat.delivery" {
			delivered++
		} else {
			unavailable++
		}
	}
	if delivered == 0 || unavailable == 0 {
		t.Fatalf("%d delivered, %d unavailable: want the backlog published and the rest refused", delivered, unavailable)
	}
	c.chat("still here")
	for f := c.expect("chat.delivery", "system.error"); f.str("text") != "still here"; f = c.expect("chat.delivery", "system.error") {
	}
}

// TestControlFrameFloodIsLimited sends ping frames past the rate limit: they
// are counted, answered with pongs only within the budget, warned, and the
// flooder is closed with 1008.
func TestControlFrameFloodIsLimited(t *testing.T) {
	cfg := testConfig()
	cfg.RateLimit, cfg.RateBurst, cfg.RateWarnings = 1, 5, 3
	n := startNode(t, cfg)
	c := dial(t, n, "pings", "pinger")
	c.expect("presence.join")
	pongs := make(chan struct{}, 64)
	c.ws.SetPongHandler(func(string) error { pongs <- struct{}{}; return nil })
	for i := 0; i < 20; i++ {
		if err := c.ws.WriteControl(websocket.PingMessage, []byte("x"), time.Now().Add(time.Second)); err != nil {
			break // closed by the server
		}
	}
	for i := 0; i < 3; i++ {
		if f := c.expect("system.error"); f.str("code") != "rate_limited" {
			t.Fatalf("got %v", f)
		}
	}
	if code := c.closeCode(); code != 1008 {
		t.Fatalf("close code %d, want 1008", code)
	}
	// Pings within the burst are answered; the writer answers only the
	// latest of those that arrived while it was busy (RFC 6455 §5.5.3).
	if n := len(pongs); n < 1 || n > 5 {
		t.Fatalf("%d pongs, want 1 to 5 (the burst)", n)
	}
	eventually(t, "the flood counted", func() bool {
		m := n.scrape(t)
		return m.Value("rt_frames_received_total", "type", "control_ping") == 5 &&
			m.Value("rt_frames_received_total", "type", "rate_limited") == 4 &&
			m.Value("rt_connections_closed_total", "code", "1008", "reason", "policy") == 1
	})
}

// TestFlooderIsNotReadForever: once the server has decided to close a
// flooder it reads a bounded amount while waiting for the close reply, then
// drops the connection; a client that keeps writing (and never reads, so
// never sees the close) is cut off long before it has written 32 MiB.
func TestFlooderIsNotReadForever(t *testing.T) {
	cfg := testConfig()
	cfg.RateLimit, cfg.RateBurst, cfg.RateWarnings = 0.001, 1, 0
	cfg.WriteTimeout = time.Minute // the close deadline alone would not end it
	n := startNode(t, cfg)
	ws, _, err := websocket.DefaultDialer.Dial(n.wsURL("flood")+"?token="+token(t, "flooder"), http.Header{"Origin": {origin}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	frame := []byte(`{"type":"chat.message","text":"` + strings.Repeat("x", 60<<10) + `"}`)
	for written := 0; written < 32<<20; written += len(frame) {
		_ = ws.SetWriteDeadline(time.Now().Add(readWait))
		if err := ws.WriteMessage(websocket.TextMessage, frame); err != nil {
			return // the server stopped reading and dropped the connection
		}
	}
	t.Fatal("the server read 32 MiB from a client it had decided to close")
}

// TestStuckClientIsReleasedAtWriteTimeout: a member that stops reading is
// released (its presence leaves) once a write to it has waited
// WRITE_TIMEOUT, not twice as long.
func TestStuckClientIsReleasedAtWriteTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.WriteTimeout = 5 * time.Second
	cfg.MaxMessageBytes = 60 << 10 // large messages fill the socket buffers in a few rounds
	n := startNode(t, cfg)
	stuck, _, err := stuckDialer().Dial(n.wsURL("busy")+"?token="+token(t, "stuck"), http.Header{"Origin": {origin}})
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	sender := dial(t, n, "busy", "sender")
	sender.expect("presence.join")

	start := time.Now()
	text := strings.Repeat("x", cfg.MaxMessageBytes)
	for time.Since(start) < readWait {
		for i := 0; i < 4; i++ {
			sender.chat(text)
		}
		for got := 0; got < 4; {
			f := sender.next()
			switch f.str("type") {
			case "chat.delivery":
				got++
			case "presence.leave":
				// Buffers fill within a fraction of a second; the release then
				// comes WRITE_TIMEOUT later, well before the 2×WRITE_TIMEOUT+1s
				// it took when the hijacked socket's Close was a no-op.
				if took := time.Since(start); took > 2*cfg.WriteTimeout {
					t.Fatalf("stuck member released after %s, want about WRITE_TIMEOUT (%s)", took, cfg.WriteTimeout)
				}
				eventually(t, "the write timeout counted", func() bool {
					return n.scrape(t).Value("rt_connections_closed_total", "code", "none", "reason", "write_timeout") == 1
				})
				return
			}
		}
	}
	t.Fatal("the stuck member was never released")
}

// stuckDialer dials with a small receive buffer so a client that never
// reads fills up fast.
func stuckDialer() *websocket.Dialer {
	d := *websocket.DefaultDialer
	d.NetDial = func(network, addr string) (net.Conn, error) {
		conn, err := net.Dial(network, addr)
		if err == nil {
			_ = conn.(*net.TCPConn).SetReadBuffer(4096)
		}
		return conn, err
	}
	return &d
}

// TestCloseMetricsCountWhatHappened: a protocol error is 1002, a client's
// close is client_closed, a dropped TCP connection is connection_lost (a
// client that stops reading is write_timeout: TestStuckClientIsReleasedAtWriteTimeout).
func TestCloseMetricsCountWhatHappened(t *testing.T) {
	cfg := testConfig()
	cfg.WriteTimeout = time.Second
	n := startNode(t, cfg)
	count := func(code, reason string) float64 {
		return n.scrape(t).Value("rt_connections_closed_total", "code", code, "reason", reason)
	}

	bad := dial(t, n, "m", "bad")
	bad.ready()
	if _, err := bad.ws.UnderlyingConn().Write(maskedFrame(0x83, nil)); err != nil { // opcode 3 is reserved
		t.Fatal(err)
	}
	if code := bad.closeCode(); code != 1002 {
		t.Fatalf("reserved opcode: close %d, want 1002", code)
	}
	eventually(t, "1002 counted", func() bool { return count("1002", "protocol_error") == 1 })

	polite := dial(t, n, "m", "polite")
	polite.ready()
	_ = polite.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, "bye"))
	if code := polite.closeCode(); code != 1000 {
		t.Fatalf("echo of the client's close: %d", code)
	}
	eventually(t, "client close counted", func() bool { return count("none", "client_closed") == 1 })

	rude := dial(t, n, "m", "rude")
	rude.ready()
	rude.ws.UnderlyingConn().Close()
	eventually(t, "dropped connection counted", func() bool { return count("none", "connection_lost") == 1 })
}

// maskedFrame builds one client frame (clients must mask) with the given
// first byte and payload.
func maskedFrame(b0 byte, payload []byte) []byte {
	key := make([]byte, 4)
	_, _ = rand.Read(key)
	f := append([]byte{b0, 0x80 | byte(len(payload))}, key...)
	for i, b := range payload {
		f = append(f, b^key[i%4])
	}
	return f
}
