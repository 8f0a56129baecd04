package e2e

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

func TestChatDeliveryEmbedded(t *testing.T) {
	n := startNode(t, testConfig())
	a := dial(t, n, "test", "alice")
	a.expect("presence.join")
	b := dial(t, n, "test", "bob")
	b.expect("presence.join")
	a.expect("presence.join") // bob's
	other := dial(t, n, "other", "carol")
	other.expect("presence.join")

	before := time.Now().UnixMilli()
	a.send(map[string]any{"type": "chat.message", "room": "test", "text": "hi", "user": "mallory", "extra": 1})
	for _, c := range []*client{a, b} {
		f := c.expect("chat.delivery")
		if f.str("room") != "test" || f.str("user") != "alice" || f.str("text") != "hi" || f.str("id") == "" {
			t.Fatalf("delivery %v", f)
		}
		if ts := int64(f["ts"].(float64)); ts < before || ts > time.Now().UnixMilli() {
			t.Fatalf("ts %d is not Unix ms of now", ts)
		}
	}
	// carol is in another room: her next frame is her own pong, not the chat.
	other.send(map[string]string{"type": "system.ping"})
	other.expect("system.pong")
}

func TestMessageIDsAreUniqueAndOrdered(t *testing.T) {
	n := startNode(t, testConfig())
	a := dial(t, n, "test", "alice")
	a.expect("presence.join")
	var last string
	for i := 0; i < 50; i++ {
		a.chat("m")
		id := a.expect("chat.delivery").str("id")
		if id <= last {
			t.Fatalf("id %q does not sort after %q", id, last)
		}
		last = id
	}
}

func TestBadFramesGetErrorsAndStayOpen(t *testing.T) {
	cfg := testConfig()
	cfg.MaxMessageBytes = 10
	n := startNode(t, cfg)
	a := dial(t, n, "test", "alice")
	a.expect("presence.join")
	b := dial(t, n, "test", "bob")
	b.expect("presence.join")
	a.expect("presence.join")
	tests := []struct{ frame, code string }{
		{`not json`, "bad_json"},
		{`[1,2]`, "bad_json"},
		{`42`, "bad_json"},
		{`{"text":"no type"}`, "bad_message"},
		{`{"type":7}`, "bad_message"},
		{`{"type":"chat.message"}`, "bad_message"},
		{`{"type":"chat.message","text":""}`, "bad_message"},
		{`{"type":"chat.message","text":5}`, "bad_message"},
		{`{"type":"chat.message","text":"x","room":["test"]}`, "bad_message"},
		{`{"type":"chat.message","text":"x","room":"elsewhere"}`, "room_mismatch"},
		{`{"type":"chat.message","text":"` + strings.Repeat("y", 11) + `"}`, "text_too_long"},
		{`{"type":"chat.delivery","text":"forged"}`, "unknown_type"},
		{`{"type":"nope"}`, "unknown_type"},
	}
	for _, tt := range tests {
		a.sendRaw(tt.frame)
		f := a.expect("system.error")
		if f.str("code") != tt.code || f.str("message") == "" {
			t.Errorf("%s: got %v, want code %s", tt.frame, f, tt.code)
		}
	}
	// Nothing above reached bob; the connection still works.
	a.chat("ok")
	if f := b.expect("chat.delivery"); f.str("text") != "ok" {
		t.Fatalf("bob got %v first", f)
	}
}

func TestPingPongAndHeartbeat(t *testing.T) {
	cfg := testConfig()
	cfg.HeartbeatInterval = 100 * time.Millisecond
	cfg.IdleTimeout = 5 * time.Second
	n := startNode(t, cfg)
	a := dial(t, n, "test", "alice")
	a.send(map[string]string{"type": "system.ping"})
	a.expect("system.pong", "presence.join")
	for i := 0; i < 3; i++ { // heartbeats keep coming
		for a.read().str("type") != "system.ping" {
		}
	}
}

func TestIdleTimeoutClosesWith4000(t *testing.T) {
	cfg := testConfig()
	cfg.HeartbeatInterval = 50 * time.Millisecond
	cfg.IdleTimeout = 300 * time.Millisecond
	n := startNode(t, cfg)
	silent := dial(t, n, "test", "alice")
	if code := silent.closeCode(); code != 4000 {
		t.Fatalf("close code %d, want 4000", code)
	}
	eventually(t, "the idle close counted", func() bool {
		return n.scrape(t).Value("rt_connections_closed_total", "code", "4000", "reason", "idle") == 1
	})
}

func TestActivityKeepsConnectionOpen(t *testing.T) {
	cfg := testConfig()
	cfg.HeartbeatInterval = 50 * time.Millisecond
	cfg.IdleTimeout = 400 * time.Millisecond
	n := startNode(t, cfg)
	a := dial(t, n, "test", "alice")
	deadline := time.Now().Add(1200 * time.Millisecond) // three idle periods
	for time.Now().Before(deadline) {
		if a.read().str("type") == "system.ping" {
			a.send(map[string]string{"type": "system.pong"})
		}
	}
	a.send(map[string]string{"type": "system.ping"})
	a.expect("system.pong", "presence.join")
}

