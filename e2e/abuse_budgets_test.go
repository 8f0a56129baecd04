package e2e

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// bigText is the largest text MAX_TEXT_BYTES allows, of the character that
// escapes the longest: a 24.6 KB chat.delivery.
var bigText = strings.Repeat("<", 4096)

// seedBig fills room with n deliveries of bigText, one at a time so the
// seeder's own queue never holds more than one, and returns their ids,
// oldest first.
func seedBig(t *testing.T, n *node, room string, count int) []string {
	t.Helper()
	c := dial(t, n, room, "seeder")
	c.ready()
	ids := make([]string, 0, count)
	for len(ids) < count {
		c.send(map[string]any{"type": "chat.message", "text": bigText})
		ids = append(ids, c.expect("chat.delivery", presenceNoise...).str("id"))
	}
	return ids
}

// dialStill connects a socket that never reads, with a small receive
// buffer so that the kernel holds little of what the server writes to it.
func dialStill(t *testing.T, n *node, room, sub, query string) *websocket.Conn {
	t.Helper()
	// The buffer is set before connecting: shrunk after the TCP handshake
	// it stalls the connection.
	small := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 64<<10)
		})
	}}
	d := websocket.Dialer{NetDialContext: small.DialContext}
	url := n.wsURL(room) + "?token=" + token(t, sub) + query
	conn, _, err := d.Dial(url, http.Header{"Origin": {origin}})
	if err != nil {
		t.Fatalf("dial %s: %v", room, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// watchQueued samples rt_send_queue_bytes every 20 ms for d and returns the
// largest value seen.
func watchQueued(t *testing.T, n *node, d time.Duration) float64 {
	t.Helper()
	peak := 0.0
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		m := n.scrape(t)
		if m["rt_send_queue_bytes"] == nil {
			t.Fatal("rt_send_queue_bytes is not exported")
		}
		peak = max(peak, m.Value("rt_send_queue_bytes"))
	}
	return peak
}

// Finding 1: a socket that never reads asks for history pages of the
// largest messages as fast as it may. Each page waits until the client has
// read the one before and is cut to half of SEND_QUEUE_BYTES, so the node
// never holds more than SEND_QUEUE_BYTES for it (it held one 2.47 MB page
// per request before); the requests beyond the few that may wait are
// answered rate_limited, and the socket is not closed for it.
func TestAbuseHistoryPagesBoundedInBytes(t *testing.T) {
	cfg := testConfig()
	n := startNode(t, cfg)
	seedBig(t, n, "pages", 200)
	greedy := dialStill(t, n, "pages", "mallory", "")
	for i := 0; i < 60; i++ {
		if err := greedy.WriteMessage(websocket.TextMessage, []byte(`{"type":"history.get","limit":100}`)); err != nil {
			t.Fatal(err)
		}
	}
	if peak := watchQueued(t, n, 2*time.Second); peak > float64(cfg.SendQueueBytes) {
		t.Fatalf("%.0f bytes queued for one socket, SEND_QUEUE_BYTES is %d", peak, cfg.SendQueueBytes)
	}
	// Now it reads: pages of at most half the queue, some rate_limited, no close.
	pages, limited := 0, 0
	_ = greedy.SetReadDeadline(time.Now().Add(10 * time.Second))
	for pages+limited < 60 {
		_, data, err := greedy.ReadMessage()
		if err != nil {
			t.Fatalf("after %d pages and %d refusals: %v", pages, limited, err)
		}
		switch f := decode(t, data); f.str("type") {
		case "history.page":
			pages++
			if len(data) > cfg.SendQueueBytes/2+1024 || f["more"] != true {
				t.Fatalf("a page of %d bytes, more %v", len(data), f["more"])
			}
		case "system.error":
			if f.str("code") != "rate_limited" {
				t.Fatalf("error %v", f)
			}
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("60 history requests from a socket that did not read were all taken")
	}
}

// Finding 3: sixteen sockets of one user reconnect with since = the oldest
// of 200 of the largest messages and never read. The replay comes in pages
// that wait for the client to read, and the user's history budget bounds
// what is read for them together: not 16 × 4.9 MB at once.
func TestAbuseSinceReplaysPaced(t *testing.T) {
	cfg := testConfig()
	cfg.HistoryBudget, cfg.HistoryBudgetBurst = 512<<10, 2<<20 // the defaults
	n := startNode(t, cfg)
	ids := seedBig(t, n, "since", 200)
	start := time.Now()
	for i := 0; i < 16; i++ {
		dialStill(t, n, "since", "mallory", "&since="+ids[0])
	}
	peak := watchQueued(t, n, 2*time.Second)
	elapsed := time.Since(start).Seconds()
	read := n.scrape(t).Value("rt_history_read_bytes_total")
	// The budget: its burst, its rate for the time elapsed, and the one
	// page each reader may overshoot by.
	if limit := float64(cfg.HistoryBudgetBurst) + elapsed*float64(cfg.HistoryBudget) + float64(cfg.SendQueueBytes/2); read > limit {
		t.Fatalf("%.0f bytes of history read in %.1f s for one user, budget allows %.0f", read, elapsed, limit)
	}
	if peak > 16*float64(cfg.SendQueueBytes) {
		t.Fatalf("%.0f bytes queued for 16 sockets", peak)
	}
}

// A socket that reads gets its whole replay, in pages, whatever the budget
// makes it wait: nothing is lost by the pacing.
func TestSinceReplayPacedIsWhole(t *testing.T) {
	cfg := testConfig()
	cfg.SendQueueBytes = 64 << 10                            // the smallest: a page holds one of these messages
	cfg.HistoryBudget, cfg.HistoryBudgetBurst = 4<<20, 1<<20 // waits, but not for long
	n := startNode(t, cfg)
	want := seedBig(t, n, "whole", 60)
	bob := histDial(t, n, "whole", "bob", want[9])
	replay, rec := histRecovery(bob)
	if got := ids(replay); !sameList(got, want[10:]) {
		t.Fatalf("replay of %d, want %d", len(got), len(want[10:]))
	}
	checkRecovered(t, rec, "whole", 50, true)
}

// decode reads one server frame.
func decode(t *testing.T, data []byte) frame {
	t.Helper()
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("frame %.80s: %v", data, err)
	}
	return f
}

// Finding 4: a burst of RATE_BURST chat messages in one TCP write, at the
// default limits, is delivered whole in both modes: the bound on requests
// waiting for the backend is at least the burst.
func TestAbuseBurstWithinLimitsServed(t *testing.T) {
	for _, mode := range histModes {
		t.Run(mode.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.RateLimit, cfg.RateBurst = 20, 40
			_, n, _ := histNodes(t, mode, cfg)
			c := dial(t, n, "burst", "alice")
			c.ready()
			var burst []byte
			allowed := cfg.RateBurst - 1 // ready's ping took one token
			for i := 0; i < allowed; i++ {
				burst = appendClientFrame(burst, 0x1, true, []byte(fmt.Sprintf(`{"type":"chat.message","text":"m%d"}`, i)))
			}
			if _, err := c.ws.NetConn().Write(burst); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < allowed; i++ {
				f := c.expect("chat.delivery", "presence.join")
				if f.str("text") != fmt.Sprintf("m%d", i) {
					t.Fatalf("frame %d of the burst: %v", i, f)
				}
			}
		})
	}
}

