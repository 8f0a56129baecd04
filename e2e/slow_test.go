package e2e

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// TestSlowReaderIsClosedWith4002 floods a room while one member never reads.
// Its send queue overflows, it is closed with 4002, and the other members
// get every message meanwhile.
func TestSlowReaderIsClosedWith4002(t *testing.T) {
	cfg := testConfig()
	cfg.SendQueue = 8
	cfg.WriteTimeout = time.Minute // the stuck write waits for the test to read, not for a timeout
	n := startNode(t, cfg)

	slow, _, err := websocket.DefaultDialer.Dial(n.wsURL("busy")+"?token="+token(t, "slow"), http.Header{"Origin": {origin}})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fast := dial(t, n, "busy", "fast")
	fast.expect("presence.join")

	// The sender waits for its own deliveries every few messages, so only
	// the member that does not read can fall behind.
	const total, window = 4000, 4 // 16 MB of deliveries: more than loopback socket buffers hold
	text := strings.Repeat("x", 4000)
	for sent := 0; sent < total; sent += window {
		for i := 0; i < window; i++ {
			fast.chat(text)
		}
		for i := 0; i < window; i++ {
			// slow's join may arrive late; its leave comes once it has been
			// closed and has not answered the close within a second.
			fast.expect("chat.delivery", "presence.join", "presence.leave")
		}
	}

	// Now the slow member reads: what was buffered, then the close.
	for {
		if _, _, err = slow.ReadMessage(); err != nil {
			break
		}
	}
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4002 {
		t.Fatalf("slow member ended with %v, want close 4002", err)
	}
	eventually(t, "the slow-consumer close counted", func() bool {
		return n.scrape(t).Value("rt_connections_closed_total", "code", "4002", "reason", "too_slow") == 1
	})
}
