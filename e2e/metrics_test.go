package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/fasthttp/websocket"

	"github.com/rtserver/rt/modules/metrics/metricstest"
)

func (n *node) scrape(t *testing.T) metricstest.Families {
	t.Helper()
	return metricstest.Scrape(t, "http://"+n.addr+"/metrics")
}

// want checks one metric (name plus label pairs) against an exact value.
type want struct {
	name   string
	labels []string
	value  float64
}

func checkMetrics(t *testing.T, m metricstest.Families, wants []want) {
	t.Helper()
	for _, w := range wants {
		if m[w.name] == nil { // Value reads a missing metric as 0
			t.Errorf("%s is not exported", w.name)
		} else if got := m.Value(w.name, w.labels...); got != w.value {
			t.Errorf("%s%v = %v, want %v", w.name, w.labels, got, w.value)
		}
	}
}

// TestMetricsAfterAScriptedSession drives one node through handshakes,
// frames of every kind, chat and a leave, then checks that every counter
// moved by exactly what the session did.
func TestMetricsAfterAScriptedSession(t *testing.T) {
	n := startNode(t, testConfig())

	// Three refused handshakes, each for a different reason.
	if resp := n.get(t, "/ws/room1"); resp.StatusCode != http.StatusUpgradeRequired {
		t.Fatalf("plain GET: %d", resp.StatusCode)
	}
	for _, h := range []struct {
		url    string
		origin string
	}{
		{n.wsURL("room1") + "?token=" + token(t, "eve"), "http://evil.example"},
		{n.wsURL("room1"), origin},
	} {
		if _, _, err := dialRaw(h.url, http.Header{"Origin": {h.origin}}); err == nil {
			t.Fatalf("handshake %s from %s was accepted", h.url, h.origin)
		}
	}

	// Two members; alice sees her own join and bob's, bob sees his own.
	alice := dial(t, n, "room1", "alice")
	alice.expect("presence.join")
	bob := dial(t, n, "room1", "bob")
	bob.expect("presence.join")
	alice.expect("presence.join")

	for i := 0; i < 3; i++ {
		alice.chat("hello")
	}
	for i := 0; i < 3; i++ {
		alice.expect("chat.delivery")
		bob.expect("chat.delivery")
	}
	bob.send(map[string]string{"type": "system.ping"})
	bob.expect("system.pong")
	bob.send(map[string]string{"type": "presence.list"})
	bob.expect("presence.state")
	bob.sendRaw("not json")
	bob.expect("system.error")
	if err := bob.ws.WriteMessage(websocket.BinaryMessage, []byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	bob.expect("system.error")

	checkMetrics(t, n.scrape(t), []want{
		{"rt_connections", nil, 2},
		{"rt_rooms", nil, 1},
		{"rt_handshakes_total", []string{"outcome", "accepted"}, 2},
		{"rt_handshakes_total", []string{"outcome", "rejected", "reason", "upgrade_required"}, 1},
		{"rt_handshakes_total", []string{"outcome", "rejected", "reason", "origin_not_allowed"}, 1},
		{"rt_handshakes_total", []string{"outcome", "rejected", "reason", "token_missing"}, 1},
		{"rt_handshakes_total", []string{"outcome", "rejected"}, 3},
		{"rt_frames_received_total", []string{"type", "chat.message"}, 3},
		{"rt_frames_received_total", []string{"type", "system.ping"}, 1},
		{"rt_frames_received_total", []string{"type", "presence.list"}, 1},
		{"rt_frames_received_total", []string{"type", "invalid"}, 1},
		{"rt_frames_received_total", []string{"type", "binary"}, 1},
		{"rt_frames_received_total", nil, 7},
		{"rt_messages_published_total", nil, 3},
		{"rt_deliveries_total", nil, 3 + 3*2},   // 1+2 presence joins, 3 messages to 2 members
		{"rt_delivery_latency_seconds", nil, 3}, // once per message on this node
		{"rt_connections_closed_total", nil, 0},
		{"rt_presence_refresh_failures_total", nil, 0},
	})

	alice.ws.Close() // gone without a close frame: the connection was lost, no code was sent
	bob.expect("presence.leave")
	eventually(t, "alice's close counted", func() bool {
		return n.scrape(t).Value("rt_connections_closed_total", "code", "none", "reason", "connection_lost") == 1
	})
	checkMetrics(t, n.scrape(t), []want{
		{"rt_connections", nil, 1},
		{"rt_deliveries_total", nil, 3 + 3*2 + 1},
		{"rt_connections_closed_total", nil, 1},
	})
}

func TestMetricsEndpointServesTextFormat(t *testing.T) {
	n := startNode(t, testConfig())
	resp := n.get(t, "/metrics")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want the Prometheus text format", ct)
	}
	m := n.scrape(t)
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "rt_connections", "rt_rooms"} {
		if m[name] == nil {
			t.Errorf("%s missing from /metrics", name)
		}
	}
}