// appendClientFrame appends one masked client frame (RFC 6455 §5.2) with a
// zero mask key, so the payload goes as it is.
func appendClientFrame(b []byte, op byte, fin bool, payload []byte) []byte {
	first := op
	if fin {
		first |= 0x80
	}
	b = append(b, first)
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xFFFF:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(append(b, 0, 0, 0, 0), payload...)
}

// MAX_QUEUED_BYTES: when the node's queues together pass it, the socket
// holding the most is closed with 4002 and a socket that keeps up is not.
func TestNodeQueueCapClosesTheGreediest(t *testing.T) {
	cfg := testConfig()
	cfg.SendQueueBytes, cfg.MaxQueuedBytes = 8<<20, 1<<20
	n := startNode(t, cfg)
	seedBig(t, n, "cap", 200)
	bystander := dial(t, n, "cap", "bob")
	bystander.ready()
	greedy := dialStill(t, n, "cap", "mallory", "")
	for i := 0; i < 40; i++ {
		if err := greedy.WriteMessage(websocket.TextMessage, []byte(`{"type":"history.get","limit":100}`)); err != nil {
			break // closed already
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for n.scrape(t).Value("rt_send_queue_shed_total") < 1 {
		if time.Now().After(deadline) {
			t.Fatal("no socket shed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = greedy.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := greedy.ReadMessage(); err != nil {
			if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != 4002 {
				t.Fatalf("greedy socket ended with %v, want 4002", err)
			}
			break
		}
	}
	bystander.chat("still here")
	if f := bystander.expect("chat.delivery", presenceNoise...); f.str("text") != "still here" {
		t.Fatalf("bystander got %v", f)
	}
}