func TestControlPongCountsAsActivity(t *testing.T) {
	cfg := testConfig()
	cfg.HeartbeatInterval = 50 * time.Millisecond
	cfg.IdleTimeout = 400 * time.Millisecond
	n := startNode(t, cfg)
	a := dial(t, n, "test", "alice")
	a.expect("presence.join")
	stop := time.Now().Add(1200 * time.Millisecond)
	for time.Now().Before(stop) {
		if err := a.ws.WriteControl(websocket.PongMessage, nil, time.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.send(map[string]string{"type": "system.ping"})
	a.expect("system.pong")
}

func TestOversizedFrameClosesWith1009(t *testing.T) {
	cfg := testConfig()
	cfg.MaxFrameBytes = 1024
	n := startNode(t, cfg)
	a := dial(t, n, "test", "alice")
	a.expect("presence.join")
	a.sendRaw(`{"type":"chat.message","text":"` + strings.Repeat("x", 2000) + `"}`)
	if code := a.closeCode(); code != 1009 {
		t.Fatalf("close code %d, want 1009", code)
	}
}

func TestInvalidUTF8ClosesWith1007(t *testing.T) {
	n := startNode(t, testConfig())
	a := dial(t, n, "test", "alice")
	a.expect("presence.join")
	if err := a.ws.WriteMessage(websocket.TextMessage, []byte("{\"type\":\"chat.message\",\"text\":\"\xff\xfe\"}")); err != nil {
		t.Fatal(err)
	}
	if code := a.closeCode(); code != 1007 {
		t.Fatalf("close code %d, want 1007", code)
	}
}

func TestBinaryFrameGetsBadMessage(t *testing.T) {
	n := startNode(t, testConfig())
	a := dial(t, n, "test", "alice")
	a.expect("presence.join")
	if err := a.ws.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"system.ping"}`)); err != nil {
		t.Fatal(err)
	}
	if f := a.expect("system.error"); f.str("code") != "bad_message" {
		t.Fatalf("got %v", f)
	}
	a.send(map[string]string{"type": "system.ping"})
	a.expect("system.pong")
}

func TestFloodIsRateLimitedThenClosedWith1008(t *testing.T) {
	cfg := testConfig()
	cfg.RateLimit, cfg.RateBurst, cfg.RateWarnings = 0.001, 2, 3
	n := startNode(t, cfg)
	watcher := dial(t, n, "test", "watcher")
	watcher.expect("presence.join")
	flooder := dial(t, n, "test", "flooder")
	watcher.expect("presence.join")
	for i := 0; i < 6; i++ {
		flooder.chat("spam")
	}
	// Two within the burst are delivered, three are warned, the sixth closes.
	for i := 0; i < 2; i++ {
		watcher.expect("chat.delivery")
	}
	for i := 0; i < 3; i++ {
		if f := flooder.expect("system.error", "chat.delivery", "presence.join"); f.str("code") != "rate_limited" {
			t.Fatalf("got %v", f)
		}
	}
	if code := flooder.closeCode(); code != 1008 {
		t.Fatalf("close code %d, want 1008", code)
	}
	if f := watcher.expect("presence.leave"); f.str("user") != "flooder" {
		t.Fatalf("watcher got %v; nothing rate-limited may be delivered", f)
	}
	eventually(t, "the 1008 close counted", func() bool {
		return n.scrape(t).Value("rt_connections_closed_total", "code", "1008") == 1
	})
	checkMetrics(t, n.scrape(t), []want{
		{"rt_frames_received_total", []string{"type", "chat.message"}, 2},
		{"rt_frames_received_total", []string{"type", "rate_limited"}, 4},
		{"rt_messages_published_total", nil, 2},
	})
}

// After the server decides a close (here 1008 for flooding), it keeps the
// connection open and reads until the client answers the close, rather
// than closing TCP under frames still in flight: such a reset can destroy
// the close frame in the client's buffers, leaving it a bare 1006. The
// client here reads the 1008 without answering it, goes on sending, and
// must not meet a reset.
func TestServerCloseWaitsForTheClientsCloseReply(t *testing.T) {
	cfg := testConfig()
	cfg.RateLimit, cfg.RateBurst, cfg.RateWarnings = 0.001, 2, 3
	n := startNode(t, cfg)
	conn, _, err := dialRaw(n.wsURL("test")+"?token="+token(t, "flooder"), http.Header{"Origin": {origin}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetCloseHandler(func(int, string) error { return nil }) // read the close, do not answer yet
	frame := []byte(`{"type":"system.ping"}`)
	for i := 0; i < 6; i++ {
		if err := conn.WriteMessage(websocket.TextMessage, frame); err != nil {
			t.Fatal(err)
		}
	}
	var ce *websocket.CloseError
	for err == nil {
		_, _, err = conn.ReadMessage()
	}
	if !errors.As(err, &ce) || ce.Code != 1008 {
		t.Fatalf("read ended with %v, want close 1008", err)
	}
	for i := 0; i < 20; i++ { // frames still in flight after the close
		time.Sleep(10 * time.Millisecond)
		if err := conn.WriteMessage(websocket.TextMessage, frame); err != nil {
			t.Fatalf("write %d after the server's close: %v; the server did not wait for the close reply", i, err)
		}
	}
	_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1008, ""))
}
